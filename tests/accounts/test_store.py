"""The accounts' storage (db/accounts.py) on SQLite and PostgreSQL: sessions encrypted at rest, leases
that one holder at a time gets and a dead holder loses, what each account reads, flood waits kept."""

from __future__ import annotations

import pytest

from db import Database
from db.accounts import AccountStore, ChatSeen, SessionCipher, WrongSessionKey
from tests.db.support import FakeClock

SESSION = {"string_session": "1AZWarzgBu5ZQ0q-secret-auth-key"}


@pytest.fixture
def store(db: Database) -> AccountStore:
    return AccountStore(db, SessionCipher(SessionCipher.new_key()))


async def test_a_session_is_stored_encrypted_and_opens_only_with_its_key(
    db: Database, store: AccountStore
) -> None:
    account = await store.add(5001, "Ada", SESSION, added_by=7001)
    stored = await db.fetchone("SELECT session FROM accounts WHERE id = ?", (account.id,))
    assert stored is not None and "secret-auth-key" not in stored[0]
    assert await store.session(account.id) == SESSION
    assert await store.check_key() == 1
    with pytest.raises(WrongSessionKey, match="SESSION_KEY does not open"):
        await AccountStore(db, SessionCipher(SessionCipher.new_key())).check_key()
    with pytest.raises(WrongSessionKey, match="SESSION_KEY is not set"):
        await AccountStore(db, None).check_key()


async def test_logging_the_same_account_in_again_replaces_its_session(store: AccountStore) -> None:
    first = await store.add(5001, "Ada", SESSION, added_by=7001)
    await store.set_paused(first.id, True)
    again = await store.add(5001, "Ada L.", {"string_session": "new"}, added_by=7001)
    assert again.id == first.id and again.name == "Ada L." and not again.paused
    assert await store.session(first.id) == {"string_session": "new"}
    assert [a.id for a in await store.all()] == [first.id]


async def test_a_lease_has_one_holder_until_it_expires(store: AccountStore, clock: FakeClock) -> None:
    account = await store.add(5001, "Ada", SESSION, added_by=None)
    assert await store.lease(account.id, "worker-1", 30) == clock.now + 30
    assert await store.lease(account.id, "worker-2", 30) is None
    clock.advance(20)
    assert await store.renew("worker-1", [account.id], 30) == {account.id: clock.now + 30}
    clock.advance(20)
    assert await store.lease(account.id, "worker-2", 30) is None, "renewed 20 s ago: still worker-1's"
    # worker-1 dies: nobody renews, and 30 s after the last renewal the lease is free.
    clock.advance(11)
    assert await store.lease(account.id, "worker-2", 30) == clock.now + 30
    assert await store.renew("worker-1", [account.id], 30) == {}, "the dead holder lost it"
    # A late release by the old holder changes nothing.
    assert not await store.release(account.id, "worker-1")
    assert (await store.get(account.id)).holder == "worker-2"  # type: ignore[union-attr]
    assert await store.release(account.id, "worker-2")
    assert await store.lease(account.id, "worker-3", 30) is not None


async def test_a_paused_account_is_not_leased(store: AccountStore) -> None:
    account = await store.add(5001, "Ada", SESSION, added_by=None)
    await store.set_paused(account.id, True)
    assert await store.lease(account.id, "worker-1", 30) is None
    await store.set_paused(account.id, False)
    assert await store.lease(account.id, "worker-1", 30) is not None


async def test_what_an_account_reads_and_a_refusal_under_any_name_wins(store: AccountStore) -> None:
    a = await store.add(5001, "Ada", SESSION, added_by=None)
    b = await store.add(5002, "Bea", SESSION, added_by=None)
    await store.note_chat(b.id, ["peer:-1001", "name:club"], readable=True)
    await store.note_chat(a.id, ["name:club"], readable=False)
    await store.note_chat(a.id, ["peer:-1001"], readable=True)
    assert await store.readers(["peer:-1001"]) == {a.id: True, b.id: True}
    assert await store.readers(["name:club", "peer:-1001"]) == {a.id: False, b.id: True}
    assert await store.readers(["peer:-2"]) == {}


async def test_flood_waits_are_kept_per_account_and_method_until_they_end(
    store: AccountStore, clock: FakeClock
) -> None:
    a = await store.add(5001, "Ada", SESSION, added_by=None)
    b = await store.add(5002, "Bea", SESSION, added_by=None)
    await store.note_flood(a.id, "messages.getHistory", 30)
    await store.note_flood(a.id, "messages.getHistory", 10)
    assert await store.flood_waits(a.id) == {"messages.getHistory": clock.now + 30}
    assert await store.flood_waits(b.id) == {}
    clock.advance(31)
    assert await store.flood_waits(a.id) == {}
    loads = {load.account.id: load for load in await store.loads(86400)}
    assert (loads[a.id].flood_waits, loads[a.id].flood_seconds) == (2, 40)
    assert (loads[b.id].flood_waits, loads[b.id].exports, loads[b.id].rate) == (0, 0, None)


async def test_removing_an_idle_account_forgets_its_session_chats_and_waits(
    db: Database, store: AccountStore
) -> None:
    a = await store.add(5001, "Ada", SESSION, added_by=None)
    await store.note_chat(a.id, ["peer:-1001"], readable=True)
    await store.note_flood(a.id, "messages.getHistory", 30)
    assert await store.lease(a.id, "worker-1", 30)
    assert not await store.remove(a.id), "a process exports with it: it stays"
    await store.release(a.id, "worker-1")
    assert await store.remove(a.id)
    assert await store.all() == []
    for table in ("account_chats", "account_floods"):
        assert await db.fetchall(f"SELECT * FROM {table}") == []


async def test_the_chats_the_accounts_read_are_listed_once_best_place_first(store: AccountStore) -> None:
    ada = await store.add(5001, "Ada", SESSION, added_by=None)
    bea = await store.add(5002, "Bea", SESSION, added_by=None)
    news, talk, vault = (
        ChatSeen(-1001, "public_channel", "News", "news"),
        ChatSeen(-1002, "public_supergroup", "Talk", "talk"),
        ChatSeen(-1003, "private_channel", "Vault", None),
    )
    await store.note_dialogs(ada.id, [talk, news])
    await store.note_dialogs(bea.id, [news, vault, ChatSeen(-1002, "public_supergroup", "Talk", "talk")])
    # News is Bea's first and Ada's second: first; Talk is Ada's first.
    assert await store.readable_chats(10) == [news, talk, vault]
    assert await store.readable_chats(2) == [news, talk]
    # A job's note keeps the title; a refusal, or the account paused, takes the chat off the list.
    await store.note_chat(bea.id, ["peer:-1003"], readable=True)
    assert vault in await store.readable_chats(10)
    await store.note_chat(bea.id, ["peer:-1003"], readable=False)
    assert await store.readable_chats(10) == [news, talk]
    await store.set_paused(ada.id, True)
    assert await store.readable_chats(10) == [news, talk]  # Bea reads both too
    await store.set_paused(bea.id, True)
    assert await store.readable_chats(10) == []
