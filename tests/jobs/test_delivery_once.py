"""A part is sent once: a shutdown that cancels a job between Telegram's answer and the record of
it must not make the restarted job send the part again.

Real aiogram against the sandbox Bot API, the real SQLite queue.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from bot.context import App
from bot.delivery import Destination, send_part
from bot.jobs.runner import confirming
from db import Database, SqliteJobQueue
from db.jobs import JobPart
from sandbox.botapi.server import BotAPIServer
from tests.botapi.conftest import make_bot
from tests.db.support import hold_statement_thread


@pytest.fixture
def db_target(db_path: Path) -> Path:
    """The moment is held on aiosqlite's one statement thread: SQLite only."""
    return db_path


async def test_a_part_sent_as_the_job_is_cancelled_is_recorded_as_sent(
    db: Database, queue: SqliteJobQueue, tmp_path: Path
) -> None:
    archive = tmp_path / "chat.zip"
    archive.write_bytes(b"PK" + b"\0" * 100)
    job = await queue.submit(user_id=1, chat_id=1, target="me")
    assert await queue.claim_next("w1") is not None
    await queue.record_delivery(job.id, {"summary": "s"}, [JobPart(str(archive), 102, "")])
    async with BotAPIServer(tmp_path / "botapi") as api:
        alice = api.add_user("Alice")
        bot = make_bot(api)
        try:
            # The database's thread is held from before the send: the record of Telegram's answer
            # cannot be written before the cancel below lands, wherever the job then is.
            gate, held = await hold_statement_thread(db)
            app = cast(App, SimpleNamespace(queue=queue))
            sending = asyncio.create_task(
                send_part(
                    bot,
                    Destination(alice.id),
                    JobPart(str(archive), 102, ""),
                    "c",
                    5,
                    confirming(app, job.id),
                )
            )
            await api.wait_for(lambda: api.documents_in(alice.id))
            sending.cancel()  # the pool's shutdown
            threading.Timer(0.2, gate.set).start()
            with pytest.raises(asyncio.CancelledError):
                await sending
            await held
        finally:
            await bot.session.close()
        stored = await queue.get(job.id)
        assert stored is not None
        # The restarted job sends only parts without a message id: this one is not sent again.
        assert stored.parts[0].message_id == api.documents_in(alice.id)[0].message.message_id
        assert len(api.documents_in(alice.id)) == 1
