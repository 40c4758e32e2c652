"""``python -m exporter chats``: the chats the account can see, so a person can find what to export.

One line per dialog, newest first as Telegram lists them: the id ``export`` takes, the kind, the
message count where it is cheap, the title and the @username. Titles are other people's text:
control and direction characters are shown as "?" so a title cannot rewrite the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from telethon import TelegramClient, errors
from telethon.tl import functions

from .render.html_page import count as numbered
from .targets import TargetError, chat_info

KINDS = {
    "personal_chat": "private chat",
    "bot_chat": "bot",
    "saved_messages": "saved messages",
    "private_group": "group",
    "private_supergroup": "supergroup",
    "public_supergroup": "public supergroup",
    "private_channel": "channel",
    "public_channel": "public channel",
}
# Counting costs one messages.getHistory per chat. The strictest public reports let about 30 run
# at once before Telegram asks for a wait (sandbox --limits strict): the newest 20 stay below it.
DEFAULT_COUNTED = 20

# C0 and C1 controls (an ESC starts a terminal escape), and the bidirectional overrides, embeddings,
# isolates and marks (Unicode UAX #9) that would reorder the rest of the line.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class ChatRow:
    id: int
    kind: str
    title: str
    username: str | None
    messages: int | None


def printable(text: str) -> str:
    return _UNSAFE.sub("?", text)


def kind_of(entity: object) -> tuple[str, str, str | None]:
    """(kind, title, username) of a dialog's entity, in words."""
    try:
        info = chat_info(entity)
    except TargetError:
        # ChannelForbidden and the like: listed by Telegram, readable no more.
        return "no access", getattr(entity, "title", None) or "?", None
    kind = KINDS.get(info.type, info.type.replace("_", " "))
    if info.is_forum:
        kind = kind.replace("supergroup", "forum")
    return kind, info.name or "(no name)", info.username


async def list_chats(client: TelegramClient, counted: int = DEFAULT_COUNTED) -> tuple[list[ChatRow], str]:
    """Every dialog, and a note on how many were counted (and why no more)."""
    rows: list[ChatRow] = []
    stopped = ""
    async for dialog in client.iter_dialogs():
        kind, title, username = kind_of(dialog.entity)
        count = None
        if len(rows) < counted and not stopped and kind != "no access":
            try:
                count = await message_count(client, dialog.input_entity)
            except errors.FloodWaitError as exc:
                stopped = f"; Telegram asked to wait {exc.seconds} s, so the rest are not counted"
            except (errors.ChannelPrivateError, errors.ChatForbiddenError):
                kind = "no access"
        rows.append(ChatRow(dialog.id, kind, title, username, count))
    shown = min(counted, len(rows))
    note = f"{numbered(len(rows), 'chat')}; message counts for the newest {shown} (one request each{stopped})"
    if shown < len(rows) and not stopped:
        note += f"; --counts {len(rows)} counts them all"
    return rows, note + "."


async def message_count(client: TelegramClient, peer: object) -> int:
    """Telegram's count of the chat's messages: one history page of one message."""
    history = await client(
        functions.messages.GetHistoryRequest(
            peer=peer, offset_id=0, offset_date=None, add_offset=0, limit=1, max_id=0, min_id=0, hash=0
        )
    )
    # messages.messages (the whole history fit) carries no count: its list is everything.
    return int(getattr(history, "count", len(history.messages)))


def table(rows: Sequence[ChatRow]) -> list[str]:
    """Aligned columns; the title last, as its width varies most."""
    header = ("ID", "KIND", "MESSAGES", "TITLE")
    cells = [
        (
            str(row.id),
            row.kind,
            "" if row.messages is None else f"{row.messages:,}",
            printable(row.title) + (f"  @{row.username}" if row.username else ""),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(3)]
    return [
        f"{ident:<{widths[0]}}  {kind:<{widths[1]}}  {count:>{widths[2]}}  {title}".rstrip()
        for ident, kind, count, title in [header, *cells]
    ]
