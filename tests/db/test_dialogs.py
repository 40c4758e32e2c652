"""Dialog states (aiogram's FSM) in the application database: what one bot process wrote, another
reads; a finished dialog leaves nothing behind. On SQLite and PostgreSQL."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.dialog_storage import DatabaseStorage
from db import Database


class Login(StatesGroup):
    code = State()
    password = State()


async def test_a_dialog_goes_on_in_another_process_and_ends_without_a_trace(
    db: Database, other: Database
) -> None:
    key = StorageKey(bot_id=1, chat_id=-100123, user_id=7002, thread_id=5)
    here = FSMContext(DatabaseStorage(db), key)
    there = FSMContext(DatabaseStorage(other), key)
    await here.set_state(Login.code)
    await here.update_data(phone="+10000000000", attempts=1)
    assert await there.get_state() == Login.code.state
    await there.update_data(attempts=2)
    assert await here.get_data() == {"phone": "+10000000000", "attempts": 2}
    # Another topic of the same chat is another dialog.
    elsewhere = FSMContext(
        DatabaseStorage(other), StorageKey(bot_id=1, chat_id=-100123, user_id=7002, thread_id=6)
    )
    assert await elsewhere.get_state() is None and await elsewhere.get_data() == {}
    await there.clear()
    assert await here.get_state() is None and await here.get_data() == {}
    assert await db.fetchall("SELECT * FROM dialog_states") == []
