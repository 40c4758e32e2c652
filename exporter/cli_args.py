"""python -m exporter's command line: every flag with its help, read top to bottom, and the checks
that turn a flag's text into a value (a wrong one is argparse's one-line error and exit 2).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .archive import DEFAULT_PART_SIZE
from .chat_list import DEFAULT_COUNTED
from .many import KINDS, LAYOUTS, PER_CHAT
from .media.selection import file_size, media_kinds
from .options import (
    DEFAULT_FORMATS,
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MEDIA,
    FORMATS,
    MEDIA_TYPES,
)
from .render.local_time import UnknownTimeZone, zone_info

T = TypeVar("T")


def _date(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown format {','.join(unknown) or text!r}: use {','.join(FORMATS)}"
        )
    return chosen


def _checked(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a parser whose ValueError says what is wrong."""

    def check(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return check


# Message and topic ids are 32-bit in Telegram's schema (int id in message#…).
_MAX_ID = 2**31 - 1


def _ids(text: str) -> tuple[int, ...]:
    try:
        ids = tuple(_positive(part.strip()) for part in text.split(",") if part.strip())
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of topic ids") from None
    if not ids:
        # An empty list would export no topic at all and call that complete.
        raise argparse.ArgumentTypeError("give at least one topic id (General is 1), or leave --topics out")
    return ids


def _time_zone(text: str) -> str:
    try:
        zone_info(text)
    except UnknownTimeZone as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _positive(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= _MAX_ID:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to {_MAX_ID:,}")
    return int(text)


def _message_id(text: str) -> int:
    if not text.isdigit() or int(text) > _MAX_ID:
        raise argparse.ArgumentTypeError(f"{text!r} is not a message id (0 to {_MAX_ID:,})")
    return int(text)


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Options of every command. Each command takes them too (`export @x --sandbox`), without
    defaults there, so one given before the command is not overwritten by the command's default."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--session-file",
        type=Path,
        default=default(None),
        help="session file of the offline sandbox (python -m sandbox serve writes it)",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        default=default(False),
        help="run against an offline sandbox Telegram started in this process",
    )
    parser.add_argument(
        "--scenario", default=default("small"), help="the sandbox's scenario (default: small)"
    )


def _kinds(text: str) -> frozenset[str]:
    chosen = frozenset(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = sorted(chosen - set(KINDS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown kind {','.join(unknown) or text!r}: use {','.join(KINDS)}")
    return chosen


def _many_options(export: argparse.ArgumentParser) -> None:
    """Many chats at once: which chats --all takes, and how their archives are laid out."""
    export.add_argument(
        "--all",
        action="store_true",
        help="export every chat of the kinds chosen (python -m exporter chats lists them)",
    )
    export.add_argument(
        "--kinds",
        type=_kinds,
        default=frozenset(KINDS),
        help=f"with --all: comma-separated, from {','.join(KINDS)} (default: all of them)",
    )
    export.add_argument(
        "--archived",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --all: include the chats in the archive folder (default: yes)",
    )
    export.add_argument(
        "--left",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="with --all: include the channels and supergroups the account left (default: no)",
    )
    export.add_argument(
        "--layout",
        choices=LAYOUTS,
        default=PER_CHAT,
        help="several chats: an archive per chat, or one archive laid out as Telegram Desktop's full "
        "export (result.json with chats.list, chats/chat_NN/) (default: per-chat)",
    )


def build_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m exporter", description=description)
    _global_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", required=True)
    everywhere = argparse.ArgumentParser(add_help=False)
    _global_options(everywhere, defaults=False)

    login = commands.add_parser(
        "login", help="log the user client in (phone code or QR, then 2FA)", parents=[everywhere]
    )
    login.add_argument("--qr", action="store_true", help="show a QR code to scan with a logged-in phone")
    login.add_argument("--phone", help="phone number in international format (asked if missing)")

    chats = commands.add_parser(
        "chats", help="list the chats the account can see: id, kind, messages, title", parents=[everywhere]
    )
    chats.add_argument(
        "--counts",
        type=_message_id,
        default=DEFAULT_COUNTED,
        metavar="N",
        help=f"count the messages of the newest N chats, one request each (default: {DEFAULT_COUNTED})",
    )

    export = commands.add_parser(
        "export", help="export chats (or forums) into zip archives", parents=[everywhere]
    )
    export.add_argument(
        "targets",
        nargs="*",
        metavar="target",
        help="t.me link, @username, numeric id, or 'me' for Saved Messages; several export one after another",
    )
    _many_options(export)
    export.add_argument(
        "--out",
        type=Path,
        default=Path("exports"),
        help="folder for the archive (default: exports, in the current folder)",
    )
    export.add_argument(
        "--format",
        dest="formats",
        type=_formats,
        default=DEFAULT_FORMATS,
        help=f"comma-separated, from {','.join(FORMATS)} (default: {','.join(DEFAULT_FORMATS)})",
    )
    export.add_argument("--since", type=_date, help="only messages sent at or after this date (UTC)")
    export.add_argument("--until", type=_date, help="only messages sent before this date (UTC)")
    export.add_argument("--min-id", type=_message_id, default=0, help="only messages with a larger id")
    export.add_argument("--max-id", type=_message_id, default=0, help="only messages with a smaller id")
    export.add_argument("--last", type=_positive, help="only the newest N messages")
    export.add_argument(
        "--topics", type=_ids, help="forums: only these topic ids (comma-separated; General is 1)"
    )
    export.add_argument(
        "--takeout",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="read through a takeout session (Telegram may ask to confirm it in another app first)",
    )
    export.add_argument(
        "--timezone",
        type=_time_zone,
        help="time zone of the dates written (IANA name such as Europe/Berlin, or UTC); "
        "default: this machine's, as in Telegram Desktop's export",
    )
    export.add_argument(
        "--media",
        type=_checked(media_kinds),
        default=DEFAULT_MEDIA,
        help=f"kinds of files to download: none, all, or comma-separated from {','.join(MEDIA_TYPES)} "
        f"(default: {','.join(DEFAULT_MEDIA)}, as Telegram Desktop); custom emoji and contacts' "
        "vCards are always saved",
    )
    export.add_argument(
        "--max-file-size",
        type=_checked(file_size),
        default=DEFAULT_MAX_FILE_SIZE,
        help=f"largest file to download, e.g. 50MB (KB and MB of 1024; default: "
        f"{DEFAULT_MAX_FILE_SIZE >> 20}MB, as Telegram Desktop)",
    )
    export.add_argument(
        "--filter",
        metavar="QUERY",
        help="keep only the messages matching QUERY, e.g. 'from:@alice has:photo,video after:2024-01-01 "
        "-\"giveaway\"' (space = and, | or 'or', -x = not; docs/filters.md); dates in --timezone",
    )
    export.add_argument(
        "--raw-title",
        action="store_true",
        help="name the archive with the chat's title as written, spaces and emoji included "
        "(default: its words joined by _, which needs no quotes in a shell)",
    )
    export.add_argument(
        "--comments",
        action="store_true",
        help="channels: each post's comments from its discussion group, kept under the post",
    )
    export.add_argument(
        "--incremental",
        action="store_true",
        help="only messages newer than your last complete export of this chat (per topic for forums)",
    )
    export.add_argument(
        "--restart",
        action="store_true",
        help="discard what an earlier, unfinished run of this export fetched, and start over",
    )
    export.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data"),
        help="where --incremental remembers exports (default: data)",
    )
    export.add_argument(
        "--verbose",
        action="store_true",
        help="after the summary, the timing breakdown: requests' p50/p95, flood waits, each phase",
    )
    export.add_argument(
        "--part-size",
        type=_positive,
        default=DEFAULT_PART_SIZE // (1024 * 1024),
        help="archive part size in MiB",
    )
    return parser
