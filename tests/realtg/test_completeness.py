"""Honest completeness: every count Telegram gives is checked against what was written.

- getReplies and the topic root: a forum topic's id is the id of its creation message (api/forum),
  and that message belongs to the topic (Desktop ``HistoryItem::topicRootId``).  Telegram Desktop's
  replies list skips ``_rootId`` when it finds it among the messages getReplies returned
  (data/data_replies_list.cpp ``buildFromData``), so the sandbox returns and counts it; the export
  writes it in its topic, once, and each topic's expected count equals what is written.
- A topic missing from Telegram's topic list still gets its own page and manifest line.
- A count that disagrees makes the export incomplete, with the reason, in the manifest and the summaries.
- A range that holds no message gives an empty, complete export and says so.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from telethon import TelegramClient

import exporter.plan as plan_module
from bot.delivery import summary_text
from exporter.completeness import empty_range_note
from exporter.errors import ExportError
from sandbox.cluster import Cluster
from sandbox.world import World, expected_messages
from tests.bot import conftest as bot_fixtures
from tests.bot.conftest import Product
from tests.exporter.test_cli import run_cli
from tests.exporter.test_export_e2e import archive_files, exported, run_export

FORUM = "@project_forum_sandbox"

# The bot end-to-end fixtures (real aiogram against the sandbox Bot API), reused, not copied.
api = bot_fixtures.api
product = bot_fixtures.product


async def test_each_topic_counts_its_root_once_and_expected_equals_written(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    forum = world.by_username("project_forum_sandbox")
    result = await run_export(client, FORUM, tmp_path, formats=("json",))
    assert result.complete, result.reason
    topics = {t["id"]: t for t in result.manifest["topics"]}
    for topic_id in forum.topics:
        assert topics[topic_id]["expected"] == topics[topic_id]["written"], topic_id
    pairs = [(m["id"], m["topic_id"]) for m in exported(result)]
    assert pairs == list(expected_messages(world, forum))
    for topic_id in sorted(forum.topics)[1:]:
        assert pairs.count((topic_id, topic_id)) == 1, f"root of topic {topic_id}"

    # Reading chosen topics goes through getReplies: the root is there too, and counted.
    chosen = tuple(sorted(forum.topics)[1:4])
    result = await run_export(client, FORUM, tmp_path / "chosen", formats=("json",), topics=chosen)
    assert result.complete, result.reason
    for topic in result.manifest["topics"]:
        assert topic["expected"] == topic["written"] and topic["first_id"] == topic["id"]


def _html_ids(result) -> set[int]:
    with archive_files(result) as zf:
        pages = [zf.read(n).decode() for n in zf.namelist() if n.endswith(".html")]
    return {int(i) for page in pages for i in re.findall(r'id="message(\d+)"', page)}


async def test_a_topic_missing_from_the_topic_list_keeps_its_messages_in_every_format(
    client: TelegramClient, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forum = world.by_username("project_forum_sandbox")
    dropped = sorted(forum.topics)[3]
    real_list_topics = plan_module.list_topics

    async def list_missing_one(send, peer):
        # Telegram's real answer with one topic left out, as a list paged while topics move can be.
        topics, users, chats = await real_list_topics(send, peer)
        return [t for t in topics if t.id != dropped], users, chats

    monkeypatch.setattr(plan_module, "list_topics", list_missing_one)
    result = await run_export(client, FORUM, tmp_path, formats=("json", "html", "md"))
    messages = exported(result)
    stray = [m["id"] for m in messages if m["topic_id"] == dropped]
    assert stray
    assert {m["id"] for m in messages} <= _html_ids(result)
    with archive_files(result) as zf:
        markdown = "\n".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".md"))
        assert f"topics/{dropped}/messages.html" in zf.namelist()
    line = next(t for t in result.manifest["topics"] if t["id"] == dropped)
    assert line["title"] == f"Topic {dropped}" and line["written"] == len(stray)
    assert f"Topic {dropped}" in markdown
    assert result.complete, result.reason


async def test_a_count_that_disagrees_makes_the_export_incomplete_and_the_summaries_say_so(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    chat = world.by_username("daily_digest_sandbox")
    hidden = chat.restrict_above
    # Telegram counts every message when the export plans; some become unavailable before they are read.
    chat.restrict_above = 0

    def hide_some(progress) -> None:
        if progress.phase == "fetching":
            chat.restrict_above = hidden

    result = await run_export_with_progress(client, "@daily_digest_sandbox", tmp_path, hide_some)
    assert not result.complete
    assert result.manifest["complete"] is False
    assert result.manifest["messages"]["expected"] == len(chat.slots)
    assert result.manifest["messages"]["written"] == len(list(expected_messages(world, chat)))
    assert "Telegram counts 400 messages in the chat but the archive holds 396" in result.reason
    summary = summary_text(result)
    assert summary.startswith("Incomplete:") and f"Why it is incomplete: {result.reason}" in summary
    assert result.parts[0].path.name.endswith(".PARTIAL.zip")


async def run_export_with_progress(client, target, out, on_progress):
    from exporter.export import export_chat
    from exporter.options import ExportOptions
    from exporter.targets import parse_target, resolve_target

    resolved = await resolve_target(client, parse_target(target))
    return await export_chat(client, resolved, ExportOptions(), out, on_progress=on_progress)


async def test_until_before_the_first_message_is_an_empty_complete_export_that_says_so(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    chat = world.by_username("daily_digest_sandbox")
    first = world.date_of(chat, chat.slots.select(0))
    until = dt.datetime.fromtimestamp(first - 86_400, dt.UTC)
    result = await run_export(
        client, "@daily_digest_sandbox", tmp_path, formats=("json", "html"), until=until
    )
    assert result.complete and exported(result) == []
    note = empty_range_note(result.manifest)
    assert note and note in summary_text(result)
    with archive_files(result) as zf:
        assert json.loads(zf.read("manifest.json"))["messages"]["written"] == 0


async def test_topics_on_a_chat_that_is_not_a_forum_is_refused(
    client: TelegramClient, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="not a forum"):
        await run_export(client, "@daily_digest_sandbox", tmp_path, topics=(1,))


async def test_the_cli_refuses_topics_on_a_non_forum_and_says_when_a_range_is_empty(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    session = str(cluster.write_session_file(tmp_path / "session.json"))
    out = str(tmp_path / "out")
    code, _, err = await run_cli(
        "--session-file", session, "export", "@daily_digest_sandbox", "--topics", "1", "--out", out
    )
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [
        "error: This chat is not a forum, so it has no topics: export it without choosing topics."
    ]

    chat = world.by_username("daily_digest_sandbox")
    first = dt.datetime.fromtimestamp(world.date_of(chat, chat.slots.select(0)), dt.UTC)
    until = (first - dt.timedelta(days=2)).date().isoformat()
    code, _, err = await run_cli(
        "--session-file", session, "export", "@daily_digest_sandbox", "--until", until, "--out", out
    )
    assert code == 0, err
    assert "No message of this chat lies in the chosen range" in err

    code, _, err = await run_cli(
        "--session-file",
        session,
        "export",
        "@daily_digest_sandbox",
        "--since",
        until,
        "--until",
        until,
        "--out",
        out,
    )
    assert code == 2 and "Traceback" not in err
    assert "The start date is not before the end date" in err


async def test_the_bot_says_when_the_chosen_range_holds_no_message(product: Product) -> None:
    """The sandbox's chats fell silent long ago: "last 7 days" is an empty, complete export."""
    admin = product.admin
    product.say(admin, "/export @daily_digest_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest"))
    for label in ("only new since my last export", "last 7 days"):
        product.press(admin, options, "Range:")
        options = await product.reply(admin.id, lambda m, label=label: f"Range: {label}" in (m.text or ""))
    product.press(admin, options, "▶ Export")
    assert await product.archive(admin.id) == []
    summary = await product.reply(admin.id, lambda m: (m.text or "").startswith("Done: Daily Digest"))
    assert "No message of this chat lies in the chosen range" in summary.text


async def test_the_bot_refuses_a_topic_of_a_chat_that_is_not_a_forum(product: Product) -> None:
    admin = product.admin
    product.say(admin, "/export https://t.me/daily_digest_sandbox/3/7")
    reply = await product.reply(admin.id, lambda m: "not a forum" in (m.text or ""))
    assert len(reply.text.splitlines()) == 1
    assert not await product.running.app.queue.list_for_user(admin.id)
