"""A forum's HTML pages on both cores: a helper process writes the later topics' pages.

Why: once reading is done the cores are the export's own, and a forum export of 100,000
messages then spends about 2 s rendering on one of them (forum-130ms: 2.0 s of a 10.2 s
export) while the other idles. The pages are most of that work (callgrind: 69.6 k of the
~85 k instructions a message of rendering, docs/benchmarks.md), and one topic's pages need
only that topic's records and the store (reply links, quotes). So a helper, given the later
topics, writes their pages from its own read-only connection to the store, while this process
writes ``result.json`` and the first topics' pages; this process then counts the helper's
topics in and writes the index, the stylesheet and the script, as it would alone.

The helper is a new interpreter (:func:`serve`), never a fork: exports render in threads
(``asyncio.to_thread``), several at once in the bot, and a forked child could inherit a lock
another thread held (SQLite's, logging's). Its imports cost about 0.6 s of CPU, so it is started as soon as the
plan says the forum is large enough (:data:`HELPER_FROM`), and imports on the idle core while
reading goes on. It receives its work on stdin and answers on stdout (pickle: both ends are
this file, in one install).

The files are the ones one process writes, but for the search index: this process's last index
file ends short, and the helper's files follow it, renumbered (:meth:`SearchIndex.finish`).
If the helper fails or dies, this process writes its topics too: nothing is lost, it is only
slower.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from db.store import StoreReader

from .html import HtmlWriter
from .html_pages import HtmlPart
from .local_time import LocalTime
from .model import ChatInfo, TopicInfo, write_records
from .reading import locator, topic_ordered

# Messages from which a chat's pages are shared with a helper (a forum's here, another chat's in
# chat_split). Below it the pages take under 0.3 s (about 15 µs a message), not worth the
# helper's 0.6 s of CPU for its imports.
HELPER_FROM = 20_000
# The helper's share of the messages. This process also writes result.json, which reads and
# parses every record again (forums read them once per order). With 60 % this process waited
# 0.09-0.22 s for the helper at the end of a 1.3-1.6 s rendering (forum-130ms, 5,000 messages a
# topic, about 0.11 s of pages): 55 % is even.
HELPER_SHARE = 0.55
# prctl(2)'s option: a signal for this process when its parent ends (linux/prctl.h).
_PR_SET_PDEATHSIG = 1
# Where the helper writes its search index files before this process renumbers them.
HELPER_SEARCH_DIR = ".search-helper"


class RenderHelper:
    """The helper process of one export: started once the plan is known, used by rendering, and
    stopped when the export ends, whatever happened."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, expected: int | None) -> None:
        """Start the helper if the chat is expected to hold at least :data:`HELPER_FROM` messages
        (``expected``: Telegram's count; None when unknown, as for ``--last N``, which starts none)."""
        if self.process is not None or expected is None or expected < HELPER_FROM:
            return
        # The package this file is in, whatever the working directory (a source checkout, the bench's worktree).
        root = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}
        try:
            self.process = subprocess.Popen(
                # Not -m: the package imports this module first, and runpy would run it a second time.
                [sys.executable, "-c", f"from {__name__} import serve; serve()", str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            self.process = None  # no process to spare (EAGAIN, ENOMEM): the pages are written here

    def send(self, job: dict[str, Any]) -> bool:
        """Hand the helper its work; False if there is no helper or it is gone."""
        process = self.process
        if process is None or process.stdin is None:
            return False
        try:
            pickle.dump(job, process.stdin)
            process.stdin.close()
        except (BrokenPipeError, OSError):
            return False
        return True

    def answer(self) -> HtmlPart | None:
        """What the helper wrote, once it is done; None if it failed (its sections must then be
        written here)."""
        process = self.process
        if process is None or process.stdout is None:
            return None
        try:
            reply = pickle.load(process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            reply = None
        process.stdout.close()
        process.wait()
        self.process = None
        return reply if isinstance(reply, HtmlPart) else None

    def stop(self) -> None:
        """End the helper if it is still there: the export ended before its answer was read (it
        failed, or rendered alone), and nothing it writes any more is wanted."""
        process, self.process = self.process, None
        if process is None:
            return
        process.kill()
        process.wait()
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a job half written into the pipe
                    pipe.close()

    def __enter__(self) -> RenderHelper:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def helper_job(
    work: Callable[..., HtmlPart],
    reader: StoreReader,
    out_dir: Path,
    chat: ChatInfo,
    page_starts: dict[int | None, list[int]],
    local: LocalTime,
    userpics: Mapping[str, str] | None,
    **more: Any,
) -> dict[str, Any]:
    """What :meth:`RenderHelper.send` hands the helper: ``work``, a function of this package that
    writes pages from the store (pickled by name), and its arguments."""
    args = {
        "store_path": reader.path,
        "out_dir": out_dir,
        "chat": chat,
        "page_starts": page_starts,
        "zone": local.name,
        "userpics": dict(userpics or {}),
    }
    return {"work": work, "args": args | more}


def helper_topics(topics: list[TopicInfo]) -> int:
    """Where the helper's topics begin in ``topics`` (its share of the messages, from
    ``message_count``); ``len(topics)`` when splitting would leave either side no messages."""
    total = sum(t.message_count for t in topics)
    kept = 0
    for index, topic in enumerate(topics):
        if kept >= total * (1 - HELPER_SHARE):
            return index if kept < total else len(topics)
        kept += topic.message_count
    return len(topics)


class ForumPages:
    """A forum's pages, shared with ``helper`` when there is one: made, it hands the later topics
    to the helper at once, so the caller can write other formats before :meth:`write`."""

    def __init__(
        self,
        helper: RenderHelper | None,
        reader: StoreReader,
        out_dir: Path,
        chat: ChatInfo,
        topics: list[TopicInfo],
        page_starts: dict[int | None, list[int]],
        local: LocalTime,
        userpics: Mapping[str, str] | None,
    ) -> None:
        self.helper = helper
        self.reader = reader
        self.topics = topics
        self.local = local
        self.out_dir = out_dir
        self.split = len(topics)
        self.writer = pages_writer(reader, out_dir, chat, topics, page_starts, local, userpics)
        split = helper_topics(topics)
        if helper is not None and split < len(topics):
            job = helper_job(
                _render_part, reader, out_dir, chat, page_starts, local, userpics, topics=topics, first=split
            )
            if helper.send(job):
                self.split = split

    def write(self) -> list[Path]:
        try:
            return write_records([self.writer], self._records())
        finally:
            shutil.rmtree(self.out_dir / HELPER_SEARCH_DIR, ignore_errors=True)

    def _records(self) -> Iterator[dict[str, Any]]:
        yield from topic_ordered(self.reader, self.topics[: self.split], self.local)
        if self.split == len(self.topics):
            return
        part = self.helper.answer() if self.helper is not None else None
        if part is not None:
            self.writer.adopt(part)
            return
        # The helper failed: its topics are written here, over whatever it left (its search index
        # files go with write()'s clean-up).
        yield from topic_ordered(self.reader, self.topics[self.split :], self.local)


def pages_writer(
    reader: StoreReader,
    out_dir: Path,
    chat: ChatInfo,
    topics: list[TopicInfo] | None,
    page_starts: dict[int | None, list[int]],
    local: LocalTime,
    userpics: Mapping[str, str] | None,
    search_dir: Path | None = None,
) -> HtmlWriter:
    """The pages' writer of either process, built alike so that both write the same pages: in a
    forum every topic known (titles, the index, links across topics), whichever of them it is
    given records of; outside forums (``topics`` None) whichever pages (:mod:`.chat_split`)."""
    return HtmlWriter(
        out_dir,
        chat,
        topics,
        locator(reader, page_starts),
        zone=local.name,
        pages={topic: len(starts) for topic, starts in page_starts.items()},
        quote=reader.record,
        userpics=userpics,
        search_dir=search_dir,
    )


def _render_part(
    store_path: Path,
    out_dir: Path,
    chat: ChatInfo,
    topics: list[TopicInfo],
    first: int,
    page_starts: dict[int | None, list[int]],
    zone: str,
    userpics: dict[str, str],
) -> HtmlPart:
    """The helper's work: the pages of ``topics[first:]``, search index apart."""
    local = LocalTime(zone)
    with StoreReader(store_path) as reader:
        writer = pages_writer(
            reader, out_dir, chat, topics, page_starts, local, userpics, out_dir / HELPER_SEARCH_DIR
        )
        try:
            for record in topic_ordered(reader, topics[first:], local):
                writer.add(record)
            return writer.finish_part()
        except BaseException:
            writer.close()
            raise


def _die_with(parent: int) -> None:
    """End when the export's process ends, even by kill -9 (a worker killed mid-export): its job
    resumes elsewhere and renders into the same work folder, where this one must not go on writing.
    Linux's PR_SET_PDEATHSIG (prctl(2)); elsewhere the helper ends at its next write to the closed pipe."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)


def main(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    try:
        job = pickle.load(stdin)
    except EOFError:
        return  # the export ended before rendering, or rendered alone
    # Any failure: no answer, and the first process writes these pages itself. The work is a
    # function of this package (pickled by name): a forum's topics here, a chat's later pages in
    # exporter/render/chat_split.py.
    part = job["work"](**job["args"])
    pickle.dump(part, stdout)
    stdout.flush()


def serve() -> None:
    """The helper process: ``python -c "from exporter.render.forum_split import serve; serve()" PID``."""
    _die_with(int(sys.argv[1]))
    main(sys.stdin.buffer, sys.stdout.buffer)
