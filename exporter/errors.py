"""One table from what went wrong to one sentence that says what to do.

Used by ``python -m exporter`` and by the bot, so both say the same thing about
the same fault.  Errors we raise on purpose (:class:`ExplainedError`) already
carry their sentence; Telegram's errors (Telethon's classes) and local faults
(the disk, a damaged work store) are mapped here.
"""

from __future__ import annotations

import datetime as dt
import errno
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from telethon import errors

from db.errors import DbError

RELOGIN = "the exporting account's session is no longer valid: log in again with /login or `python -m exporter login`"


class ExplainedError(Exception):
    """An error whose message is already the sentence for the user."""


class ExportError(ExplainedError):
    """The export could not finish; the message is for the user."""


class DiskFull(ExportError):
    """No room left while writing under ``folder``; what was fetched is kept for the next run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__(
            f"The disk is full ({free_space(folder)} free at {folder}): free some space, then run the "
            "export again to continue where it stopped."
        )


class WorkStoreDamaged(ExportError):
    """The per-export store of an earlier run cannot be read."""

    def __init__(self, folder: Path, detail: str) -> None:
        self.folder = folder
        super().__init__(
            f"The work folder {folder} is damaged ({detail}): delete it, or run again with --restart, "
            "to start that export over."
        )


class ExportAlreadyRunning(ExportError):
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__(
            f"This export is already running (work folder {folder} is in use): wait for it to finish."
        )


class DemoNotInstalled(ExplainedError):
    """The offline demo was asked for where only the product is installed (the default Docker image)."""

    def __init__(self) -> None:
        super().__init__(
            "The offline demo is not installed here (the product image leaves the sandbox out): "
            "build the image with `docker build --target demo .`, or run the demo from a clone."
        )


@contextmanager
def demo_imports() -> Iterator[None]:
    """Around the imports of the offline demo: where the sandbox is absent, one sentence, not a traceback."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "sandbox":
            raise
        raise DemoNotInstalled() from None


def duration(seconds: float) -> str:
    """3600 → '1 h 0 min', 125 → '2 min 5 s', 86400 + 7200 → '1 d 2 h'."""
    total = max(0, round(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def until(seconds: float, now: dt.datetime | None = None) -> str:
    """When a wait of ``seconds`` from now ends, in UTC: 'until 14:05 UTC', or with the day when that
    is not today ('until 8 Dec 03:10 UTC'), so a person (or a schedule's next run) knows when to try."""
    now = now or dt.datetime.now(dt.UTC)
    end = now + dt.timedelta(seconds=seconds)
    return end.strftime("until %H:%M UTC" if end.date() == now.date() else "until %-d %b %H:%M UTC")


def free_space(path: Path) -> str:
    """Free space of the file system holding ``path`` (or its nearest existing parent), in MB."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return f"{shutil.disk_usage(probe).free / 1_000_000:.1f} MB"
    except OSError:
        return "unknown space"


# Telethon raises this after its retries of 5xx answers when raise_last_call_error is off.
_GAVE_UP = re.compile(r"^Request was unsuccessful \d+ time\(s\)$")
_UNAUTHORIZED = (errors.UnauthorizedError, errors.AuthKeyNotFound, errors.AuthKeyError)
_NO_ACCESS = (
    errors.ChannelPrivateError,
    errors.ChatForbiddenError,
    errors.ChannelInvalidError,
    errors.UserBannedInChannelError,
    errors.ChannelPublicGroupNaError,
)
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_PATH_ERRORS = {
    errno.EROFS: "is on a read-only file system: choose another folder",
    errno.EACCES: "cannot be written (permission denied): choose another folder or fix its permissions",
    errno.EPERM: "cannot be written (operation not permitted): choose another folder",
    errno.ENOENT: "does not exist: create it or choose another folder",
    errno.ENOTDIR: "is not a folder (a file is in the way): choose another folder",
    errno.EEXIST: "exists and is not a folder: choose another folder",
    errno.EISDIR: "is a folder where a file was expected: choose another name",
}


def leaf_error(exc: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def is_disk_full(exc: BaseException) -> bool:
    exc = leaf_error(exc)
    if isinstance(exc, OSError):
        return exc.errno in _DISK_FULL
    return (
        isinstance(exc, sqlite3.OperationalError)
        and getattr(exc, "sqlite_errorcode", 0) == sqlite3.SQLITE_FULL
    )


def explain(exc: BaseException, *, path: Path | None = None) -> str:
    """One sentence for the user about ``exc``; ``path`` is the folder being written, when known."""
    sentence = explain_known(exc, path=path)
    if sentence is None:
        leaf = leaf_error(exc)
        return f"The export stopped on an unexpected error ({type(leaf).__name__}: {leaf})."
    return sentence


def explain_known(exc: BaseException, *, path: Path | None = None) -> str | None:
    """The sentence for a fault this table knows; None for anything else (a bug of ours): the bot
    tells its users only that something went wrong, since the exception's text was not written for them."""
    exc = leaf_error(exc)
    if isinstance(exc, ExplainedError | DbError):
        return str(exc)
    if isinstance(exc, errors.RPCError):
        return _telegram(exc)
    if isinstance(exc, errors.AuthKeyNotFound):
        return f"Telegram does not know this session any more: {RELOGIN}."
    if is_disk_full(exc):
        where = Path(exc.filename) if isinstance(exc, OSError) and exc.filename else path
        if where is None:
            return "The disk is full: free some space, then run the export again to continue."
        return str(DiskFull(where))
    if isinstance(exc, sqlite3.DatabaseError):
        if path is not None:
            return str(WorkStoreDamaged(path, str(exc)))
        return f"A local database is damaged ({exc}): delete the export's work folder to start it over."
    if isinstance(exc, OSError) and exc.errno in _PATH_ERRORS:
        named = exc.filename or path or "the output folder"
        return f"{named} {_PATH_ERRORS[exc.errno]}."
    if isinstance(exc, ValueError) and _GAVE_UP.match(str(exc)):
        return _server_trouble()
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return (
            f"The connection to Telegram was lost ({exc or type(exc).__name__}): check the network, "
            "then run the export again to continue where it stopped."
        )
    return None


def _telegram(exc: errors.RPCError) -> str:
    if isinstance(exc, errors.TakeoutInitDelayError):
        return (
            "Telegram wants the data export confirmed first: allow it in another Telegram app "
            f"(a service message asks), or wait {duration(exc.seconds)}; or export without takeout."
        )
    if isinstance(exc, errors.TakeoutInvalidError):
        # api/takeout: one data export per account; a newer one cancels the older.
        return (
            "Another Telegram data export on this account (another app, or Telegram Desktop's "
            "Export chat history) cancelled ours: let that one finish, then run the export again "
            "to continue where it stopped."
        )
    if isinstance(exc, errors.TakeoutRequiredError):
        return "Telegram asked for a takeout session that was not open: run the export again with takeout."
    if isinstance(exc, errors.FloodPremiumWaitError):
        return (
            f"Telegram asked us to wait {duration(exc.seconds)} ({until(exc.seconds)}) before reading more (a limit of "
            "accounts without Premium), longer than we wait unattended: run the export again later "
            "to continue where it stopped."
        )
    if isinstance(exc, errors.SlowModeWaitError):
        return f"Slow mode is on in that chat: wait {duration(exc.seconds)}, then try again."
    if isinstance(exc, errors.FloodError):
        seconds = getattr(exc, "seconds", None)
        wait = f"wait {duration(seconds)} ({until(seconds)})" if seconds else "slow down"
        return (
            f"Telegram asked us to {wait} before reading more, longer than we wait unattended: "
            "run the export again later to continue where it stopped."
        )
    if isinstance(exc, _UNAUTHORIZED) or exc.code == 401:
        return f"Telegram refused the session ({exc.message}): {RELOGIN}."
    if isinstance(exc, _NO_ACCESS):
        return (
            "The exporting account has no access to that chat any more (private, left or banned): "
            "join it again with that account, then export again."
        )
    if isinstance(exc, errors.ServerError) or (exc.code or 0) >= 500:
        return _server_trouble(f" ({exc.message})")
    return f"Telegram refused a request: {exc.message} ({exc.code})."


def _server_trouble(detail: str = "") -> str:
    return (
        f"Telegram's servers kept failing{detail}: what was read is kept; run the export again "
        "in a few minutes to continue where it stopped."
    )
