"""python -m exporter login | chats | export: the export engine from a terminal.

Exit codes: 0 a complete export (or a successful login), 1 an export that
stopped early (a PARTIAL archive with what was read), 2 nothing to deliver: bad
input or settings, a full disk or unwritable folder, a damaged or busy work
folder, a session to log in again (one line says what to do; what was fetched
stays in the work folder, and --restart discards it).
"""

# This docstring is --help's description. The flags and their checks are exporter/cli_args.py,
# the progress line exporter/cli_progress.py.

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import os
import sqlite3
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from telethon import TelegramClient, errors

from db import CheckpointStore, DbError, open_database

from .chat_list import list_chats, printable, table
from .cli_args import build_parser
from .cli_progress import TerminalProgress
from .client import SessionFileError
from .completeness import comments_note, empty_range_note, snapshot_note
from .errors import RELOGIN, ExplainedError, demo_imports, explain
from .export import export_chat
from .filters import FilterSyntaxError, describe, parse
from .incremental import Incremental
from .many import ChatEntry, Selection, entries_for, export_many, select_chats, summary_lines
from .options import ExportOptions
from .qr_login import login_by_qr
from .redaction import redact_client_secrets, redact_secrets
from .render.local_time import machine_zone
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
        raw_title=args.raw_title,
        filter=args.filter,
        comments=args.comments,
    )
    if args.all or len(args.targets) != 1:
        return await _export_many(client, args, options)
    spec = parse_target(args.targets[0])
    if not await _logged_in(client):
        return 2
    target = await resolve_target(client, spec)
    async with AsyncExitStack() as stack:
        incremental = await _incremental(client, args, stack)
        earlier: dict[str, str] = {}
        if incremental is not None:
            options, earlier = await incremental.prepare(target.chat, options)
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
        if incremental is not None:
            await incremental.record(target.chat, result)
    print("\n".join(headline(result.report)))
    if args.verbose:
        print("\n".join(breakdown(result.report)))
    for note in (empty_range_note(result.manifest), snapshot_note(result.manifest)):
        if note:
            print(note, file=sys.stderr)
    said = comments_note(result.manifest)
    if said:
        print(said)
    for part in result.parts:
        print(f"{'archive' if part.count == 1 else f'part {part.index}/{part.count}'}: {part.path}")
    if not result.complete:
        print(
            f"INCOMPLETE: {result.reason} What was read is in the PARTIAL archive.",
            file=sys.stderr,
        )
        return 1
    return 0


async def _export_many(client: TelegramClient, args: argparse.Namespace, options: ExportOptions) -> int:
    """Several targets, or --all: each chat exported in turn, then one line per chat."""
    if args.all == bool(args.targets):
        print("error: name the chats to export, or give --all (not both).", file=sys.stderr)
        return 2
    if args.restart:
        print("error: --restart takes one chat.", file=sys.stderr)
        return 2
    typed = entries_for(args.targets)
    if not await _logged_in(client):
        return 2
    entries = typed or await select_chats(client, Selection(args.kinds, args.archived, args.left))
    if not entries:
        print("No chat of the kinds chosen: nothing to export.", file=sys.stderr)
        return 0
    progress = TerminalProgress(sys.stderr)

    def on_chat(index: int, entry: ChatEntry) -> TerminalProgress:
        print(f"[{index + 1}/{len(entries)}] {printable(entry.title)}", file=sys.stderr)
        return progress

    async with AsyncExitStack() as stack:
        incremental = await _incremental(client, args, stack)
        many = await export_many(
            client, entries, options, args.out, layout=args.layout, on_chat=on_chat, incremental=incremental
        )
    print("\n".join(summary_lines(many)))
    parts = many.parts or [part for o in many.outcomes if o.result is not None for part in o.result.parts]
    for part in parts:
        print(f"{'archive' if part.count == 1 else f'part {part.index}/{part.count}'}: {part.path}")
    if not many.complete:
        print("INCOMPLETE: not every chat was exported whole (see above).", file=sys.stderr)
        return 1
    return 0


async def _incremental(
    client: TelegramClient, args: argparse.Namespace, stack: AsyncExitStack
) -> Incremental | None:
    """--incremental: the checkpoints of the application database in --data-dir."""
    if not args.incremental:
        return None
    database = await stack.enter_async_context(await open_database(args.data_dir / APP_DATABASE))
    return Incremental(client, CheckpointStore(database))


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
    args = build_parser(__doc__ or "").parse_args(argv)
    # Before anything logs or writes: no secret in a log line, no file others can read.
    redact_secrets()
    os.umask(0o077)
    try:
        return asyncio.run(_main(args))
    except (ExplainedError, SessionFileError, SettingsError, DbError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `chats | head`: the reader left. Not Telegram's connection (the OSError below); stdout is
        # pointed elsewhere so the flush at exit does not fail again (Python docs, "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a writer that SIGPIPE ended: 128 + 13
    except (errors.RPCError, errors.AuthKeyNotFound, OSError, sqlite3.Error, ExceptionGroup) as exc:
        # Telegram's refusals, a full disk, an output path that cannot be written: errors.explain's table.
        print(f"error: {explain(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
