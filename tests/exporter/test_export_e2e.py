"""The whole export against the sandbox with the real Telethon client, checked against ground truth."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from telethon import TelegramClient

from exporter.export import ExportResult, export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.world import Chat, World, expected_files, expected_messages


async def run_export(client: TelegramClient, target: str, out: Path, **options: object) -> ExportResult:
    resolved = await resolve_target(client, parse_target(target))
    return await export_chat(client, resolved, ExportOptions(**options), out)


def archive_files(result: ExportResult) -> zipfile.ZipFile:
    assert len(result.parts) == 1
    return zipfile.ZipFile(result.parts[0].path)


def exported(result: ExportResult) -> list[dict]:
    with archive_files(result) as zf:
        return json.loads(zf.read("result.json"))["messages"]


def target_of(chat: Chat) -> str:
    if chat.kind == "saved":
        return "me"
    return f"@{chat.username}" if chat.username else str(chat.peer_id)


@pytest.mark.parametrize("kind", ["saved", "private", "group", "supergroup", "channel", "forum"])
async def test_every_chat_kind_exports_every_message_once_in_order(
    client: TelegramClient, world: World, tmp_path: Path, kind: str
) -> None:
    chat = max((c for c in world.chats.values() if c.kind == kind and not c.left), key=lambda c: len(c.slots))
    await client.get_dialogs(limit=None)
    result = await run_export(client, target_of(chat), tmp_path)
    messages = exported(result)
    got = [(m["id"], m.get("topic_id")) for m in messages]
    assert got == list(expected_messages(world, chat))
    assert result.complete and result.reason is None
    manifest = result.manifest
    assert manifest["complete"] is True
    assert manifest["messages"]["written"] == len(got) == manifest["messages"]["expected"]
    if kind == "forum":
        for topic in manifest["topics"]:
            assert (
                topic["written"]
                == topic["expected"]
                == len(list(expected_messages(world, chat, topic["id"])))
            )


async def test_manifest_checksums_match_the_files(client: TelegramClient, tmp_path: Path) -> None:
    import hashlib

    result = await run_export(client, "@project_forum_sandbox", tmp_path, formats=("json", "html", "md"))
    with archive_files(result) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist()) - {"manifest.json"}
        assert names == set(manifest["files"])
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest
    assert manifest["timing"]["messages"] == result.report.messages


async def test_ranges_last_n_and_topic_subset(client: TelegramClient, world: World, tmp_path: Path) -> None:
    chat = world.by_username("daily_digest_sandbox")
    every = [msg_id for msg_id, _ in expected_messages(world, chat)]

    result = await run_export(client, "@daily_digest_sandbox", tmp_path, last=37)
    assert [m["id"] for m in exported(result)] == every[-37:]

    low, high = every[50], every[120]
    result = await run_export(client, "@daily_digest_sandbox", tmp_path, min_id=low, max_id=high)
    assert [m["id"] for m in exported(result)] == [i for i in every if low < i < high]

    since = dt.datetime.fromtimestamp(world.date_of(chat, every[200]), dt.UTC)
    until = dt.datetime.fromtimestamp(world.date_of(chat, every[300]), dt.UTC)
    result = await run_export(client, "@daily_digest_sandbox", tmp_path, since=since, until=until)
    dates = {i: world.date_of(chat, i) for i in every}
    want = [i for i in every if since.timestamp() <= dates[i] < until.timestamp()]
    assert [m["id"] for m in exported(result)] == want

    forum = world.by_username("project_forum_sandbox")
    topics = sorted(forum.topics)[1:3]
    result = await run_export(client, "@project_forum_sandbox", tmp_path, topics=tuple(topics))
    want = sorted(pair for t in topics for pair in expected_messages(world, forum, t))
    assert [(m["id"], m["topic_id"]) for m in exported(result)] == want


async def test_topic_link_exports_one_topic(client: TelegramClient, world: World, tmp_path: Path) -> None:
    forum = world.by_username("project_forum_sandbox")
    topic = sorted(forum.topics)[2]
    result = await run_export(client, f"https://t.me/project_forum_sandbox/{topic}", tmp_path)
    assert [(m["id"], m["topic_id"]) for m in exported(result)] == list(
        expected_messages(world, forum, topic)
    )


async def test_export_survives_a_dropped_connection(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    from sandbox.netmodel import parse_fault

    cluster.network.add_fault(parse_fault("messages.getHistory@3=drop"))
    chat = world.by_username("daily_digest_sandbox")
    result = await run_export(client, "@daily_digest_sandbox", tmp_path)
    assert [m["id"] for m in exported(result)] == [i for i, _ in expected_messages(world, chat)]


async def test_a_telegram_error_mid_export_gives_a_partial_archive(
    cluster: Cluster, client: TelegramClient, tmp_path: Path
) -> None:
    from sandbox.netmodel import parse_fault

    cluster.network.add_fault(parse_fault("messages.getHistory@4=400:CHANNEL_PRIVATE*100"))
    result = await run_export(client, "@daily_digest_sandbox", tmp_path)
    assert not result.complete
    assert "no access" in result.reason
    assert result.parts[0].path.name.endswith(".PARTIAL.zip")
    with archive_files(result) as zf:
        assert json.loads(zf.read("manifest.json"))["complete"] is False


@pytest.mark.parametrize("helper", [False, True], ids=["one-process", "with-helper"])
async def test_html_of_a_real_forum_export_opens_and_every_internal_link_resolves(
    client: TelegramClient, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper: bool
) -> None:
    """With the helper (exporter/render/forum_split.py) forced on for this small forum, a second
    process writes the later topics' pages, and the site is as whole."""
    from exporter.render import forum_split
    from tests.exporter.test_render_html import parse_site

    answers = helper_answers(monkeypatch)
    monkeypatch.setattr(forum_split, "HELPER_FROM", 1 if helper else 10**9)
    result = await run_export(client, "@project_forum_sandbox", tmp_path / "out", formats=("html",))
    assert [a is not None for a in answers] == ([True] if helper else [])
    site = tmp_path / "site"
    with archive_files(result) as zf:
        zf.extractall(site)
    pages = parse_site(site)
    forum = world.by_username("project_forum_sandbox")
    assert (site / "index.html") in pages and len(pages) > len(forum.topics)
    shown = sorted(msg_id for page in pages.values() for msg_id in page.message_ids)
    assert shown == [msg_id for msg_id, _ in expected_messages(world, forum)]
    assert internal_links(pages) > 20  # navigation, topic index and reply links


def helper_answers(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What the export's rendering helper answers (None: it failed), as it answers."""
    from exporter.render import forum_split

    answers: list[object] = []
    answer = forum_split.RenderHelper.answer

    def watched(self: forum_split.RenderHelper) -> object:
        answers.append(answer(self))
        return answers[-1]

    monkeypatch.setattr(forum_split.RenderHelper, "answer", watched)
    return answers


def internal_links(pages: dict[Path, Any]) -> int:
    """Checks that every link between the pages (and to their anchors) resolves; returns how many."""
    from urllib.parse import unquote, urlsplit

    internal = 0
    for path, page in pages.items():
        for _tag, _attribute, value in page.links:
            parts = urlsplit(value)
            if parts.scheme:  # links inside message texts (https:, mailto:, tg:)
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.is_file(), f"{value} in {path} points nowhere"
            if parts.fragment:
                assert parts.fragment in pages[target].ids, f"{value} in {path}: no such anchor"
            internal += 1
    return internal


async def test_a_large_channels_later_pages_written_by_the_helper_open_and_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 100,000-message channel in HTML: the helper (exporter/render/chat_split.py) writes 60 of
    its 100 pages, and the site shows every message once, in order, every internal link resolving.
    Its custom emoji stickers (downloaded whatever the media settings) had their documents asked and
    their DCs authorized while the last pages were read (exporter/media/warmup.py), once each."""
    from exporter.client import SessionFile, build_client
    from sandbox.world import build_scenario
    from tests.exporter.test_render_html import parse_site

    answers = helper_answers(monkeypatch)
    world = build_scenario("channel-large")
    TelegramClient._config = None
    async with Cluster(world) as running:
        client = build_client(
            SessionFile.from_payload(running.session_file_payload(running.session_string()))
        )
        async with client:
            result = await run_export(
                client, "@large_channel_sandbox", tmp_path / "out", formats=("html",), media=()
            )
    assert result.complete, result.reason
    channel = world.by_username("large_channel_sandbox")
    log = running.request_log
    last_page = max(i for i, method in enumerate(log) if method == "messages.getHistory")
    emoji = {f.file_id: f for f in expected_files(world, channel) if f.kind == "custom_emoji"}
    foreign = {f.dc_id for f in emoji.values()} - {running.home_dc}
    assert foreign, "the channel has emoji on another DC"
    imports = [i for i, method in enumerate(log) if method == "auth.importAuthorization"]
    assert len(imports) == len(foreign) and max(imports) < last_page, "each DC authorized once, while reading"
    asked = [i for i, method in enumerate(log) if method == "messages.getCustomEmojiDocuments"]
    assert asked and asked[0] < last_page
    with archive_files(result) as zf:
        stickers = [n for n in zf.namelist() if n.startswith("stickers/")]
    assert len(stickers) == len(emoji)
    [part] = answers
    assert part is not None and len(part.written) == 60  # type: ignore[attr-defined]
    site = tmp_path / "site"
    with archive_files(result) as zf:
        zf.extractall(site)
    pages = parse_site(site)
    order = sorted(pages, key=lambda path: int(path.stem.removeprefix("messages") or 1))
    shown = [msg_id for path in order for msg_id in pages[path].message_ids]
    assert shown == [msg_id for msg_id, _ in expected_messages(world, channel)]
    assert internal_links(pages) > 2 * 99  # each page's previous and next, and the replies


async def test_forum_large_exports_every_message_once_in_its_topic(tmp_path: Path) -> None:
    """The 150-topic, 100,000-message forum, message for message against ground truth."""
    from exporter.client import SessionFile, build_client
    from sandbox.world import build_scenario

    big = build_scenario("forum-large")
    TelegramClient._config = None
    async with Cluster(big) as running:
        client = build_client(
            SessionFile.from_payload(running.session_file_payload(running.session_string()))
        )
        async with client:
            # Messages only: the forum's photos would make this a media test.
            result = await run_export(client, "@big_forum_sandbox", tmp_path, formats=("json",), media=())
    forum = big.by_username("big_forum_sandbox")
    assert ids_of(exported(result)) == list(expected_messages(big, forum))
    assert len(result.manifest["topics"]) == 150
    assert all(t["written"] == t["expected"] for t in result.manifest["topics"])


def ids_of(messages: list[dict]) -> list[tuple[int, int | None]]:
    return [(m["id"], m.get("topic_id")) for m in messages]


async def test_takeout_export_and_its_confirmation_delay(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    from exporter.errors import ExportError
    from sandbox.netmodel import parse_fault

    cluster.confirm_takeout()
    result = await run_export(client, "@daily_digest_sandbox", tmp_path, takeout=True)
    chat = world.by_username("daily_digest_sandbox")
    assert ids_of(exported(result)) == list(expected_messages(world, chat))
    assert list(cluster.state.takeouts.values()) == ["success"]
    assert cluster.home.stats["connections"] >= 1

    cluster.network.add_fault(parse_fault("account.initTakeoutSession=420:TAKEOUT_INIT_DELAY_86400"))
    with pytest.raises(ExportError, match=r"confirmed first.*1 d 0 h"):
        await run_export(client, "@daily_digest_sandbox", tmp_path / "again", takeout=True)
    assert not (tmp_path / "again").exists() or not list((tmp_path / "again").glob("*.zip"))


async def test_under_a_flood_limit_few_requests_are_refused_and_nothing_is_lost(tmp_path: Path) -> None:
    """Telegram's limit (here 20 requests/s, a burst of 10) is found by the first refusals, then
    paced below; the export stays exact, and refusals are a handful, not one per request.

    The limit is low enough for a loaded machine to reach it: the sandbox runs in this process, and
    at 40 requests/s and load 5-8 the export never asked that fast, so nothing was refused."""
    from exporter.client import SessionFile, build_client
    from sandbox.netmodel import NetworkModel
    from sandbox.world import build_scenario

    big = build_scenario("channel-large")
    TelegramClient._config = None
    network = NetworkModel(latency=0.02, rate=20, burst=10)
    async with Cluster(big, network=network) as running:
        client = build_client(
            SessionFile.from_payload(running.session_file_payload(running.session_string()))
        )
        async with client:
            result = await run_export(
                client, "@large_channel_sandbox", tmp_path, formats=("json",), min_id=85_000
            )
    channel = big.by_username("large_channel_sandbox")
    assert ids_of(exported(result)) == [pair for pair in expected_messages(big, channel) if pair[0] > 85_000]
    refused = sum(network.flood_waits.values())
    # Refused are the requests in flight together when the burst ran out (slow start doubles per
    # round trip, so up to one window of max_concurrency 32; 13-16 seen since 86025bf, 12 or fewer
    # before it), then a few probes while paced: never one per request.
    assert 0 < refused <= 32, f"{refused} refused requests for about 150"
    flood = result.report.flood
    assert flood.count == refused
    assert 1 <= flood.waits <= 4, "refusals of requests in flight together are one wait"
