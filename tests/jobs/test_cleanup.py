"""Deleting a delivered archive's parts: the files and their emptied folder go, off the event loop."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.jobs.cleanup import remove_parts
from db.jobs import JobPart


async def test_parts_and_their_empty_folder_are_deleted_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "job-1"
    folder.mkdir()
    paths = [folder / f"chat.zip.00{i}" for i in (1, 2)]
    for path in paths:
        path.write_bytes(b"part")
    unlink, threads = Path.unlink, []

    def recorded(self: Path, missing_ok: bool = False) -> None:
        threads.append(threading.get_ident())
        unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", recorded)
    await remove_parts([JobPart(str(path), 4, "ff") for path in paths])
    assert not folder.exists()
    assert len(threads) == 2 and threading.get_ident() not in threads
