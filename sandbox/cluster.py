"""The sandbox Telegram: one world served by several data centres.

``Cluster`` is what tests, benchmarks and ``python -m sandbox serve`` start.  It
routes every request through the network model (faults, flood limit, latency)
to the API handlers in ``sandbox.api``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from telethon.crypto import AuthKey
from telethon.sessions import StringSession
from telethon.tl import TLRequest

from . import api
from .mtproto.handshake import ServerKey
from .mtproto.server import CallContext, DataCentre
from .mtproto.tl import RpcError, error_name, method_name
from .netmodel import NetworkModel
from .world import World
from .world.accounts import as_seen_by, member_chats

log = logging.getLogger("sandbox")

HOME_DC = 2
DEFAULT_DCS = (2, 4)
# What a real client gets from my.telegram.org; the sandbox accepts any pair.
SANDBOX_API_ID = 611335
SANDBOX_API_HASH = "d524b414d21f4d37f08684c1df41ac9c"
SESSION_FILE_FORMAT = "telegram-export-bot/sandbox-session"


@dataclass
class ServerState:
    """Account-wide state that several DCs share (login tokens, takeouts, …)."""

    exported_auth: dict[bytes, int] = field(default_factory=dict)
    login_tokens: dict[bytes, api.LoginToken] = field(default_factory=dict)
    # api/qr-login: a QR login token expires after about 30 s.
    login_token_ttl: int = 30
    takeouts: dict[int, str] = field(default_factory=dict)
    # When the account was first asked to confirm a takeout (TAKEOUT_INIT_DELAY counts from it).
    takeout_asked_at: float | None = None
    srp_challenges: dict[int, api.auth.SrpChallenge] = field(default_factory=dict)


class Cluster:
    def __init__(
        self,
        world: World,
        *,
        network: NetworkModel | None = None,
        dc_ids: tuple[int, ...] = DEFAULT_DCS,
        home_dc: int = HOME_DC,
        host: str = "127.0.0.1",
        ports: dict[int, int] | None = None,
        server_key: ServerKey | None = None,
    ) -> None:
        self.world = world
        self.network = network or NetworkModel()
        self.home_dc = home_dc
        self.server_key = server_key or ServerKey()
        self.state = ServerState()
        self.calls: Counter[str] = Counter()
        # Values the API derives from the world once (e.g. restricted counts of big channels).
        self.derived: dict[tuple, Counter[int | None]] = {}
        self.request_log: list[str] = []
        self.dcs = {
            dc_id: DataCentre(
                dc_id, self.dispatch, server_key=self.server_key, host=host, port=(ports or {}).get(dc_id, 0)
            )
            for dc_id in dc_ids
        }

    @property
    def home(self) -> DataCentre:
        return self.dcs[self.home_dc]

    async def start(self) -> Cluster:
        started: list[DataCentre] = []
        try:
            # One at a time, so that ``started`` holds the ones to stop if the next fails.
            for dc in self.dcs.values():
                started.append(await dc.start())  # noqa: PERF401
        except BaseException:
            for dc in started:
                await dc.stop()
            raise
        return self

    async def stop(self) -> None:
        for dc in self.dcs.values():
            await dc.stop()

    async def __aenter__(self) -> Cluster:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def accept_login_token(self, token: bytes, user_id: int | None = None) -> None:
        """Scan a QR login token with the phone of the account ``user_id`` (the world's own by default;
        another one of sandbox/world/accounts.py)."""
        api.auth.accept_token(self, token, self.world.me.id if user_id is None else user_id)

    def confirm_takeout(self) -> None:
        """Allow the data export from another app, as the service message about it asks (api/takeout)."""
        self.world.takeout_confirmed = True

    def drop_connections(self) -> int:
        return sum(dc.drop_connections() for dc in self.dcs.values())

    def stats(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for dc in self.dcs.values():
            total.update(dc.stats)
        total.update({f"rpc:{name}": n for name, n in self.calls.items()})
        total.update({f"flood_wait:{name}": n for name, n in self.network.flood_waits.items()})
        total.update({f"flood_wait_seconds:{name}": n for name, n in self.network.flood_wait_seconds.items()})
        # file bytes answered per DC, and what the world's file faults did (references_expired, …)
        total.update({f"file_bytes:{dc}": n for dc, n in self.network.file_bytes.items()})
        total.update({f"files:{name}": n for name, n in self.world.file_faults.counts.items()})
        return total

    def request_timings(self) -> list[dict[str, object]]:
        """Every answered request on the sandbox's own clock (``python -m sandbox serve --stats-file``)."""
        timings = sorted(
            (t for dc in self.dcs.values() for t in dc.request_timings), key=lambda t: t.received
        )
        return [
            {"method": t.method, "msg_id": t.msg_id, "received": t.received, "seconds": t.seconds}
            for t in timings
        ]

    # sessions for clients

    def session_string(self, user_id: int | None = None, dc_id: int | None = None) -> str:
        """A Telethon StringSession with a registered auth key, logged in as ``user_id``
        (the account's own user by default). Skips the DH exchange: ~5 ms instead of ~200 ms."""
        dc = self.dcs[dc_id or self.home_dc]
        key = os.urandom(256)
        dc.register_key(key, self.world.me.id if user_id is None else user_id)
        session = StringSession()
        session.set_dc(dc.dc_id, dc.host, dc.port)
        session.auth_key = AuthKey(key)
        return session.save()

    def logged_out_session_string(self, dc_id: int | None = None) -> str:
        """A session whose auth key exists but is not logged in (for login tests)."""
        dc = self.dcs[dc_id or self.home_dc]
        key = os.urandom(256)
        dc.register_key(key, None)
        session = StringSession()
        session.set_dc(dc.dc_id, dc.host, dc.port)
        session.auth_key = AuthKey(key)
        return session.save()

    def session_file_payload(self, string_session: str) -> dict[str, object]:
        """What ``python -m sandbox serve --session-file`` writes: all a client needs to connect."""
        return {
            "format": SESSION_FILE_FORMAT,
            "version": 1,
            "string_session": string_session,
            "dc_id": self.home_dc,
            "host": self.home.host,
            "port": self.home.port,
            "rsa_public_key": self.server_key.public_pem,
            "api_id": SANDBOX_API_ID,
            "api_hash": SANDBOX_API_HASH,
        }

    def write_session_file(self, path: Path, *, logged_in: bool = True) -> Path:
        string_session = self.session_string() if logged_in else self.logged_out_session_string()
        path.parent.mkdir(parents=True, exist_ok=True)
        # The session is an account credential: private from the first byte.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(self.session_file_payload(string_session), out, indent=2)
        os.chmod(path, 0o600)
        return path

    # the request path

    async def dispatch(self, ctx: CallContext, request: TLRequest) -> object:
        # A class is hashable, but mypy checks the Hashable protocol on its unbound __hash__: `type` says so.
        request_type: type = type(request)
        method = method_name(request_type)
        self.calls[method] += 1
        if ctx.auth.duplicated:
            # Used from two places at once: the key is dead for good (sandbox/mtproto/places.py).
            raise RpcError(406, "AUTH_KEY_DUPLICATED")
        self.request_log.append(method)
        if self.world.live is not None:
            self.world.live.on_request(self.world)  # a live forum receives messages as time passes
        network = self.network
        fault = network.fault_for(method)
        refusal: RpcError | None = None
        if fault is None:
            try:
                if type(request) not in api.PUBLIC:
                    network.access_check(ctx.user_id, method)
                network.flood_check(ctx.user_id, method, takeout=ctx.takeout_id is not None)
            except RpcError as exc:
                refusal = exc
        delay = network.delay()
        if delay:
            await asyncio.sleep(delay)
        if fault is not None:
            if fault.drop_connection:
                ctx.session.connection.close()
                # The answer would go to a closed socket; the client resends after reconnecting.
                raise RpcError(500, "SANDBOX_CONNECTION_DROPPED")
            assert fault.error is not None
            raise fault.error
        if refusal is not None:
            raise refusal
        handler = api.HANDLERS.get(type(request))
        if handler is None:
            # 400, never 5xx: Telethon silently retries 5xx for ~10 s.
            raise RpcError(400, f"SANDBOX_NOT_IMPLEMENTED_{error_name(method)}")
        call = api.Call(self, ctx, method)
        if ctx.user_id is None and type(request) not in api.PUBLIC:
            raise RpcError(401, "AUTH_KEY_UNREGISTERED")
        if ctx.takeout_id is not None and self.state.takeouts.get(ctx.takeout_id) != "open":
            raise RpcError(400, "TAKEOUT_INVALID")
        result = handler(call, request)
        if asyncio.iscoroutine(result):
            result = await result
        member_of = member_chats(self.world, ctx.user_id)
        if member_of is not None:
            as_seen_by(result, member_of)
        if ctx.messages_range is not None:
            self.calls["invokeWithMessagesRange"] += 1
            api.account.within_range(request, result, *ctx.messages_range)
        return result
