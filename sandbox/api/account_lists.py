"""account.* lists a backup tool reads: signed-in devices, websites, saved ringtones.

Sources: core.telegram.org/method/account.getAuthorizations (the current session has ``current``
set and hash 0; other sessions carry the hash account.resetAuthorization takes),
core.telegram.org/method/account.getWebAuthorizations, core.telegram.org/method/account.getSavedRingtones.
The devices listed are the sandbox's real sessions of the account: every auth key logged in as it,
with what its client announced in initConnection. guess: 180 days of inactivity end a session (the
default Telegram apps show under "Automatically terminate old sessions").
"""

from __future__ import annotations

import time

from telethon.tl import functions as F
from telethon.tl import types as T

from . import Call, rpc

SESSION_TTL_DAYS = 180
# Sandbox sessions all come from this machine.
LOOPBACK = "127.0.0.1"


@rpc(F.account.GetAuthorizationsRequest)
def get_authorizations(call: Call, request: F.account.GetAuthorizationsRequest) -> T.account.Authorizations:
    now = int(time.time())
    current_key = call.ctx.auth.key.key_id
    sessions = []
    for dc in call.cluster.dcs.values():
        for key_id, record in dc.auth_keys.items():
            if record.user_id != call.user_id or record.init is None:
                continue
            init = record.init
            current = key_id == current_key
            sessions.append(
                T.Authorization(
                    hash=0 if current else key_id & ((1 << 63) - 1),
                    device_model=init.device_model,
                    platform=init.system_version,
                    system_version=init.system_version,
                    api_id=init.api_id,
                    # guess: the name registered with the api_id, which the sandbox does not know.
                    app_name=f"app {init.api_id}",
                    app_version=init.app_version,
                    date_created=now,
                    date_active=now,
                    ip=LOOPBACK,
                    country="",
                    region="",
                    current=current or None,
                )
            )
    # The current session comes first, as in Telegram's Devices screen.
    sessions.sort(key=lambda auth: not auth.current)
    return T.account.Authorizations(authorization_ttl_days=SESSION_TTL_DAYS, authorizations=sessions)


@rpc(F.account.GetWebAuthorizationsRequest)
def get_web_authorizations(call: Call, request: object) -> T.account.WebAuthorizations:
    # guess: the account never logged in to a website with Telegram.
    return T.account.WebAuthorizations(authorizations=[], users=[])


@rpc(F.account.GetSavedRingtonesRequest)
def get_saved_ringtones(call: Call, request: F.account.GetSavedRingtonesRequest) -> T.account.SavedRingtones:
    # guess: the account saved no ringtones.
    return T.account.SavedRingtones(hash=0, ringtones=[])
