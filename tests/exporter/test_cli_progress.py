"""python -m exporter's progress line on a real terminal (a pseudo-terminal): a step without a count
of its own is written once however often it reports, and counts agree with their nouns."""

from __future__ import annotations

import os

from exporter.cli_progress import TerminalProgress, describe_progress
from exporter.export import Progress


def _on_a_terminal(reports: list[Progress]) -> list[str]:
    """The lines a person sees: what the progress wrote to a pty, redrawn parts collapsed."""
    master, slave = os.openpty()
    with os.fdopen(slave, "w", encoding="utf-8") as out:
        assert out.isatty()
        progress = TerminalProgress(out)
        for report in reports:
            progress(report)
    written = b""
    while chunk := _read(master):
        written += chunk
    os.close(master)
    # \r\x1b[K redraws the line in place: a person sees what follows the last one of a line.
    return [line.split("\r\x1b[K")[-1] for line in written.decode().replace("\r\n", "\n").split("\n") if line]


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the terminal's other side is closed and everything was read.
        return b""


def test_a_step_reporting_again_is_one_line() -> None:
    reports = [Progress("userpics", 297, 297, 1.0)] * 10 + [Progress("rendering", 297, 297, 2.0)] * 3
    assert _on_a_terminal(reports) == ["userpics… (297 messages)", "rendering… (297 messages)"]


def test_one_message_is_singular() -> None:
    assert describe_progress(Progress("packaging", 1, 1, 1.0)) == "packaging… (1 message)"


def test_a_shortfall_of_one_message_is_singular() -> None:
    from exporter.completeness import _shortfall

    assert _shortfall(1, 0, "the chat") == "Telegram counts 1 message in the chat but the archive holds 0"
