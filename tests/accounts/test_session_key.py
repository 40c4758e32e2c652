"""SESSION_KEY at start-up (python -m bot): a key that does not open the stored sessions, none while
sessions are stored, or one that is not a key: one sentence, exit 2, the key never printed."""

from __future__ import annotations

from pathlib import Path

from db import open_database
from db.accounts import AccountStore, SessionCipher
from tests.faults.test_startup_faults import last_line, start_bot

SESSION = {"string_session": "1AZWarzgBu5ZQ0q-secret-auth-key"}


async def stored_account(tmp_path: Path, key: str) -> None:
    database = await open_database(tmp_path / "data" / "app.sqlite")
    try:
        await AccountStore(database, SessionCipher(key)).add(5001, "Ada", SESSION, added_by=None)
    finally:
        await database.close()


async def test_a_wrong_session_key_is_one_sentence(tmp_path: Path) -> None:
    await stored_account(tmp_path, SessionCipher.new_key())
    wrong = SessionCipher.new_key()
    code, err = await start_bot(tmp_path, SESSION_KEY=wrong)
    line = last_line(err)
    assert code == 2 and "SESSION_KEY does not open the account sessions stored in the database" in line
    assert wrong not in err and "secret-auth-key" not in err


async def test_stored_sessions_without_a_key_is_one_sentence(tmp_path: Path) -> None:
    await stored_account(tmp_path, SessionCipher.new_key())
    code, err = await start_bot(tmp_path)
    assert code == 2 and "SESSION_KEY is not set" in last_line(err)


async def test_a_session_key_that_is_no_key_is_named_with_the_other_settings(tmp_path: Path) -> None:
    code, err = await start_bot(tmp_path, SESSION_KEY="hunter2-not-a-key")
    line = last_line(err)
    assert code == 2 and "SESSION_KEY is not a key for the accounts' sessions" in line
    assert "hunter2" not in err


async def test_the_right_key_passes_to_the_next_check(tmp_path: Path) -> None:
    key = SessionCipher.new_key()
    await stored_account(tmp_path, key)
    code, err = await start_bot(tmp_path, SESSION_KEY=key)
    # The key opened the sessions: what stops this start is the unreachable Bot API (start_bot's).
    assert code == 2 and "Bot API" in last_line(err) and key not in err
