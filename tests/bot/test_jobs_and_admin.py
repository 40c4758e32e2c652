"""/status, /cancel, /history re-send; Telegram's refusals on the way out; restarts; admins' commands."""

from __future__ import annotations

import asyncio
import itertools
import json
import zipfile
from pathlib import Path

import pytest

from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import World, expected_messages
from tests.bot.conftest import ADMIN_ID, Product, product_running


def ids(messages: list[dict]) -> list[tuple[int, int | None]]:
    return [(m["id"], m.get("topic_id")) for m in messages]


async def start_export(product: Product, user, target: str) -> None:
    product.say(user, f"/export {target}")
    title = "Export " + ("Daily" if "daily" in target else "")
    options = await product.reply(
        user.id, lambda m: (m.text or "").startswith(title) and m.reply_markup is not None
    )
    product.press(user, options, "▶ Export")


async def wait_job(product: Product, user_id: int, predicate=lambda job: True, timeout: float = 20):
    """The user's newest job once ``predicate`` holds for it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        jobs = await product.running.app.queue.list_for_user(user_id)
        if jobs and predicate(jobs[0]):
            return jobs[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no such job in time")


async def test_status_and_cancel_of_a_running_export(product: Product) -> None:
    product.cluster.network.latency = 0.3  # slow enough to catch it running
    admin = product.admin
    await start_export(product, admin, "@daily_digest_sandbox")
    job = await wait_job(product, admin.id, lambda job: job.state == "running")
    product.say(admin, "/status")
    await product.reply(admin.id, lambda m: f"#{job.id}" in (m.text or "") and "running" in (m.text or ""))
    product.say(admin, "/cancel")
    await product.reply(admin.id, lambda m: (m.text or "").startswith(f"Cancelling #{job.id}"))
    await wait_job(product, admin.id, lambda job: job.state == "cancelled")
    await product.api.wait_for(
        lambda: any((m.text or "") == "Export cancelled." for m in product.api.messages_in(admin.id))
    )
    assert not product.api.documents_in(admin.id)


async def test_history_sends_an_archive_again_without_uploading(product: Product, world: World) -> None:
    member = product.member
    channel = world.by_username("daily_digest_sandbox")
    await product.running.app.shared.share(channel.peer_id, channel.title, "public_channel", ADMIN_ID)
    await start_export(product, member, "@daily_digest_sandbox")
    first = await product.archive(member.id)
    # The job is done once its delivery is recorded, just after the document arrives.
    await wait_job(product, member.id, lambda job: job.state == "done")
    uploads = len(product.api.calls_to("sendDocument"))
    product.say(member, "/history")
    history = await product.reply(
        member.id, lambda m: m.reply_markup is not None and "done" in (m.text or "")
    )
    product.press(member, history, "Send #")
    await product.api.wait_for(lambda: len(product.api.documents_in(member.id)) == 2, timeout=10)
    again = product.api.calls_to("sendDocument")[uploads:]
    assert again and all(not call.files for call in again)  # by file id: nothing uploaded
    second = product.api.documents_in(member.id)[-1]
    with zipfile.ZipFile(second.path) as zf:
        assert json.loads(zf.read("result.json"))["messages"] == first


async def test_telegram_refusals_on_the_way_out_still_deliver(product: Product, world: World) -> None:
    api, admin = product.api, product.admin
    progress = {"match": lambda params: "Exporting" in params.get("text", "")}
    not_modified = (
        "Bad Request: message is not modified: specified new message content and reply markup are "
        "exactly the same as a current content and reply markup of the message"
    )
    api.inject("editMessageText", 400, not_modified, **progress)
    api.inject("editMessageText", 429, "Too Many Requests: retry after 1", retry_after=1, **progress)
    api.inject("sendDocument", 429, "Too Many Requests: retry after 1", retry_after=1)
    await start_export(product, admin, "@daily_digest_sandbox")
    messages = await product.archive(admin.id, timeout=30)
    channel = world.by_username("daily_digest_sandbox")
    assert ids(messages) == list(expected_messages(world, channel))
    assert any(call.status == 429 for call in api.calls_to("sendDocument"))


async def test_a_part_too_big_for_telegram_is_explained_and_kept(
    cluster: Cluster, tmp_path: Path, world: World
) -> None:
    api = BotAPIServer(tmp_path / "botapi", upload_limit=10_000, conflict_delay=0.1)
    async with api:
        admin = api.add_user("Ada", user_id=ADMIN_ID)
        async with product_running(cluster, api, tmp_path / "data") as running:
            product = Product(cluster, api, running, admin, admin, admin)
            await start_export(product, admin, "@daily_digest_sandbox")
            reply = await product.reply(admin.id, lambda m: "too large" in (m.text or ""), timeout=30)
            assert "BOT_API_URL" in reply.text
            job = await wait_job(product, admin.id)
        assert (tmp_path / "data" / "archives" / f"job-{job.id}").exists()


async def test_dropped_bot_api_connections_still_deliver(product: Product, world: World) -> None:
    admin = product.admin
    product.cluster.network.latency = 0.05
    await start_export(product, admin, "@daily_digest_sandbox")
    product.api.drop_connections()
    messages = await product.archive(admin.id, timeout=40)
    assert ids(messages) == list(expected_messages(world, world.by_username("daily_digest_sandbox")))


@pytest.mark.parametrize("deleted", [False, True], ids=["kept", "status-deleted"])
async def test_restart_during_an_export_resumes_and_delivers(
    cluster: Cluster, tmp_path: Path, world: World, deleted: bool
) -> None:
    api = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    async with api:
        admin = api.add_user("Ada", user_id=ADMIN_ID)
        # Slow enough that the export is still running when its progress first reaches the
        # database (with the worker pool's heartbeat, every 2 s).
        cluster.network.latency = 0.6
        async with product_running(cluster, api, tmp_path / "data", shutdown_grace=0) as running:
            product = Product(cluster, api, running, admin, admin, admin)
            await start_export(product, admin, "@daily_digest_sandbox")
            job = await wait_job(product, admin.id, lambda job: (job.progress or {}).get("done", 0) > 0)
        if deleted:
            # The person deleted the status message meanwhile: the resumed run cannot edit it.
            api.chat(admin.id).messages[job.status_message_id].deleted_at = 0.0
        # The bot stopped mid-export; it starts again and finishes the job.
        cluster.network.latency = 0
        async with product_running(cluster, api, tmp_path / "data") as running:
            product = Product(cluster, api, running, admin, admin, admin)
            messages = await product.archive(admin.id, timeout=40)
            outgoing = [m for m in api.messages_in(admin.id) if m.outgoing]
    assert ids(messages) == list(expected_messages(world, world.by_username("daily_digest_sandbox")))
    # One live status message for the export: the resumed run edits the one the stopped run counted
    # in, or when that one is gone, a new one.
    statuses = [
        m for m in outgoing if any((v.text or "").startswith(("Exporting", "Continuing")) for v in m.versions)
    ]
    assert len(statuses) == (2 if deleted else 1), [m.text for m in statuses]
    said = [v.text or "" for v in statuses[-1].versions]
    assert any(t.startswith("Continuing the export") for t in said)
    assert any("restarting" in t for t in said) != deleted  # a deleted message was not edited


async def test_stats_answers_admins_with_text_and_a_chart(product: Product) -> None:
    admin = product.admin
    await start_export(product, admin, "@daily_digest_sandbox")
    await wait_job(product, admin.id, lambda job: job.state == "done")
    product.say(admin, "/stats")
    text = await product.reply(admin.id, lambda m: (m.text or "").startswith("Exports:"))
    assert "1 done" in text.text and "msg/s" in text.text and "Disk used" in text.text
    chart = await product.reply(admin.id, lambda m: m.file is not None and m.file.kind == "photo")
    assert chart.file.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_allow_and_deny(product: Product) -> None:
    admin, stranger = product.admin, product.stranger
    product.say(admin, f"/allow {stranger.id}")
    await product.reply(admin.id, lambda m: "may export now" in (m.text or ""))
    product.say(stranger, "/help")
    await product.reply(stranger.id, lambda m: "/export" in (m.text or ""))
    product.say(admin, f"/deny {stranger.id}")
    await product.reply(admin.id, lambda m: "can no longer export" in (m.text or ""))
    assert await product.running.app.users.role_of(stranger.id) is None


async def test_login_by_qr_code(cluster: Cluster, tmp_path: Path) -> None:
    api = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    async with api:
        admin = api.add_user("Ada", user_id=ADMIN_ID)
        async with product_running(cluster, api, tmp_path / "data", logged_in=False) as running:
            product = Product(cluster, api, running, admin, admin, admin)
            product.say(admin, "/login")
            qr = await product.reply(admin.id, lambda m: m.file is not None and m.file.kind == "photo")
            assert "Scan" in qr.caption
            token = await api.wait_for(lambda: next(iter(cluster.state.login_tokens), None))
            cluster.accept_login_token(token)
            await product.reply(admin.id, lambda m: (m.text or "").startswith("Logged in as"), timeout=15)
            assert await running.app.client.is_user_authorized()
            await api.wait_for(lambda: qr.deleted_at is not None)


async def test_a_full_disk_budget_is_explained_and_nothing_runs(cluster: Cluster, tmp_path: Path) -> None:
    api = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    async with api:
        admin = api.add_user("Ada", user_id=ADMIN_ID)
        async with product_running(cluster, api, tmp_path / "data", disk_budget_mb=0) as running:
            product = Product(cluster, api, running, admin, admin, admin)
            product.say(admin, "/export @daily_digest_sandbox")
            options = await product.reply(admin.id, lambda m: m.reply_markup is not None)
            product.press(admin, options, "▶ Export")
            reply = await product.reply(admin.id, lambda m: "not enough room" in (m.text or ""))
            assert "budget" in reply.text
            assert not await running.app.queue.list_for_user(admin.id)


async def test_progress_edits_keep_their_distance_and_never_repeat(cluster: Cluster, tmp_path: Path) -> None:
    api = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    async with api:
        admin = api.add_user("Ada", user_id=ADMIN_ID)
        cluster.network.latency = 0.25  # a few seconds of fetching: several progress edits
        async with product_running(cluster, api, tmp_path / "data", progress_interval=0.5) as running:
            product = Product(cluster, api, running, admin, admin, admin)
            await start_export(product, admin, "@daily_digest_sandbox")
            await product.archive(admin.id, timeout=60)
    edits = [c for c in api.calls_to("editMessageText") if "Exporting" in c.params.get("text", "")]
    assert len(edits) >= 3
    times = [c.time for c in edits]
    assert all(b - a >= 0.45 for a, b in itertools.pairwise(times))
    assert all(c.status == 200 for c in api.calls_to("editMessageText"))  # never "not modified"


async def test_login_by_qr_code_with_a_two_step_password(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    world.password = "correct horse"
    api = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    async with api:
        admin = api.add_user("Ada", user_id=ADMIN_ID)
        async with product_running(cluster, api, tmp_path / "data", logged_in=False) as running:
            product = Product(cluster, api, running, admin, admin, admin)
            product.say(admin, "/login")
            token = await api.wait_for(lambda: next(iter(cluster.state.login_tokens), None))
            cluster.accept_login_token(token)
            await product.reply(admin.id, lambda m: "two-step password" in (m.text or ""), timeout=15)
            secret = product.say(admin, "wrong guess")
            await product.reply(admin.id, lambda m: "password is wrong" in (m.text or ""))
            assert secret.deleted_at is not None
            secret = product.say(admin, "correct horse")
            await product.reply(admin.id, lambda m: (m.text or "").startswith("Logged in as"), timeout=15)
            assert secret.deleted_at is not None
            assert await running.app.client.is_user_authorized()
