"""The bot's "only new since my last export" and files: what the user's earlier archives of the chat
hold is not downloaded again. The new archive's records point at the earlier paths and its new files
take names no earlier archive uses, so both unzip into one folder. Real aiogram against the sandbox
Bot API, real Telethon against the sandbox; the registry is the bot's database."""

from __future__ import annotations

import json
import zipfile

import pytest

from sandbox.botapi import Message
from sandbox.cluster import Cluster
from sandbox.world import World, build_scenario
from tests.bot.conftest import Product

# media-small's group: about half of its 160 messages are dated up to here (2024-04-06 is message 87).
FIRST_UNTIL = "2024-04-30"


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


def served(cluster: Cluster) -> int:
    return sum(n for key, n in cluster.stats().items() if key.startswith("file_bytes:"))


def archive(product: Product, index: int) -> dict[str, bytes]:
    document = product.api.documents_in(product.admin.id)[index]
    with zipfile.ZipFile(document.path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


async def options_screen(product: Product, line: str, after: int = 0) -> Message:
    return await product.reply(
        product.admin.id,
        lambda m: m.message_id > after and (m.text or "").startswith("Export ") and line in (m.text or ""),
    )


async def test_new_messages_only_points_at_files_the_earlier_archive_holds(product: Product) -> None:
    admin = product.admin
    product.say(admin, f"/export @media_small_sandbox ..{FIRST_UNTIL}")
    options = await options_screen(product, f"Range: up to {FIRST_UNTIL}")
    product.press(admin, options, "▫️ All files")
    options = await options_screen(product, "Media: all files, up to 8 MB a file")
    product.press(admin, options, "▶ Export")
    await product.archive(admin.id, timeout=120)

    before = served(product.cluster)
    product.say(admin, "/export @media_small_sandbox")
    again = await options_screen(product, "Media: all files, up to 8 MB a file", after=options.message_id)
    product.press(admin, again, "Range:")
    await product.api.wait_for(lambda: "Range: only new since my last export" in (again.text or ""))
    product.press(admin, again, "▶ Export")
    await product.archive(admin.id, count=2, timeout=120)
    second_bytes = served(product.cluster) - before

    first, second = archive(product, 0), archive(product, 1)
    old = json.loads(first["result.json"])["messages"]
    new = json.loads(second["result.json"])["messages"]
    assert old and new and new[0]["id"] > old[-1]["id"]
    pointed = 0
    for record in new:
        for field in ("photo", "file", "thumbnail"):
            path = record.get(field)
            if path is None or path.startswith("("):
                continue
            # In this archive, or in the earlier one under the same path: one folder holds both.
            assert (path in second) != (path in first), path
            pointed += path in first
    assert pointed > 0
    manifest = json.loads(second["manifest.json"])["media"]
    earlier = json.loads(first["manifest.json"])["media"]["files"]
    assert manifest["files"] and not manifest["files"].keys() & earlier.keys(), (
        "a new file took an earlier name"
    )
    assert manifest["in_earlier_archives"] >= pointed
    # Only the files this archive holds crossed the network (vCards come from the messages).
    fetched = sum(f["size"] for path, f in manifest["files"].items() if not path.startswith("contacts/"))
    assert second_bytes == fetched
