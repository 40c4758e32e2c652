"""What a run killed while packaging leaves in the output folder, and what the next run of the same
export removes (exporter.workdir: reserve, packaged, remove_unfinished_archive). The kill itself is
in tests/exporter/test_resume.py; here each state it can leave is made by hand."""

from __future__ import annotations

from pathlib import Path

from exporter import workdir

NAME = "Chat-1-20261208-030000.zip"


def folders(tmp_path: Path) -> tuple[Path, Path]:
    out, work = tmp_path / "out", tmp_path / "out" / ".work" / "1-abc"
    work.mkdir(parents=True)
    return out, work


def names(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if p.is_file()}


def test_the_reservation_is_noted_until_the_archive_is_written(tmp_path: Path) -> None:
    out, work = folders(tmp_path)
    destination = workdir.reserve(out / NAME, work)
    assert destination == out / NAME and names(out) == {f"{NAME}.partial"}
    assert (work / workdir.PACKAGING_FILE).read_text() == str(destination.resolve())
    workdir.packaged(work)
    assert not (work / workdir.PACKAGING_FILE).exists()


def test_a_zip_begun_is_removed_and_nothing_else(tmp_path: Path) -> None:
    out, work = folders(tmp_path)
    workdir.reserve(out / NAME, work)
    (out / f"{NAME}.partial").write_bytes(b"PK half a zip")
    (out / "Other-2-20261208-030000.zip.partial").write_bytes(b"another export's")
    (out / "Chat-1-20261207-120000.zip").write_bytes(b"yesterday's archive")

    workdir.remove_unfinished_archive(work)
    assert names(out) == {"Other-2-20261208-030000.zip.partial", "Chat-1-20261207-120000.zip"}
    assert not (work / workdir.PACKAGING_FILE).exists()
    workdir.remove_unfinished_archive(work)  # nothing noted: nothing to do


def test_a_split_begun_loses_its_parts_and_keeps_the_whole_zip(tmp_path: Path) -> None:
    out, work = folders(tmp_path)
    destination = workdir.reserve(out / NAME, work)
    (out / f"{NAME}.partial").replace(destination)
    for index in (1, 2):
        (out / f"{NAME}.{index:03d}").write_bytes(b"part")
    workdir.remove_unfinished_archive(work)
    assert names(out) == {NAME}


def test_a_split_that_ended_is_an_archive_and_stays(tmp_path: Path) -> None:
    out, work = folders(tmp_path)
    workdir.reserve(out / NAME, work)
    (out / f"{NAME}.partial").unlink()
    parts = {f"{NAME}.{index:03d}" for index in (1, 2, 3)}
    for part in parts:
        (out / part).write_bytes(b"part")
    workdir.remove_unfinished_archive(work)
    assert names(out) == parts


def test_another_exports_reservation_of_the_name_is_never_noted(tmp_path: Path) -> None:
    out, work = folders(tmp_path)
    (out / f"{NAME}.partial").write_bytes(b"another export of this chat, this second")
    destination = workdir.reserve(out / NAME, work)
    assert destination.name == "Chat-1-20261208-030000-2.zip"
    workdir.remove_unfinished_archive(work)
    assert names(out) == {f"{NAME}.partial"}
