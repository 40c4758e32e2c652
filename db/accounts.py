"""Exporting accounts: their sessions (encrypted at rest), leases, what each can read, flood waits.

A Telegram session used from two places at once is killed by Telegram
(AUTH_KEY_DUPLICATED), so an account is used by one process at a time: the
process holds a lease (``holder``, ``lease_until``) and renews it by
heartbeat. Taking a lease is one ``UPDATE … WHERE`` that succeeds only when
nobody holds it or the holder's lease has run out, so two processes never both
get it, on SQLite and PostgreSQL alike. A process that dies stops renewing;
once ``lease_until`` has passed, another process takes the account.

Sessions are stored as Fernet tokens (``cryptography``: AES-128-CBC with an
HMAC-SHA256, the key from ``SESSION_KEY``): the database alone, a backup of
it, or a log of its rows opens no account. A key that does not open them is
:class:`WrongSessionKey`, said once at start-up.

Storage only: which account runs which job is decided in ``bot.accounts``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from .backend import Database, Row
from .errors import DbError
from .timing_report import report_path


class WrongSessionKey(DbError):
    """The stored sessions cannot be opened with the key given (or none was given)."""


class AccountNotFound(DbError):
    pass


class SessionCipher:
    """Encrypts and decrypts session payloads with one Fernet key."""

    def __init__(self, key: str) -> None:
        # ValueError for anything that is not 32 url-safe base64 bytes (the settings check it first).
        self._fernet = Fernet(key.encode())

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def seal(self, payload: Mapping[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(payload).encode()).decode()

    def open(self, token: str) -> dict[str, Any]:
        try:
            payload: dict[str, Any] = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise WrongSessionKey(
                "SESSION_KEY does not open the account sessions stored in the database: set it to the "
                "key they were saved with (or remove the accounts with /accounts and add them again)"
            ) from None
        return payload


@dataclass(frozen=True)
class Account:
    id: int
    tg_user_id: int
    name: str
    paused: bool
    holder: str | None
    lease_until: float | None

    def held_by_other(self, holder: str, now: float) -> bool:
        return self.holder not in (None, holder) and (self.lease_until or 0) >= now


@dataclass(frozen=True)
class AccountLoad:
    """One account's recent work, for /stats: exports, messages a second, flood waits."""

    account: Account
    exports: int
    messages: int
    seconds: float
    flood_waits: int
    flood_seconds: int

    @property
    def rate(self) -> float | None:
        return self.messages / self.seconds if self.seconds > 0 else None


@dataclass(frozen=True)
class ChatSeen:
    """A chat in an account's dialog list, as /login saw it (``peer_id`` marked, as Telegram's
    clients and our targets name it)."""

    peer_id: int
    kind: str
    title: str
    username: str | None


_COLUMNS = "id, tg_user_id, name, paused, holder, lease_until"


def _account(row: Row) -> Account:
    return Account(row[0], row[1], row[2], row[3] == 1, row[4], row[5])


class AccountStore:
    def __init__(self, db: Database, cipher: SessionCipher | None) -> None:
        self._db = db
        self._cipher = cipher

    @property
    def cipher(self) -> SessionCipher:
        if self._cipher is None:
            raise WrongSessionKey(
                "SESSION_KEY is not set: exporting accounts' sessions are stored encrypted with it"
            )
        return self._cipher

    async def _write(self, sql: str, parameters: Sequence[Any]) -> list[Row]:
        """A write of one statement. In a write transaction: PostgreSQL's read snapshots are
        REPEATABLE READ, where an UPDATE racing another process's (two workers renewing their
        leases) fails with "could not serialize access"; write transactions take turns."""
        async with self._db.transaction() as connection:
            return list(await connection.execute_fetchall(sql, parameters))

    async def check_key(self) -> int:
        """At start-up: every stored session opens with the key (or WrongSessionKey); how many."""
        rows = await self._db.fetchall("SELECT session FROM accounts")
        for row in rows:
            self.cipher.open(row[0])
        return len(rows)

    async def add(
        self, tg_user_id: int, name: str, session: Mapping[str, Any], added_by: int | None
    ) -> Account:
        """A new account, or the same Telegram account logged in again (its session replaced)."""
        sealed = self.cipher.seal(session)
        async with self._db.transaction() as connection:
            rows = await connection.execute_fetchall(
                "INSERT INTO accounts (tg_user_id, name, session, added_by, added_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (tg_user_id) DO UPDATE SET name = excluded.name, session = excluded.session, "
                "paused = 0 "
                f"RETURNING {_COLUMNS}",
                (tg_user_id, name, sealed, added_by, self._db.now()),
            )
        return _account(next(iter(rows)))

    async def all(self) -> list[Account]:
        return [
            _account(row) for row in await self._db.fetchall(f"SELECT {_COLUMNS} FROM accounts ORDER BY id")
        ]

    async def get(self, account_id: int) -> Account | None:
        row = await self._db.fetchone(f"SELECT {_COLUMNS} FROM accounts WHERE id = ?", (account_id,))
        return None if row is None else _account(row)

    async def set_paused(self, account_id: int, paused: bool) -> Account:
        rows = await self._write(
            f"UPDATE accounts SET paused = ? WHERE id = ? RETURNING {_COLUMNS}", (int(paused), account_id)
        )
        if not rows:
            raise AccountNotFound(f"no account {account_id}")
        return _account(rows[0])

    async def remove(self, account_id: int) -> bool:
        """Forget the account, unless a process holds it (an export runs on it): False then."""
        async with self._db.transaction() as connection:
            cursor = await connection.execute(
                "DELETE FROM accounts WHERE id = ? AND (holder IS NULL OR lease_until < ?)",
                (account_id, self._db.now()),
            )
            if cursor.rowcount == 0:
                return False
            await connection.execute("DELETE FROM account_chats WHERE account_id = ?", (account_id,))
            await connection.execute("DELETE FROM account_floods WHERE account_id = ?", (account_id,))
        return True

    async def session(self, account_id: int) -> dict[str, Any]:
        row = await self._db.fetchone("SELECT session FROM accounts WHERE id = ?", (account_id,))
        if row is None:
            raise AccountNotFound(f"no account {account_id}")
        return self.cipher.open(row[0])

    async def save_session(self, account_id: int, holder: str, session: Mapping[str, Any]) -> None:
        """The session as its holder last had it (Telethon moves DCs, for one)."""
        await self._write(
            "UPDATE accounts SET session = ? WHERE id = ? AND holder = ? RETURNING id",
            (self.cipher.seal(session), account_id, holder),
        )

    # leases

    async def lease(self, account_id: int, holder: str, seconds: float) -> float | None:
        """Take (or renew) the account for ``holder``: only when nobody else holds a live lease and
        the account is not paused. Until when it is held, or None when it was not taken."""
        now = self._db.now()
        rows = await self._write(
            "UPDATE accounts SET holder = ?, lease_until = ? "
            "WHERE id = ? AND paused = 0 AND (holder IS NULL OR holder = ? OR lease_until < ?) "
            "RETURNING lease_until",
            (holder, now + seconds, account_id, holder, now),
        )
        return float(rows[0][0]) if rows else None

    async def renew(self, holder: str, account_ids: Iterable[int], seconds: float) -> dict[int, float]:
        """Extend the holder's leases: each account it still holds (a lost one was taken or removed)
        and until when."""
        ids = list(account_ids)
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = await self._write(
            f"UPDATE accounts SET lease_until = ? WHERE holder = ? AND id IN ({marks}) RETURNING id, lease_until",
            (self._db.now() + seconds, holder, *ids),
        )
        return {row[0]: float(row[1]) for row in rows}

    async def release(self, account_id: int, holder: str) -> bool:
        """Give the account back; False when ``holder`` no longer held it."""
        rows = await self._write(
            "UPDATE accounts SET holder = NULL, lease_until = NULL WHERE id = ? AND holder = ? RETURNING id",
            (account_id, holder),
        )
        return bool(rows)

    # what each account can read

    async def note_chat(self, account_id: int, chat_keys: Iterable[str], readable: bool) -> None:
        now = self._db.now()
        async with self._db.transaction() as connection:
            await connection.executemany(
                "INSERT INTO account_chats (account_id, chat_key, readable, seen_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (account_id, chat_key) DO UPDATE SET readable = excluded.readable, "
                "seen_at = excluded.seen_at",
                [(account_id, key, int(readable), now) for key in dict.fromkeys(chat_keys)],
            )

    async def note_dialogs(self, account_id: int, chats: Sequence[ChatSeen]) -> None:
        """The account's dialog list, most recent first: each chat readable by it, with its title."""
        now = self._db.now()
        async with self._db.transaction() as connection:
            await connection.executemany(
                "INSERT INTO account_chats (account_id, chat_key, readable, seen_at, title, kind, username, "
                "dialog_rank) VALUES (?, ?, 1, ?, ?, ?, ?, ?) "
                "ON CONFLICT (account_id, chat_key) DO UPDATE SET readable = 1, seen_at = excluded.seen_at, "
                "title = excluded.title, kind = excluded.kind, username = excluded.username, "
                "dialog_rank = excluded.dialog_rank",
                [
                    (account_id, f"peer:{chat.peer_id}", now, chat.title, chat.kind, chat.username, rank)
                    for rank, chat in enumerate(chats)
                ],
            )

    async def readable_chats(self, limit: int) -> list[ChatSeen]:
        """The chats the accounts not paused read, each once, those highest in an account's dialog
        list first (chats of several accounts taking their best place); at most ``limit``."""
        rows = await self._db.fetchall(
            "SELECT c.chat_key, MIN(c.dialog_rank) AS best, MAX(c.kind), MAX(c.title), MAX(c.username) "
            "FROM account_chats AS c JOIN accounts AS a ON a.id = c.account_id "
            "WHERE c.readable = 1 AND c.title IS NOT NULL AND a.paused = 0 "
            "GROUP BY c.chat_key ORDER BY best, c.chat_key LIMIT ?",
            (limit,),
        )
        return [ChatSeen(int(row[0].removeprefix("peer:")), row[2], row[3], row[4]) for row in rows]

    async def readers(self, chat_keys: Iterable[str]) -> dict[int, bool]:
        """Account id -> whether it was seen to read the chat (a refusal under any key wins)."""
        keys = list(dict.fromkeys(chat_keys))
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        rows = await self._db.fetchall(
            f"SELECT account_id, MIN(readable) FROM account_chats WHERE chat_key IN ({marks}) "
            "GROUP BY account_id",
            keys,
        )
        return {row[0]: row[1] == 1 for row in rows}

    # flood waits

    async def note_flood(self, account_id: int, method: str, seconds: int) -> None:
        now = self._db.now()
        await self._write(
            "INSERT INTO account_floods (account_id, method, seconds, at, wait_until) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            (account_id, method, seconds, now, now + seconds),
        )

    async def flood_waits(self, account_id: int) -> dict[str, float]:
        """Method -> until when Telegram asked this account to wait (waits still running only)."""
        rows = await self._db.fetchall(
            "SELECT method, MAX(wait_until) FROM account_floods WHERE account_id = ? AND wait_until > ? "
            "GROUP BY method",
            (account_id, self._db.now()),
        )
        return {row[0]: float(row[1]) for row in rows}

    async def set_job_account(self, job_id: int, account_id: int | None) -> None:
        await self._write("UPDATE jobs SET account_id = ? WHERE id = ? RETURNING id", (account_id, job_id))

    async def loads(self, since_seconds: float) -> list[AccountLoad]:
        """Each account's finished exports and flood waits of the last ``since_seconds``."""
        since = self._db.now() - since_seconds
        accounts = await self.all()
        field = partial(self._db.dialect.json_field, "report")
        # As /stats counts a rate (db/stats.py): the messages this run read over the export's own time.
        fetched = f"COALESCE({field(report_path('fetched'))}, {field(report_path('messages'))})"
        wall = f"COALESCE({field(report_path('export_wall'))}, {field(report_path('wall'))})"
        jobs = {
            row[0]: row
            for row in await self._db.fetchall(
                "SELECT account_id, COUNT(*), COALESCE(SUM(fetched), 0), COALESCE(SUM(wall), 0) FROM ("
                f"  SELECT account_id, {fetched} AS fetched, {wall} AS wall "
                "  FROM jobs WHERE account_id IS NOT NULL AND state = 'done' AND report IS NOT NULL "
                "  AND finished_at >= ?"
                ") AS done_jobs GROUP BY account_id",
                (since,),
            )
        }
        floods = {
            row[0]: row
            for row in await self._db.fetchall(
                "SELECT account_id, COUNT(*), COALESCE(SUM(seconds), 0) FROM account_floods WHERE at >= ? "
                "GROUP BY account_id",
                (since,),
            )
        }
        loads = []
        for account in accounts:
            job, flood = jobs.get(account.id), floods.get(account.id)
            loads.append(
                AccountLoad(
                    account,
                    exports=job[1] if job else 0,
                    messages=int(job[2]) if job else 0,
                    seconds=float(job[3]) if job else 0.0,
                    flood_waits=flood[1] if flood else 0,
                    flood_seconds=int(flood[2]) if flood else 0,
                )
            )
        return loads
