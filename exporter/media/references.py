"""Fresh file references: a reference "may expire", and then the object that carried it must be
fetched again (core.telegram.org/api/file-references). Telegram Desktop's export does this for every
file on any FILE_REFERENCE_* error (export_api_wrap.cpp); Telethon only for documents, only inside
download_media(message). Here: photos, documents and their thumbnails, and custom emoji."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T
from telethon.tl.tlobject import TLObject

from .spec import FileSpec

Caller = Callable[[Any], Awaitable[Any]]
RefreshReference = Callable[[FileSpec], Awaitable[bytes | None]]

# How deep a message is searched for the file: media → webpage → its photo/document is 3 levels.
_DEPTH = 4


def find_file(obj: object, file_id: int, kind: str, depth: int = _DEPTH) -> T.Photo | T.Document | None:
    """The Photo or Document with this id anywhere in a message (its media, a web page preview, a
    game, a chat photo change), or None."""
    wanted = T.Photo if kind == "photo" else T.Document
    if isinstance(obj, wanted) and obj.id == file_id:
        return obj
    if depth == 0:
        return None
    if isinstance(obj, list):
        values: list[object] = obj
    elif isinstance(obj, TLObject):
        values = list(vars(obj).values())
    else:
        return None
    for value in values:
        if isinstance(value, TLObject | list):
            found = find_file(value, file_id, kind, depth - 1)
            if found is not None:
                return found
    return None


def message_refresher(client: TelegramClient, history: Caller) -> RefreshReference:
    """Fetch the spec's message again (channels.getMessages in channels and supergroups,
    messages.getMessages elsewhere), or the custom emoji document (messages.getCustomEmojiDocuments),
    through ``history`` (the export's scheduler: these requests count against history's flood limit)."""

    async def refresh(spec: FileSpec) -> bytes | None:
        location = spec.location
        if spec.msg_ref is None:
            if location.kind != "document":
                return None
            documents = await history(F.messages.GetCustomEmojiDocumentsRequest([location.id]))
            found = find_file(documents, location.id, "document", 1)
            return found.file_reference if found is not None else None
        peer = await client.get_input_entity(spec.msg_ref.peer)
        ids = [T.InputMessageID(spec.msg_ref.msg_id)]
        if isinstance(peer, T.InputPeerChannel):
            request: Any = F.channels.GetMessagesRequest(
                T.InputChannel(peer.channel_id, peer.access_hash), ids
            )
        else:
            request = F.messages.GetMessagesRequest(ids)
        result = await history(request)
        for message in getattr(result, "messages", ()):
            if getattr(message, "id", None) == spec.msg_ref.msg_id:
                found = find_file(message, location.id, location.kind)
                return found.file_reference if found is not None else None
        return None

    return refresh
