"""The archive size guessed before an export (exporter.estimate) against what exports really download.

Real Telethon reads the sandbox over TCP. A chat that fits the sample is counted, not guessed: its
estimate is the media stage's own total (custom emoji aside, which the estimate leaves out). A chat
larger than the sample is scaled from its newest 200 messages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from telethon import TelegramClient

from exporter.estimate import TEXT_BYTES_PER_MESSAGE, ArchiveEstimate, sample_history
from exporter.export import export_chat
from exporter.media.selection import Selection
from exporter.options import MEDIA_TYPES, ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.world import World, build_scenario, expected_files, expected_messages

GROUP = "media_small_sandbox"


@pytest.fixture
def world(request: pytest.FixtureRequest) -> World:
    return build_scenario(getattr(request, "param", "media-small"))


def emoji_bytes(world: World) -> int:
    group = world.by_username(GROUP)
    sizes = {f.file_id: f.size for f in expected_files(world, group) if f.kind == "custom_emoji"}
    return sum(sizes.values())


@pytest.mark.parametrize(
    ("media", "max_file_size"),
    [(MEDIA_TYPES, 4000 << 20), (("photos",), 8 << 20), (("videos", "voice"), 1 << 20)],
    ids=["all", "desktop-defaults", "videos-voice-under-1MiB"],
)
async def test_a_chat_within_the_sample_is_counted_as_the_export_downloads_it(
    client: TelegramClient, world: World, tmp_path: Path, media: tuple[str, ...], max_file_size: int
) -> None:
    target = await resolve_target(client, parse_target("@" + GROUP))
    options = ExportOptions(formats=("json",), media=media, max_file_size=max_file_size)
    sample = await sample_history(client, target.input_peer)
    estimate = sample.estimate(Selection.of(options))
    assert estimate.whole and estimate.sampled == len(sample.messages) > 100  # two pages
    result = await export_chat(client, target, options, tmp_path)
    downloaded = result.manifest["media"]["bytes"]
    assert downloaded > 0
    assert estimate.media_bytes == downloaded - emoji_bytes(world)
    assert estimate.text_bytes == estimate.messages * TEXT_BYTES_PER_MESSAGE


async def test_a_date_range_counts_only_its_messages(client: TelegramClient, world: World) -> None:
    target = await resolve_target(client, parse_target("@" + GROUP))
    everything = await sample_history(client, target.input_peer)
    dates = sorted(m.date for m in everything.messages)
    since = dates[len(dates) // 2]
    newer = await sample_history(client, target.input_peer, since=since)
    assert newer.total == len(newer.messages) == sum(1 for d in dates if d >= since)
    newest = max(m.id for m in everything.messages)
    assert (await sample_history(client, target.input_peer, min_id=newest)).total == 0


@pytest.mark.parametrize("world", ["media-many"], indirect=True)
async def test_a_large_chat_is_scaled_from_its_newest_messages(client: TelegramClient, world: World) -> None:
    """4,000 photos of two sizes: 200 read, the rest scaled by Telegram's count."""
    chat = world.by_username("media_many_sandbox")
    truth = sum(f.size for f in expected_files(world, chat, thumbnails=False) if f.kind == "photo")
    target = await resolve_target(client, parse_target("@media_many_sandbox"))
    sample = await sample_history(client, target.input_peer)
    estimate = sample.estimate(Selection(frozenset({"photos"}), 8 << 20))
    # Two pages of 100, less the odd message hidden in a country (sandbox.world.model).
    assert 190 <= estimate.sampled <= 200 and estimate.messages == sum(
        1 for _ in expected_messages(world, chat)
    )
    assert not estimate.whole
    # Measured 0.5 % under the photos' real total (their sizes are even through the chat).
    assert abs(estimate.media_bytes - truth) / truth < 0.05, (estimate.media_bytes, truth)
    assert estimate.parts(50_000_000) == -(-estimate.bytes // 50_000_000)


def test_parts_are_at_least_one() -> None:
    assert ArchiveEstimate(0, 0, 0, 0).parts(10) == 1
    assert ArchiveEstimate(25, 0, 1, 1).parts(10) == 3
    assert ArchiveEstimate(20, 0, 1, 1).parts(10) == 2
