"""A forum's pages shared with a helper process (exporter/render/forum_split.py): the same files
as one process writes, the search index's rows in the same order, and nothing lost when the
helper dies."""

from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from db.store import StoreReader
from exporter.render import render_formats
from exporter.render.forum_split import HELPER_SEARCH_DIR, RenderHelper, helper_topics
from exporter.render.html_pages import HtmlPart
from exporter.render.model import PAGE_SIZE, ChatInfo, TopicInfo
from tests.exporter import history
from tests.exporter.test_render_driver import stored

CHAT = ChatInfo(id=-1000000000077, name="Forum", type="public_supergroup", is_forum=True)
SIZES = {1: 2300, 8: 700, 15: 1500, 21: 40, 30: 1200}
# prctl(2)'s option that makes orphaned descendants this process's children (linux/prctl.h).
_PR_SET_CHILD_SUBREAPER = 36
CHUNK = re.compile(rb"^archiveSearch\.chunk\((\d+), \[(.*)\n\], (true|false), (\{.*\})\);\n$", re.S)


class WatchedHelper(RenderHelper):
    """A real helper that remembers what it answered."""

    answered: list[HtmlPart | None]

    def answer(self) -> HtmlPart | None:
        part = super().answer()
        self.answered = [*getattr(self, "answered", []), part]
        return part


def stored_forum(path: Path) -> Path:
    return stored(path, history.forum_history(SIZES)[1])


def topics() -> list[TopicInfo]:
    # Topic 99 has no messages: its one empty page is written once, by the first process.
    listed = [TopicInfo(t, f"Topic {t}", message_count=n) for t, n in SIZES.items()]
    return [*listed[:3], TopicInfo(99, "Empty"), *listed[3:]]


def render(store: Path, out: Path, helper: RenderHelper | None) -> list[str]:
    with StoreReader(store) as reader:
        starts = reader.overview(PAGE_SIZE).page_starts
        files = render_formats(reader, out, CHAT, topics(), ("json", "html"), starts, helper=helper)
    return [f.relative_to(out).as_posix() for f in files]


def search_rows(out: Path) -> tuple[list[list[object]], list[bool]]:
    rows: list[list[object]] = []
    lasts = []
    numbers = sorted(int(p.stem) for p in (out / "search").glob("*.js"))
    assert numbers == list(range(1, len(numbers) + 1))
    for number in numbers:
        found = CHUNK.match((out / "search" / f"{number}.js").read_bytes())
        assert found is not None and int(found[1]) == number
        rows += orjson.loads(b"[" + found[2] + b"]")
        lasts.append(found[3] == b"true")
    return rows, lasts


def test_the_helper_writes_its_share_and_the_files_are_the_ones_one_process_writes(tmp_path: Path) -> None:
    store = stored_forum(tmp_path / "store.sqlite")
    alone = render(store, tmp_path / "alone", None)
    with WatchedHelper() as helper:
        helper.start(10**6)
        shared = render(store, tmp_path / "shared", helper)
    part = helper.answered[0]
    assert part is not None, "the helper wrote nothing"
    assert list(part.counts) == [15, 21, 30], "the helper writes the later topics with messages"

    assert shared == [name for name in alone if not name.startswith("search/")] + [
        name for name in shared if name.startswith("search/")
    ]
    assert [n for n in alone if not n.startswith("search/")] == [
        n for n in shared if not n.startswith("search/")
    ]
    for name in alone:
        if not name.startswith("search/"):
            assert (tmp_path / "shared" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes(), name
    rows_alone, lasts_alone = search_rows(tmp_path / "alone")
    rows_shared, lasts_shared = search_rows(tmp_path / "shared")
    assert rows_shared == rows_alone
    assert lasts_shared[-1] and not any(lasts_shared[:-1])
    assert len(lasts_shared) > len(lasts_alone) - 1
    assert not (tmp_path / "shared" / HELPER_SEARCH_DIR).exists()


class DyingHelper(WatchedHelper):
    """Killed once it has its work, or before (``before``)."""

    def __init__(self, *, before: bool) -> None:
        super().__init__()
        self.before = before

    def send(self, job: dict[str, object]) -> bool:
        assert self.process is not None
        if self.before:
            self.process.kill()
            self.process.wait()
        sent = super().send(job)
        self.process.kill()
        return sent


@pytest.mark.parametrize("before", [False, True], ids=["killed-with-its-work", "dead-before"])
def test_a_dead_helper_costs_time_not_messages(tmp_path: Path, before: bool) -> None:
    store = stored_forum(tmp_path / "store.sqlite")
    alone = render(store, tmp_path / "alone", None)
    with DyingHelper(before=before) as helper:
        helper.start(10**6)
        shared = render(store, tmp_path / "shared", helper)
    assert getattr(helper, "answered", []) == ([] if before else [None])
    assert shared == alone
    for name in alone:
        assert (tmp_path / "shared" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes(), name
    assert not (tmp_path / "shared" / HELPER_SEARCH_DIR).exists()


def test_no_process_to_spare_is_no_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(subprocess, "Popen", refused)
    with RenderHelper() as helper:
        helper.start(10**6)
        assert helper.process is None


def test_a_small_forum_starts_no_helper() -> None:
    with RenderHelper() as helper:
        helper.start(5_000)
        assert helper.process is None


@pytest.mark.parametrize(
    ("counts", "first"),
    [
        ([2300, 700, 1500, 0, 40, 1200], 2),  # 3,000 of 5,740 kept here: the helper takes 55 % or less
        ([10_000], 1),  # one topic: nothing to share
        ([0, 0], 2),
        ([100, 100, 100, 100, 100], 3),
    ],
)
def test_the_helper_takes_the_later_topics_for_about_its_share(counts: list[int], first: int) -> None:
    listed = [TopicInfo(i + 1, "t", message_count=n) for i, n in enumerate(counts)]
    assert helper_topics(listed) == first


def test_the_helper_ends_with_its_export_even_killed() -> None:
    """A worker killed with kill -9 mid-export: its job renders again elsewhere into the same work
    folder, so its helper must not live on and write there."""
    libc = ctypes.CDLL(None, use_errno=True)
    # The helper, orphaned, comes to this process (a child subreaper, prctl(2)), to be reaped here.
    assert libc.prctl(_PR_SET_CHILD_SUBREAPER, 1) == 0
    try:
        parent = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import time\n"
                "from exporter.render.forum_split import RenderHelper\n"
                "helper = RenderHelper()\n"
                "helper.start(10**6)\n"
                "print(helper.process.pid, flush=True)\n"
                "time.sleep(60)\n",
            ],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert parent.stdout is not None
        helper = int(parent.stdout.readline())
        # Once it waits for its work (read(2) on fd 0): its imports done, and its end tied to the export's.
        deadline = time.monotonic() + 30
        while (
            not Path(f"/proc/{helper}/syscall").read_text().startswith("0 0x0 ")
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
        # Stopped, as if busy writing pages: an idle helper would end anyway, at the end of its input.
        os.kill(helper, signal.SIGSTOP)
        parent.kill()
        parent.wait()
        parent.stdout.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pid, status = os.waitpid(helper, os.WNOHANG)
            if pid == helper:
                assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
                return
            time.sleep(0.05)
        os.kill(helper, signal.SIGKILL)
        os.waitpid(helper, 0)
        pytest.fail("the helper outlived its killed export")
    finally:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 0)
