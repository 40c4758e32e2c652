"""MTProto transport framing: abridged, intermediate and full.

The client announces its transport with the first bytes on the socket
(https://core.telegram.org/mtproto/mtproto-transports): 0xef is abridged,
0xeeeeeeee is intermediate, anything else is the first length word of the
full transport.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Protocol
from zlib import crc32


class TransportError(ConnectionError):
    """The client broke the framing; the connection is closed."""


class Codec(Protocol):
    name: str

    async def read(self, reader: asyncio.StreamReader) -> bytes: ...

    def frame(self, payload: bytes) -> bytes: ...


class Abridged:
    name = "abridged"

    async def read(self, reader: asyncio.StreamReader) -> bytes:
        words = (await reader.readexactly(1))[0]
        if words >= 0x7F:
            words = int.from_bytes(await reader.readexactly(3), "little")
        return await reader.readexactly(words * 4)

    def frame(self, payload: bytes) -> bytes:
        words = len(payload) // 4
        if words < 0x7F:
            return bytes((words,)) + payload
        return b"\x7f" + words.to_bytes(3, "little") + payload


class Intermediate:
    name = "intermediate"

    async def read(self, reader: asyncio.StreamReader) -> bytes:
        # The top bit asks for a quick ack, which the sandbox does not send.
        length = struct.unpack("<I", await reader.readexactly(4))[0] & 0x7FFFFFFF
        return await reader.readexactly(length)

    def frame(self, payload: bytes) -> bytes:
        return struct.pack("<i", len(payload)) + payload


class Full:
    """len, seq, payload, crc32: Telethon's default transport, and it checks the crc."""

    name = "full"

    def __init__(self, first_word: bytes) -> None:
        self._first_word: bytes | None = first_word
        self._recv_seq = 0
        self._send_seq = 0

    async def read(self, reader: asyncio.StreamReader) -> bytes:
        head = self._first_word or await reader.readexactly(4)
        self._first_word = None
        length = struct.unpack("<i", head)[0]
        if not 12 <= length <= 16 * 1024 * 1024:
            raise TransportError(f"full transport: bad packet length {length}")
        rest = await reader.readexactly(length - 4)
        seq = struct.unpack_from("<i", rest)[0]
        if crc32(head + rest[:-4]) != struct.unpack("<I", rest[-4:])[0]:
            raise TransportError("full transport: bad crc32")
        if seq != self._recv_seq:
            raise TransportError(f"full transport: seq {seq}, expected {self._recv_seq}")
        self._recv_seq += 1
        return rest[4:-4]

    def frame(self, payload: bytes) -> bytes:
        packet = struct.pack("<ii", len(payload) + 12, self._send_seq) + payload
        self._send_seq += 1
        return packet + struct.pack("<I", crc32(packet))


async def detect(reader: asyncio.StreamReader) -> Codec:
    first = await reader.readexactly(1)
    if first == b"\xef":
        return Abridged()
    head = first + await reader.readexactly(3)
    if head == b"\xee\xee\xee\xee":
        return Intermediate()
    if head == b"\xdd\xdd\xdd\xdd":
        raise TransportError("padded intermediate transport is not supported by the sandbox")
    return Full(head)
