"""A chat's later pages written by the export's helper process (exporter/render/chat_split.py): the
same files as one process writes, the search index's rows in the same order, and nothing lost
when the helper dies."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.store import StoreReader
from exporter.render import render_formats
from exporter.render.chat_split import helper_first_page
from exporter.render.forum_split import HELPER_SEARCH_DIR, RenderHelper
from exporter.render.model import PAGE_SIZE, ChatInfo
from tests.exporter import history
from tests.exporter.test_render_driver import stored
from tests.render.test_forum_split import DyingHelper, WatchedHelper, search_rows

CHAT = ChatInfo(id=-1000000000078, name="Channel", type="public_channel")
# Five pages and a part: replies reach back across pages, a pin names a message pages away.
MESSAGES = 5 * PAGE_SIZE + 321


def render(store: Path, out: Path, helper: RenderHelper | None, formats: tuple[str, ...]) -> list[str]:
    with StoreReader(store) as reader:
        starts = reader.overview(PAGE_SIZE).page_starts
        files = render_formats(reader, out, CHAT, None, formats, starts, helper=helper)
    return [f.relative_to(out).as_posix() for f in files]


def not_search(names: list[str]) -> list[str]:
    return [name for name in names if not name.startswith("search/")]


@pytest.mark.parametrize("formats", [("json", "html"), ("html",), ("json", "html", "md")])
def test_the_helper_writes_the_later_pages_and_the_files_are_the_ones_one_process_writes(
    tmp_path: Path, formats: tuple[str, ...]
) -> None:
    store = stored(tmp_path / "store.sqlite", history.plain_history(MESSAGES))
    alone = render(store, tmp_path / "alone", None, formats)
    with WatchedHelper() as helper:
        helper.start(10**6)
        shared = render(store, tmp_path / "shared", helper, formats)
    part = helper.answered[0]
    assert part is not None, "the helper wrote nothing"
    first = helper_first_page(6)
    assert [p.name for p in part.written] == [f"messages{n}.html" for n in range(first, 7)]
    assert part.counts == {None: MESSAGES - (first - 1) * PAGE_SIZE}

    assert not_search(shared) == not_search(alone)
    for name in not_search(alone):
        assert (tmp_path / "shared" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes(), name
    rows_alone, _ = search_rows(tmp_path / "alone")
    rows_shared, lasts_shared = search_rows(tmp_path / "shared")
    assert rows_shared == rows_alone
    assert lasts_shared[-1] and not any(lasts_shared[:-1])
    assert not (tmp_path / "shared" / HELPER_SEARCH_DIR).exists()


@pytest.mark.parametrize("before", [False, True], ids=["killed-with-its-work", "dead-before"])
def test_a_dead_helper_costs_time_not_pages(tmp_path: Path, before: bool) -> None:
    store = stored(tmp_path / "store.sqlite", history.plain_history(MESSAGES))
    alone = render(store, tmp_path / "alone", None, ("json", "html"))
    with DyingHelper(before=before) as helper:
        helper.start(10**6)
        shared = render(store, tmp_path / "shared", helper, ("json", "html"))
    assert getattr(helper, "answered", []) == ([] if before else [None])
    assert shared == alone
    for name in alone:
        assert (tmp_path / "shared" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes(), name
    assert not (tmp_path / "shared" / HELPER_SEARCH_DIR).exists()


@pytest.mark.parametrize(
    ("pages", "first"),
    [(0, 1), (1, 2), (2, 2), (3, 2), (5, 3), (10, 5), (100, 41)],
)
def test_the_helper_takes_about_sixty_percent_of_the_pages_and_never_the_first(
    pages: int, first: int
) -> None:
    assert helper_first_page(pages) == first
