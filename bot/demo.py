"""python -m bot --sandbox: the whole product offline, with a scripted user.

A sandbox Telegram (the forum-large scenario: 150 topics, 100,000 messages,
and people still writing in it, as in a real forum) serves the user client; a
sandbox Bot API serves the bot; a scripted person sends /export for the forum
and taps Export.  The terminal shows the conversation as it happens, and the
archive parts end up in ``out``.  This is the only place besides tests where
product code starts the sandbox.

The sandbox Telegram runs in its own process (``python -m sandbox serve``), as
Telegram runs on its own servers: in this process its work would run on the
exporter's event loop, and the summary would charge it to Telegram (request
p50 124-228 ms reported at a modelled 50 ms when it shared the process).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from pydantic import SecretStr

from exporter.client import SessionFile, build_client
from sandbox.botapi import BotAPIServer, SentDocument, User

from .app import running_bot
from .jobs.queue import JobQueue
from .settings import BotSettings

DEMO_USER_ID = 4242
FORUM = "@big_forum_sandbox"
# The sandbox's modelled time per request (its own work is on top, in its own process).
LATENCY_MS = 50
# Building the forum's 100,000 messages takes the sandbox a few seconds on a busy machine.
SANDBOX_START = 120


class Transcript:
    """Prints every message and edit of the demo chat once, as it appears."""

    def __init__(self, api: BotAPIServer, chat_id: int) -> None:
        self.api = api
        self.chat_id = chat_id
        self.seen: dict[int, int] = {}

    def flush(self) -> None:
        for message in self.api.messages_in(self.chat_id):
            shown = self.seen.get(message.message_id, 0)
            for index, version in enumerate(message.versions[shown:], start=shown):
                who = "bot" if message.outgoing else "you"
                verb = "edits" if index else ("says" if message.outgoing else "send")
                text = version.text or ""
                if message.file is not None and index == 0:
                    text = (
                        f"[{message.file.kind}: {message.file.file_name}, {message.file.size:,} bytes] {text}"
                    )
                print(f"  {who} {verb}: " + text.replace("\n", "\n" + " " * 8), flush=True)
            self.seen[message.message_id] = len(message.versions)


async def _wait(api: BotAPIServer, transcript: Transcript, predicate: Callable[[], Any], limit: float) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        transcript.flush()
        found = predicate()
        if found:
            return found
        if loop.time() > deadline:
            raise TimeoutError("the demo did not finish in time")
        await asyncio.sleep(0.2)


async def _show_details(api: BotAPIServer, transcript: Transcript, queue: JobQueue, person: User) -> None:
    """Once the job has ended (every part sent; its timing report then holds the delivery too),
    tap "Details"."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 600
    while not (jobs := await queue.list_for_user(DEMO_USER_ID, limit=1)) or jobs[0].finished_at is None:
        if loop.time() > deadline:
            raise TimeoutError("the demo's export did not end in time")
        transcript.flush()
        await asyncio.sleep(0.2)
    transcript.flush()
    summary = next(
        m
        for m in api.messages_in(person.id)
        if m.outgoing and (m.text or "").startswith(("Done:", "Incomplete:"))
    )
    details = summary.button_data()[0]
    print("  you tap: Details", flush=True)
    api.press_button(person, summary, details)
    await _wait(api, transcript, lambda: "p50" in (summary.text or ""), 30)
    transcript.flush()


def _save(documents: list[SentDocument], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for document in documents:
        # The bot names every part it sends; the stored file's own name stands in otherwise.
        target = out_dir / (document.file_name or document.path.name)
        shutil.copyfile(document.path, target)
        saved.append(target)
    return saved


@asynccontextmanager
async def sandbox_telegram(work: Path) -> AsyncIterator[Path]:
    """The sandbox Telegram in a child process until the block ends; yields its session file."""
    session, log = work / "sandbox-session.json", work / "sandbox.log"
    with log.open("wb") as errors:
        server = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "sandbox", "serve", "--scenario", "forum-large"],
            *["--latency-ms", str(LATENCY_MS), "--session-file", str(session)],
            # A real forum does not hold still while it is exported: a message arrives every 5
            # requests, so the summary shows the export as the snapshot it is.
            *["--live-forum", FORUM, "--live-every", "5"],
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
        )
        try:
            assert server.stdout is not None
            ready = await asyncio.wait_for(server.stdout.readline(), SANDBOX_START)
            if not ready.startswith(b"sandbox ready"):
                raise RuntimeError(f"the sandbox Telegram did not start: {log.read_text()[-2000:]}")
            yield session
        finally:
            if server.returncode is None:
                server.terminate()
            await server.wait()


async def run_demo(out: str) -> int:
    out_dir = Path(out)
    with tempfile.TemporaryDirectory(prefix="telegram-export-bot-demo-") as folder:
        work = Path(folder)
        print(
            "Starting an offline Telegram (forum-large: 150 topics, 100,000 messages) and Bot API…",
            flush=True,
        )
        async with sandbox_telegram(work) as session_file, BotAPIServer(work / "botapi") as api:
            person = api.add_user("Demo", user_id=DEMO_USER_ID, username="demo_user")
            settings = BotSettings(
                _env_file=None,
                bot_token=SecretStr(api.token),
                admin_ids=[DEMO_USER_ID],
                data_dir=work / "data",
                progress_interval=1.0,
            )
            client = build_client(SessionFile.load(session_file), receive_updates=True)
            session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))
            async with running_bot(settings, client, session=session) as running:
                transcript = Transcript(api, person.id)
                await _wait(api, transcript, lambda: api.poll_parked, 30)
                api.send_text(person, person.id, f"/export {FORUM}")
                options = await _wait(
                    api,
                    transcript,
                    lambda: next(
                        (m for m in api.messages_in(person.id) if m.outgoing and m.reply_markup), None
                    ),
                    60,
                )
                go = next(
                    b["callback_data"]
                    for row in options.reply_markup["inline_keyboard"]
                    for b in row
                    if b["text"].startswith("▶")
                )
                print("  you tap: ▶ Export", flush=True)
                api.press_button(person, options, go)
                documents = await _wait(api, transcript, lambda: api.documents_in(person.id), 600)
                await _show_details(api, transcript, running.app.queue, person)
                documents = api.documents_in(person.id)
            await client.disconnect()
            saved = await asyncio.to_thread(_save, documents, out_dir)
    print("\nArchive saved:")
    for path in saved:
        print(f"  {path} ({path.stat().st_size:,} bytes)")
    if len(saved) > 1:
        name = saved[0].name.split(".zip")[0]
        print(f"Join the parts first: cat '{out_dir / name}.zip.0'* > '{out_dir / name}.zip'")
    print("Open result.json or index.html inside it; manifest.json lists every file with its checksum.")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(run_demo("demo-output")))
