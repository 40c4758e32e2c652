"""Tests that measure time run alone: the suite runs on pytest-xdist's workers (``-n`` in
pyproject.toml), and a test marked ``alone`` waits until no other test runs, and no other test starts
until it ends. It sees the machine as a run of one worker at a time would show it: what it measures
(a flood limit's rate, an estimate against the time really left, a latency percentile) is not
stretched by a neighbour's burst of CPU.

The turns are two lock files (flock) that every worker of one run opens: ``running``, held shared by
each test and exclusively by a test alone, and ``gate``, held by a test alone from the moment it
waits, so that the other workers' tests stop starting and it gets its turn (a shared lock alone would
let a stream of short tests keep it waiting).
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

MARK = "alone"
FOLDER = pytest.StashKey[Path]()

# The tests that assert on wall time or on a rate, by node id prefix; a new one can also carry
# @pytest.mark.alone itself. The rest passed with a busier machine than two workers make (the whole
# suite in one process beside five other jobs, load average 4-5); these have margins a neighbour's
# burst of CPU could eat.
ALONE = (
    # Requests granted against the flood limit's allowance, estimates within 15 % of the time left.
    "tests/realtg/test_flood_preset.py::test_rate_limited_export",
    # Request times against the sandbox's clock, every second given a phase.
    "tests/timing/test_ground_truth.py",
    # Estimates within 15 % (plus 1 s), unaccounted time under 5 %, p50 of a 50 ms latency < 60 ms.
    "tests/timing/test_summary.py::test_the_first_estimate_is_not_the_first_seconds_rate",
    "tests/timing/test_summary.py::test_details_turn_the_summary_into_the_breakdown_and_back",
    "tests/timing/test_wire.py::test_wire_time_is_the_sandbox_time_even_with_a_slow_parse",
    # The offline demo's request p50 between 50 and 90 ms (measured up to 73 ms with the cores busy).
    "tests/bot/test_demo.py",
    # Request and flood wait times against pytest.approx (5 %, 0.15 s).
    "tests/exporter/test_timing.py::test_sequential_request_time_is_pages_times_latency",
    "tests/exporter/test_timing.py::test_slow_processing_does_not_inflate_request_time",
    "tests/exporter/test_timing.py::test_flood_wait_is_its_own_phase",
    # Refused requests bounded under a flood limit; downloads under 15 s and 25 s, a slow link
    # told from a stall.
    "tests/exporter/test_export_e2e.py::test_under_a_flood_limit",
    "tests/exporter/test_media_download.py::test_faults_end_in_outcomes",
    "tests/exporter/test_media_download.py::test_flood_waits_on_files",
    "tests/exporter/test_media_download.py::test_a_slow_link_is_not_a_stall",
    "tests/exporter/test_media_flood_limit.py",
    # Transfer times within 3 % below and 50 % above what the bandwidth model allows.
    "tests/sandbox/test_media_network.py",
    # A stall of 1.4-2.5 s and answers under 0.5 s; a flood limit of getFile's own.
    "tests/sandbox/test_media_faults.py::test_stalling_files",
    "tests/sandbox/test_media_faults.py::test_getfile_has_a_flood_limit",
    # Parallel requests against single ones, a flood wait slept, a bucket refilled.
    "tests/sandbox/test_limits.py::test_latency_is_paid",
    "tests/sandbox/test_limits.py::test_short_flood_wait",
    "tests/sandbox/test_limits.py::test_token_bucket",
    # A world built in under 2 s, a million ids in under 0.5 s.
    "tests/sandbox/test_world.py::test_forum_large_builds_fast",
    "tests/sandbox/test_world.py::test_huge_builds_in_constant_memory",
    # Long polls answered in under 0.5 s, a failing handler reported within 5 s.
    "tests/botapi/test_polling.py::test_get_updates_offsets_limits_and_wakeup",
    "tests/botapi/test_polling.py::test_shutdown_does_not_wait_for_a_parked_poll",
    "tests/botapi/test_polling.py::test_a_failing_handler_fails_the_test_at_once",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(ALONE):
            item.add_marker(MARK)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """On xdist's controller: one folder of lock files for the workers of this run."""
    config: pytest.Config = node.config
    if FOLDER not in config.stash:
        config.stash[FOLDER] = Path(tempfile.mkdtemp(prefix="pytest-turns-"))
    node.workerinput["turns"] = str(config.stash[FOLDER])


def pytest_unconfigure(config: pytest.Config) -> None:
    if FOLDER in config.stash:
        shutil.rmtree(config.stash[FOLDER], ignore_errors=True)


@contextmanager
def turn(folder: Path, *, alone: bool) -> Iterator[None]:
    with (folder / "gate").open("ab") as gate, (folder / "running").open("ab") as running:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(running, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            if not alone:
                fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(running, fcntl.LOCK_UN)
            fcntl.flock(gate, fcntl.LOCK_UN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Setup, call and teardown in one turn (outside pytest-timeout's limit: waiting is not a hang)."""
    workerinput = getattr(item.config, "workerinput", None)
    if workerinput is None:  # one process: every test runs alone already
        return (yield)
    with turn(Path(workerinput["turns"]), alone=item.get_closest_marker(MARK) is not None):
        return (yield)
