"""python -m bot.worker's log leaves out procrastinate's lines about the periodic recovery (three
every 10 s per worker) and keeps every other line, the exports' included."""

from __future__ import annotations

import logging

from bot.worker import quiet_recovery


def line(name: str, message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def test_the_recovery_lines_are_left_out_and_the_rest_kept() -> None:
    recovery = [
        line(
            "procrastinate.periodic", "Periodic job recover[42](timestamp=1796659480) deferred for timestamp"
        ),
        line("procrastinate.worker.vm:924", "Starting job recover[42](timestamp=1796659480)"),
        line("procrastinate.worker", "Job recover[42](timestamp=1796659480) ended with status: Success"),
    ]
    kept = [
        line("procrastinate.worker.vm:924", "Starting job export[35](job_id=3)"),
        line("procrastinate.worker", "Job export[35](job_id=3) ended with status: Success, lasted 11.4 s"),
        line("procrastinate.worker", "Job recover[43](timestamp=1) ended with status: Error", logging.ERROR),
        line("bot.jobs.procrastinate_queue", "job 3: its worker vm:928 stopped answering; queued again"),
    ]
    assert [quiet_recovery(record) for record in recovery] == [False] * 3
    assert [quiet_recovery(record) for record in kept] == [True] * 4
