"""auth.* and account.getPassword: login by code, by QR token, 2FA (SRP), DC authorization transfer.

https://core.telegram.org/api/auth, /api/qr-login and /api/srp.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from telethon import password as srp
from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.handshake import DH_G, DH_PRIME
from ..mtproto.tl import RpcError
from . import Call, LoginToken, rpc

if TYPE_CHECKING:
    from ..cluster import Cluster

CODE_HASH = "sandbox-code-hash"
_P_BYTES = DH_PRIME.to_bytes(256, "big")


@dataclass
class SrpChallenge:
    b: int
    srp_b: bytes
    verifier: int


def _algo(world_seed: int) -> T.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow:
    salt1 = world_seed.to_bytes(8, "big") + b"sandbox-salt1"
    return T.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
        salt1=salt1, salt2=b"sandbox-salt2", g=DH_G, p=_P_BYTES
    )


@cache
def _verifier(world_seed: int, password: str) -> int:
    # PBKDF2 with 100,000 rounds: computed once per password.
    x = int.from_bytes(srp.compute_hash(_algo(world_seed), password), "big")
    return pow(DH_G, x, DH_PRIME)


def _k() -> int:
    return int.from_bytes(srp.sha256(_P_BYTES, srp.big_num_for_hash(DH_G)), "big")


def _authorize(call: Call, user_id: int) -> T.auth.Authorization:
    call.ctx.auth.user_id = user_id
    return T.auth.Authorization(user=call.world.users[user_id].tl())


def _login_or_password(call: Call, user_id: int | None = None) -> T.auth.Authorization:
    """Log the key in as ``user_id`` (the world's own account by default; a QR code scanned by another
    account of the world logs that one in). guess: only the world's own account has the two-step
    password."""
    user_id = call.world.me.id if user_id is None else user_id
    if call.world.password and user_id == call.world.me.id:
        # The key stays unauthorized until auth.checkPassword succeeds.
        raise RpcError(401, "SESSION_PASSWORD_NEEDED")
    return _authorize(call, user_id)


@rpc(F.auth.SendCodeRequest, public=True)
def send_code(call: Call, request: F.auth.SendCodeRequest) -> T.auth.SentCode:
    if request.phone_number.lstrip("+") != call.world.me.phone:
        raise RpcError(400, "PHONE_NUMBER_INVALID")
    return T.auth.SentCode(
        type=T.auth.SentCodeTypeApp(length=len(call.world.login_code)), phone_code_hash=CODE_HASH
    )


@rpc(F.auth.SignInRequest, public=True)
def sign_in(call: Call, request: F.auth.SignInRequest) -> T.auth.Authorization:
    if request.phone_number.lstrip("+") != call.world.me.phone:
        raise RpcError(400, "PHONE_NUMBER_INVALID")
    if request.phone_code_hash != CODE_HASH:
        raise RpcError(400, "PHONE_CODE_EXPIRED")
    if request.phone_code != call.world.login_code:
        raise RpcError(400, "PHONE_CODE_INVALID")
    return _login_or_password(call)


@rpc(F.account.GetPasswordRequest, public=True)
def get_password(call: Call, request: F.account.GetPasswordRequest) -> T.account.Password:
    world = call.world
    new_algo = _algo(world.seed)
    common = {
        "new_algo": new_algo,
        "new_secure_algo": T.SecurePasswordKdfAlgoSHA512(salt=b"sandbox-secure"),
        "secure_random": os.urandom(32),
    }
    if not world.password:
        return T.account.Password(has_password=False, **common)
    verifier = _verifier(world.seed, world.password)
    b = int.from_bytes(os.urandom(256), "big")
    srp_b = ((_k() * verifier + pow(DH_G, b, DH_PRIME)) % DH_PRIME).to_bytes(256, "big")
    srp_id = int.from_bytes(os.urandom(8), "big", signed=True)
    call.cluster.state.srp_challenges[srp_id] = SrpChallenge(b, srp_b, verifier)
    return T.account.Password(
        has_password=True, current_algo=new_algo, srp_B=srp_b, srp_id=srp_id, hint="sandbox", **common
    )


@rpc(F.auth.CheckPasswordRequest, public=True)
def check_password(call: Call, request: F.auth.CheckPasswordRequest) -> T.auth.Authorization:
    check = request.password
    challenge = call.cluster.state.srp_challenges.pop(getattr(check, "srp_id", 0), None)
    if challenge is None or not isinstance(check, T.InputCheckPasswordSRP):
        raise RpcError(400, "SRP_ID_INVALID")
    algo = _algo(call.world.seed)
    a = int.from_bytes(check.A, "big")
    if not 1 < a < DH_PRIME:
        raise RpcError(400, "SRP_A_INVALID")
    a_bytes = srp.big_num_for_hash(a)
    u = int.from_bytes(srp.sha256(a_bytes, challenge.srp_b), "big")
    shared = pow(a * pow(challenge.verifier, u, DH_PRIME) % DH_PRIME, challenge.b, DH_PRIME)
    expected = srp.sha256(
        srp.xor(srp.sha256(_P_BYTES), srp.sha256(srp.big_num_for_hash(DH_G))),
        srp.sha256(algo.salt1),
        srp.sha256(algo.salt2),
        a_bytes,
        challenge.srp_b,
        srp.sha256(srp.big_num_for_hash(shared)),
    )
    if expected != check.M1:
        raise RpcError(400, "PASSWORD_HASH_INVALID")
    return _authorize(call, call.world.me.id)


# QR login: https://core.telegram.org/api/qr-login


@rpc(F.auth.ExportLoginTokenRequest, public=True)
def export_login_token(call: Call, request: F.auth.ExportLoginTokenRequest) -> object:
    state = call.cluster.state
    key_id = call.ctx.auth.key.key_id
    now = time.time()
    for token, entry in list(state.login_tokens.items()):
        if entry.auth_key_id == key_id and entry.accepted_by is not None:
            account_dc = call.world.account_dc or call.cluster.home_dc
            if call.ctx.dc.dc_id != account_dc:
                # api/qr-login: the account lives on another DC; the client imports the token there
                # (Telethon's QRLogin.wait switches DC and calls auth.importLoginToken).
                return T.auth.LoginTokenMigrateTo(dc_id=account_dc, token=token)
            del state.login_tokens[token]
            return T.auth.LoginTokenSuccess(authorization=_login_or_password(call, entry.accepted_by))
        if entry.expires < now and entry.accepted_by is None:
            del state.login_tokens[token]
    token = os.urandom(32)
    # api/qr-login: a token lives ~30 s ("expires"); the client must export a new one after that.
    expires = int(now) + state.login_token_ttl
    state.login_tokens[token] = LoginToken(call.ctx.dc.dc_id, key_id, expires)
    return T.auth.LoginToken(expires=expires, token=token)


@rpc(F.auth.ImportLoginTokenRequest, public=True)
def import_login_token(call: Call, request: F.auth.ImportLoginTokenRequest) -> object:
    entry = call.cluster.state.login_tokens.get(request.token)
    if entry is None or entry.accepted_by is None:
        raise RpcError(400, "AUTH_TOKEN_INVALID")
    # guess: only the account's own DC takes the token (where auth.loginTokenMigrateTo sent it).
    if call.ctx.dc.dc_id != (call.world.account_dc or call.cluster.home_dc):
        raise RpcError(400, "AUTH_TOKEN_INVALID")
    del call.cluster.state.login_tokens[request.token]
    return T.auth.LoginTokenSuccess(authorization=_login_or_password(call, entry.accepted_by))


@rpc(F.auth.AcceptLoginTokenRequest)
def accept_login_token(call: Call, request: F.auth.AcceptLoginTokenRequest) -> T.Authorization:
    accept_token(call.cluster, request.token, call.user_id)
    now = int(time.time())
    return T.Authorization(
        hash=1,
        device_model="sandbox",
        platform="sandbox",
        system_version="1",
        api_id=0,
        app_name="telegram-export-bot",
        app_version="1",
        date_created=now,
        date_active=now,
        ip="127.0.0.1",
        country="ZZ",
        region="ZZ",
    )


def accept_token(cluster: Cluster, token: bytes, user_id: int | None) -> None:
    """What scanning the QR code with a logged-in phone does: accept, then push updateLoginToken."""
    entry = cluster.state.login_tokens.get(token)
    if entry is None or entry.expires < time.time():
        raise RpcError(400, "AUTH_TOKEN_EXPIRED")
    entry.accepted_by = user_id
    dc = cluster.dcs[entry.dc_id]
    update = T.UpdateShort(update=T.UpdateLoginToken(), date=int(time.time()))
    for (key_id, _), session in dc.sessions.items():
        if key_id == entry.auth_key_id:
            dc.push(session, update)


# moving an authorization to another DC (file downloads)


@rpc(F.auth.ExportAuthorizationRequest)
def export_authorization(
    call: Call, request: F.auth.ExportAuthorizationRequest
) -> T.auth.ExportedAuthorization:
    if request.dc_id not in call.cluster.dcs:
        raise RpcError(400, "DC_ID_INVALID")
    token = os.urandom(32)
    call.cluster.state.exported_auth[token] = call.me
    return T.auth.ExportedAuthorization(id=call.me, bytes=token)


@rpc(F.auth.ImportAuthorizationRequest, public=True)
def import_authorization(call: Call, request: F.auth.ImportAuthorizationRequest) -> T.auth.Authorization:
    if call.cluster.state.exported_auth.pop(request.bytes, None) != request.id:
        raise RpcError(400, "AUTH_BYTES_INVALID")
    return _authorize(call, request.id)


@rpc(F.auth.LogOutRequest)
def log_out(call: Call, request: F.auth.LogOutRequest) -> T.auth.LoggedOut:
    call.ctx.auth.user_id = None
    return T.auth.LoggedOut()
