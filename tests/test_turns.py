"""The turns of tests/turns.py: a test alone waits for the tests running, and holds back the ones
that would start after it. Threads stand for xdist's workers: each opens the lock files itself, and
flock locks belong to the open file, so they exclude each other as two processes' would."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.turns import turn

# How long a turn that must wait is watched not starting: a turn that should wait and does not
# starts in microseconds.
WATCHED = 0.3


def in_turn(folder: Path, *, alone: bool) -> tuple[threading.Event, threading.Event, threading.Thread]:
    """A thread that takes a turn: (started, may_end, thread)."""
    started, may_end = threading.Event(), threading.Event()

    def body() -> None:
        with turn(folder, alone=alone):
            started.set()
            may_end.wait(10)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return started, may_end, thread


def test_a_test_alone_waits_for_the_running_ones_and_holds_back_the_next(tmp_path: Path) -> None:
    first, first_may_end, first_thread = in_turn(tmp_path, alone=False)
    second, second_may_end, second_thread = in_turn(tmp_path, alone=False)
    assert first.wait(5) and second.wait(5), "tests that are not alone run side by side"

    lone, lone_may_end, lone_thread = in_turn(tmp_path, alone=True)
    assert not lone.wait(WATCHED), "alone while two tests run"
    first_may_end.set()
    first_thread.join(5)
    assert not lone.wait(WATCHED), "alone while one test runs"

    # Waiting for its turn, it keeps a new test from starting.
    late, late_may_end, late_thread = in_turn(tmp_path, alone=False)
    assert not late.wait(WATCHED), "a test started while one waited to run alone"
    second_may_end.set()
    second_thread.join(5)
    assert lone.wait(5)
    assert not late.wait(WATCHED), "a test started beside one alone"

    lone_may_end.set()
    lone_thread.join(5)
    assert late.wait(5), "the test held back runs once the one alone has ended"
    late_may_end.set()
    late_thread.join(5)
    assert not late_thread.is_alive()
