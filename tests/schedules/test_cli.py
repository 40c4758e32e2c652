"""python -m bot schedules: the operator lists, pauses, resumes, runs and deletes schedules in the
bot's database at a terminal, as a separate process beside the bot (run asks the bot's timer)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.schedules_cli import parse, run
from bot.settings import BotSettings
from db import open_database
from db.schedules import NewSchedule, ScheduleStore

TOKEN = "123456:" + "A" * 35
# The tree these tests belong to, whichever checkout the package was installed from.
ROOT = Path(__file__).resolve().parents[2]


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATA_DIR": str(data_dir), "BOT_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot", "schedules", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=data_dir,  # no .env there
        timeout=60,
        check=False,
    )


def daily_digest() -> NewSchedule:
    return NewSchedule(
        user_id=7001, chat_id=7001, thread_id=None, target="-1001", title="Daily Digest",
        rule_kind="daily", at_minute=180, weekday=None, every_seconds=0, anchor_at=0.0,
        time_zone="Europe/Berlin", options={}, last_ids={}, next_run_at=1_800_000_000.0,
    )  # fmt: skip


async def make(data_dir: Path) -> int:
    database = await open_database(data_dir / "app.sqlite")
    try:
        made = await ScheduleStore(database).create(daily_digest())
    finally:
        await database.close()
    return made.id


async def stored(data_dir: Path, schedule_id: int) -> tuple[bool, bool] | None:
    database = await open_database(data_dir / "app.sqlite")
    try:
        found = await ScheduleStore(database).get(schedule_id)
    finally:
        await database.close()
    return None if found is None else (found.paused, found.run_requested)


async def test_the_operator_manages_schedules_at_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule_id = await make(tmp_path)
    # The command as typed, once (a process of its own starts slowly on a busy machine).
    listed = cli(tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == (
        f"#{schedule_id} user 7001: Daily Digest (-1001), daily at 03:00 (Europe/Berlin); "
        "next: Fri 15 Jan 09:00 CET; last: not run yet"
    )
    settings = BotSettings(_env_file=None, bot_token=SecretStr(TOKEN), data_dir=tmp_path)

    async def said(*argv: str) -> tuple[int, str]:
        code = await run(settings, parse(list(argv)))
        return code, capsys.readouterr().out.strip()

    assert await said("pause", str(schedule_id)) == (0, f"#{schedule_id} paused.")
    assert await stored(tmp_path, schedule_id) == (True, False)
    assert "next: paused" in (await said())[1]
    code, words = await said("resume", str(schedule_id))
    assert code == 0 and words.startswith(f"#{schedule_id} resumed: next run ")
    assert await said("run", str(schedule_id)) == (0, f"#{schedule_id} runs within 30 s.")
    assert await stored(tmp_path, schedule_id) == (False, True)
    assert await said("delete", str(schedule_id)) == (0, f"Deleted #{schedule_id}.")
    assert await stored(tmp_path, schedule_id) is None
    assert await said("run", "99") == (
        2,
        "error: there is no schedule #99 (python -m bot schedules lists them)",
    )
    assert await said() == (0, "No scheduled exports.")
    with pytest.raises(SystemExit):
        parse(["pause"])  # which one?


async def test_with_database_url_it_reads_the_bots_postgresql(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = await open_database(postgres_url)
    try:
        made = await ScheduleStore(database).create(daily_digest())
    finally:
        await database.close()
    settings = BotSettings(
        _env_file=None, bot_token=SecretStr(TOKEN), data_dir=tmp_path, database_url=SecretStr(postgres_url)
    )
    assert await run(settings, parse(["pause", str(made.id)])) == 0
    assert capsys.readouterr().out.strip() == f"#{made.id} paused."
    assert await run(settings, parse([])) == 0
    assert capsys.readouterr().out.startswith(f"#{made.id} user 7001: Daily Digest (-1001)")
    assert not (tmp_path / "app.sqlite").exists()  # the SQLite file was never made
