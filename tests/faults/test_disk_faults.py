"""A full disk, a read-only or bad output folder: one sentence, nothing truncated left, the fetch kept.

Real small file systems: each test mounts a tmpfs of a few KB (needs root; .ci/run runs as root, and
the tests skip with the reason elsewhere). Exports run against the sandbox over TCP.
"""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from telethon import TelegramClient

from exporter.errors import DiskFull
from exporter.export import export_chat
from exporter.media.settings import MediaSettings
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.netmodel import parse_fault
from tests.exporter.test_cli import run_cli
from tests.faults.test_exporter_faults import CHAT, CHAT_MESSAGES, one_sentence, written
from tests.mandatory import cannot

Mount = Callable[..., Path]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Mount]:
    """small_disk("2m", read_only=False) -> the folder of a fresh tmpfs of that size."""
    mounted: list[Path] = []

    def mount(size: str, *, read_only: bool = False) -> Path:
        if os.geteuid() != 0:
            cannot("mounting a small tmpfs needs root (.ci/run runs as root)")
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
        )
        if done.returncode:
            cannot(f"mount is not permitted here: {done.stderr.decode().strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the file system of ``folder`` until about ``leave`` bytes are free."""
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize > leave + 4096:
                out.write(b"\0" * 4096)
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


async def cli_export(cluster: Cluster, tmp_path: Path, out: Path, *args: str) -> tuple[int, str, str]:
    session = cluster.write_session_file(tmp_path / "session.json")
    return await run_cli("--session-file", str(session), "export", CHAT, "--out", str(out), *args)


async def test_an_export_that_will_not_fit_is_refused_before_it_starts(
    cluster: Cluster, tmp_path: Path, small_disk: Mount
) -> None:
    disk = small_disk("2m")
    # Room for the empty store (its schema, WAL and shared memory take about 100 KB since the media
    # tables), not for the messages: the room check, not the store's creation, is what refuses.
    fill(disk, leave=200_000)
    code, _, err = await cli_export(cluster, tmp_path, disk / "out")
    sentence = one_sentence(err)
    assert code == 2 and "needs at least 0.4 MB (297 messages × about 1,465 bytes)" in sentence
    assert f"MB are free at {disk}" in sentence
    assert not list((disk / "out").rglob("*.sqlite")) and cluster.calls["messages.getHistory"] <= 1


async def test_disk_full_while_fetching_is_a_sentence_and_the_fetch_resumes(
    cluster: Cluster, tmp_path: Path, small_disk: Mount
) -> None:
    disk = small_disk("2m")
    # The export sleeps off this flood wait while the disk fills up under it.
    cluster.network.add_fault(parse_fault("messages.getHistory@3=420:FLOOD_WAIT_3"))
    # No files: this test is about the fetch (a disk full in the media stage has its own test).
    run = cli_export(cluster, tmp_path, disk / "out", "--format", "json", "--media", "none")
    running = asyncio.ensure_future(run)
    for _ in range(200):
        if cluster.calls["messages.getHistory"] >= 3:
            break
        await asyncio.sleep(0.05)
    filler = fill(disk)
    code, _, err = await running
    sentence = one_sentence(err)
    assert code == 2 and sentence.startswith("error: The disk is full (") and f"MB free at {disk}" in sentence
    assert "cannot reach Telegram" not in err
    assert not list((disk / "out").glob("*.zip*"))
    fetched = cluster.calls["messages.getHistory"]

    filler.unlink()
    code, _, err = await cli_export(cluster, tmp_path, disk / "out", "--format", "json", "--media", "none")
    assert code == 0, err
    [archive] = (disk / "out").glob("*.zip")
    assert written(archive) == CHAT_MESSAGES
    # Resumed: the second run read only what the first had not stored.
    assert cluster.calls["messages.getHistory"] - fetched < fetched


async def test_disk_full_while_packaging_leaves_no_truncated_part_and_keeps_the_store(
    cluster: Cluster, client: TelegramClient, tmp_path: Path, small_disk: Mount
) -> None:
    out = small_disk("64k")
    target = await resolve_target(client, parse_target(CHAT))
    options = ExportOptions(formats=("json", "html"), part_size=16 * 1024)
    work = tmp_path / "work"
    with pytest.raises(DiskFull, match=rf"^The disk is full \(.* MB free at {out}\)"):
        await export_chat(client, target, options, out, work_dir=work)
    assert not [p.name for p in out.iterdir()], "a truncated zip or part was left behind"
    assert (work / "messages.sqlite").exists()

    result = await export_chat(client, target, options, tmp_path / "roomy", work_dir=work)
    assert result.complete and len(result.parts) > 1


async def test_a_read_only_output_folder_has_its_own_sentence(
    cluster: Cluster, tmp_path: Path, small_disk: Mount
) -> None:
    disk = small_disk("64k", read_only=True)
    code, _, err = await cli_export(cluster, tmp_path, disk / "out")
    assert code == 2 and f"{disk / 'out'}" in err and "read-only file system" in one_sentence(err)


async def test_an_output_path_that_is_a_file_has_its_own_sentence(cluster: Cluster, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    code, _, err = await cli_export(cluster, tmp_path, tmp_path / "taken")
    assert code == 2 and "is not a folder" in one_sentence(err) and "cannot reach Telegram" not in err


async def test_disk_full_while_rendering_is_a_sentence_and_the_rerun_renders_from_the_store(
    cluster: Cluster, client: TelegramClient, tmp_path: Path, small_disk: Mount
) -> None:
    disk = small_disk("1m")
    # Room for the store, not for the rendered files (bounded by min_id, so no room check first).
    filler = fill(disk, leave=384 * 1024)
    target = await resolve_target(client, parse_target(CHAT))
    # No files (media=()): the disk must fill while rendering, not in the media stage before it.
    options = ExportOptions(formats=("json", "html", "md"), min_id=1, media=())
    phases: list[str] = []
    with pytest.raises(DiskFull, match=rf"^The disk is full \(0.0 MB free at {disk / 'work'}"):
        await export_chat(
            client,
            target,
            options,
            tmp_path / "out",
            work_dir=disk / "work",
            on_progress=lambda p: phases.append(p.phase),
        )
    assert phases[-1] == "rendering" and not list((tmp_path / "out").glob("*.zip*"))
    requests = cluster.calls["messages.getHistory"]

    filler.unlink()
    result = await export_chat(client, target, options, tmp_path / "out", work_dir=disk / "work")
    assert result.complete and written(result.parts[0].path) == CHAT_MESSAGES - 1
    assert cluster.calls["messages.getHistory"] == requests, "the rerun fetched again instead of rendering"


async def test_disk_full_while_downloading_files_is_a_sentence_and_the_rerun_downloads_only_the_rest(
    cluster: Cluster, client: TelegramClient, tmp_path: Path, small_disk: Mount
) -> None:
    disk = small_disk("2m")
    # Room for the store, not for the chat's photos (Desktop's default: photos up to 8 MiB).
    filler = fill(disk, leave=768 * 1024)
    target = await resolve_target(client, parse_target(CHAT))
    # Parts of 256 KiB: the 1.4 MB photo is six, and those that reached the disk are kept.
    options = ExportOptions(formats=("json",), min_id=1, media_settings=MediaSettings(part_size=256 * 1024))
    phases: list[str] = []
    with pytest.raises(DiskFull, match=rf"^The disk is full \(0.0 MB free at {disk / 'work'}"):
        await export_chat(
            client,
            target,
            options,
            tmp_path / "out",
            work_dir=disk / "work",
            on_progress=lambda p: phases.append(p.phase),
        )
    assert phases[-1] == "media" and not list((tmp_path / "out").glob("*.zip*"))
    requests = cluster.calls["messages.getHistory"]

    filler.unlink()
    result = await export_chat(client, target, options, tmp_path / "out", work_dir=disk / "work")
    assert result.complete and written(result.parts[0].path) == CHAT_MESSAGES - 1
    assert cluster.calls["messages.getHistory"] == requests, "the rerun fetched the messages again"
    media = result.manifest["media"]
    assert media["downloaded"] == len(media["files"]) == 4 and not media["not_downloaded"]
    # The parts of the photo the first run wrote were kept, not asked for again.
    assert result.report.media is not None and result.report.media.resumed > 0
