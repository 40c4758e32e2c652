"""The media engine against the sandbox over TCP, with real Telethon: every file's bytes, files on
another DC, expiring references, unavailable and stalling files, flood waits on upload.getFile."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from telethon import TelegramClient
from telethon.tl import functions as F

from exporter.media import (
    Downloaded,
    FileSpec,
    MediaDownloader,
    MediaSettings,
    MessageRef,
    Outcome,
    Stalled,
    Unavailable,
    location_of,
)
from exporter.timing import MEDIA, PhaseClock
from sandbox.cluster import Cluster
from sandbox.netmodel import NetworkModel
from sandbox.world import FileFaults, FileTruth, World, build_scenario, expected_files

GROUP = "media_small_sandbox"


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


async def specs_for(
    client: TelegramClient, world: World, files: list[FileTruth], out: Path, *, dc_id: int | None = None
) -> list[tuple[FileSpec, FileTruth]]:
    """A FileSpec for each file of the truth, built from the messages as a client receives them
    (custom emoji documents from messages.getCustomEmojiDocuments); ``dc_id`` overrides the DC."""
    pairs = []
    messages: dict[tuple[int, int], object] = {}
    for f in files:
        if f.kind == "custom_emoji":
            (media,) = await client(F.messages.GetCustomEmojiDocumentsRequest([f.file_id]))
            ref = None
        else:
            chat = world.chats[next(k for k, c in world.chats.items() if c.peer_id == f.chat_id)]
            peer = await client.get_input_entity(chat.username or chat.peer_id)
            if (f.chat_id, f.msg_id) not in messages:
                messages[(f.chat_id, f.msg_id)] = await client.get_messages(peer, ids=f.msg_id)
            message = messages[(f.chat_id, f.msg_id)]
            media = message.photo or message.document
            ref = MessageRef(peer, f.msg_id)
        found = location_of(media, f.thumb)
        assert found is not None, f
        location, dc, size = found
        assert (dc, size) == (f.dc_id, f.size)
        dest = out / location.key.replace(":", "_")
        pairs.append((FileSpec(location.key, location, dc_id or dc, size, dest, ref), f))
    return pairs


def all_files(world: World, **kw: bool) -> list[FileTruth]:
    unique = {}
    for chat in world.chats.values():
        for f in expected_files(world, chat, **kw):
            unique.setdefault((f.file_id, f.thumb), f)
    return list(unique.values())


async def run(
    engine: MediaDownloader, pairs: list[tuple[FileSpec, FileTruth]]
) -> dict[str, tuple[FileSpec, Outcome]]:
    outcomes: dict[str, tuple[FileSpec, Outcome]] = {}

    def done(spec: FileSpec, outcome: Outcome) -> None:
        assert spec.key not in outcomes, "one outcome per spec"
        outcomes[spec.key] = (spec, outcome)

    await engine.download_all([spec for spec, _ in pairs], done)
    assert len(outcomes) == len(pairs)
    return outcomes


def check_bytes(outcome: Outcome, f: FileTruth) -> None:
    assert isinstance(outcome, Downloaded), (f, outcome)
    assert (outcome.size, outcome.sha256) == (f.size, f.sha256)
    assert outcome.path.stat().st_size == f.size
    assert outcome.path.stat().st_mode & 0o777 == 0o600, "the owner's alone, as every file of an export"
    assert not outcome.path.with_name(outcome.path.name + ".part").exists()
    assert not outcome.path.with_name(outcome.path.name + ".part.log").exists()


async def test_every_file_of_media_small_is_byte_identical(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    """Every photo size, document, thumbnail and custom emoji of media-small, on both DCs, with the
    SHA-256 the sandbox serves; none of it over the client's own (history) connection."""
    files = all_files(world)
    pairs = await specs_for(client, world, files, tmp_path)
    assert {f.dc_id for f in files} == {2, 4} and any(f.size > 1 << 20 for f in files)
    sent_home: list[str] = []
    send = client._sender.send

    def spy(request: object, ordered: bool = False) -> object:
        inner = request
        while hasattr(inner, "query"):  # invokeWithoutUpdates(...) and other wrappers
            inner = inner.query
        sent_home.append(type(inner).__name__)
        return send(request, ordered)

    client._sender.send = spy
    clock = PhaseClock()
    async with MediaDownloader(client, clock) as engine:
        outcomes = await run(engine, pairs)
        assert len(engine.connections.senders()) >= 2, "a connection to each DC"
    for spec, f in pairs:
        check_bytes(outcomes[spec.key][1], f)
    progress = engine.progress
    assert progress.files_downloaded == progress.files_total == len(files)
    assert progress.bytes_done == progress.bytes_fetched == progress.bytes_total == sum(f.size for f in files)
    assert not any("GetFile" in name for name in sent_home), "file parts went over the history connection"
    assert cluster.stats()["file_bytes:dc4"] > 0
    assert clock.phases[MEDIA] > 0 and clock.report(0).requests.count == 0
    assert engine.clock.report(0).requests.count == progress.parts_fetched


async def test_a_file_is_followed_to_the_dc_it_lives_on(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    """Told the wrong DC, the engine gets FILE_MIGRATE_4 and goes there with an exported authorization."""
    files = [f for f in all_files(world, thumbnails=False) if f.dc_id == 4][:3]
    pairs = await specs_for(client, world, files, tmp_path, dc_id=2)
    async with MediaDownloader(client, PhaseClock()) as engine:
        outcomes = await run(engine, pairs)
    for spec, f in pairs:
        check_bytes(outcomes[spec.key][1], f)
    assert engine.progress.migrations == len(files)
    assert cluster.calls["auth.importAuthorization"] == 1


@pytest.mark.parametrize("world", [build_scenario("media-faults")], ids=["media-faults"])
async def test_faults_end_in_outcomes_and_the_rest_downloads(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    """media-faults: two files are refused, two stall for ten minutes, a third of the references
    expire (on their third use in the scenario; here also an hour after they were handed out, and the
    hour passes before the download starts, as on a long export: so photos' references expire too).
    The stalls are given up on after 1.5 s without progress, and everything else downloads byte for
    byte, alongside."""
    now = [1000.0]
    world.file_faults.clock = lambda: now[0]
    world.file_faults.reference_ttl = 3600
    files = all_files(world, thumbnails=False)
    pairs = await specs_for(client, world, files, tmp_path)
    now[0] += 3600
    expiring = [f for f in files if f.reference_expires and not f.fault]
    assert {f.kind for f in expiring} >= {"photo", "video", "document"}
    started = time.monotonic()
    settings = MediaSettings(stall_seconds=1.5)
    async with MediaDownloader(client, PhaseClock(), settings) as engine:
        outcomes = await asyncio.wait_for(run(engine, pairs), 60)
    elapsed = time.monotonic() - started
    for spec, f in pairs:
        outcome = outcomes[spec.key][1]
        if f.fault == "unavailable":
            assert outcome == Unavailable("LOCATION_INVALID"), f
        elif f.fault == "stalls":
            assert isinstance(outcome, Stalled), (f, outcome)
            assert outcome.reason.startswith(
                "no progress for 1.5 s while parts asked for later were answered"
            )
        else:
            check_bytes(outcome, f)
    progress = engine.progress
    assert progress.files_unavailable == 2 and progress.files_stalled == 2
    assert progress.references_refreshed >= len(expiring) > 0
    assert world.file_faults.counts["references_expired"] > 0
    assert progress.bytes_done == progress.bytes_total
    # The stalls run alongside the rest: the whole takes about one stall, not two, and never ten minutes.
    assert elapsed < 15, elapsed


@pytest.mark.parametrize("network", [NetworkModel(file_rate=40, file_burst=10)], ids=["file-flood"])
async def test_flood_waits_on_files_are_slept_and_counted_by_our_scheduler(
    cluster: Cluster, client: TelegramClient, world: World, network: NetworkModel, tmp_path: Path
) -> None:
    """upload.getFile over its flood limit: every refusal reaches our scheduler (Telethon sleeps none),
    is slept, and shows in the export's clock as a flood wait; every file still arrives whole."""
    files = all_files(world, thumbnails=False)
    pairs = await specs_for(client, world, files, tmp_path)
    clock = PhaseClock()
    waits = []
    async with MediaDownloader(client, clock, on_flood_wait=waits.append) as engine:
        outcomes = await asyncio.wait_for(run(engine, pairs), 120)
    for spec, f in pairs:
        check_bytes(outcomes[spec.key][1], f)
    refused = network.flood_waits["upload.getFile"]
    assert refused > 0
    assert clock.flood.count >= refused and clock.flood.waits >= 1
    assert clock.flood.waited_wall >= 1.0
    assert waits and all(w.method == "GetFileRequest" for w in waits)
    assert engine.clock.flood.count == clock.flood.count


async def test_a_stale_reference_of_a_photo_and_of_a_custom_emoji_is_renewed(
    cluster: Cluster, client: TelegramClient, world: World, tmp_path: Path
) -> None:
    """References that expired before the download started, and then serve one request each: a
    photo's renewed through channels.getMessages, a custom emoji's through
    messages.getCustomEmojiDocuments, a private chat's file through messages.getMessages, a 2-part
    video's twice."""
    now = [1000.0]
    world.file_faults = FileFaults(reference_uses=2, reference_ttl=3600, clock=lambda: now[0])
    files = all_files(world, thumbnails=False)
    picked = [
        next(f for f in files if f.kind == "photo"),
        next(f for f in files if f.kind == "custom_emoji"),
        next(f for f in files if f.kind == "video" and f.size > 1 << 20),
        next(
            f
            for f in files
            if f.chat_id == next(c.peer_id for c in world.chats.values() if c.kind == "private")
        ),
    ]
    pairs = await specs_for(client, world, picked, tmp_path)
    now[0] += 3600
    async with MediaDownloader(client, PhaseClock(), MediaSettings(parts_per_file=1)) as engine:
        outcomes = await run(engine, pairs)
    for spec, f in pairs:
        check_bytes(outcomes[spec.key][1], f)
    assert cluster.calls["channels.getMessages"] >= 2
    assert cluster.calls["messages.getCustomEmojiDocuments"] >= 2
    assert cluster.calls["messages.getMessages"] >= 1
    assert engine.progress.references_refreshed == len(picked) + 1


async def test_a_file_whose_message_is_gone_is_unavailable(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    """The reference expires and the message no longer holds the file: Unavailable, with the reason."""
    now = [1000.0]
    world.file_faults = FileFaults(reference_ttl=3600, clock=lambda: now[0])
    f = next(f for f in all_files(world, thumbnails=False) if f.kind == "document")
    ((spec, _f),) = await specs_for(client, world, [f], tmp_path)
    now[0] += 3600
    gone = FileSpec(
        spec.key, spec.location, spec.dc_id, spec.size, spec.dest, MessageRef(spec.msg_ref.peer, f.msg_id + 1)
    )
    async with MediaDownloader(client, PhaseClock(), MediaSettings(parts_per_file=1)) as engine:
        outcome = await engine.download(gone)
    assert outcome == Unavailable("FILE_REFERENCE_EXPIRED; the message no longer holds the file")


@pytest.mark.parametrize("network", [NetworkModel(bandwidth=1e6)], ids=["1MB/s"])
async def test_a_slow_link_is_not_a_stall(client: TelegramClient, world: World, tmp_path: Path) -> None:
    """One connection per DC at 1 MB/s with 4 MiB in flight: a part waits up to four seconds behind
    the others, longer than the 1 s stall limit, but nothing asked for later is answered before it,
    so no file is given up on."""
    files = sorted(all_files(world, thumbnails=False), key=lambda f: -f.size)[:6]
    pairs = await specs_for(client, world, files, tmp_path)
    settings = MediaSettings(connections_per_dc=1, stall_seconds=1.0)
    started = time.monotonic()
    async with MediaDownloader(client, PhaseClock(), settings) as engine:
        outcomes = await run(engine, pairs)
    for spec, f in pairs:
        check_bytes(outcomes[spec.key][1], f)
    assert time.monotonic() - started > 3 * settings.stall_seconds, "the link was slow enough to matter"


async def test_the_dc_addresses_are_learnt_once_while_history_is_read(
    cluster: Cluster, client: TelegramClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export asks help.getConfig beside its reading (exporter/media/connections.py
    learn_dc_addresses), so the media stage finds the DCs' addresses known and a file on another DC
    costs one round trip less; once per process."""
    from exporter import export
    from exporter.media.connections import learn_dc_addresses
    from exporter.options import ExportOptions
    from exporter.targets import parse_target, resolve_target

    known_when_files_start: list[bool] = []
    media_stage = export.media_stage

    async def watched(*args: object, **kwargs: object) -> object:
        known_when_files_start.append(bool(TelegramClient._config))
        return await media_stage(*args, **kwargs)

    monkeypatch.setattr(export, "media_stage", watched)
    TelegramClient._config = None
    target = await resolve_target(client, parse_target(f"@{GROUP}"))
    # Telethon's connect asks it too, inside initConnection, and keeps nothing of the answer.
    before = cluster.calls["help.getConfig"]
    await export.export_chat(client, target, ExportOptions(formats=("json",)), tmp_path)
    assert known_when_files_start == [True]
    asked = cluster.calls["help.getConfig"]
    assert asked == before + 1
    await learn_dc_addresses(client)
    assert cluster.calls["help.getConfig"] == asked
