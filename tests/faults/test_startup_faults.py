"""python -m bot and python -m exporter at start-up: a damaged or locked session file or application
database is one sentence and exit 2, never a traceback."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from db import open_database


async def start_bot(tmp_path: Path, **env: str) -> tuple[int, str]:
    settings = {
        "BOT_TOKEN": "123456:not-a-real-token",
        "TG_API_ID": "611335",
        "TG_API_HASH": "d524b414d21f4d37f08684c1df41ac9c",
        "TG_SESSION_PATH": str(tmp_path / "user.session"),
        "DATA_DIR": str(tmp_path / "data"),
        # Nothing may reach Telegram: a closed local port.
        "BOT_API_URL": "http://127.0.0.1:9",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env={**os.environ, **settings, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, err.decode()


def last_line(err: str) -> str:
    assert "Traceback" not in err, err
    return err.strip().splitlines()[-1]


async def test_a_damaged_telethon_session_file_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "user.session").write_bytes(b"not a SQLite database at all" * 40)
    code, err = await start_bot(tmp_path)
    line = last_line(err)
    assert (
        code == 2
        and f"session file {tmp_path / 'user.session'} is damaged" in line
        and "log in again" in line
    )


async def test_a_damaged_application_database_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "app.sqlite").write_bytes(b"garbage" * 200)
    code, err = await start_bot(tmp_path)
    line = last_line(err)
    assert code == 2 and "app.sqlite is not a usable SQLite database" in line


async def test_a_locked_application_database_is_one_sentence(tmp_path: Path) -> None:
    database = await open_database(tmp_path / "data" / "app.sqlite")
    await database.close()
    holder = sqlite3.connect(tmp_path / "data" / "app.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, err = await start_bot(tmp_path)
    finally:
        holder.close()
    assert code == 2 and "stayed locked by another process" in last_line(err)
