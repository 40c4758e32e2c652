"""The collector's first threshold while exports run (exporter/gc_threshold.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from exporter.gc_threshold import FIRST_THRESHOLD, raised_gc_threshold


@pytest.fixture
def default_threshold() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_raised_while_any_export_runs_and_put_back_by_the_last(
    default_threshold: tuple[int, int, int],
) -> None:
    first = raised_gc_threshold()
    second = raised_gc_threshold()
    first.__enter__()
    assert gc.get_threshold() == (FIRST_THRESHOLD, 10, 10)
    second.__enter__()
    # The first export ends while the second still reads: the threshold stays raised.
    first.__exit__(None, None, None)
    assert gc.get_threshold() == (FIRST_THRESHOLD, 10, 10)
    second.__exit__(None, None, None)
    assert gc.get_threshold() == default_threshold


def test_put_back_when_the_export_fails(default_threshold: tuple[int, int, int]) -> None:
    with pytest.raises(RuntimeError), raised_gc_threshold():
        raise RuntimeError("export failed")
    assert gc.get_threshold() == default_threshold


def test_left_alone_when_higher_or_collection_off(default_threshold: tuple[int, int, int]) -> None:
    for setting in ((50_000, 20, 30), (0, 10, 10)):
        gc.set_threshold(*setting)
        with raised_gc_threshold():
            assert gc.get_threshold() == setting
        assert gc.get_threshold() == setting
