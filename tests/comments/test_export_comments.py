"""--comments end to end: real Telethon against the sandbox over TCP, checked against ground truth."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from telethon import TelegramClient

from exporter.comments import COMMENT_FILE
from exporter.export import ExportResult, export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.mtproto.tl import RpcError
from sandbox.netmodel import Fault, NetworkModel
from sandbox.world import World, build_scenario
from sandbox.world.content import Composed
from sandbox.world.discussion import HOT_COMMENTS, expected_comments

CHANNEL = "@tech_notes_sandbox"
FILE_FIELDS = ("photo", "file", "thumbnail", "contact_vcard")


@pytest.fixture
def world() -> World:
    return build_scenario("discussion")


async def export(client: TelegramClient, out: Path, target: str = CHANNEL, **options: object) -> ExportResult:
    resolved = await resolve_target(client, parse_target(target))
    return await export_chat(client, resolved, ExportOptions(comments=True, **options), out)  # type: ignore[arg-type]


def result_json(result: ExportResult) -> dict:
    with zipfile.ZipFile(result.parts[0].path) as zf:
        return json.loads(zf.read("result.json"))


def channel_truth(world: World) -> dict[int, list[int]]:
    channel = world.by_username("tech_notes_sandbox")
    assert channel is not None and not isinstance(channel, type(world.me))
    return expected_comments(channel)  # type: ignore[arg-type]


def requests_since(cluster: Cluster, before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in cluster.calls.items() if v != before.get(k, 0)}


def comments_in(document: dict) -> dict[int, list[dict]]:
    return {m["id"]: m["comments"]["messages"] for m in document["messages"] if "comments" in m}


async def test_every_comment_once_under_its_post_in_order(
    client: TelegramClient, world: World, cluster: Cluster, tmp_path: Path
) -> None:
    truth = channel_truth(world)
    result = await export(client, tmp_path)
    document = result_json(result)
    got = comments_in(document)
    assert {post: [c["id"] for c in comments] for post, comments in got.items()} == truth
    assert sum(map(len, truth.values())) == 789 and max(map(len, truth.values())) == HOT_COMMENTS
    # Posts older than the group's link carry no key at all.
    assert any("comments" not in m for m in document["messages"] if m["type"] == "message")
    channel = world.by_username("tech_notes_sandbox")
    d = channel.discussion  # type: ignore[union-attr]
    for post, comments in got.items():
        assert all(document_comment["date_unixtime"] for document_comment in comments)
        thread = next(m for m in document["messages"] if m["id"] == post)["comments"]
        assert thread["count"] == len(truth[post]) and thread["chat_id"] == d.group.bare_id
        for c in comments:
            answered = d.reply_to[c["id"]]
            if answered == d.forward_of[post]:
                assert "reply_to_message_id" not in c
            else:
                assert c["reply_to_message_id"] == answered and d.thread_of[answered] == post
    # Comments' files are not downloaded, and their fields say so (not Desktop's "change settings").
    values = [v for cs in got.values() for c in cs for k, v in c.items() if k in FILE_FIELDS]
    assert values and set(values) == {COMMENT_FILE}
    manifest = result.manifest
    assert result.complete, result.reason
    assert manifest["comments"]["expected"] == manifest["comments"]["written"] == 789
    assert manifest["comments"]["posts_with_comments"] == sum(1 for c in truth.values() if c)
    assert manifest["options"]["comments"] is True


async def test_the_cheaper_way_is_chosen_and_its_requests_are_counted(
    client: TelegramClient, world: World, cluster: Cluster, tmp_path: Path
) -> None:
    truth = channel_truth(world)
    per_post = sum(-(-len(c) // 100) for c in truth.values())
    before = dict(cluster.calls)
    result = await export(client, tmp_path)
    calls = requests_since(cluster, before)
    plan = result.manifest["comments"]
    assert plan["estimated_requests"]["replies"] == per_post == 94
    assert plan["read_with"] == "history"
    assert calls.get("messages.getReplies", 0) == 0
    assert calls["messages.getDiscussionMessage"] == 1
    # The group's history from the oldest commented post's forward to the newest comment: 12 pages
    # (the ids' span says 13 at most), after the channel's own 3; 14 requests in all for 789 comments.
    assert plan["estimated_requests"]["history"] == 1 + 13
    assert calls["messages.getHistory"] == 3 + 12


async def test_a_few_posts_are_read_with_get_replies(
    client: TelegramClient, world: World, cluster: Cluster, tmp_path: Path
) -> None:
    truth = channel_truth(world)
    newest = sorted(truth)[-8:]
    before = dict(cluster.calls)
    result = await export(client, tmp_path, min_id=newest[0] - 1)
    calls = requests_since(cluster, before)
    replies = calls["messages.getReplies"]
    assert replies == result.manifest["comments"]["estimated_requests"]["replies"]
    assert replies == sum(1 for p in newest if truth[p])
    # One getDiscussionMessage to measure the group's span: no fewer requests than the replies take.
    assert calls["messages.getDiscussionMessage"] == 1
    assert result.manifest["comments"]["estimated_requests"]["history"] >= replies
    got = comments_in(result_json(result))
    assert {p: [c["id"] for c in cs] for p, cs in got.items()} == {p: truth[p] for p in newest}
    assert result.manifest["comments"]["read_with"] == "replies"
    assert result.complete


async def test_a_chat_that_is_no_channel_is_exported_without_comments(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    # As export --all --comments asks it of every chat: the group itself, its messages as they are.
    result = await export(client, tmp_path, target="@tech_notes_chat_sandbox")
    group = world.by_username("tech_notes_chat_sandbox")
    assert result.complete and result.manifest["comments"] is None
    messages = result_json(result)["messages"]
    assert [m["id"] for m in messages] == list(group.slots)  # type: ignore[union-attr]
    assert not any("comments" in m for m in messages)


async def test_a_channel_without_a_group_has_no_comments(client: TelegramClient, tmp_path: Path) -> None:
    result = await export(client, tmp_path, target="@quiet_notes_sandbox")
    assert result.complete
    assert result.manifest["comments"]["posts"] == 0 and result.manifest["comments"]["chat_id"] is None


async def test_an_interrupted_export_resumes_its_comments_exactly(
    client: TelegramClient, world: World, cluster: Cluster, network: NetworkModel, tmp_path: Path
) -> None:
    truth = channel_truth(world)
    # The channel's own history takes 3 pages; the 6th page of the group's history is refused for
    # longer than the export waits, so it stops with five pages of comments stored.
    network.add_fault(Fault("messages.getHistory", 3 + 6, error=RpcError(420, "FLOOD_WAIT_3600")))
    first = await export(client, tmp_path)
    assert not first.complete and "wait" in (first.reason or "").lower()
    partial = comments_in(result_json(first))
    stored = sum(map(len, partial.values()))
    assert 0 < stored < 789
    before = dict(cluster.calls)
    second = await export(client, tmp_path)
    calls = requests_since(cluster, before)
    assert second.complete, second.reason
    got = comments_in(result_json(second))
    assert {post: [c["id"] for c in comments] for post, comments in got.items()} == truth
    # Only the group's pages not yet stored are read again (the posts are all stored already).
    assert calls["messages.getHistory"] == 12 - 5
    assert "messages.getDiscussionMessage" not in calls


async def test_a_comment_telegram_counts_but_never_sends_makes_the_export_incomplete(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    channel = world.by_username("tech_notes_sandbox")
    truth = channel_truth(world)
    post = next(p for p, c in truth.items() if len(c) == 5)
    says = channel.rewrite  # type: ignore[union-attr]

    def one_more(c: Composed, h: int) -> None:
        says(c, h)  # type: ignore[misc]
        if c.kw["id"] == post:
            c.kw["replies"].replies += 1

    channel.rewrite = one_more  # type: ignore[union-attr]
    result = await export(client, tmp_path)
    assert not result.complete
    assert (
        result.reason is not None
        and "790 comments under the posts but the archive holds 789" in result.reason
    )
    assert result.manifest["comments"]["posts_short"] == [post]


async def test_the_group_history_read_in_ranges_at_once_puts_every_comment_under_its_post(
    client: TelegramClient, world: World, cluster: Cluster, network: NetworkModel, tmp_path: Path
) -> None:
    truth = channel_truth(world)
    # Ranges of 300 ids: a thread's forward and its comments often lie in different ranges, read
    # concurrently; the second range is stopped by a flood wait, then the export is resumed.
    network.add_fault(Fault("messages.getHistory", 3 + 2, error=RpcError(420, "FLOOD_WAIT_3600")))
    first = await export(client, tmp_path, shard_messages=300)
    assert not first.complete
    partial = comments_in(result_json(first))
    # What a stopped export delivers is exact as far as it goes: no comment under another post.
    assert all({c["id"] for c in cs} <= set(truth[p]) for p, cs in partial.items())
    second = await export(client, tmp_path, shard_messages=300)
    assert second.complete, second.reason
    got = comments_in(result_json(second))
    assert {post: [c["id"] for c in comments] for post, comments in got.items()} == truth
    # Ids 328 to 1598 (the oldest commented post's forward to the newest comment): 5 ranges of
    # about 254 ids, 3 pages each, and the getDiscussionMessage.
    assert second.manifest["comments"]["estimated_requests"]["history"] == 1 + 5 * 3


async def test_the_progress_says_comments_are_being_read(client: TelegramClient, tmp_path: Path) -> None:
    seen: list[tuple[str, ...]] = []
    resolved = await resolve_target(client, parse_target(CHANNEL))
    options = ExportOptions(comments=True)
    await export_chat(client, resolved, options, tmp_path, on_progress=lambda p: seen.append(p.active_topics))
    labels = [label for active in seen for label in active if label.startswith("comments")]
    assert labels and all(label.endswith(" messages read)") for label in labels)
    assert max(int(label.split("(")[1].split()[0].replace(",", "")) for label in labels) > 700


async def test_an_export_read_post_by_post_resumes_exactly(
    client: TelegramClient, world: World, cluster: Cluster, network: NetworkModel, tmp_path: Path
) -> None:
    truth = channel_truth(world)
    newest = sorted(truth)[-8:]
    # The third post's replies are refused for longer than the export waits.
    network.add_fault(Fault("messages.getReplies", 3, error=RpcError(420, "FLOOD_WAIT_3600")))
    first = await export(client, tmp_path, min_id=newest[0] - 1)
    assert not first.complete and first.manifest["comments"]["read_with"] == "replies"
    before = dict(cluster.calls)
    second = await export(client, tmp_path, min_id=newest[0] - 1)
    assert second.complete, second.reason
    got = comments_in(result_json(second))
    assert {p: [c["id"] for c in cs] for p, cs in got.items()} == {p: truth[p] for p in newest}
    # Only the posts whose replies were not stored are asked again.
    stored = _stored_posts(first)
    left = [p for p in newest if truth[p] and p not in stored]
    assert stored and left
    assert requests_since(cluster, before)["messages.getReplies"] == len(left)


def _stored_posts(result: ExportResult) -> set[int]:
    return {p for p, cs in comments_in(result_json(result)).items() if cs}


def test_the_comments_choice_survives_the_options_codec() -> None:
    chosen = ExportOptions(comments=True)
    assert ExportOptions.from_json(json.loads(json.dumps(chosen.to_json()))) == chosen
    assert chosen.identity()["comments"] is True
    # Exports without comments keep their identity, and so their work folders' names.
    assert "comments" not in ExportOptions().identity()


async def test_a_private_group_the_account_is_not_in_is_read_post_by_post(
    client: TelegramClient, world: World, cluster: Cluster, tmp_path: Path
) -> None:
    truth = channel_truth(world)
    group = world.by_username("tech_notes_chat_sandbox")
    # A private group (no username) the account is not in: its history is refused, replies are not.
    group.username, group.left = None, True  # type: ignore[union-attr]
    before = dict(cluster.calls)
    result = await export(client, tmp_path)
    calls = requests_since(cluster, before)
    assert result.complete, result.reason
    assert {p: [c["id"] for c in cs] for p, cs in comments_in(result_json(result)).items()} == truth
    plan = result.manifest["comments"]
    assert plan["read_with"] == "replies" and plan["estimated_requests"]["history"] is None
    assert calls["messages.getReplies"] == 94 and calls["messages.getHistory"] == 3
