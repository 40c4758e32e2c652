"""exporter.errors.explain: every fault the exporter can meet maps to one sentence with advice."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest
from telethon import errors

from db.errors import DatabaseLocked
from exporter.errors import WorkStoreDamaged, duration, explain


def _rpc(cls: type[errors.RPCError], **kw: object) -> errors.RPCError:
    return cls(request=None, **kw) if kw else cls(request=None)


@pytest.mark.parametrize(
    "seconds, words", [(0, "0 s"), (45, "45 s"), (125, "2 min 5 s"), (3600, "1 h 0 min"), (93_600, "1 d 2 h")]
)
def test_durations_in_words(seconds: int, words: str) -> None:
    assert duration(seconds) == words


@pytest.mark.parametrize(
    "exc, expected",
    [
        (errors.FloodWaitError(request=None, capture=3600), "wait 1 h 0 min"),
        (errors.FloodPremiumWaitError(request=None, capture=3600), "wait 1 h 0 min"),
        (errors.SlowModeWaitError(request=None, capture=90), "1 min 30 s"),
        (errors.TakeoutInitDelayError(request=None, capture=86_400), "1 d 0 h"),
        (errors.ServerError(request=None, message="INTERNAL", code=500), "servers kept failing"),
        (ValueError("Request was unsuccessful 5 time(s)"), "servers kept failing"),
        (_rpc(errors.AuthKeyUnregisteredError), "log in again with /login"),
        (_rpc(errors.SessionRevokedError), "log in again"),
        (_rpc(errors.UserDeactivatedError), "log in again"),
        (errors.AuthKeyNotFound(), "log in again"),
        (errors.UnauthorizedError(request=None, message="SOME_NEW_401", code=401), "log in again"),
        (_rpc(errors.ChannelPrivateError), "no access to that chat any more"),
        (_rpc(errors.ChatForbiddenError), "no access to that chat any more"),
        (_rpc(errors.UserBannedInChannelError), "no access to that chat any more"),
        (ConnectionResetError("reset by peer"), "connection to Telegram was lost"),
        (OSError(errno.EROFS, "Read-only file system", "/ro/out"), "/ro/out is on a read-only file system"),
        (PermissionError(errno.EACCES, "Permission denied", "/x"), "/x cannot be written"),
        (FileNotFoundError(errno.ENOENT, "No such file", "/nope/a.zip"), "/nope/a.zip does not exist"),
        (DatabaseLocked(Path("/d/app.sqlite"), 5), "another copy of the bot"),
    ],
)
def test_each_fault_has_its_sentence(exc: BaseException, expected: str) -> None:
    sentence = explain(exc)
    assert expected in sentence
    assert "Traceback" not in sentence and "\n" not in sentence


def test_a_session_error_never_says_run_the_same_command_again() -> None:
    assert "again to continue" not in explain(_rpc(errors.AuthKeyUnregisteredError))


def test_disk_full_names_the_free_space_and_the_path(tmp_path: Path) -> None:
    sentence = explain(OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "a" / "b.zip")))
    assert sentence.startswith("The disk is full (") and f"MB free at {tmp_path / 'a' / 'b.zip'}" in sentence
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL
    assert f"MB free at {tmp_path}" in explain(full, path=tmp_path)


def test_a_damaged_work_store_names_its_folder_and_how_to_start_over(tmp_path: Path) -> None:
    sentence = explain(sqlite3.DatabaseError("file is not a database"), path=tmp_path)
    assert str(tmp_path) in sentence and "--restart" in sentence
    assert explain(WorkStoreDamaged(tmp_path, "malformed")) == sentence.replace(
        "file is not a database", "malformed"
    )


def test_exception_groups_are_explained_by_their_first_error() -> None:
    group = ExceptionGroup(
        "unhandled errors in a TaskGroup", [ValueError("Request was unsuccessful 5 time(s)")]
    )
    assert "servers kept failing" in explain(group)
