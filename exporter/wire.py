"""Request time at the wire: when a request's bytes went to the socket and its answer's bytes came back.

Telethon hands us a parsed result long after its bytes arrived: decryption,
parsing and the other responses queued before it all sit in between.  So the
hook stamps the bytes themselves, at two small seams of Telethon 1.45
(pyproject pins ``telethon>=1.45,<1.46``; ``install`` fails loudly when a seam
is gone, and tests/timing/test_wire.py checks it):

- the connection class (``TelegramClient(connection=...)``): ``_send`` writes
  an encrypted packet to the socket's buffer, ``_recv`` returns a packet read
  from the stream, whose bytes arrived when the socket callback fed them to
  the ``asyncio.StreamReader`` (``ArrivalClock``);
- the sender's ``MTProtoState``: ``encrypt_message_data`` tells which msg_ids
  (a container's too) a packet carries, ``decrypt_message_data`` which
  requests (``rpc_result.req_msg_id``) a packet answers.  Decrypting, parsing
  the result and resolving the caller's future (``_process_message``) is
  timed as decoding.

What "arrived" measures: the moment our event loop read the packet's last
byte off the socket, not the kernel's receive timestamp (asyncio's transports
read with ``recv``, so ``SO_TIMESTAMPNS`` ancillary data never reaches us).  A busy loop
therefore reads late by at most the longest stretch it runs without yielding;
that delay is charged to the wire, the rest of the wait (packet read, not yet
decoded, or decoded but its caller not yet resumed) is reported as queued.
"""

from __future__ import annotations

import asyncio
import struct
import time
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from telethon import TelegramClient
from telethon.network.connection.connection import Connection
from telethon.tl.core import MessageContainer, RpcResult

# Answers nobody took (requests outside the scheduler) are forgotten after this many.
_KEPT = 4096


class WireHookError(RuntimeError):
    """Telethon's internals changed: the seams this module hooks are gone."""


@dataclass(frozen=True)
class WireTiming:
    sent: float
    arrived: float
    decode_started: float
    decoded: float

    @property
    def seconds(self) -> float:
        """Telegram's share: bytes out to bytes back."""
        return self.arrived - self.sent

    @property
    def decoding(self) -> float:
        return self.decoded - self.decode_started


class WireLog:
    """Wire stamps of one client's requests, looked up by the request object that was sent."""

    def __init__(self) -> None:
        self._packets: dict[int, tuple[bytes, list[int]]] = {}
        # msg_ids of acks and pings get no rpc_result: trimmed like the answers.
        self._sent: OrderedDict[int, float] = OrderedDict()
        self._arrived: dict[int, tuple[bytes, float]] = {}
        self._answers: OrderedDict[int, tuple[Any, WireTiming]] = OrderedDict()

    def take(self, request: Any) -> WireTiming | None:
        """The stamps of ``request``'s last answer (it may be wrapped, e.g. in a takeout)."""
        kept = self._answers.pop(id(request), None)
        return kept[1] if kept is not None and kept[0] is request else None

    # called by the hooks

    def packed(self, encrypted: bytes, plain: bytes) -> None:
        if len(self._packets) > _KEPT:
            # Packets a dropped connection never wrote.
            self._packets.clear()
        self._packets[id(encrypted)] = (encrypted, _msg_ids(plain))

    def written(self, encrypted: bytes) -> None:
        now = time.perf_counter()
        packet = self._packets.pop(id(encrypted), None)
        if packet is not None and packet[0] is encrypted:
            for msg_id in packet[1]:
                self._sent[msg_id] = now
            while len(self._sent) > _KEPT:
                self._sent.popitem(last=False)

    def read(self, packet: bytes, arrived: float) -> None:
        if len(self._arrived) > _KEPT:
            # Packets that never reached decryption (the handshake's plain ones).
            self._arrived.clear()
        self._arrived[id(packet)] = (packet, arrived)

    def decoded(
        self, packet: bytes, message: Any, states: dict[int, Any], decode_started: float, decoded: float
    ) -> None:
        """``states``: Telethon's pending request states of the msg_ids ``message`` answers."""
        kept = self._arrived.pop(id(packet), None)
        if kept is None or kept[0] is not packet or message is None:
            return
        arrived = kept[1]
        for req_msg_id in _answered(message.obj):
            sent = self._sent.pop(req_msg_id, None)
            state = states.get(req_msg_id)
            if sent is None or state is None:
                continue
            timing = WireTiming(sent, arrived, decode_started, decoded)
            request = state.request
            while request is not None:
                # Kept under every layer: the caller knows only its own (unwrapped) request.
                self._answers[id(request)] = (request, timing)
                request = getattr(request, "query", None)
        while len(self._answers) > _KEPT:
            self._answers.popitem(last=False)


def _msg_ids(plain: bytes) -> list[int]:
    """msg_ids in a plaintext MTProto payload: msg_id(8) seq_no(4) length(4) body, body maybe a container."""
    msg_id, _seq, _length, constructor = struct.unpack_from("<qiiI", plain)
    ids = [msg_id]
    if constructor == MessageContainer.CONSTRUCTOR_ID:
        (count,) = struct.unpack_from("<i", plain, 20)
        offset = 24
        for _ in range(count):
            inner_id, _seq, length = struct.unpack_from("<qii", plain, offset)
            ids.append(inner_id)
            offset += 16 + length
    return ids


def _answered(obj: Any) -> list[int]:
    if isinstance(obj, RpcResult):
        return [obj.req_msg_id]
    if isinstance(obj, MessageContainer):
        return [m.obj.req_msg_id for m in obj.messages if isinstance(m.obj, RpcResult)]
    return []


_logs: weakref.WeakKeyDictionary[TelegramClient, WireLog] = weakref.WeakKeyDictionary()


def log_of(send: Any) -> WireLog | None:
    """The log of the client behind ``send``: the client itself, or a wrapper that keeps it as ``.client``."""
    client = send if isinstance(send, TelegramClient) else getattr(send, "client", None)
    return _logs.get(client) if isinstance(client, TelegramClient) else None


def install(client: TelegramClient) -> WireLog:
    """Hook ``client`` (before it connects); returns its log."""
    sender = getattr(client, "_sender", None)
    state = getattr(sender, "_state", None)
    base = getattr(client, "_connection", None)
    seams_present = (
        state is not None
        and hasattr(state, "encrypt_message_data")
        and hasattr(state, "decrypt_message_data")
        and hasattr(sender, "_process_message")
        and hasattr(sender, "_pending_state")
        and isinstance(base, type)
        and issubclass(base, Connection)
        and all(hasattr(base, name) for name in ("_init_conn", "_send", "_recv"))
    )
    if not seams_present:
        raise WireHookError("Telethon's sender or connection changed; exporter/wire.py needs updating")
    log = WireLog()
    client._connection = _connection_class(base, log)
    encrypt, decrypt, process = (
        state.encrypt_message_data,
        state.decrypt_message_data,
        sender._process_message,
    )
    current: dict[str, Any] = {}

    def encrypting(data: bytes) -> bytes:
        encrypted = encrypt(data)
        log.packed(encrypted, data)
        return encrypted

    def decrypting(body: bytes) -> Any:
        started = time.perf_counter()
        message = decrypt(body)
        current.update(packet=body, message=message, started=started, decrypted=time.perf_counter())
        return message

    async def processing(message: Any) -> None:
        if current.get("message") is not message:
            await process(message)
            return
        # The answered requests leave the pending table inside; the caller resumes only after we return.
        states = {msg_id: sender._pending_state.get(msg_id) for msg_id in _answered(message.obj)}
        await process(message)
        log.decoded(current["packet"], message, states, current["started"], time.perf_counter())
        current.clear()

    state.encrypt_message_data = encrypting
    state.decrypt_message_data = decrypting
    sender._process_message = processing
    _logs[client] = log
    return log


class ArrivalClock:
    """When the bytes a connection has read so far reached our process.

    Telethon reads one packet ahead of the sender, which decodes one at a time: a packet read off
    the stream waits for the previous one's decoding.  Its bytes, though, were in the stream's
    buffer since the loop's socket callback fed them (``StreamReader.feed_data``), so the arrival
    of a packet is when the chunk holding its last byte was fed."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._fed = 0
        # (bytes fed up to the end of this chunk, when), oldest first.
        self._chunks: deque[tuple[int, float]] = deque()
        feed = reader.feed_data

        def feed_data(data: bytes) -> None:
            feed(data)
            self._fed += len(data)
            self._chunks.append((self._fed, time.perf_counter()))

        reader.feed_data = feed_data  # type: ignore[method-assign]

    def last_byte_read(self) -> float:
        """Arrival of the last byte taken from the stream (``_buffer``: asyncio's unread bytes)."""
        consumed = self._fed - len(self._reader._buffer)
        while len(self._chunks) > 1 and self._chunks[0][0] < consumed:
            self._chunks.popleft()
        return self._chunks[0][1] if self._chunks else time.perf_counter()


def _connection_class(base: type[Connection], log: WireLog) -> type[Connection]:
    class WireConnection(base):  # type: ignore[valid-type, misc]
        def _init_conn(self) -> None:
            super()._init_conn()
            self._wire_arrivals = ArrivalClock(self._reader)

        def _send(self, data: bytes) -> None:
            super()._send(data)
            log.written(data)

        async def _recv(self) -> bytes:
            packet = await super()._recv()
            log.read(packet, self._wire_arrivals.last_byte_read())
            return packet

    WireConnection.__name__ = f"Wire{base.__name__}"
    return WireConnection
