"""Connections for file parts, apart from the client's own: downloads never queue behind history.

The seam with Telethon 1.45 (pyproject pins ``telethon>=1.45,<1.46``). Telethon's download_media
borrows one exported sender per foreign DC (``_borrow_exported_sender``) and downloads from the home
DC over the client's own connection, one request at a time. We open our own ``MTProtoSender``s, as
many per DC as ``MediaSettings.connections_per_dc``:
- on the home DC, with the session's own auth key: one key may serve several connections, each its
  own MTProto session (core.telegram.org/mtproto/description: a session id is the client's choice;
  Telegram Desktop and TDLib open extra download sessions with the main key this way);
- on another DC, as Telethon's ``_create_exported_sender`` does: a fresh key, then
  auth.exportAuthorization on the home DC and auth.importAuthorization there inside
  initConnection (core.telegram.org/api/datacenter); the DC's further connections reuse that key.
Requests go through ``client._call(sender, request)``, Telethon's own path (errors mapped, entities
cached, 5xx retried), with the client's flood_sleep_threshold, which the engine requires to be 0.

An answer is handed to its request's ``on_answer`` (``send``) inside the step in which the
connection's receive loop decodes it (``_AnswerSender``), not when the awaiting task next runs: the
part is on disk before the loop does anything else. Otherwise decoded answers waited for their
tasks, each a 1 MiB part in memory that a kill -9 would lose (see partfile.py).

Private names used: ``MTProtoSender`` (its ``_pending_state`` and ``_handle_rpc_result``),
``client._connection``, ``_get_dc``, ``_init_request``, ``_call``, ``_log``, ``_proxy``,
``_local_addr``; ``check_seams`` fails loudly when one is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telethon import TelegramClient
from telethon.network.connection.connection import Connection
from telethon.network.mtprotosender import MTProtoSender
from telethon.tl import functions as F
from telethon.tl.alltlobjects import LAYER

from .. import wire


class SeamError(RuntimeError):
    """Telethon's internals changed: exporter/media/connections.py needs updating."""


def check_seams(client: TelegramClient) -> None:
    missing = [
        name
        for name in ("_connection", "_get_dc", "_init_request", "_call", "_log", "_proxy", "_local_addr")
        if not hasattr(client, name)
    ]
    if not hasattr(MTProtoSender, "_handle_rpc_result"):
        missing.append("MTProtoSender._handle_rpc_result")
    if missing:
        raise SeamError(f"Telethon's client has no {', '.join(missing)}; exporter/media needs updating")


OnAnswer = Callable[[Any], None]


async def learn_dc_addresses(client: TelegramClient) -> None:
    """Learn the DCs' addresses (help.getConfig, which Telethon keeps for the process) while history
    is read, not when the media stage first needs another DC: a file there then waits for three
    round trips before its first part instead of four (forum-130ms: its custom emoji stickers on
    DC 4, 0.13 s of a 0.69 s media stage). A failure here only leaves the asking for later."""
    if type(client)._config:
        return
    # Anything: this only saves a round trip, and runs beside the export as a task nobody awaits.
    with contextlib.suppress(Exception):
        await client._get_dc(client.session.dc_id)


class _AnswerSender(MTProtoSender):  # type: ignore[misc]  # Telethon is untyped
    """MTProtoSender that hands each answer to its request's ``on_answer`` as it is decoded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not hasattr(self, "_pending_state"):
            raise SeamError("Telethon's MTProtoSender has no _pending_state; exporter/media needs updating")
        # id() of a request sent with on_answer (unwrapped: _call may wrap it in invokeWithoutUpdates).
        self.on_answer: dict[int, OnAnswer] = {}

    async def _handle_rpc_result(self, message: Any) -> None:
        state = self._pending_state.get(message.obj.req_msg_id)
        await super()._handle_rpc_result(message)  # sets the future's result; it awaits nothing
        if state is None:
            return
        request = state.request
        hook = self.on_answer.get(id(getattr(request, "query", request)))
        future = state.future
        if hook is not None and future.done() and not future.cancelled() and future.exception() is None:
            hook(future.result())


def _plain_connection(client: TelegramClient) -> type[Connection]:
    """The client's connection class without exporter/wire.py's hook. The hook keeps every packet it
    read until a hooked sender decodes it; ours are not hooked, so each 1 MiB part stayed in its log
    (measured: 280 MB peak RSS downloading a 200 MB file, 75 MB without)."""
    cls: type[Connection] = client._connection
    if cls.__module__ == wire.__name__:
        return cls.__bases__[0]
    return cls


class ByteBudget:
    """At most ``limit`` bytes in flight, first come first served; a request larger than the whole
    budget goes alone."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def acquire(self, nbytes: int) -> None:
        if not self._waiting and (self.used == 0 or self.used + nbytes <= self.limit):
            self.used += nbytes
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (nbytes, future)
        self._waiting.append(entry)
        try:
            await future
        except BaseException:
            if entry in self._waiting:
                self._waiting.remove(entry)
            elif future.done() and not future.cancelled():
                # Granted just as we were cancelled: hand it back.
                self.release(nbytes)
            raise

    def release(self, nbytes: int) -> None:
        self.used -= nbytes
        while self._waiting:
            nbytes, future = self._waiting[0]
            if self.used and self.used + nbytes > self.limit:
                break
            self._waiting.popleft()
            if not future.done():
                self.used += nbytes
                future.set_result(None)


@dataclass
class _Connection:
    sender: _AnswerSender
    in_flight: int = 0


@dataclass
class _Dc:
    budget: ByteBudget
    connections: list[_Connection] = field(default_factory=list)
    opening: asyncio.Task[_Connection] | None = None


class MediaConnections:
    """Media connections per DC, opened as load asks for them, each with its share of the bytes."""

    def __init__(self, client: TelegramClient, *, per_dc: int, bytes_per_connection: int) -> None:
        check_seams(client)
        self.client = client
        self.per_dc = per_dc
        self.bytes_per_connection = bytes_per_connection
        self._dcs: dict[int, _Dc] = {}
        self.opened = 0

    def _dc(self, dc_id: int) -> _Dc:
        dc = self._dcs.get(dc_id)
        if dc is None:
            dc = self._dcs[dc_id] = _Dc(ByteBudget(self.per_dc * self.bytes_per_connection))
        return dc

    @asynccontextmanager
    async def slot(self, dc_id: int, nbytes: int) -> AsyncIterator[None]:
        """Room for ``nbytes`` more in flight to ``dc_id``: taken before the request is scheduled, so
        waiting for it is never counted as time on the wire."""
        budget = self._dc(dc_id).budget
        await budget.acquire(nbytes)
        try:
            yield
        finally:
            budget.release(nbytes)

    async def pick(self, dc_id: int) -> _Connection:
        """The media connection to ``dc_id`` the next request goes on (``send``)."""
        return await self._pick(dc_id, self._dc(dc_id))

    async def send(
        self, connection: _Connection, request: Any, nbytes: int, on_answer: OnAnswer | None = None
    ) -> Any:
        """Send ``request`` (expecting about ``nbytes`` back) over ``connection``; ``on_answer(result)``
        runs as soon as the answer is decoded (it must not raise)."""
        connection.in_flight += nbytes
        hooks = connection.sender.on_answer
        if on_answer is not None:
            hooks[id(request)] = on_answer
        try:
            return await self.client._call(connection.sender, request)
        finally:
            connection.in_flight -= nbytes
            hooks.pop(id(request), None)

    async def _pick(self, dc_id: int, dc: _Dc) -> _Connection:
        """The least loaded connection; another one is opened (in the background) while all are busy."""
        if dc.connections:
            least = min(dc.connections, key=lambda c: c.in_flight)
            if least.in_flight and dc.opening is None and len(dc.connections) < self.per_dc:
                self._start_opening(dc_id, dc)
            return least
        opening = dc.opening or self._start_opening(dc_id, dc)
        return await asyncio.shield(opening)

    def _start_opening(self, dc_id: int, dc: _Dc) -> asyncio.Task[_Connection]:
        task = dc.opening = asyncio.create_task(self._open(dc_id, dc))

        def opened(task: asyncio.Task[_Connection]) -> None:
            dc.opening = None
            if not task.cancelled() and task.exception() is not None and dc.connections:
                # A further connection that failed to open: the DC goes on with those it has.
                self.client._log[__name__].warning("media connection to DC %d: %r", dc_id, task.exception())

        task.add_done_callback(opened)
        return task

    async def _open(self, dc_id: int, dc: _Dc) -> _Connection:
        client = self.client
        home = client.session.dc_id == dc_id
        if home:
            host, port, key = client.session.server_address, client.session.port, client.session.auth_key
        else:
            option = await client._get_dc(dc_id)
            host, port = option.ip_address, option.port
            key = dc.connections[0].sender.auth_key if dc.connections else None
        sender = _AnswerSender(key, loggers=client._log)
        await sender.connect(
            _plain_connection(client)(
                host, port, dc_id, loggers=client._log, proxy=client._proxy, local_addr=client._local_addr
            )
        )
        try:
            if key is None:
                exported = await client(F.auth.ExportAuthorizationRequest(dc_id))
                first: Any = F.auth.ImportAuthorizationRequest(id=exported.id, bytes=exported.bytes)
            else:
                # initConnection is sent once per connection (core.telegram.org/method/initConnection);
                # help.getNearestDc is the cheapest query to carry it.
                first = F.help.GetNearestDcRequest()
            init = client._init_request
            await sender.send(
                F.InvokeWithLayerRequest(
                    LAYER,
                    F.InitConnectionRequest(
                        api_id=init.api_id,
                        device_model=init.device_model,
                        system_version=init.system_version,
                        app_version=init.app_version,
                        system_lang_code=init.system_lang_code,
                        lang_pack=init.lang_pack,
                        lang_code=init.lang_code,
                        query=first,
                        proxy=init.proxy,
                    ),
                )
            )
        except BaseException:
            await sender.disconnect()
            raise
        connection = _Connection(sender)
        dc.connections.append(connection)
        self.opened += 1
        return connection

    def senders(self) -> list[MTProtoSender]:
        return [c.sender for dc in self._dcs.values() for c in dc.connections]

    async def close(self) -> None:
        for dc in self._dcs.values():
            if dc.opening is not None:
                dc.opening.cancel()
                with contextlib.suppress(BaseException):
                    await dc.opening
            for connection in dc.connections:
                await connection.sender.disconnect()
        self._dcs.clear()
