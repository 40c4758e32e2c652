"""Files that misbehave as Telegram's do: expiring references, unavailable and stalling files, flood
waits on upload.getFile; real Telethon against the sandbox over TCP."""

from __future__ import annotations

import asyncio
import time

import pytest
from telethon import TelegramClient, errors
from telethon.tl import functions as F
from telethon.tl import types as T

from exporter.client import SessionFile, build_client
from sandbox.cluster import Cluster
from sandbox.netmodel import NetworkModel
from sandbox.world import FileFaults, FileSet, FileTruth, World, build_scenario, expected_files

GROUP = "media_small_sandbox"
MIB = 1 << 20


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


def pick(world: World, kind: str, *, dc: int = 2, least: int = 0) -> FileTruth:
    """A file of the group on ``dc``: one of its messages' own unless it is a custom emoji."""
    group = world.by_username(GROUP)
    return next(
        f
        for f in expected_files(world, group, thumbnails=False)
        if f.kind == kind
        and f.dc_id == dc
        and f.size > least
        and (kind == "custom_emoji" or f.file_id == world.file_id(group, f.msg_id))
    )


def location(message: object) -> T.InputDocumentFileLocation | T.InputPhotoFileLocation:
    if message.photo is not None:
        photo = message.photo
        return T.InputPhotoFileLocation(photo.id, photo.access_hash, photo.file_reference, "y")
    document = message.document
    return T.InputDocumentFileLocation(document.id, document.access_hash, document.file_reference, "")


async def part(client: TelegramClient, where: object, offset: int = 0, limit: int = 4096) -> bytes:
    return (await client(F.upload.GetFileRequest(where, offset=offset, limit=limit))).bytes


@pytest.mark.parametrize("kind", ["document", "photo"])
async def test_expired_reference_is_renewed_by_fetching_the_message(
    client: TelegramClient, world: World, kind: str
) -> None:
    """The third request with one reference fails with FILE_REFERENCE_EXPIRED; channels.getMessages
    then hands out a new reference, which works, while the old one stays dead."""
    world.file_faults = FileFaults(reference_uses=3)
    f = pick(world, kind)
    message = await client.get_messages(GROUP, ids=f.msg_id)
    old = location(message)
    await part(client, old)
    await part(client, old, 4096)
    with pytest.raises(errors.FileReferenceExpiredError):
        await part(client, old)
    with pytest.raises(errors.FileReferenceExpiredError):
        await part(client, old)
    again = await client.get_messages(GROUP, ids=f.msg_id)
    fresh = location(again)
    assert fresh.file_reference != old.file_reference
    assert len(await part(client, fresh)) == 4096
    with pytest.raises(errors.FileReferenceExpiredError):
        await part(client, old)
    assert world.file_faults.counts["references_expired"] == 3
    assert world.file_faults.counts["references_renewed"] == 1


async def test_a_reference_expires_after_its_time(client: TelegramClient, world: World) -> None:
    """Time-based expiry, on a fake clock; the private chat's messages come through messages.getMessages."""
    now = [1000.0]
    world.file_faults = FileFaults(reference_ttl=3600, clock=lambda: now[0])
    chat = next(c for c in world.chats.values() if c.kind == "private")
    f = next(f for f in expected_files(world, chat, thumbnails=False) if f.kind == "voice" and f.dc_id == 2)
    user = world.users[chat.bare_id]
    peer = T.InputPeerUser(user.id, user.access_hash)
    (message,) = await client.get_messages(peer, ids=[f.msg_id])
    old = location(message)
    now[0] += 3599
    await part(client, old)
    now[0] += 1
    with pytest.raises(errors.FileReferenceExpiredError):
        await part(client, old)
    # Fetched again before it expires, a reference stays what it was; after, it is new.
    (message,) = await client.get_messages(peer, ids=[f.msg_id])
    assert location(message).file_reference != old.file_reference
    await part(client, location(message))


async def test_history_hands_out_fresh_references_too(client: TelegramClient, world: World) -> None:
    world.file_faults = FileFaults(reference_uses=2)
    f = pick(world, "video")
    old = location(await client.get_messages(GROUP, ids=f.msg_id))
    await part(client, old)
    with pytest.raises(errors.FileReferenceExpiredError):
        await part(client, old)
    page = [m async for m in client.iter_messages(GROUP, min_id=f.msg_id - 1, max_id=f.msg_id + 1)]
    assert location(page[0]).file_reference != old.file_reference
    await part(client, location(page[0]))


async def test_custom_emoji_references_are_renewed_by_asking_for_the_documents(
    client: TelegramClient, world: World
) -> None:
    world.file_faults = FileFaults(reference_uses=2)
    f = pick(world, "custom_emoji")
    (document,) = await client(F.messages.GetCustomEmojiDocumentsRequest([f.file_id, 12345]))
    where = T.InputDocumentFileLocation(document.id, document.access_hash, document.file_reference, "")
    await part(client, where)
    with pytest.raises(errors.FileReferenceExpiredError):
        await part(client, where)
    (document,) = await client(F.messages.GetCustomEmojiDocumentsRequest([f.file_id]))
    assert document.file_reference != where.file_reference
    where.file_reference = document.file_reference
    await part(client, where)


async def test_references_must_be_the_files_own(client: TelegramClient, world: World) -> None:
    f, other = pick(world, "document"), pick(world, "photo")
    where = location(await client.get_messages(GROUP, ids=f.msg_id))
    theirs = location(await client.get_messages(GROUP, ids=other.msg_id)).file_reference
    for reference, error in [
        (b"", errors.FileReferenceEmptyError),
        (theirs, errors.FileReferenceInvalidError),
        (where.file_reference[:-1] + bytes([where.file_reference[-1] ^ 1]), errors.FileReferenceInvalidError),
    ]:
        with pytest.raises(error):
            await part(client, T.InputDocumentFileLocation(where.id, where.access_hash, reference, ""))
    # Without faults a file's reference never expires.
    for _ in range(5):
        await part(client, where)


def test_a_fraction_of_files_expire(world: World) -> None:
    world.file_faults = FileFaults(reference_uses=2, expiring=FileSet(fraction=0.3))
    files = {f.file_id: f for chat in world.chats.values() for f in expected_files(world, chat)}
    share = sum(f.reference_expires for f in files.values()) / len(files)
    assert 0.2 < share < 0.4
    with pytest.raises(ValueError, match="at least 2"):
        FileFaults(reference_uses=1)


@pytest.mark.parametrize(
    "name, error",
    [("LOCATION_INVALID", errors.LocationInvalidError), ("LOCATION_NOT_AVAILABLE", errors.BadRequestError)],
)
async def test_unavailable_files_are_refused_every_time(
    client: TelegramClient, world: World, name: str, error: type
) -> None:
    f = pick(world, "photo")
    world.file_faults = FileFaults(unavailable=FileSet(ids=frozenset({f.file_id})), unavailable_error=name)
    message = await client.get_messages(GROUP, ids=f.msg_id)
    assert message.photo.id == f.file_id, "the message itself is served as ever"
    for _ in range(2):
        with pytest.raises(error, match=name if error is errors.BadRequestError else None):
            await client.download_media(message, file=bytes)
    assert world.file_faults.counts["unavailable"] == 2
    other = pick(world, "document")
    assert (
        len(await client.download_media(await client.get_messages(GROUP, ids=other.msg_id), file=bytes))
        == other.size
    )


async def test_stalling_files_get_no_answer_for_a_while(client: TelegramClient, world: World) -> None:
    f = pick(world, "video", least=MIB)
    world.file_faults = FileFaults(
        stalling=FileSet(ids=frozenset({f.file_id})), stall_seconds=1.5, stall_at=MIB
    )
    where = location(await client.get_messages(GROUP, ids=f.msg_id))
    started = time.monotonic()
    await part(client, where, 0, MIB)  # before stall_at: answered at once
    assert time.monotonic() - started < 0.5
    # A client waiting for progress sees none...
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(part(client, where, MIB, 4096), 0.5)
    # ...and every part asked for meanwhile comes when the stall is over, not a stall later each.
    parts = await asyncio.gather(part(client, where, MIB, 4096), part(client, where, MIB + 4096, 4096))
    elapsed = time.monotonic() - started
    assert all(len(p) == 4096 for p in parts)
    assert 1.4 < elapsed < 2.5, elapsed
    started = time.monotonic()
    await part(client, where, MIB, 4096)
    assert time.monotonic() - started < 0.5, "after the stall the file answers again"
    assert world.file_faults.counts["stalled_requests"] == 3


@pytest.fixture
def network(request: pytest.FixtureRequest) -> NetworkModel:
    return NetworkModel(**getattr(request, "param", {}))


@pytest.mark.parametrize(
    "network, error",
    [
        ({"file_rate": 0.5, "file_burst": 2}, errors.FloodWaitError),
        (
            {"file_rate": 0.5, "file_burst": 2, "file_flood_error": "FLOOD_PREMIUM_WAIT"},
            errors.FloodPremiumWaitError,
        ),
    ],
    indirect=["network"],
)
async def test_getfile_has_a_flood_limit_of_its_own(
    cluster: Cluster, client: TelegramClient, world: World, network: NetworkModel, error: type
) -> None:
    f = pick(world, "document")
    where = location(await client.get_messages(GROUP, ids=f.msg_id))
    await part(client, where)
    await part(client, where)
    with pytest.raises(error) as refused:
        await part(client, where)
    assert refused.value.seconds >= 1
    assert cluster.stats()["flood_wait:upload.getFile"] == 1
    # History is not charged for file requests.
    await client.get_messages(GROUP, ids=f.msg_id)


async def test_cdn_supported_is_ignored(client: TelegramClient, world: World) -> None:
    """The sandbox has no CDN DCs: a client that says it supports them still gets the bytes."""
    f = pick(world, "document")
    where = location(await client.get_messages(GROUP, ids=f.msg_id))
    answer = await client(F.upload.GetFileRequest(where, offset=0, limit=4096, cdn_supported=True))
    assert isinstance(answer, T.upload.File) and len(answer.bytes) == min(4096, f.size)


async def test_media_faults_scenario() -> None:
    """The scenario's truth names its misbehaving files, and upload.getFile does what it says."""
    world = build_scenario("media-faults")
    group = world.by_username(GROUP)
    files = [f for chat in world.chats.values() for f in expected_files(world, chat, thumbnails=False)]
    assert sum(f.fault == "unavailable" for f in files) >= 2 and sum(f.fault == "stalls" for f in files) >= 2
    assert 0.2 < sum(f.reference_expires for f in files) / len(files) < 0.5
    TelegramClient._config = None
    async with Cluster(world) as cluster:
        client = build_client(
            SessionFile.from_payload(cluster.session_file_payload(cluster.session_string()))
        )
        async with client:
            for f in (f for f in files if f.fault and f.chat_id == group.peer_id):
                message = await client.get_messages(GROUP, ids=f.msg_id)
                if f.fault == "unavailable":
                    with pytest.raises(errors.LocationInvalidError):
                        await client.download_media(message, file=bytes)
                else:
                    with pytest.raises(TimeoutError):
                        await asyncio.wait_for(client.download_media(message, file=bytes), 0.5)
    TelegramClient._config = None
