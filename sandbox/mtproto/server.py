"""One fake data centre: TCP server, encrypted MTProto 2.0 sessions, service messages.

What a request *means* is decided elsewhere (``sandbox.cluster``); this module
only speaks the protocol (https://core.telegram.org/mtproto/description and
https://core.telegram.org/mtproto/service_messages).  Telethon silently drops
server messages it dislikes (even msg_id, wrong session, clock skew), so every
rule here that Telethon checks is followed to the letter.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from hashlib import sha256

from telethon.crypto import AES, AuthKey
from telethon.extensions import BinaryReader
from telethon.network.mtprotostate import MTProtoState
from telethon.tl import TLObject, TLRequest
from telethon.tl import functions as F
from telethon.tl import types as T
from telethon.tl.alltlobjects import LAYER
from telethon.tl.core import GzipPacked, MessageContainer

from .handshake import Handshake, ServerKey
from .places import Place, place_of
from .stamps import StampedSocket, accepted, arrival, listening_socket
from .tl import RPC_RESULT_ID, RpcError, gzip_packed, method_name, read_messages, serialize
from .transport import Codec, TransportError, detect

log = logging.getLogger("sandbox.mtproto")

# Wrappers that only change how a request is invoked; the API sees the inner query.
_WRAPPERS = (
    F.InvokeWithLayerRequest,
    F.InitConnectionRequest,
    F.InvokeWithoutUpdatesRequest,
    F.InvokeWithTakeoutRequest,
    # Narrows what a takeout reads of the common box (api/takeout; the cluster applies it).
    F.InvokeWithMessagesRangeRequest,
    F.InvokeAfterMsgRequest,
    F.InvokeAfterMsgsRequest,
)
_GZIP_THRESHOLD = 1024
# The sandbox speaks one API layer, Telethon's: its answers would not parse in another layer's client.
# guess: Telegram serves a range of layers and refuses others with 400 INPUT_LAYER_INVALID ("The
# provided layer is invalid", Telethon's error table); a request of a schema the sandbox does not
# know gets 400 INPUT_METHOD_INVALID ("The invoked method does not exist anymore or has never
# existed", same table). Either is an answer, never a dropped connection.
LAYER_INVALID = RpcError(400, "INPUT_LAYER_INVALID")
METHOD_INVALID = RpcError(400, "INPUT_METHOD_INVALID")


@dataclass(frozen=True)
class RequestTiming:
    """The sandbox's own clock for one request: the ground truth client-side timing is checked against.

    ``received``: the packet carrying it arrived (the kernel's stamp, sandbox/mtproto/stamps.py);
    ``answered``: its rpc_result was written to the socket.  In between: the modelled latency and
    the sandbox's own service time, its wait for the CPU included.  perf_counter seconds
    (CLOCK_MONOTONIC on Linux: one clock for every process of the machine)."""

    method: str
    msg_id: int
    received: float
    answered: float

    @property
    def seconds(self) -> float:
        return self.answered - self.received


@dataclass
class AuthRecord:
    """What the DC knows about one auth key."""

    key: AuthKey
    user_id: int | None = None
    layer: int | None = None
    init: F.InitConnectionRequest | None = None
    # Connections that used the key, and whether two places used it at once (sandbox/mtproto/places.py):
    # then every later request with it gets 406 AUTH_KEY_DUPLICATED.
    connections: set[Connection] = field(default_factory=set)
    duplicated: bool = False


@dataclass
class Session:
    auth: AuthRecord
    session_id: int
    connection: Connection
    unique_id: int = field(default_factory=lambda: int.from_bytes(os.urandom(8), "little", signed=True))
    announced: bool = False
    seq: int = 0
    # msg_id -> completion, for invokeAfterMsg ordering.
    done: dict[int, asyncio.Event] = field(default_factory=dict)

    def next_seq(self, content_related: bool) -> int:
        if content_related:
            self.seq += 1
            return self.seq * 2 - 1
        return self.seq * 2


@dataclass
class CallContext:
    """Everything an API handler may need besides the request."""

    dc: DataCentre
    session: Session
    msg_id: int
    takeout_id: int | None = None
    # invokeWithMessagesRange: (min_id, max_id) of the common message box.
    messages_range: tuple[int, int] | None = None

    @property
    def auth(self) -> AuthRecord:
        return self.session.auth

    @property
    def user_id(self) -> int | None:
        return self.session.auth.user_id

    def push(self, update: TLObject) -> None:
        """Send an update (not a response) to this session, as Telegram pushes updateLoginToken."""
        self.dc.push(self.session, update)


Dispatch = Callable[[CallContext, TLRequest], Awaitable[object]]


class Connection:
    def __init__(
        self,
        dc: DataCentre,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        sock: StampedSocket | None = None,
    ) -> None:
        self.dc = dc
        self.reader = reader
        self.writer = writer
        self.codec: Codec | None = None
        self.handshake = Handshake(dc.server_key)
        # The client's address and port, and, once asked, where it is (sandbox/mtproto/places.py).
        peer = writer.get_extra_info("peername")
        self.peer: tuple[str, int] = (str(peer[0]), int(peer[1])) if peer else ("", 0)
        here = writer.get_extra_info("sockname")
        self.here: tuple[str, int] = (str(here[0]), int(here[1])) if here else ("", 0)
        self.place: Place | None = None
        self.closed = False
        # Bytes fed to the reader so far and when each chunk arrived (sandbox/mtproto/stamps.py): a
        # packet was received when its last byte reached the machine, not when our loop parsed it.
        self._fed = 0
        self._chunks: deque[tuple[int, float]] = deque()
        feed = reader.feed_data

        def feed_data(data: bytes) -> None:
            feed(data)
            self._fed += len(data)
            self._chunks.append((self._fed, arrival(sock)))

        # This one reader's method, wrapped to stamp arrivals; asyncio has no hook for it.
        reader.feed_data = feed_data  # type: ignore[method-assign, assignment]

    def last_byte_received(self) -> float:
        # StreamReader keeps its unread bytes in a private buffer that typeshed does not declare.
        consumed = self._fed - len(self.reader._buffer)  # type: ignore[attr-defined]
        while len(self._chunks) > 1 and self._chunks[0][0] < consumed:
            self._chunks.popleft()
        return self._chunks[0][1] if self._chunks else time.perf_counter()

    def send(self, payload: bytes) -> None:
        if not self.closed and self.codec is not None:
            self.writer.write(self.codec.frame(payload))

    def close(self) -> None:
        self.closed = True
        self.writer.close()


class DataCentre:
    """A fake DC listening on 127.0.0.1; several share one world through ``dispatch``."""

    def __init__(
        self,
        dc_id: int,
        dispatch: Dispatch,
        *,
        server_key: ServerKey,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.dc_id = dc_id
        self.dispatch = dispatch
        self.server_key = server_key
        self.host = host
        self.port = port
        self.salt = int.from_bytes(os.urandom(8), "little", signed=True)
        self.auth_keys: dict[int, AuthRecord] = {}
        self.sessions: dict[tuple[int, int], Session] = {}
        self.stats: Counter[str] = Counter()
        self.on_new_key: Callable[[AuthRecord], None] = lambda record: None
        self._server: asyncio.Server | None = None
        self._listener: socket.socket | None = None
        self._connections: set[Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_msg_id = 0
        self.request_timings: list[RequestTiming] = []

    # lifecycle

    async def start(self) -> DataCentre:
        self._listener = listening_socket(self.host, self.port)
        self._server = await asyncio.start_server(self._serve, sock=self._listener)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.drop_connections()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def drop_connections(self) -> int:
        """Close every client socket, as a network blip would; returns how many."""
        dropped = list(self._connections)
        for connection in dropped:
            connection.close()
        self.stats["dropped_connections"] += len(dropped)
        return len(dropped)

    def register_key(self, key: bytes, user_id: int | None) -> AuthRecord:
        """Install a ready auth key (tests skip the DH exchange this way)."""
        record = AuthRecord(AuthKey(key), user_id)
        self.auth_keys[record.key.key_id] = record
        return record

    # connection loop

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = accepted(self._listener, writer.get_extra_info("socket").fileno())
        connection = Connection(self, reader, writer, sock)
        self._connections.add(connection)
        self.stats["connections"] += 1
        try:
            connection.codec = await detect(reader)
            self.stats[f"transport_{connection.codec.name}"] += 1
            while not connection.closed:
                packet = await connection.codec.read(reader)
                await self._on_packet(connection, packet, connection.last_byte_received())
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            log.debug("dc%d: connection ended: %r", self.dc_id, exc)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("dc%d: connection crashed", self.dc_id)
        finally:
            self._connections.discard(connection)
            connection.close()

    async def _note_place(self, record: AuthRecord, connection: Connection) -> None:
        """A connection's first packet with this key: another live connection of the key from
        another place kills the key (sandbox/mtproto/places.py)."""
        record.connections = {c for c in record.connections if not c.closed}
        record.connections.add(connection)
        if len(record.connections) < 2 or record.duplicated:
            return
        places = set()
        for other in record.connections:
            if other.place is None:
                known = {c.place[1] for c in record.connections if c.place and c.place[1] is not None}
                place = await asyncio.to_thread(place_of, other.peer, other.here, known)
                if place is None:
                    continue  # its client is gone; asked again next time, as it may be a race
                other.place = place
            places.add(other.place)
        if len(places) > 1:
            record.duplicated = True
            self.stats["auth_key_duplicated"] += 1

    def _new_msg_id(self, response: bool) -> int:
        # Server msg_ids are time based, strictly increasing, 1 mod 4 for
        # responses and 3 mod 4 otherwise; Telethon ignores anything else.
        msg_id = int(time.time() * 2**32) & ~3
        if msg_id <= self._last_msg_id:
            msg_id = self._last_msg_id + 4
        self._last_msg_id = msg_id
        return msg_id | (1 if response else 3)

    async def _on_packet(self, connection: Connection, packet: bytes, received: float) -> None:
        if len(packet) < 8:
            raise TransportError("packet shorter than an auth key id")
        key_id = struct.unpack_from("<Q", packet)[0]
        if key_id == 0:
            self._on_plain(connection, packet)
            return
        record = self.auth_keys.get(key_id)
        if record is None:
            # Transport error -404: Telethon raises AuthKeyNotFound.
            self.stats["unknown_auth_key"] += 1
            connection.send(struct.pack("<i", -404))
            return
        if connection not in record.connections:
            await self._note_place(record, connection)
        key = record.key.key
        msg_key = packet[8:24]
        aes_key, aes_iv = MTProtoState._calc_key(key, msg_key, True)
        plain = AES.decrypt_ige(packet[24:], aes_key, aes_iv)
        if sha256(key[88:120] + plain).digest()[8:24] != msg_key:
            raise TransportError("msg_key does not match the decrypted message")
        salt, session_id, msg_id, seq_no, length = struct.unpack_from("<qqqii", plain)
        body = plain[32 : 32 + length]

        session = self.sessions.get((key_id, session_id))
        if session is None:
            session = self.sessions[(key_id, session_id)] = Session(record, session_id, connection)
        session.connection = connection

        bad_msg = self._check_client_msg_id(msg_id)
        if bad_msg:
            self.stats[f"bad_msg_notification_{bad_msg}"] += 1
            self._send(session, [(T.BadMsgNotification(msg_id, seq_no, bad_msg)._bytes(), False)])
            return
        if salt != self.salt:
            # Telethon starts every client with salt 0, so this runs once per client.
            self.stats["bad_server_salt"] += 1
            self._send(session, [(T.BadServerSalt(msg_id, seq_no, 48, self.salt)._bytes(), False)])
            return
        out: list[tuple[bytes, bool]] = []
        if not session.announced:
            session.announced = True
            self.stats["new_session_created"] += 1
            out.append((T.NewSessionCreated(msg_id, session.unique_id, self.salt)._bytes(), True))
        for inner_id, obj in read_messages(msg_id, body):
            if obj is None:
                self.stats["unknown_constructors"] += 1
                header = struct.pack("<Iq", RPC_RESULT_ID, inner_id)
                out.append((header + T.RpcError(METHOD_INVALID.code, METHOD_INVALID.message)._bytes(), True))
            else:
                self._process(session, inner_id, obj, out, received)
        self._send(session, out)

    @staticmethod
    def _check_client_msg_id(msg_id: int) -> int:
        """Error code of bad_msg_notification for a client msg_id, or 0 if it is fine."""
        if msg_id % 4:
            return 18
        sent_at = msg_id / 2**32
        now = time.time()
        if sent_at < now - 300:
            return 16
        if sent_at > now + 30:
            return 17
        return 0

    def _process(
        self, session: Session, msg_id: int, obj: object, out: list[tuple[bytes, bool]], received: float
    ) -> None:
        if isinstance(obj, MessageContainer):
            self.stats["client_containers"] += 1
            for message in obj.messages:
                self._process(session, message.msg_id, message.obj, out, received)
        elif isinstance(obj, GzipPacked):
            self.stats["client_gzip"] += 1
            self._process(session, msg_id, BinaryReader(obj.data).tgread_object(), out, received)
        elif isinstance(obj, T.MsgsAck):
            self.stats["client_acks"] += 1
        elif isinstance(obj, F.PingRequest | F.PingDelayDisconnectRequest):
            # pong goes at top level, not inside rpc_result: that is what Telethon expects.
            self.stats["pings"] += 1
            out.append((T.Pong(msg_id, obj.ping_id)._bytes(), False))
        elif isinstance(obj, F.DestroySessionRequest):
            out.append((T.DestroySessionOk(obj.session_id)._bytes(), False))
        elif isinstance(obj, F.GetFutureSaltsRequest):
            now = int(time.time())
            salts = [T.FutureSalt(now, now + 3600, self.salt)]
            out.append((T.FutureSalts(msg_id, now, salts)._bytes(), False))
        elif isinstance(obj, TLRequest):
            session.done[msg_id] = asyncio.Event()
            task = asyncio.get_running_loop().create_task(self._answer(session, msg_id, obj, received))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            self.stats[f"ignored_{type(obj).__name__}"] += 1

    async def _answer(self, session: Session, msg_id: int, request: TLRequest, received: float) -> None:
        try:
            payload = await self._rpc(session, msg_id, request)
            self._send(session, [(payload, True)])
            inner = request
            while isinstance(inner, _WRAPPERS):
                inner = inner.query
            # A class is hashable, but mypy checks the Hashable protocol on its unbound __hash__.
            inner_type: type = type(inner)
            self.request_timings.append(
                RequestTiming(method_name(inner_type), msg_id, received, time.perf_counter())
            )
        finally:
            session.done.pop(msg_id).set()

    async def _rpc(self, session: Session, msg_id: int, request: TLRequest) -> bytes:
        ctx = CallContext(self, session, msg_id)
        header = struct.pack("<Iq", RPC_RESULT_ID, msg_id)
        while isinstance(request, _WRAPPERS):
            if isinstance(request, F.InvokeWithLayerRequest):
                if request.layer != LAYER:
                    self.stats["other_layers"] += 1
                    return header + T.RpcError(LAYER_INVALID.code, LAYER_INVALID.message)._bytes()
                session.auth.layer = request.layer
            elif isinstance(request, F.InitConnectionRequest):
                session.auth.init = request
            elif isinstance(request, F.InvokeWithTakeoutRequest):
                ctx.takeout_id = request.takeout_id
            elif isinstance(request, F.InvokeWithMessagesRangeRequest):
                ctx.messages_range = (request.range.min_id, request.range.max_id)
            elif isinstance(request, F.InvokeAfterMsgRequest | F.InvokeAfterMsgsRequest):
                after = [request.msg_id] if isinstance(request, F.InvokeAfterMsgRequest) else request.msg_ids
                for earlier in after:
                    event = session.done.get(earlier)
                    if event is not None:
                        await event.wait()
            request = request.query
        if isinstance(request, F.PingRequest | F.PingDelayDisconnectRequest):
            # A wrapped ping (invokeWithoutUpdates(ping)) is answered inside rpc_result.
            self.stats["pings"] += 1
            return header + T.Pong(msg_id, request.ping_id)._bytes()
        try:
            result = serialize(await self.dispatch(ctx, request))
        except RpcError as exc:
            return header + T.RpcError(exc.code, exc.message)._bytes()
        except Exception:
            # Always answer: an unanswered request hangs the client.  400, not 500:
            # Telethon silently retries 5xx for about ten seconds.
            log.exception("dc%d: answering %s failed", self.dc_id, type(request).__name__)
            self.stats["handler_crashes"] += 1
            return header + T.RpcError(400, "SANDBOX_HANDLER_CRASHED")._bytes()
        # File parts are never packed: their bytes do not shrink (gzip_packed would give None, so the
        # client gets the same answer), but trying costs 43 ms a MiB (23 MB/s measured), which would
        # cap every download far below the bandwidth being modelled.
        if len(result) > _GZIP_THRESHOLD and not isinstance(request, F.upload.GetFileRequest):
            packed = gzip_packed(result)
            if packed is not None:
                self.stats["gzipped_results"] += 1
                result = packed
        return header + result

    def push(self, session: Session, update: TLObject) -> None:
        self._send(session, [(update._bytes(), True)], response=False)

    def _send(self, session: Session, messages: list[tuple[bytes, bool]], *, response: bool = True) -> None:
        """Encrypt messages [(body, content_related)] into one packet (a container if several)."""
        if not messages:
            return
        parts = [
            struct.pack("<qii", self._new_msg_id(response), session.next_seq(related), len(body)) + body
            for body, related in messages
        ]
        if len(parts) == 1:
            payload = parts[0]
        else:
            body = struct.pack("<Ii", MessageContainer.CONSTRUCTOR_ID, len(parts)) + b"".join(parts)
            payload = struct.pack("<qii", self._new_msg_id(False), session.next_seq(False), len(body)) + body
        plain = struct.pack("<qq", self.salt, session.session_id) + payload
        plain += os.urandom(-(len(plain) + 12) % 16 + 12)
        key = session.auth.key
        msg_key = sha256(key.key[96:128] + plain).digest()[8:24]
        aes_key, aes_iv = MTProtoState._calc_key(key.key, msg_key, False)
        session.connection.send(
            struct.pack("<Q", key.key_id) + msg_key + AES.encrypt_ige(plain, aes_key, aes_iv)
        )

    def _on_plain(self, connection: Connection, packet: bytes) -> None:
        length = struct.unpack_from("<i", packet, 16)[0]
        request = BinaryReader(packet[20 : 20 + length]).tgread_object()
        answer, auth_key = connection.handshake.answer(request)
        if auth_key is not None:
            record = AuthRecord(auth_key)
            self.auth_keys[auth_key.key_id] = record
            self.stats["auth_keys_created"] += 1
            self.on_new_key(record)
        body = answer._bytes()
        connection.send(struct.pack("<qqi", 0, self._new_msg_id(True), len(body)) + body)
