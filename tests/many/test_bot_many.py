"""/export all through the real bot: one job per chat under one umbrella, one progress message, one
summary; every chat's messages exactly once against the sandbox's ground truth, in both layouts."""

from __future__ import annotations

import json
import zipfile

from sandbox.world import World
from tests.bot.conftest import Product

from .support import assert_exact, chat_of, read_zip


async def _screen(product: Product) -> object:
    product.say(product.admin, "/export all")
    return await product.reply(product.admin.id, lambda m: (m.text or "").startswith("Export many chats"))


async def test_all_chats_one_archive_each_one_progress_message_one_summary(
    product: Product, world: World
) -> None:
    admin = product.admin
    screen = await _screen(product)
    product.press(admin, screen, "▶ Export")
    summary = await product.reply(admin.id, lambda m: (m.text or "").startswith("Done: "), timeout=120)
    readable = [c for c in world.chats.values() if not c.left]
    assert summary.text.startswith(f"Done: {len(readable)} chats, ")
    documents = product.api.documents_in(admin.id)
    assert len(documents) == len(readable)
    exported = []
    for document in documents:
        with zipfile.ZipFile(document.path) as archive:
            exported.append(assert_exact(world, json.loads(archive.read("result.json"))).title)
    assert sorted(exported) == sorted(c.title for c in readable)
    lines = summary.text.splitlines()[1:]
    assert len(lines) == len(readable) and all(line.startswith("✅ ") for line in lines)
    # One progress message (the screen, edited), one summary, the archives; nothing per chat besides.
    spoken = [m for m in product.api.messages_in(admin.id) if m.outgoing and m.text]
    assert [m.message_id for m in spoken] == [screen.message_id, summary.message_id], [m.text for m in spoken]
    progress = [v.text or "" for v in screen.versions]
    assert any(f"(chat 1 of {len(readable)};" in t for t in progress)
    assert any(f"(chat {len(readable)} of {len(readable)};" in t for t in progress)


async def test_kinds_left_and_one_combined_archive(product: Product, world: World) -> None:
    admin = product.admin
    screen = await _screen(product)
    # Channels only, the archived one left out, the left ones in, one archive for all.
    mid = screen.message_id
    for label in ("✅ private chats", "✅ groups", "✅ forums", "✅ bots", "Archived: in", "Left chats: out"):
        product.press(admin, screen, label)
        screen = await product.reply(admin.id, lambda m, was=label: m.message_id == mid and _changed(m, was))
    product.press(admin, screen, "One archive per chat")
    screen = await product.reply(
        admin.id, lambda m: m.message_id == mid and "One archive for all" in str(m.reply_markup)
    )
    assert "Archives: one for all" in (screen.text or "")
    product.press(admin, screen, "▶ Export")
    summary = await product.reply(admin.id, lambda m: (m.text or "").startswith("Done: "), timeout=120)
    lines = summary.text.splitlines()
    assert lines[0].startswith("Done: 2 of 3 chats exported whole")
    assert lines[1].startswith("✅ Digest: ") and lines[2].startswith("✅ Left Public: ")
    assert lines[3].startswith("❌ Left Private: not exported: ") and "no access" in lines[3]
    [document] = await product.api.wait_for(lambda: product.api.documents_in(admin.id), timeout=30)
    manifest, result, names = read_zip(document.path)
    assert result is not None and manifest["complete"] is False
    assert [assert_exact(world, c).title for c in result["chats"]["list"]] == ["Digest"]
    assert [assert_exact(world, c).title for c in result["left_chats"]["list"]] == ["Left Public"]
    assert {"chats/chat_1/messages.html", "chats/chat_2/messages.html"} <= names
    assert [c["name"] for c in manifest["chats"]] == ["Digest", "Left Public", "Left Private"]
    assert chat_of(world, result["chats"]["list"][0]["id"]).username == "digest_many"
    # Neither the archive for all nor the chats' own zips stay once it is delivered.
    archives = product.running.app.archives_dir
    await product.api.wait_for(lambda: not list(archives.rglob("*.zip*")), timeout=10)


def _changed(message: object, label: str) -> bool:
    """The screen redrawn after ``label`` was pressed: that button no longer reads the same."""
    return label not in str(getattr(message, "reply_markup", ""))


async def test_a_member_exports_only_the_chats_shared_with_them(product: Product, world: World) -> None:
    member, shared = product.member, [world.by_username("digest_many"), world.by_username("forum_many")]
    for chat in shared:
        await product.running.app.shared.share(chat.peer_id, chat.title, chat.kind, product.admin.id)
    product.say(member, "/export all")
    screen = await product.reply(member.id, lambda m: (m.text or "").startswith("Export many chats"))
    product.press(member, screen, "▶ Export")
    summary = await product.reply(member.id, lambda m: (m.text or "").startswith("Done: "), timeout=120)
    assert summary.text.startswith("Done: 2 chats, ")
    documents = await product.api.wait_for(
        lambda: len(docs := product.api.documents_in(member.id)) == 2 and docs, timeout=30
    )
    titles = [assert_exact(world, read_zip(d.path)[1] or {}).title for d in documents]
    assert sorted(titles) == sorted(c.title for c in shared)


async def _channels_combined(product: Product, *, only_new: bool) -> None:
    """/export all for channels only, in one archive for all; ``only_new``: since the last export."""
    admin = product.admin
    screen = await _screen(product)
    presses = ["✅ private chats", "✅ groups", "✅ forums", "✅ bots", "One archive per chat"]
    for label in presses + (["Range: everything"] if only_new else []):
        product.press(admin, screen, label)
        screen = await product.reply(
            admin.id, lambda m, was=label, mid=screen.message_id: m.message_id == mid and _changed(m, was)
        )
    product.press(admin, screen, "▶ Export")


async def test_only_new_since_the_last_export_in_one_archive(product: Product, world: World) -> None:
    admin = product.admin
    await _channels_combined(product, only_new=False)
    await product.api.wait_for(lambda: len(product.api.documents_in(admin.id)) == 1, timeout=60)
    digest = world.by_username("digest_many")
    new = world.add_messages(digest.peer_id, 5)
    await _channels_combined(product, only_new=True)
    documents = await product.api.wait_for(
        lambda: len(docs := product.api.documents_in(admin.id)) == 2 and docs, timeout=60
    )
    _, result, _ = read_zip(documents[-1].path)
    assert result is not None
    got = {chat_of(world, c["id"]).title: [m["id"] for m in c["messages"]] for c in result["chats"]["list"]}
    assert got == {"Digest": new, "Quiet Channel": []}
