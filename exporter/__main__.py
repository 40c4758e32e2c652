"""python -m exporter login | chats | export: the export engine from a terminal.

Exit codes: 0 a complete export (or a successful login), 1 an export that
stopped early (a PARTIAL archive with what was read), 2 nothing to deliver: bad
input or settings, a full disk or unwritable folder, a damaged or busy work
folder, a session to log in again (one line says what to do; what was fetched
stays in the work folder, and --restart discards it).

Over 400 lines: the parser is one list of the flags and their help, read top to bottom, and each
command's runner is a few lines that call the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TextIO, TypeVar

from telethon import TelegramClient, errors

from db import CheckpointStore, DbError, open_database

from .archive import DEFAULT_PART_SIZE
from .chat_list import DEFAULT_COUNTED, list_chats, table
from .client import SessionFileError
from .completeness import empty_range_note, snapshot_note
from .errors import RELOGIN, ExplainedError, demo_imports, duration, explain
from .export import Progress, export_chat
from .filters import FilterSyntaxError, describe, parse
from .media.progress import human_bytes
from .media.selection import file_size, media_kinds
from .options import (
    DEFAULT_FORMATS,
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MEDIA,
    FORMATS,
    MEDIA_TYPES,
    ExportOptions,
)
from .qr_login import login_by_qr
from .redaction import redact_client_secrets, redact_secrets
from .render.local_time import UnknownTimeZone, machine_zone, zone_info
from .settings import (
    SettingsError,
    TelegramCredentials,
    TelegramSettings,
    connect,
    open_client,
    read_settings,
)
from .targets import parse_target, resolve_target
from .timing_summary import breakdown, headline
from .workdir import default_work_dir, discard

APP_DATABASE = "app.sqlite"
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m exporter", description=__doc__)
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
        "export", help="export one chat (or forum) into a zip archive", parents=[everywhere]
    )
    export.add_argument("target", help="t.me link, @username, numeric id, or 'me' for Saved Messages")
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


class TerminalProgress:
    """One line redrawn in place on a terminal; a line every few seconds elsewhere."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.last = 0.0

    def __call__(self, progress: Progress) -> None:
        if progress.phase == "done":
            return
        now = time.monotonic()
        final = progress.phase not in ("fetching", "media")
        if not final and now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        self.out.write(
            ("\r\x1b[K" if self.tty else "") + describe_progress(progress) + ("" if self.tty else "\n")
        )
        if self.tty and final:
            self.out.write("\n")
        self.out.flush()


def describe_progress(progress: Progress) -> str:
    media = progress.media
    if progress.phase == "media" and media is not None:
        line = (
            f"media: {media.files_done:,}/{media.files_total:,} files, "
            f"{human_bytes(media.bytes_done)} of {human_bytes(media.bytes_total)}, {human_bytes(media.speed)}/s"
        )
        eta = media.eta()
        return line + (f", ETA {duration(eta)}" if eta is not None else "")
    if progress.phase != "fetching":
        return f"{progress.phase}… ({progress.done:,} messages)"
    parts = []
    if progress.total:
        share = min(1.0, progress.done / progress.total)
        bar = "#" * int(share * 20)
        parts.append(f"[{bar:<20}] {progress.done:,}/{progress.total:,}")
    else:
        parts.append(f"{progress.done:,} messages")
    parts.append(f"{progress.rate:,.0f} msg/s")
    if progress.eta is not None:
        parts.append(f"ETA {progress.eta:,.0f} s")
    if progress.active_topics:
        # Id-range shards of one chat share its name: show it once, with how many run.
        streams = Counter(progress.active_topics)
        shown = ", ".join(name if n == 1 else f"{name} ×{n}" for name, n in list(streams.items())[:3])
        more = len(streams) - 3
        parts.append(f"reading {shown}" + (f" +{more} topics" if more > 0 else ""))
    if progress.limited:
        parts.append("Telegram is the limit")
    if progress.flood_wait:
        parts.append(f"Telegram asked us to wait {duration(progress.flood_wait.seconds)}")
    return "  ".join(parts)


async def _login(client: TelegramClient, args: argparse.Namespace) -> int:
    import segno

    await connect(client)
    if await client.is_user_authorized():
        me = await client.get_me()
        print(f"Already logged in as {me.first_name} (id {me.id}).")
        return 0
    try:
        if args.qr:

            async def show(url: str, expires: dt.datetime) -> None:
                # A token lives ~30 s (api/qr-login): each new one is drawn again.
                segno.make(url).terminal(compact=True)
                print(
                    "Scan this with Telegram on your phone: Settings → Devices → Link Desktop Device "
                    f"(this code works until {expires.astimezone():%H:%M:%S}; a new one follows)."
                )

            await login_by_qr(client, show)
        else:
            # Prompts run in a thread so Telethon's connection stays serviced meanwhile.
            phone = args.phone or await asyncio.to_thread(input, "Phone number (international format): ")
            await client.send_code_request(phone)
            await client.sign_in(phone, await asyncio.to_thread(input, "Login code Telegram sent you: "))
    except errors.SessionPasswordNeededError:
        await client.sign_in(
            password=await asyncio.to_thread(getpass.getpass, "Two-step verification password: ")
        )
    except TimeoutError:
        print("No QR code was scanned in 2 minutes: run login again.", file=sys.stderr)
        return 2
    except errors.RPCError as exc:
        print(f"Login failed: {exc.message}.", file=sys.stderr)
        return 2
    me = await client.get_me()
    print(f"Logged in as {me.first_name} (id {me.id}).")
    return 0


async def _export(client: TelegramClient, args: argparse.Namespace) -> int:
    if args.filter is not None:
        try:
            words = describe(parse(args.filter))
        except FilterSyntaxError as exc:
            print(f"error: --filter: {exc}.\n{exc.caret()}", file=sys.stderr)
            return 2
        print(f"filter: {words}", file=sys.stderr)
    options = ExportOptions(
        formats=args.formats,
        since=args.since,
        until=args.until,
        min_id=args.min_id,
        max_id=args.max_id,
        last=args.last,
        topics=args.topics,
        takeout=args.takeout,
        media=args.media,
        max_file_size=args.max_file_size,
        part_size=args.part_size * 1024 * 1024,
        time_zone=args.timezone or machine_zone(),
        filter=args.filter,
    )
    spec = parse_target(args.target)
    if not await _logged_in(client):
        return 2
    target = await resolve_target(client, spec)
    async with AsyncExitStack() as stack:
        checkpoints: CheckpointStore | None = None
        me: int | None = None
        earlier: dict[str, str] = {}
        if args.incremental:
            database = await stack.enter_async_context(await open_database(args.data_dir / APP_DATABASE))
            checkpoints = CheckpointStore(database)
            me = (await client.get_me()).id
            after = await checkpoints.last_exported(me, target.chat.id)
            earlier = await checkpoints.exported_files(me, target.chat.id)
            options = replace(options, after=tuple(sorted(after.items(), key=lambda item: item[0] or 0)))
            if not after:
                print("No earlier export of this chat: exporting all of it.", file=sys.stderr)
        if args.restart:
            discard(default_work_dir(args.out, target.chat, options))
        result = await export_chat(
            client,
            target,
            options,
            args.out,
            on_progress=TerminalProgress(sys.stderr),
            earlier_files=earlier.items(),
        )
        if checkpoints is not None and me is not None and result.complete and result.last_ids:
            await checkpoints.record_exported(me, target.chat.id, result.last_ids, None)
            await checkpoints.record_files(me, target.chat.id, result.files, None)
    print("\n".join(headline(result.report)))
    if args.verbose:
        print("\n".join(breakdown(result.report)))
    for note in (empty_range_note(result.manifest), snapshot_note(result.manifest)):
        if note:
            print(note, file=sys.stderr)
    for part in result.parts:
        print(f"{'archive' if part.count == 1 else f'part {part.index}/{part.count}'}: {part.path}")
    if not result.complete:
        print(
            f"INCOMPLETE: {result.reason} What was read is in the PARTIAL archive.",
            file=sys.stderr,
        )
        return 1
    return 0


async def _logged_in(client: TelegramClient) -> bool:
    await connect(client)
    if await client.is_user_authorized():
        return True
    print(f"The user client is not logged in, or {RELOGIN}.", file=sys.stderr)
    return False


async def _chats(client: TelegramClient, args: argparse.Namespace) -> int:
    if not await _logged_in(client):
        return 2
    rows, note = await list_chats(client, args.counts)
    print("\n".join(table(rows)))
    print(note + " Export one with: python -m exporter export ID", file=sys.stderr)
    return 0


async def _main(args: argparse.Namespace) -> int:
    async with AsyncExitStack() as stack:
        session_file = args.session_file
        if args.sandbox:
            session_file = await stack.enter_async_context(_offline_sandbox(args.scenario))
        # Without a sandbox session, real Telegram: the app's id and hash are required.
        model = TelegramSettings if session_file else TelegramCredentials
        client = open_client(read_settings(model), session_file, receive_updates=args.command == "login")
        redact_client_secrets(client)
        try:
            if args.command == "login":
                return await _login(client, args)
            if args.command == "chats":
                return await _chats(client, args)
            return await _export(client, args)
        finally:
            await client.disconnect()
            # A connection that ended in an error (AuthKeyNotFound) leaves it in this future, which
            # asyncio would print as a traceback at exit; the error was already explained.
            ended = client.disconnected
            if ended.done() and not ended.cancelled():
                ended.exception()
    raise AssertionError("unreachable")


@asynccontextmanager
async def _offline_sandbox(scenario: str) -> AsyncIterator[Path]:
    """The demo: a sandbox Telegram in this process. Imported only here; the engine never needs it."""
    with demo_imports():
        from sandbox.cluster import Cluster
        from sandbox.world import UnknownScenario, build_scenario

    try:
        world = build_scenario(scenario)
    except UnknownScenario as exc:
        raise SettingsError(f"--scenario: {exc}") from None
    async with Cluster(world) as cluster:
        with tempfile.TemporaryDirectory() as folder:
            path = cluster.write_session_file(Path(folder) / "sandbox-session.json")
            print(f"offline sandbox Telegram running (scenario {scenario!r})", file=sys.stderr)
            yield path


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Before anything logs or writes: no secret in a log line, no file others can read.
    redact_secrets()
    os.umask(0o077)
    try:
        return asyncio.run(_main(args))
    except (ExplainedError, SessionFileError, SettingsError, DbError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (errors.RPCError, errors.AuthKeyNotFound, OSError, sqlite3.Error, ExceptionGroup) as exc:
        # Telegram's refusals, a full disk, an output path that cannot be written: errors.explain's table.
        print(f"error: {explain(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
