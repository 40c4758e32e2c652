"""The bot holds a JobQueue; the embedded SQLite queue must be one, method for method.

mypy checks the same only where the bot builds its queue (bot/app.py): its
files leave tests/ out (pyproject.toml). This test checks at run time: it fails
when the protocol grows a method the backend lacks, or a backend's signature
drifts from what the bot calls.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import bot
from bot.jobs import JobQueue
from db import Database, SqliteJobQueue


def protocol_methods() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(JobQueue).items()
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }


def test_the_protocol_covers_every_queue_call_the_bot_makes() -> None:
    # The bot reaches its queue through app.queue only; every method it names there is in the protocol.
    called: set[str] = set()
    for source in Path(bot.__file__).parent.rglob("*.py"):
        text = source.read_text()
        called.update(
            name
            for name in protocol_methods().keys() | set(vars(SqliteJobQueue))
            if f"queue.{name}(" in text and not name.startswith("_")
        )
    assert called, "no queue call found: is the bot's source where this test looks?"
    assert called <= protocol_methods().keys(), called - protocol_methods().keys()


def test_the_sqlite_queue_meets_the_protocol(db: Database, tmp_path: Path) -> None:
    queue: JobQueue = SqliteJobQueue(db, work_root=tmp_path)  # mypy checks this match in bot/app.py
    missing = [name for name in protocol_methods() if not hasattr(queue, name)]
    assert not missing
    for name, wanted in protocol_methods().items():
        have = inspect.signature(getattr(SqliteJobQueue, name))
        assert list(have.parameters.values()) == list(wanted.parameters.values()), name
        assert inspect.iscoroutinefunction(getattr(SqliteJobQueue, name)), name
