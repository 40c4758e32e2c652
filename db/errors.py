"""Errors of the application database, each with a message a bot operator can act on."""

from __future__ import annotations

from pathlib import Path


class DbError(Exception):
    """Base of every error this package raises on purpose."""


class DatabaseTooNew(DbError):
    def __init__(self, path: Path | str, found: int, known: int) -> None:
        self.path = path
        self.found = found
        self.known = known
        super().__init__(
            f"{path}: this database was written by a newer version (schema {found}, this code knows up "
            f"to {known}): upgrade the bot, or point DATA_DIR elsewhere"
        )


class DatabaseCorrupt(DbError):
    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        super().__init__(
            f"{path} is not a usable SQLite database ({detail}). It was left as it is: restore it from "
            "a backup, or move it away so the bot starts a fresh one (forgetting users and job history)"
        )


class DatabaseLocked(DbError):
    def __init__(self, path: Path, waited: float) -> None:
        self.path = path
        super().__init__(
            f"{path} stayed locked by another process for {waited:g} s: is another copy of the bot "
            "running on the same DATA_DIR? Stop it, or give each copy its own DATA_DIR"
        )


class DatabaseUnreachable(DbError):
    def __init__(self, where: str, detail: str) -> None:
        self.where = where
        super().__init__(
            f"the PostgreSQL database {where} could not be used ({detail}): check DATABASE_URL and that "
            "the server runs and accepts this user"
        )


class MigrationError(DbError):
    """The migrations shipped with the code are inconsistent (a packaging or development mistake)."""


class JobNotFound(DbError, LookupError):
    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        super().__init__(f"no job {job_id}")


class IllegalTransition(DbError):
    def __init__(self, job_id: int, current: str, wanted: str) -> None:
        self.job_id = job_id
        self.current = current
        self.wanted = wanted
        super().__init__(f"job {job_id} is {current}: it cannot become {wanted}")


class RoleError(DbError):
    """A role change the database refuses, such as denying an admin."""


class DiskBudgetExceeded(DbError):
    def __init__(self, budget: int, used: int, needed: int) -> None:
        self.budget = budget
        self.used = used
        self.needed = needed
        super().__init__(
            f"not enough room for archives: {_size(needed)} needed, {_size(used)} of the "
            f"{_size(budget)} budget already in use. Delete old archives or raise the disk budget"
        )


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    value = count / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


class TooManyWaiting(DbError):
    """A submit refused: the user already has ``cap`` exports queued or running."""

    def __init__(self, user_id: int, cap: int) -> None:
        self.user_id = user_id
        self.cap = cap
        super().__init__(f"user {user_id} already has {cap} exports waiting or running")
