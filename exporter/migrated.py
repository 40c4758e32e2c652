"""A supergroup upgraded from a basic group, read the way Telegram Desktop reads it.

Upgrading leaves the older history in the basic group: the supergroup's ``channelFull`` names it
(``migrated_from_chat_id``, ``migrated_from_max_id``, TL schema), the group's last message is
``messageActionChatMigrateTo`` and the supergroup's first ``messageActionChannelMigrateFrom``.
Desktop's export (``export_api_wrap.cpp``, ``requestSinglePeerMigrated``) reads both and writes the
group's messages first, their ids shifted down by 1,000,000,000 so they sort before the
supergroup's own and never collide with them, and so are the ids their replies within the group
point to (``export_data_types.cpp``: ``kMigratedMessagesIdShift``, ``AdjustMigrateMessageIds``).
Its date bounds apply to both histories alike.  We do the same: the group is one more stream of
the plan, its ids (and the ids its replies point to) shifted as they are read, so the store,
the renderers and the manifest see one chat.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from telethon import errors, utils
from telethon import functions as F
from telethon.tl import types as T

from db.store import StreamRow

from .bounds import find_range
from .streams import Page, Stream, read_stream
from .targets import ResolvedTarget

if TYPE_CHECKING:
    from .options import ExportOptions

MIGRATED_ID_SHIFT = 1_000_000_000
_KEY_PREFIX = "migrated:"


async def upgraded_group_stream(
    send: Any, target: ResolvedTarget, options: ExportOptions
) -> tuple[StreamRow, int] | None:
    """The plan row of the basic group a supergroup was upgraded from, with the group's message
    count; None for any other chat, or when the options choose ids (they name the supergroup's own
    messages; an incremental export delivered the group the first time)."""
    entity = target.entity
    if not (isinstance(entity, T.Channel) and entity.megagroup):
        return None
    if options.min_id or options.max_id or options.last or options.after:
        return None
    full = (await send(F.channels.GetFullChannelRequest(utils.get_input_channel(entity)))).full_chat
    chat_id = getattr(full, "migrated_from_chat_id", None)
    if not chat_id:
        return None
    try:
        # Dates choose from both histories, as they choose from one.
        found = await find_range(
            send, Stream(T.InputPeerChat(chat_id)), since=options.since, until=options.until
        )
    except (errors.ChatForbiddenError, errors.ChatIdInvalidError, errors.PeerIdInvalidError):
        # An account that joined after the upgrade was never in the group: export what it can
        # read, the supergroup alone (guess: what Desktop does here is not checked).
        return None
    # The group's history ends at migrated_from_max_id, its messageActionChatMigrateTo.
    high = min(found.high, full.migrated_from_max_id + 1) if full.migrated_from_max_id else found.high
    if found.low + 1 >= high:
        return None
    row = StreamRow(
        f"{_KEY_PREFIX}{chat_id}:{found.low}-{high}", None, found.low, high, "before the upgrade", found.low
    )
    return row, found.count or 0


def read_plan_row(send: Any, row: StreamRow, stream: Stream) -> AsyncIterator[Page]:
    """The pages of one plan row: the chat's own stream, or the upgraded group's with Desktop's ids."""
    if not row.key.startswith(_KEY_PREFIX):
        return read_stream(send, stream, after=row.cursor)
    chat_id = int(row.key[len(_KEY_PREFIX) :].split(":", 1)[0])
    group = Stream(T.InputPeerChat(chat_id), row.min_id, row.max_id)
    # The stored cursor is a shifted id once a page is stored; Telegram pages by the real one.
    after = row.cursor + MIGRATED_ID_SHIFT if row.cursor < 0 else row.cursor
    return _shifted(read_stream(send, group, after=after))


async def _shifted(pages: AsyncIterator[Page]) -> AsyncIterator[Page]:
    async for page in pages:
        # Copies: read_stream pages on from the real id of the last message it yielded.
        yield Page([_shift(m) for m in page.messages], page.users, page.chats, page.count)


def _shift(message: Any) -> Any:
    shifted = copy.copy(message)
    shifted.id = message.id - MIGRATED_ID_SHIFT
    header = getattr(message, "reply_to", None)
    if isinstance(header, T.MessageReplyHeader) and header.reply_to_msg_id and not header.reply_to_peer_id:
        # a reply inside the group points to a message that is shifted too
        shifted.reply_to = copy.copy(header)
        shifted.reply_to.reply_to_msg_id = header.reply_to_msg_id - MIGRATED_ID_SHIFT
    return shifted
