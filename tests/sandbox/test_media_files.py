"""Media scenarios: every kind of file, real bytes on two DCs, and ground truth that real Telethon
downloads match byte for byte."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections import Counter

import pytest
from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from sandbox.cluster import Cluster
from sandbox.world import World, build_scenario, expected_file, expected_files, file_sha256
from sandbox.world.hostile import FILE_NAMES
from sandbox.world.media import EMOJI_FIRST, is_custom_emoji

MIB = 1 << 20


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


def files_of(world: World) -> list:
    return [f for chat in world.chats.values() for f in expected_files(world, chat)]


def test_media_small_holds_every_kind_on_both_dcs(world: World) -> None:
    files = files_of(world)
    kinds = Counter(f.kind for f in files)
    for kind in ("photo", "video", "voice", "round", "gif", "audio", "document", "sticker", "custom_emoji"):
        assert kinds[kind] >= 2, f"media-small has {kinds[kind]} {kind} files"
    assert kinds["thumbnail"] >= kinds["photo"] * 2, "every photo comes in three sizes"
    assert {f.dc_id for f in files} == {2, 4}
    assert any(f.size > MIB for f in files), "a file must span several 1 MiB windows"
    # The same document and the same photo are posted again and again; stickers recur too.
    posted = Counter((f.file_id, f.kind) for f in files if f.thumb == "")
    assert {kind for (_, kind), n in posted.items() if n >= 3} >= {
        "document",
        "photo",
        "sticker",
        "custom_emoji",
    }
    names = {f.name for f in files if f.kind == "document"}
    assert None in names, "some documents are sent without a file name"
    hostile = names & set(FILE_NAMES)
    assert len(hostile) >= 3 and any("/" in name or "\\" in name for name in hostile), hostile
    contacts = 0
    group = world.by_username("media_small_sandbox")
    for msg_id in group.slots:
        media = getattr(world.message(group, msg_id), "media", None)
        contacts += isinstance(media, T.MessageMediaContact)
    assert contacts >= 2


def test_messages_describe_their_files_as_telegram_does(world: World) -> None:
    """Voice, round, GIF and sticker documents carry the attributes clients sort them by."""
    group = world.by_username("media_small_sandbox")
    seen: Counter[str] = Counter()
    for f in expected_files(world, group, thumbnails=False):
        media = world.message(group, f.msg_id).media
        if f.kind == "photo":
            sizes = [s for s in media.photo.sizes if not isinstance(s, T.PhotoStrippedSize)]
            assert [s.type for s in sizes] == ["m", "x", "y"]
            continue
        if f.kind == "custom_emoji":
            continue
        attributes = {type(a) for a in media.document.attributes}
        if f.kind == "voice":
            assert media.voice and T.DocumentAttributeAudio in attributes
        elif f.kind == "round":
            video = next(a for a in media.document.attributes if isinstance(a, T.DocumentAttributeVideo))
            assert video.round_message and media.round
        elif f.kind == "gif":
            assert T.DocumentAttributeAnimated in attributes
        elif f.kind == "sticker":
            assert T.DocumentAttributeSticker in attributes
        elif f.kind == "video":
            assert media.video and media.document.thumbs
        assert media.document.size == f.size and media.document.dc_id == f.dc_id
        seen[f.kind] += 1
    assert set(seen) >= {"voice", "round", "gif", "sticker", "video", "document", "audio"}


async def test_telethon_downloads_match_the_truth(
    cluster: Cluster, client: TelegramClient, world: World
) -> None:
    """Real Telethon downloads every distinct file of media-small (main files of both DCs, thumbnails,
    custom emoji) over TCP, and each one's SHA-256 is the ground truth's."""
    group = world.by_username("media_small_sandbox")
    messages = {m.id: m async for m in client.iter_messages("media_small_sandbox", limit=None, wait_time=0)}
    done: set[tuple[int, str]] = set()
    checked: Counter[str] = Counter()
    for f in expected_files(world, group):
        if (f.file_id, f.thumb) in done:
            continue
        done.add((f.file_id, f.thumb))
        if f.kind == "custom_emoji":
            (document,) = await client(F.messages.GetCustomEmojiDocumentsRequest([f.file_id]))
            data = await client.download_file(
                T.InputDocumentFileLocation(document.id, document.access_hash, document.file_reference, ""),
                bytes,
            )
        elif f.thumb:
            message = messages[f.msg_id]
            media = message.photo or message.document
            sizes = media.sizes if message.photo else media.thumbs
            thumb = next(s for s in sizes if getattr(s, "type", "") == f.thumb)
            data = await client.download_media(message, file=bytes, thumb=thumb)
        else:
            data = await client.download_media(messages[f.msg_id], file=bytes)
        assert len(data) == f.size, (f.kind, f.thumb)
        assert hashlib.sha256(data).hexdigest() == f.sha256, (f.kind, f.thumb, f.file_id)
        checked[f"dc{f.dc_id}"] += 1
        checked[f.kind] += 1
    assert checked["dc4"] >= 5 and checked["custom_emoji"] >= 2 and checked["thumbnail"] >= 10
    # Files on DC 4 went through an exported authorization, as Telegram requires (FILE_MIGRATE_4).
    assert cluster.calls["auth.importAuthorization"] >= 1
    assert cluster.stats()["file_bytes:dc4"] > 0


def test_truth_is_the_bytes_served_whatever_the_part_size(world: World) -> None:
    group = world.by_username("media_small_sandbox")
    f = max(expected_files(world, group, thumbnails=False), key=lambda f: f.size)
    blob = world.blob(f.file_id)
    assert blob is not None
    for part in (4096, 128 * 1024, MIB):
        data = b"".join(blob.read(offset, part) for offset in range(0, f.size, part))
        assert hashlib.sha256(data).hexdigest() == f.sha256
    assert expected_file(world, f.file_id) == (f.size, f.sha256)
    # Different files, and a file's parts, never repeat each other's bytes.
    assert blob.read(0, 4096) != blob.read(65536, 4096)
    with pytest.raises(KeyError):
        expected_file(world, f.file_id ^ 1)


def test_custom_emoji_are_documents_of_their_own() -> None:
    world = build_scenario("media-small")
    emoji = [f for f in files_of(world) if f.kind == "custom_emoji"]
    assert all(is_custom_emoji(f.file_id) for f in emoji)
    # The same ids in every world, as a public pack's; bytes may differ by world, sizes are the files'.
    other = build_scenario("media-small", seed=2)
    assert other.file_plan(emoji[0].file_id) is not None
    assert world.file_plan(EMOJI_FIRST - 1) is None


def test_large_files_are_lazy() -> None:
    """media-large's 200 MB video: a part from its middle costs what a part costs, and hashing the
    whole file never holds more than a part."""
    world = build_scenario("media-large")
    (chat,) = world.chats.values()
    (f,) = expected_files(world, chat, thumbnails=False)
    assert (f.kind, f.size) == ("video", 200_000_000)
    blob = world.blob(f.file_id)
    assert blob is not None
    tail = blob.read(f.size - f.size % MIB, MIB)
    assert len(tail) == f.size % MIB and blob.read(f.size, MIB) == b""
    # No two 64 KiB blocks of the file start alike: a part written at another part's place shows.
    heads = {blob.read(offset, 64) for offset in range(0, f.size, blob.BLOCK)}
    assert len(heads) == -(-f.size // blob.BLOCK)
    tracemalloc.start()
    digest = file_sha256(world, f.file_id)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(digest) == 64
    assert peak < 8 * MIB, f"hashing the file held {peak / MIB:.1f} MiB at once"


def test_bench_scenarios_have_their_sizes() -> None:
    many = build_scenario("media-many")
    photos = files_of(many)
    assert {f.kind for f in photos} == {"photo", "thumbnail"}
    main = [f for f in photos if f.kind == "photo"]
    assert len(main) >= 3_000 and max(f.size for f in main) < 100_000
    media = build_scenario("media")
    files = [f for f in files_of(media) if f.thumb == ""]
    kinds = Counter(f.kind for f in files)
    assert kinds["photo"] >= 2_000 and kinds["voice"] >= 50 and kinds["round"] >= 20
    big = sorted(f.size for f in files if f.kind == "video")[-2:]
    assert big == [300 * MIB, 500 * MIB]
