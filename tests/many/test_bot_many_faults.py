"""/export all through a cancel and a restart: the umbrella stops as a whole, or goes on after the
restart with every chat exported exactly once, one summary, and one word about the restart."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path

from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from sandbox.world import World
from tests.bot.conftest import ADMIN_ID, Product, product_running

from .support import assert_exact

# Each request this slow, so that the chats of the umbrella are still running when the test acts.
SLOW = 0.15


def _exported(product: Product, world: World) -> list[str]:
    titles = []
    for document in product.api.documents_in(ADMIN_ID):
        with zipfile.ZipFile(document.path) as archive:
            titles.append(assert_exact(world, json.loads(archive.read("result.json"))).title)
    return titles


async def _start(product: Product) -> int:
    product.say(product.admin, "/export all")
    screen = await product.reply(ADMIN_ID, lambda m: (m.text or "").startswith("Export many chats"))
    product.press(product.admin, screen, "▶ Export")
    return screen.message_id


async def test_cancel_stops_the_whole(product: Product, world: World) -> None:
    product.cluster.network.latency = SLOW
    status = await _start(product)
    await product.api.wait_for(lambda: product.api.documents_in(ADMIN_ID), timeout=60)
    product.say(product.admin, "/cancel")
    summary = await product.reply(ADMIN_ID, lambda m: (m.text or "").startswith("Stopped: "), timeout=60)
    lines = summary.text.splitlines()[1:]
    readable = [c for c in world.chats.values() if not c.left]
    assert len(lines) == len(readable)
    whole = [line for line in lines if line.startswith("✅ ")]
    stopped = [line for line in lines if line.startswith("⏹ ")]
    assert whole and stopped and len(whole) + len(stopped) == len(readable)
    assert summary.text.startswith(f"Stopped: {len(whole)} of {len(readable)} chats exported whole")
    # What was exported is exact, and nothing more comes: every chat's job has ended.
    assert len(_exported(product, world)) == len(whole)
    queue = product.running.app.queue
    for _ in range(100):  # the running chat ends at its worker's next heartbeat
        jobs = await queue.list_for_user(ADMIN_ID, limit=50)
        if all(job.finished for job in jobs):
            break
        await asyncio.sleep(0.1)
    assert len(jobs) == len(readable) and all(job.finished for job in jobs)
    assert len(_exported(product, world)) == len(whole)
    assert sum(1 for m in product.api.messages_in(ADMIN_ID) if m.outgoing and m.message_id == status) == 1


async def test_a_restart_goes_on_with_every_chat_once(cluster: Cluster, tmp_path: Path, world: World) -> None:
    api = BotAPIServer(tmp_path / "botapi", conflict_delay=0.1)
    async with api:
        admin = api.add_user("Ada", user_id=ADMIN_ID)
        cluster.network.latency = SLOW
        async with product_running(cluster, api, tmp_path / "data", shutdown_grace=0) as running:
            product = Product(cluster, api, running, admin, admin, admin)
            await _start(product)
            await api.wait_for(lambda: api.documents_in(ADMIN_ID), timeout=60)
        before = len(api.documents_in(ADMIN_ID))
        cluster.network.latency = 0
        async with product_running(cluster, api, tmp_path / "data") as running:
            product = Product(cluster, api, running, admin, admin, admin)
            summary = await product.reply(
                ADMIN_ID, lambda m: (m.text or "").startswith("Done: "), timeout=120
            )
            exported = _exported(product, world)
        texts = [m.text or "" for m in api.messages_in(ADMIN_ID) if m.outgoing]
    readable = [c for c in world.chats.values() if not c.left]
    assert before < len(readable), "the restart must come in the middle of the umbrella"
    assert sorted(exported) == sorted(c.title for c in readable)  # each once, none twice
    assert summary.text.startswith(f"Done: {len(readable)} chats, ")
    assert sum(t.startswith("The bot restarted. Your export of") for t in texts) == 1
    assert sum(t.startswith("Done: ") for t in texts) == 1


async def test_a_combined_archive_that_cannot_be_written_still_gets_its_summary(
    product: Product, world: World
) -> None:
    # Where the first umbrella's combined archive goes is taken by a file: writing it fails.
    blocker = product.running.app.archives_dir / "many-1"
    blocker.write_text("in the way")
    product.say(product.admin, "/export all")
    screen = await product.reply(ADMIN_ID, lambda m: (m.text or "").startswith("Export many chats"))
    product.press(product.admin, screen, "One archive per chat")
    screen = await product.reply(ADMIN_ID, lambda m: "One archive for all" in str(m.reply_markup))
    product.press(product.admin, screen, "▶ Export")
    summary = await product.reply(ADMIN_ID, lambda m: (m.text or "").startswith("Done: "), timeout=120)
    assert "No archive: the one for all chats could not be written: " in summary.text
    assert "Traceback" not in summary.text and not product.api.documents_in(ADMIN_ID)
    # The chats' own zips are no job's: nothing would ever sweep them, so none is left behind.
    archives = product.running.app.archives_dir
    await product.api.wait_for(lambda: not list(archives.rglob("*.zip")), timeout=10)
