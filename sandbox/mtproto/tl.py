"""TL helpers the server needs on top of Telethon's own classes."""

from __future__ import annotations

import re
import struct
import zlib
from functools import cache

from telethon.errors import TypeNotFoundError
from telethon.extensions import BinaryReader
from telethon.tl import TLObject
from telethon.tl.core import GzipPacked, MessageContainer

VECTOR_ID = 0x1CB5C415
BOOL_TRUE = struct.pack("<I", 0x997275B5)
BOOL_FALSE = struct.pack("<I", 0xBC799737)
RPC_RESULT_ID = 0xF35C6D01


class RpcError(Exception):
    """Raised by an API handler (or the network model) to answer with rpc_error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


class Raw(TLObject):
    """An object that is already serialized (messages are built and cached as bytes)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def _bytes(self) -> bytes:
        return self.data


def serialize(result: object) -> bytes:
    """TL bytes of what a handler returned: an object, a list (Vector), a bool or raw bytes."""
    if isinstance(result, bytes | bytearray):
        return bytes(result)
    if result is True:
        return BOOL_TRUE
    if result is False:
        return BOOL_FALSE
    if isinstance(result, list):
        return struct.pack("<Ii", VECTOR_ID, len(result)) + b"".join(serialize(x) for x in result)
    if isinstance(result, TLObject):
        return result._bytes()
    raise TypeError(f"cannot serialize {type(result).__name__}")


def gzip_packed(data: bytes) -> bytes | None:
    """gzip_packed wrapper of data, or None when it would not be smaller.

    Level 1: real DCs compress history pages too, and the sandbox must stay far
    cheaper per message than the client.
    """
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    compressed = packer.compress(data) + packer.flush()
    out = struct.pack("<I", GzipPacked.CONSTRUCTOR_ID) + TLObject.serialize_bytes(compressed)
    return out if len(out) < len(data) else None


@cache
def method_name(request_type: type) -> str:
    """Telegram's name of a request class: GetHistoryRequest in functions.messages -> messages.getHistory."""
    namespace = request_type.__module__.rsplit(".", 1)[-1]
    name = request_type.__name__.removesuffix("Request")
    name = name[0].lower() + name[1:]
    return name if namespace == "functions" else f"{namespace}.{name}"


def error_name(method: str) -> str:
    """messages.getHistory -> MESSAGES_GETHISTORY, the form RPC error strings use."""
    return re.sub(r"[^A-Z0-9]+", "_", method.upper())


def read_messages(msg_id: int, body: bytes) -> list[tuple[int, object | None]]:
    """The message, or a container's messages, each read alone: None for one of an unknown schema,
    so that only that one is refused (https://core.telegram.org/mtproto/service_messages#containers:
    msg_id, seqno, bytes, body per message)."""
    try:
        return [(msg_id, BinaryReader(body).tgread_object())]
    except TypeNotFoundError:
        if struct.unpack_from("<I", body)[0] != MessageContainer.CONSTRUCTOR_ID:
            return [(msg_id, None)]
    messages: list[tuple[int, object | None]] = []
    (count,), offset = struct.unpack_from("<i", body, 4), 8
    for _ in range(count):
        inner_id, _seq, length = struct.unpack_from("<qii", body, offset)
        offset += 16
        messages.extend(read_messages(inner_id, body[offset : offset + length]))
        offset += length
    return messages
