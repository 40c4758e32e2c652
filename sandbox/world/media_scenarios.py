"""The media scenarios: files of every kind, at the sizes the benchmarks and the CI need.

Each is a world of the ordinary builder whose chats are made media chats (sandbox.world.media.attach).
Sizes are bytes; "MB" in a description is 10^6 bytes, MiB 2^20.
"""

from __future__ import annotations

from .content import MIB
from .files import FileFaults, FileSet
from .hostile import FILE_NAMES
from .media import KB, MediaMix, attach
from .model import World
from .scenarios import ChatSpec, Scenario, WorldSpec, build_world
from .truth import expected_files

_MEDIA_GROUP_MIX = MediaMix(
    weights={
        "photo": 24,
        "video": 5,
        "voice": 8,
        "round": 5,
        "gif": 5,
        "audio": 2,
        "document": 12,
        "sticker": 8,
        "contact": 4,
        "repeat_document": 8,
        "repeat_photo": 4,
        "custom_emoji": 6,
        "text": 6,
    },
    # small enough for the CI (about 33 MB with the private chat), a few files still over 1 MiB
    video_bytes=(200 * KB, 1800 * KB),
    document_bytes=(3 * KB, 600 * KB),
    round_bytes=(100 * KB, 700 * KB),
    gif_bytes=(40 * KB, 300 * KB),
    audio_bytes=(300 * KB, 1200 * KB),
    names=FILE_NAMES,
    named_every=3,
)
_VOICE_CHAT_MIX = MediaMix(
    weights={"voice": 10, "round": 6, "photo": 4, "sticker": 3, "text": 8, "audio": 1},
)
_VOICE_CHAT_SMALL_MIX = MediaMix(
    weights={"voice": 10, "round": 6, "photo": 4, "sticker": 3, "text": 8},
    round_bytes=(100 * KB, 700 * KB),
)


def _media_small(seed: int) -> World:
    """One supergroup of every kind of file, a private chat of voice and round messages."""
    world = build_world(
        WorldSpec(
            seed=seed,
            contacts=4,
            chats=[
                ChatSpec(
                    "supergroup", "Media Mix 📸", username="media_small_sandbox", messages=160, members=8
                ),
                ChatSpec("private", messages=40),
            ],
        )
    )
    group, private = world.chats.values()
    attach(world, group, _MEDIA_GROUP_MIX)
    attach(world, private, _VOICE_CHAT_SMALL_MIX)
    return world


def _media_faults(seed: int) -> World:
    """media-small where files misbehave: a third of the files' references expire on their third use,
    a photo and a document are unavailable, a video over 1 MiB and a voice message stall from their
    first byte (for ten minutes: an export must give up on them)."""
    world = _media_small(seed)
    group, _private = world.chats.values()
    own = [
        f
        for f in expected_files(world, group, thumbnails=False)
        if f.file_id == world.file_id(group, f.msg_id)
    ]
    first = {kind: next(f for f in own if f.kind == kind) for kind in ("photo", "document", "voice")}
    video = next(f for f in own if f.kind == "video" and f.size > MIB)
    world.file_faults = FileFaults(
        reference_uses=3,
        expiring=FileSet(fraction=1 / 3),
        unavailable=FileSet(ids=frozenset({first["photo"].file_id, first["document"].file_id})),
        stalling=FileSet(ids=frozenset({video.file_id, first["voice"].file_id})),
        stall_at=0,
        stall_seconds=600,
    )
    return world


def _media(seed: int) -> World:
    """Thousands of photos, videos up to hundreds of MB, voice and round messages: about 2.3 GB (each file once)."""
    world = build_world(
        WorldSpec(
            seed=seed,
            contacts=8,
            chats=[
                ChatSpec(
                    "supergroup", "Photo Dump", username="media_photos_sandbox", messages=4_000, members=30
                ),
                ChatSpec("channel", "Video Vault 🎬", username="media_videos_sandbox", messages=60),
                ChatSpec("private", messages=300),
            ],
        )
    )
    photos, videos, private = world.chats.values()
    attach(
        world,
        photos,
        MediaMix(
            weights={
                "photo": 60,
                "repeat_photo": 4,
                "video": 3,
                "gif": 4,
                "sticker": 5,
                "document": 6,
                "repeat_document": 4,
                "custom_emoji": 3,
                "contact": 1,
                "text": 10,
            },
            names=FILE_NAMES,
            named_every=5,
        ),
    )
    attach(
        world,
        videos,
        MediaMix(
            weights={"video": 10, "document": 2, "text": 2},
            video_bytes=(2 * MIB, 20 * MIB),
            document_bytes=(100 * KB, 20 * MIB),
            big=(300 * MIB, 500 * MIB),
        ),
    )
    attach(world, private, _VOICE_CHAT_MIX)
    return world


def _media_large(seed: int) -> World:
    """One video of 200 MB (200,000,000 bytes: its last part is not a whole MiB)."""
    world = build_world(
        WorldSpec(
            seed=seed,
            contacts=2,
            chats=[ChatSpec("channel", "Large File", username="media_large_sandbox", messages=2)],
        )
    )
    (chat,) = world.chats.values()
    attach(world, chat, MediaMix(weights={"text": 1}, big=(200_000_000,)))
    return world


def _media_many(seed: int) -> World:
    """4,000 messages, each a photo in two sizes (320 and 800 px, the larger ~45 KB): about 180 MB."""
    world = build_world(
        WorldSpec(
            seed=seed,
            contacts=2,
            chats=[ChatSpec("supergroup", "Many Photos", username="media_many_sandbox", messages=4_000)],
        )
    )
    (chat,) = world.chats.values()
    attach(world, chat, MediaMix(weights={"photo": 1}, photo_sides=(320, 800)))
    return world


def _media_2gb(seed: int) -> World:
    """Four videos of 500 MB (2,000,000,000 bytes) among text: the bench's largest memory point."""
    world = build_world(
        WorldSpec(
            seed=seed,
            contacts=2,
            chats=[ChatSpec("channel", "Two Gigabytes", username="media_2gb_sandbox", messages=40)],
        )
    )
    (chat,) = world.chats.values()
    attach(world, chat, MediaMix(weights={"text": 1}, big=(500_000_000,) * 4))
    return world


MEDIA_SCENARIOS: dict[str, Scenario] = {
    "media": Scenario(
        "a media-heavy account: 4,000 messages of photos (and every other kind of file), a channel of "
        "videos up to 500 MB, a private chat of voice and round messages; about 2.3 GB",
        _media,
    ),
    "media-small": Scenario(
        "every kind of file (photos in three sizes, videos, voice, round videos, GIFs, music, documents "
        "with hostile names, stickers, custom emoji, contacts, files posted many times) in 200 "
        "messages; the CI's smoke size",
        _media_small,
    ),
    "media-faults": Scenario(
        "media-small where references expire, two files are unavailable and two stall", _media_faults
    ),
    "media-large": Scenario("one 200 MB video", _media_large),
    "media-many": Scenario("4,000 small photos", _media_many),
    "media-2gb": Scenario("four 500 MB videos: 2 GB in one chat", _media_2gb),
}
