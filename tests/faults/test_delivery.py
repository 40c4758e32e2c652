"""Delivery is never lost: Bot API faults after the export, crashes mid-upload, exports that stop early.

Real aiogram polls the sandbox Bot API; real Telethon reads the sandbox DCs.
"""

from __future__ import annotations

import errno
import json
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from bot.jobs.cleanup import sweep_work_dirs
from bot.settings import BotSettings
from db import ArchiveStore, JobState, SqliteJobQueue, open_database
from sandbox.botapi import BotAPIServer, User
from sandbox.cluster import Cluster
from sandbox.netmodel import Fault, RpcError
from sandbox.world import World, expected_messages
from tests.bot.conftest import ADMIN_ID, Product, product_running
from tests.bot.test_jobs_and_admin import ids, start_export, wait_job
from tests.bot.test_media_options import screen

CHANNEL = "@daily_digest_sandbox"
SMALL_PART = 16 * 1024


def expected(world: World) -> list[tuple[int, int | None]]:
    return list(expected_messages(world, world.by_username(CHANNEL[1:])))


def joined_messages(paths: list[Path]) -> list[dict]:
    """The result.json of an archive sent in parts (joined as `cat NAME.zip.0* > NAME.zip` does)."""
    whole = paths[0].with_name("joined.zip")
    whole.write_bytes(b"".join(path.read_bytes() for path in paths))
    with zipfile.ZipFile(whole) as zf:
        return json.loads(zf.read("result.json"))["messages"]


async def start_export_without_files(product: Product, user: User, target: str) -> None:
    """An export of the messages alone: "No media" on the options screen, then "▶ Export".

    Files are Desktop's default (photos); with 16 KiB parts they would make the size warning ask
    first (more than warn_above_parts parts), and these tests are about delivering parts."""
    product.say(user, f"/export {target}")
    options = await screen(product, user.id, "Media: photos")
    product.press(user, options, "▫️ No media")
    options = await screen(product, user.id, "Media: none, messages only")
    product.press(user, options, "▶ Export")


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Archive parts of 16 KiB: the channel's archive goes out in several parts."""
    monkeypatch.setattr(BotSettings, "part_size_bytes", property(lambda self: SMALL_PART))
    yield


async def test_one_500_on_the_summary_and_the_archive_still_delivers_once(
    product: Product, world: World
) -> None:
    api, admin = product.api, product.admin
    api.inject(
        "sendMessage", 500, "Internal Server Error", match=lambda p: p.get("text", "").startswith("Done")
    )
    api.inject("sendDocument", 500, "Internal Server Error")
    await start_export(product, admin, CHANNEL)
    job = await wait_job(product, admin.id, lambda job: job.finished, timeout=40)
    assert job.state == JobState.DONE, job.error
    assert len(api.documents_in(admin.id)) == 1
    assert ids(await product.archive(admin.id)) == expected(world)
    assert [call.status for call in api.calls_to("sendDocument")] == [500, 200]
    assert sum(t.startswith("Done: Daily Digest") for t in product.bot_texts(admin.id)) == 1


async def test_progress_edits_failing_and_dropped_connections_never_fail_the_export(
    product: Product, world: World
) -> None:
    api, admin = product.api, product.admin
    product.cluster.network.latency = 0.1  # a few seconds of exporting to break things in
    await start_export(product, admin, CHANNEL)
    await wait_job(product, admin.id, lambda job: job.state == "running")
    # From now on every status edit fails, progress and final words alike.
    api.inject("editMessageText", 502, "Bad Gateway", times=None)
    await api.wait_for(lambda: any(c.status == 502 for c in api.calls_to("editMessageText")), timeout=20)
    api.drop_connections()
    job = await wait_job(product, admin.id, lambda job: job.finished, timeout=60)
    assert job.state == JobState.DONE, job.error
    assert ids(await product.archive(admin.id)) == expected(world)


async def test_a_long_429_on_the_archive_is_waited_out(product: Product, world: World) -> None:
    api, admin = product.api, product.admin
    # Six refusals: more than the request middleware's five attempts, so delivery's own retry waits.
    api.inject("sendDocument", 429, "Too Many Requests: retry after 1", retry_after=1, times=6)
    await start_export(product, admin, CHANNEL)
    job = await wait_job(product, admin.id, lambda job: job.finished, timeout=60)
    assert job.state == JobState.DONE, job.error
    assert ids(await product.archive(admin.id)) == expected(world)
    assert len(api.documents_in(admin.id)) == 1


async def test_a_delivery_that_keeps_failing_keeps_the_archive_and_history_sends_it(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    admin = api.add_user("Ada", user_id=ADMIN_ID)
    async with product_running(cluster, api, tmp_path / "data", delivery_retry_seconds=3) as running:
        product = Product(cluster, api, running, admin, admin, admin)
        outage = api.inject("sendDocument", 502, "Bad Gateway", times=None)
        await start_export(product, admin, CHANNEL)
        job = await wait_job(product, admin.id, lambda job: job.finished, timeout=60)
        assert job.state == JobState.FAILED and job.error.startswith("delivery failed")
        told = await product.reply(admin.id, lambda m: "/history can send it again" in (m.text or ""))
        assert "Bad Gateway" in told.text
        assert job.parts and all(Path(part.path).is_file() and not part.file_id for part in job.parts)
        archives = ArchiveStore(running.app.database)
        assert await archives.disk_usage_of_archives() == sum(part.size for part in job.parts)
        assert not api.documents_in(admin.id)

        outage.times = outage.fired  # Telegram is back
        product.say(admin, "/history")
        history = await product.reply(
            admin.id,
            lambda m: m.reply_markup is not None and "not delivered (the archive is kept)" in (m.text or ""),
        )
        product.press(admin, history, f"Send #{job.id} again")
        assert ids(await product.archive(admin.id, timeout=20)) == expected(world)
        resent = await running.app.queue.get(job.id)
        assert resent is not None and all(part.file_id for part in resent.parts)


@pytest.mark.parametrize("stop", ["shutdown", "crash"])
async def test_a_restart_mid_delivery_sends_only_the_parts_not_yet_confirmed(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World, small_parts: None, stop: str
) -> None:
    admin = api.add_user("Ada", user_id=ADMIN_ID)
    async with product_running(cluster, api, tmp_path / "data", shutdown_grace=0) as running:
        product = Product(cluster, api, running, admin, admin, admin)
        if stop == "crash":
            # A killed process records nothing: the job stays "running" for the next start to recover.
            async def nothing_recorded(job_id: int) -> None:
                return None

            running.app.queue.release = nothing_recorded  # type: ignore[method-assign,assignment]
        # After the first part, every upload fails: the bot stops while it retries the second.
        api.inject(
            "sendDocument",
            500,
            "Internal Server Error",
            times=None,
            match=lambda p: bool(api.documents_in(admin.id)),
        )
        await start_export_without_files(product, admin, CHANNEL)
        await api.wait_for(lambda: [c for c in api.calls_to("sendDocument") if c.status == 500], timeout=40)
        job = await wait_job(product, admin.id)
        assert len(job.parts) >= 3 and job.parts[0].message_id is not None
        reads = cluster.stats()["rpc:messages.getHistory"]
    api.faults.clear()
    async with product_running(cluster, api, tmp_path / "data") as running:
        product = Product(cluster, api, running, admin, admin, admin)
        job = await wait_job(product, admin.id, lambda job: job.finished, timeout=60)
        if stop == "crash":
            await product.reply(admin.id, lambda m: (m.text or "").startswith("The bot restarted"))
    assert job.state == JobState.DONE, job.error
    assert cluster.stats()["rpc:messages.getHistory"] == reads  # nothing read from Telegram again
    documents = api.documents_in(admin.id)
    assert [d.sha256 for d in documents] == [part.sha256 for part in job.parts]  # each part once
    assert ids(joined_messages([d.path for d in documents])) == expected(world)
    assert sum(t.startswith("Done: Daily Digest") for t in product.bot_texts(admin.id)) == 1
    assert not any((tmp_path / "data" / "archives" / ".work").rglob("messages.sqlite"))


async def test_export_again_after_stopping_early_continues_where_it_stopped(
    product: Product, world: World
) -> None:
    admin, cluster = product.admin, product.cluster
    # The export's third page read gets a flood wait longer than the bot waits unattended: the size
    # estimate reads two pages first (bot/handlers/size_warning.py, files are chosen by default),
    # then the plan one, then the pages.
    estimate_reads = 2
    cluster.network.add_fault(
        Fault("messages.getHistory", nth=estimate_reads + 4, error=RpcError(420, "FLOOD_WAIT_1000"))
    )
    await start_export(product, admin, CHANNEL)
    stopped = await wait_job(product, admin.id, lambda job: job.finished, timeout=40)
    assert stopped.state == JobState.FAILED and "stopped early" in (stopped.error or "")
    partial = await product.archive(admin.id)
    assert 0 < len(partial) < len(expected(world))

    def history_reads() -> int:
        return cluster.stats()["rpc:messages.getHistory"]

    # "Later": Telethon refuses getHistory itself until the announced 1000 s have passed.
    product.running.app.client._flood_waited_requests.clear()
    before = history_reads()
    await start_export(product, admin, CHANNEL)
    continued = await wait_job(
        product, admin.id, lambda job: job.id != stopped.id and job.finished, timeout=40
    )
    assert continued.state == JobState.DONE, continued.error
    assert continued.work_dir == stopped.work_dir
    assert ids(await product.archive(admin.id, count=2)) == expected(world)
    second_run = history_reads() - before

    # The store of a complete export is gone: the same export again reads everything.
    before = history_reads()
    await start_export(product, admin, CHANNEL)
    await wait_job(product, admin.id, lambda job: job.id > continued.id and job.finished, timeout=40)
    assert ids(await product.archive(admin.id, count=3)) == expected(world)
    assert second_run < history_reads() - before


async def test_an_export_cancelled_while_sending_is_read_afresh_next_time(
    cluster: Cluster, api: BotAPIServer, tmp_path: Path, world: World
) -> None:
    admin = api.add_user("Ada", user_id=ADMIN_ID)
    async with product_running(cluster, api, tmp_path / "data") as running:
        product = Product(cluster, api, running, admin, admin, admin)
        outage = api.inject("sendDocument", 500, "Internal Server Error", times=None)
        await start_export(product, admin, CHANNEL)
        await api.wait_for(lambda: outage.fired, timeout=40)
        product.say(admin, "/cancel")
        cancelled = await wait_job(product, admin.id, lambda job: job.finished, timeout=20)
        assert cancelled.state == JobState.CANCELLED
        await api.wait_for(lambda: any(t == "Export cancelled." for t in product.bot_texts(admin.id)))
        outage.times = outage.fired
        # The same export again: its store was complete, so Telegram is read again, not the old store.
        reads = cluster.stats()["rpc:messages.getHistory"]
        await start_export(product, admin, CHANNEL)
        again = await wait_job(
            product, admin.id, lambda job: job.id != cancelled.id and job.finished, timeout=40
        )
        assert again.state == JobState.DONE, again.error
        assert cluster.stats()["rpc:messages.getHistory"] > reads
        assert ids(await product.archive(admin.id)) == expected(world)


@pytest.mark.parametrize(
    ("fault", "sentence", "error"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device"),
            "Export failed: The disk is full",
            "The disk is full",
        ),
        # A bug of ours: its text is not for the user (tests/bot/test_unexpected_errors.py).
        (RuntimeError("a bug of ours"), "The export of ", "unexpected error: RuntimeError"),
    ],
    ids=["disk-full", "unexpected"],
)
async def test_any_fault_while_packaging_ends_the_job_with_one_sentence(
    product: Product, monkeypatch: pytest.MonkeyPatch, fault: Exception, sentence: str, error: str
) -> None:
    from exporter import archive

    def broken(*args: object) -> None:
        raise fault

    monkeypatch.setattr(archive, "package", broken)
    admin = product.admin
    await start_export(product, admin, CHANNEL)
    job = await wait_job(product, admin.id, lambda job: job.finished, timeout=40)
    assert job.state == JobState.FAILED
    status = await product.reply(
        admin.id, lambda m: any(v.text and "Exporting" in v.text for v in m.versions)
    )
    await product.api.wait_for(lambda: (status.text or "").startswith(sentence))
    assert error in (job.error or "")
    product.say(admin, "/status")
    await product.reply(admin.id, lambda m: "no export running" in (m.text or ""))


async def test_work_folders_never_continued_are_swept_after_their_age(tmp_path: Path) -> None:
    settings = BotSettings(
        _env_file=None, bot_token=SecretStr("1:x"), data_dir=tmp_path, work_dir_max_age_days=7
    )
    app = SimpleNamespace(settings=settings, archives_dir=settings.archives_dir)
    work = settings.archives_dir / ".work"
    eight_days_ago = time.time() - 8 * 86_400

    def store(folder: Path, *, old: bool) -> Path:
        (folder / "export").mkdir(parents=True)
        files = [folder / "messages.sqlite", folder / "export" / "result.json", folder / "export", folder]
        for path in files[:2]:
            path.write_bytes(b"x")
        if old:
            for path in files:
                os.utime(path, (eight_days_ago, eight_days_ago))
        return folder

    abandoned = store(work / "user-1" / "10-aaaa", old=True)
    recent = store(work / "user-1" / "11-bbbb", old=False)
    database = await open_database(settings.database_path)
    queue = SqliteJobQueue(database, work_root=work)
    queued = await queue.submit(1, 1, "@chat")
    waiting = store(work / "user-1" / "12-cccc", old=True)
    await queue.set_work_dir(queued.id, waiting)
    gone = await sweep_work_dirs(app, ArchiveStore(database))  # type: ignore[arg-type]
    await database.close()
    assert gone == [abandoned]
    assert not abandoned.exists() and recent.exists() and waiting.exists()
