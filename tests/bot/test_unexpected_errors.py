"""The user always gets an answer: a bug of ours anywhere in a job ends it with one short message.

End to end: the real bot polls the sandbox Bot API and exports from the sandbox
Telegram; one fault is injected where no step expects it (inside the export,
or between the export and its delivery).  The user must get one sentence, the
status message must stop saying the export is going on, the job must end
failed (not stay running), the log must hold the traceback with the bot's
secrets redacted, and nothing fetched may be lost: the same export asked again
finishes with every message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

import bot.jobs.runner as runner
from bot.jobs.runner import UNEXPECTED
from bot.text import EXPORT_WENT_WRONG
from db import JobState
from db.jobs import Job
from exporter.export import Progress
from sandbox.world import World, expected_messages
from tests.bot.conftest import Product

CHANNEL = "@daily_digest_sandbox"


class InjectedBug(RuntimeError):
    """Stands for a bug of ours: nothing in the product knows this error."""


async def start_export(product: Product) -> None:
    product.say(product.admin, f"/export {CHANNEL}")
    options = await product.reply(
        product.admin.id, lambda m: (m.text or "").startswith("Export Daily Digest")
    )
    product.press(product.admin, options, "▶ Export")


async def newest_job(product: Product, predicate: Callable[[Job], bool], timeout: float = 30) -> Job:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        jobs = await product.running.app.queue.list_for_user(product.admin.id)
        if jobs and predicate(jobs[0]):
            return jobs[0]
        await asyncio.sleep(0.05)
    raise AssertionError("the job never got there")


def inside_the_export(product: Product, monkeypatch: pytest.MonkeyPatch, bug: InjectedBug) -> None:
    """Raised from within the exporter's fetch, on its first page of messages: the store has some."""
    exports = product.running.app.exports
    run = exports.run

    async def faulty_run(job: Job, on_progress: Callable[[Progress], None] | None = None) -> Any:
        def progress(event: Progress) -> None:
            if event.done > 0:
                raise bug
            if on_progress is not None:
                on_progress(event)

        return await run(job, on_progress=progress)

    monkeypatch.setattr(exports, "run", faulty_run)


def after_the_export(product: Product, monkeypatch: pytest.MonkeyPatch, bug: InjectedBug) -> None:
    """Raised while the finished export's summary is put together: a step with no error handling."""

    def faulty_record(*args: object, **kwargs: object) -> Any:
        raise bug

    monkeypatch.setattr(runner, "delivery_record", faulty_record)


@pytest.mark.parametrize("inject", [inside_the_export, after_the_export])
async def test_an_unexpected_error_gets_the_user_an_answer_and_ends_the_job(
    product: Product,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    inject: Callable[[Product, pytest.MonkeyPatch, InjectedBug], None],
) -> None:
    api, admin = product.api, product.admin
    # A bug's text may hold anything, even a secret: the log must still not show it.
    bug = InjectedBug(f"a bug of ours near {api.token}")
    inject(product, monkeypatch, bug)
    caplog.set_level(logging.ERROR, logger="bot")
    await start_export(product)

    answer = await product.reply(admin.id, lambda m: m.text == EXPORT_WENT_WRONG)
    job = await newest_job(product, lambda job: job.finished)
    assert (job.state, job.error) == (JobState.FAILED, f"{UNEXPECTED}: InjectedBug")
    # The status message said the export was going on; it now says it stopped.
    channel = world.by_username("daily_digest_sandbox")
    status = next(m for m in api.messages_in(admin.id) if m.message_id == job.status_message_id)
    assert any(f"Exporting {channel.title}" in (v.text or "") for v in status.versions)
    assert status.text == f"The export of {channel.title} stopped."
    # One answer, nothing delivered, no exception text shown to the user.
    assert [t for t in product.bot_texts(admin.id) if "went wrong" in t] == [answer.text]
    assert not api.documents_in(admin.id)
    assert not any("InjectedBug" in text or "a bug of ours" in text for text in product.bot_texts(admin.id))
    # The admin's details: the traceback in the log, the token redacted there.
    assert "InjectedBug: a bug of ours near [redacted]" in caplog.text
    assert "Traceback" in caplog.text and api.token not in caplog.text
    assert api.token.partition(":")[2] not in caplog.text

    # Nothing fetched was lost: without the bug, the same export finishes with every message.
    monkeypatch.undo()
    await start_export(product)
    archive = await product.archive(admin.id)
    assert [(m["id"], m.get("topic_id")) for m in archive] == list(expected_messages(world, channel))
