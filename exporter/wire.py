"""Request time at the wire: when a request's bytes went to the socket and its answer's bytes came back.

Telethon hands us a parsed result long after its bytes arrived: decryption,
parsing and the other responses queued before it all sit in between.  So the
hook stamps the bytes themselves, at small seams of Telethon 1.45
(pyproject pins ``telethon>=1.45,<1.46``; ``install`` fails loudly when a seam
is gone, and tests/timing/test_wire.py checks each one):

- the connection class (``TelegramClient(connection=...)``): ``_connect`` opens
  the socket (ours, see below), ``_send`` writes an encrypted packet to it,
  ``_recv`` returns a packet read from the stream (``ArrivalClock`` says when
  its last byte arrived);
- the sender's ``MTProtoState``: ``encrypt_message_data`` tells which msg_ids
  (a container's too) a packet carries, ``decrypt_message_data`` which
  requests (``rpc_result.req_msg_id``) a packet answers.  Decrypting, parsing
  the result and resolving the caller's future (``_process_message``) is
  timed as decoding.

What "arrived" measures.  A busy event loop reads a socket late (measured: with
the loop held 3 ms at a time while Telethon decoded 100-message pages, answers
were read 6 to 7 ms after they came, at the median, at 50 ms latency), and a
process the OS does not schedule reads later still.  The kernel knows better:
with ``SO_TIMESTAMPNS`` it stamps each packet as it receives it and, for TCP,
returns with every ``recvmsg`` "the reception time of the last packet passed to
the user in this call" (socket(7)).  asyncio's transport reads with
``sock.recv`` (``_SelectorSocketTransport._read_ready__data_received`` in
Python 3.11), so on Linux the connection opens a ``StampedSocket`` whose
``recv`` is a ``recvmsg`` that keeps that stamp, and a packet arrived when the
kernel received the chunk holding its last byte (clock ``"kernel"``).  Through a
proxy (MTProxy, SOCKS, HTTP), over TLS, with a local address to bind or off Linux,
it is when our loop read that chunk (clock ``"read"``).  Each timing says which
clock stamped it.

What the kernel cannot tell: TCP merges segments that wait in the receive queue
into one (tcp_try_coalesce, which keeps the newest stamp), so answers that
arrive while nobody reads carry the stamp of the last of them.  The error is at
most how long the loop (or the whole process, off the CPU) did not read, and
only for answers that had a later one behind them; read time is that late for
every answer.
"""

from __future__ import annotations

import asyncio
import platform
import socket
import struct
import sys
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
# Packets read but not decoded through the hook: the hooked sender decodes each right after its
# connection read it (Telethon reads one ahead), so more than a few are other senders' (Telethon's
# exported senders share the connection class, not the hooked MTProtoState) or the handshake's.
_UNDECODED = 64

# Which clock stamped an arrival (WireTiming.clock, db.timing_report.RequestStats.arrival_clock).
KERNEL = "kernel"
READ = "read"

# Python 3.11's socket module does not name them. include/uapi/asm-generic/socket.h (x86-64 and
# arm64 use it): SO_TIMESTAMPNS_OLD 35, SCM_TIMESTAMPNS = SO_TIMESTAMPNS; on 64-bit Linux the
# "old" layout is already a struct timespec of two longs.  Other architectures number it apart.
SO_TIMESTAMPNS = 35
_TIMESPEC = struct.Struct("@ll")
KERNEL_STAMPS = sys.platform == "linux" and platform.machine() in ("x86_64", "aarch64")
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size) if KERNEL_STAMPS else 0


class WireHookError(RuntimeError):
    """Telethon's internals changed: the seams this module hooks are gone."""


@dataclass(frozen=True)
class WireTiming:
    sent: float
    arrived: float
    decode_started: float
    decoded: float
    # KERNEL or READ: what stamped ``arrived``.
    clock: str

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
        # id(packet) -> (its length, arrival, clock): the packet itself is not kept, or every 1 MiB
        # file part an unhooked sender read would stay here (280 MB measured for a 200 MB file).
        self._arrived: OrderedDict[int, tuple[int, float, str]] = OrderedDict()
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

    def sending(self, encrypted: bytes) -> None:
        now = time.perf_counter()
        packet = self._packets.pop(id(encrypted), None)
        if packet is not None and packet[0] is encrypted:
            for msg_id in packet[1]:
                self._sent[msg_id] = now
            while len(self._sent) > _KEPT:
                self._sent.popitem(last=False)

    def read(self, packet: bytes, arrived: float, clock: str) -> None:
        self._arrived[id(packet)] = (len(packet), arrived, clock)
        while len(self._arrived) > _UNDECODED:
            self._arrived.popitem(last=False)

    def decoded(
        self, packet: bytes, message: Any, states: dict[int, Any], decode_started: float, decoded: float
    ) -> None:
        """``states``: Telethon's pending request states of the msg_ids ``message`` answers."""
        kept = self._arrived.pop(id(packet), None)
        # The packet is alive while it is decrypted, so its id is its own; the length guards
        # against a stale entry (a packet another sender read, since freed) whose id it took.
        if kept is None or kept[0] != len(packet) or message is None:
            return
        _length, arrived, clock = kept
        for req_msg_id in _answered(message.obj):
            sent = self._sent.pop(req_msg_id, None)
            state = states.get(req_msg_id)
            if sent is None or state is None:
                continue
            timing = WireTiming(sent, arrived, decode_started, decoded, clock)
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
    sender: Any = getattr(client, "_sender", None)
    state: Any = getattr(sender, "_state", None)
    base: Any = getattr(client, "_connection", None)
    seams_present = (
        state is not None
        and hasattr(state, "encrypt_message_data")
        and hasattr(state, "decrypt_message_data")
        and hasattr(sender, "_process_message")
        and hasattr(sender, "_pending_state")
        and isinstance(base, type)
        and issubclass(base, Connection)
        and all(hasattr(base, name) for name in ("_connect", "_init_conn", "_send", "_recv"))
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
        encrypted: bytes = encrypt(data)
        log.packed(encrypted, data)
        return encrypted

    def decrypting(body: bytes) -> Any:
        started = time.perf_counter()
        message = decrypt(body)
        current.update(packet=body, message=message, started=started, decrypted=time.perf_counter())
        return message

    async def processing(message: Any) -> None:
        decrypted_here = current.get("message") is message
        if not decrypted_here:
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


class StampedSocket(socket.socket):
    """A TCP socket whose ``recv`` also keeps when the kernel received the bytes it returned."""

    __slots__ = ("_arrived",)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        data, ancillary, _flags, _address = self.recvmsg(bufsize, _ANCILLARY, flags)
        # Both clocks at once: the packet's age on the wall clock moves the monotonic "now" back.
        real_now, now = time.time_ns(), time.perf_counter()
        self._arrived: float | None = None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= _TIMESPEC.size:
                seconds, nanoseconds = _TIMESPEC.unpack_from(payload)
                age = real_now - (seconds * 1_000_000_000 + nanoseconds)
                self._arrived = now - max(0, age) / 1e9
        return data

    def take_arrival(self) -> float | None:
        """The kernel's stamp of the last ``recv`` (perf_counter seconds), once; None without one."""
        arrived, self._arrived = getattr(self, "_arrived", None), None
        return arrived


async def open_stamped(host: str, port: int) -> StampedSocket | None:
    """A connected TCP socket that keeps the kernel's receive stamps; None where there are none."""
    if not KERNEL_STAMPS:
        return None
    loop = asyncio.get_running_loop()
    error: OSError | None = None
    for family, kind, proto, _name, address in await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        sock = StampedSocket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            sock.close()
            return None
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
        except BaseException:
            sock.close()
            raise
    raise error or OSError(f"no address for {host}:{port}")


class ArrivalClock:
    """When the bytes a connection has read so far arrived.

    Telethon reads one packet ahead of the sender, which decodes one at a time: a packet read off
    the stream waits for the previous one's decoding.  Its bytes, though, were in the stream's
    buffer since the loop's socket callback fed them (``StreamReader.feed_data``), right after
    the transport's ``recv``; so the arrival of a packet is that of the chunk holding its last
    byte: the kernel's stamp of it with a ``StampedSocket``, else when it was fed.  A chunk fed
    without a stamp (no ancillary data, or asyncio no longer reading through ``recv``) is READ."""

    def __init__(self, reader: asyncio.StreamReader, sock: StampedSocket | None = None) -> None:
        self._reader = reader
        self._fed = 0
        # (bytes fed up to the end of this chunk, when, which clock), oldest first.
        self._chunks: deque[tuple[int, float, str]] = deque()
        feed = reader.feed_data

        def feed_data(data: bytes) -> None:
            feed(data)
            self._fed += len(data)
            arrived = sock.take_arrival() if sock is not None else None
            if arrived is None:
                self._chunks.append((self._fed, time.perf_counter(), READ))
            else:
                self._chunks.append((self._fed, arrived, KERNEL))

        # This one reader's method, wrapped to stamp arrivals; asyncio has no hook for it.
        reader.feed_data = feed_data  # type: ignore[method-assign, assignment]

    def last_byte_read(self) -> tuple[float, str]:
        """Arrival of the last byte taken from the stream (``_buffer``: asyncio's unread bytes), and
        which clock stamped it."""
        # StreamReader keeps its unread bytes in a private buffer that typeshed does not declare.
        consumed = self._fed - len(self._reader._buffer)  # type: ignore[attr-defined]
        while len(self._chunks) > 1 and self._chunks[0][0] < consumed:
            self._chunks.popleft()
        if not self._chunks:
            return time.perf_counter(), READ
        return self._chunks[0][1], self._chunks[0][2]


def _connection_class(base: type[Connection], log: WireLog) -> type[Connection]:
    # A connection class with a _connect of its own (MTProxy's waits for the proxy to refuse a
    # codec) keeps it, and Telethon's socket.
    own_socket = base._connect is Connection._connect

    # ``base`` is Telethon's class, untyped (Any) to mypy: pyproject.toml says why.
    class WireConnection(base):  # type: ignore[misc]
        # Telethon's signature (the sender passes timeout=).
        async def _connect(self, timeout: float | None = None, ssl: Any = None) -> None:  # noqa: ASYNC109
            self._wire_socket: StampedSocket | None = None
            if own_socket and not (self._proxy or ssl or self._local_addr):
                self._wire_socket = await asyncio.wait_for(open_stamped(self._ip, self._port), timeout)
            if self._wire_socket is None:
                await super()._connect(timeout=timeout, ssl=ssl)
                return
            # The rest of Telethon's own _connect, on our socket (test_wire checks it is still this).
            self._reader, self._writer = await asyncio.open_connection(sock=self._wire_socket)
            self._codec = self.packet_codec(self)
            self._init_conn()
            await self._writer.drain()

        def _init_conn(self) -> None:
            super()._init_conn()
            self._wire_arrivals = ArrivalClock(self._reader, getattr(self, "_wire_socket", None))

        def _send(self, data: bytes) -> None:
            # Stamped before the write: on loopback the kernel delivers the packet, and wakes the
            # server, inside the call (measured: the sandbox had read a request up to 0.9 ms before
            # our send returned, and one send took 8 ms).
            log.sending(data)
            super()._send(data)

        async def _recv(self) -> bytes:
            packet: bytes = await super()._recv()
            log.read(packet, *self._wire_arrivals.last_byte_read())
            return packet

    WireConnection.__name__ = f"Wire{base.__name__}"
    return WireConnection
