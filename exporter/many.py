"""Many chats at once: which chats "all" means, and exporting a list of them one after another.

A person picks kinds of chats (private chats, groups, channels, forums, bots, as Telegram Desktop's
export settings name them: export_settings.h, Settings::Type), whether archived chats count, and
whether chats the account left count. The dialog list gives every folder's chats (Telethon's
iter_dialogs without a folder; the archive is peer folder 1, core.telegram.org/api/folders); the
chats the account left come from channels.getLeftChannels, as Desktop's full export reads them
(export_api_wrap.cpp, requestLeftChannelsList). A basic group upgraded to a supergroup is left to
its supergroup, whose export holds the group's history first (exporter.migrated).

Each chat is exported on its own (exporter.export.export_chat): one chat's failure is one sentence
in the summary and the others go on. Laying their archives out as one Desktop full export is
exporter.combined.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from telethon import TelegramClient, utils
from telethon.tl import functions
from telethon.tl import types as T

from .archive import ArchivePart
from .combined import ChatArchive, write_combined
from .completeness import comments_note
from .errors import explain_known, is_disk_full
from .export import ExportResult, ProgressListener, export_chat
from .incremental import Incremental
from .options import ExportOptions
from .render.html_page import count
from .render.model import ChatInfo
from .targets import TargetError, chat_info, parse_target, resolve_target

# The kinds a person chooses from, in Desktop's order (Settings::Type: personal chats, bot chats,
# private and public groups, private and public channels); forums are supergroups with topics, a
# kind of their own here because their export is shaped by topics.
KINDS = ("private", "groups", "channels", "forums", "bots")
# The archive layouts: one archive per chat, or one archive laid out as Desktop's full export.
PER_CHAT, COMBINED = "per-chat", "combined"
LAYOUTS = (PER_CHAT, COMBINED)


def kind_group(chat: ChatInfo) -> str:
    """Which of KINDS a chat is. Saved Messages count as a private chat, as Desktop counts them
    (SettingsFromDialogsType: Self and Personal are both PersonalChats)."""
    if chat.type == "bot_chat":
        return "bots"
    if chat.type in ("personal_chat", "saved_messages"):
        return "private"
    if chat.is_forum:
        return "forums"
    if chat.type.endswith("_channel"):
        return "channels"
    return "groups"


@dataclass(frozen=True)
class Selection:
    """What "all my chats" means this time."""

    kinds: frozenset[str] = frozenset(KINDS)
    archived: bool = True
    left: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"choose kinds from {', '.join(KINDS)}")


@dataclass(frozen=True)
class ChatEntry:
    """One chat to export: what parse_target takes, and what the summary says of it."""

    target: str
    title: str
    kind: str  # Desktop's type (personal_chat, public_channel, …)
    group: str  # one of KINDS
    archived: bool = False
    left: bool = False


def _entry(entity: object, *, archived: bool = False, left: bool = False) -> ChatEntry | None:
    try:
        info = chat_info(entity)
    except TargetError:
        return None  # ChannelForbidden and the like: listed, but nothing to read
    return ChatEntry(
        str(utils.get_peer_id(entity)),
        info.name or info.type,
        info.type,
        kind_group(info),
        archived,
        left,
    )


async def select_chats(client: TelegramClient, selection: Selection) -> list[ChatEntry]:
    """The chats ``selection`` takes, in the dialog list's order, then the left ones."""
    chosen: list[ChatEntry] = []
    seen: set[str] = set()
    # ignore_migrated: an upgraded group's history is exported with its supergroup.
    async for dialog in client.iter_dialogs(ignore_migrated=True):
        archived = dialog.folder_id == 1
        entry = _entry(dialog.entity, archived=archived)
        if entry is None or (archived and not selection.archived) or entry.group not in selection.kinds:
            continue
        chosen.append(entry)
        seen.add(entry.target)
    if selection.left:
        for entity in await left_channels(client):
            entry = _entry(entity, left=True)
            if entry is not None and entry.group in selection.kinds and entry.target not in seen:
                chosen.append(entry)
                seen.add(entry.target)
    return chosen


async def left_channels(client: TelegramClient) -> list[object]:
    """Every channel and supergroup the account left, page by page (channels.getLeftChannels)."""
    found: list[object] = []
    while True:
        page = await client(functions.channels.GetLeftChannelsRequest(offset=len(found)))
        found.extend(page.chats)
        if not isinstance(page, T.messages.ChatsSlice) or not page.chats or len(found) >= page.count:
            return found


def entries_for(targets: Iterable[str]) -> list[ChatEntry]:
    """Typed targets, checked before anything is asked of Telegram (a TargetError names the bad one)."""
    entries = []
    for text in dict.fromkeys(targets):
        parse_target(text)
        entries.append(ChatEntry(text, text, "", ""))
    return entries


@dataclass
class ChatOutcome:
    """How one chat's export ended: its archive, or why there is none."""

    entry: ChatEntry
    chat: ChatInfo | None = None
    result: ExportResult | None = None
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.result is not None and self.result.complete

    @property
    def title(self) -> str:
        return (self.chat.name if self.chat is not None else None) or self.entry.title

    @property
    def messages(self) -> int:
        return 0 if self.result is None else int(self.result.manifest["messages"]["written"])

    def archive(self) -> ChatArchive:
        """This chat in a combined archive: its one zip (export_many packs it whole)."""
        return ChatArchive(
            self.title,
            self.result.parts[0].path if self.result is not None else None,
            self.complete,
            self.messages,
            self.error or (self.result.reason if self.result is not None else None),
            self.entry.left,
            self.entry.archived,
            self.chat.id if self.chat is not None else None,
            self.chat.type if self.chat is not None else None,
        )


@dataclass
class ManyResult:
    outcomes: list[ChatOutcome] = field(default_factory=list)
    # The combined layout's archive; per chat, each outcome's result holds its own parts.
    parts: list[ArchivePart] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(outcome.complete for outcome in self.outcomes)


# A combined export's chats are packed into one zip each first, never cut into parts, so that
# exporter.combined reads each as one file; the combined archive is cut afterwards.
WHOLE = 1 << 62


async def export_many(
    client: TelegramClient,
    entries: Sequence[ChatEntry],
    options: ExportOptions,
    out_dir: Path,
    *,
    layout: str = PER_CHAT,
    on_chat: Callable[[int, ChatEntry], ProgressListener | None] | None = None,
    incremental: Incremental | None = None,
) -> ManyResult:
    """Export ``entries`` one after another into ``out_dir``; ``on_chat(index, entry)`` gives the
    progress listener of each. One chat's failure (no access, a long flood wait) is recorded in its
    outcome and the next chat follows; only a fault of the machine (a full disk) stops them all."""
    many = ManyResult()
    chat_options = replace(options, part_size=WHOLE) if layout == COMBINED else options
    chat_dir = out_dir / ".chats" if layout == COMBINED else out_dir
    for index, entry in enumerate(entries):
        outcome = ChatOutcome(entry)
        many.outcomes.append(outcome)
        listener = on_chat(index, entry) if on_chat is not None else None
        try:
            target = await resolve_target(client, parse_target(entry.target))
            if any(o.chat is not None and o.chat.id == target.chat.id for o in many.outcomes):
                # The same chat named twice (@name and its id): exported once.
                many.outcomes.pop()
                continue
            outcome.chat = target.chat
            options_now, earlier = chat_options, dict[str, str]()
            if incremental is not None:
                options_now, earlier = await incremental.prepare(target.chat, chat_options)
            outcome.result = await export_chat(
                client, target, options_now, chat_dir, on_progress=listener, earlier_files=earlier.items()
            )
            if incremental is not None and layout != COMBINED:
                await incremental.record(target.chat, outcome.result)
        except Exception as exc:
            # Telegram's refusals end this chat; a full disk or a bug of ours ends them all.
            sentence = explain_known(exc, path=out_dir)
            if sentence is None or is_disk_full(exc):
                raise
            outcome.error = sentence
    if layout == COMBINED:
        many.parts = await write_combined([o.archive() for o in many.outcomes], out_dir, options.part_size)
        # Recorded once the archive holding them is written, not before.
        for outcome in many.outcomes:
            if incremental is not None and outcome.chat is not None and outcome.result is not None:
                await incremental.record(outcome.chat, outcome.result)
    return many


def summary_lines(many: ManyResult) -> list[str]:
    """One line per chat: exported (complete or not, and why not), or failed and why."""
    lines = []
    for outcome in many.outcomes:
        if outcome.result is None:
            lines.append(f"failed: {outcome.title}: {outcome.error}")
        elif outcome.complete:
            lines.append(f"complete: {outcome.title}: {count(outcome.messages, 'message')}")
        else:
            lines.append(
                f"incomplete: {outcome.title}: {count(outcome.messages, 'message')}; {outcome.result.reason}"
            )
        # A channel's comments, as a single export says them; --all --comments asks every chat, and
        # the rest (no channels) stay quiet here.
        if outcome.result is not None and outcome.result.manifest.get("comments"):
            lines.append(f"  {comments_note(outcome.result.manifest)}")
    return lines
