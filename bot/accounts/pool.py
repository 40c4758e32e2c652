"""Which exporting account runs a job, and holding each account in one process at a time.

A job runs on one account, and an account runs one job at a time (one takeout
per account; its flood budget is the job's alone). For a job the pool tries
the accounts seen to read its chat first, then those never tried with it,
never those seen to be refused (``db.accounts``: what each account read or was
refused, by chat id and username). An account that cannot see the chat
(:class:`~exporter.targets.NotVisible`) is noted as such and the next one
tried; when every account was refused, the job fails with that sentence.
When the accounts that can read the chat are all busy, the job waits for one.

Using an account means holding its lease (db/accounts.py): taken before its
session is opened, renewed every ``renew_every`` seconds while the job runs,
given back when the job ends. A process that dies stops renewing, and after
``lease_seconds`` another process takes the account over, its session
decrypted from the database. A process whose renewal fails (the lease was
taken, the database unreachable for longer than the lease) disconnects the
account at once: a session used from two places is killed by Telegram
(AUTH_KEY_DUPLICATED, Telethon's errors list: "used under two different IP
addresses simultaneously, and can no longer be used").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from telethon import TelegramClient, errors
from telethon.tl import types

from db.accounts import Account, AccountStore
from db.jobs import Job
from exporter.export import ExportResult
from exporter.targets import NotVisible, ResolvedTarget, TargetError, parse_target

from .. import text
from .clients import AccountClients
from .floods import FloodMemory

log = logging.getLogger(__name__)
T = TypeVar("T")


def clock(moment: float | None) -> str:
    """A lease's time in a log line, to the millisecond (UTC)."""
    return "never" if moment is None else datetime.fromtimestamp(moment, UTC).strftime("%H:%M:%S.%f")[:-3]


# Three renewals may be missed (a slow database, a busy loop) before another process may take over.
LEASE_SECONDS = 30.0
RENEW_EVERY = 10.0
# How often a job waiting for a busy account looks again (a release in this process wakes it at once).
WAIT_POLL = 1.0


class NoAccountCanRead(TargetError):
    """Every exporting account was refused the chat."""


def chat_keys(target: str) -> list[str]:
    """How ``db.accounts`` names the chat a job asks for (none for Saved Messages: each account has its own)."""
    spec = parse_target(target)
    if spec.peer_id is not None:
        return [f"peer:{spec.peer_id}"]
    if spec.username is not None:
        return [f"name:{spec.username.lower()}"]
    return []


def same_for_every_account(target: str) -> bool:
    """Whether the chat ``target`` names is one chat whichever account reads it: a group or a
    channel (a negative marked id). A person's id names each account's own conversation with
    them, and Saved Messages is each account's own: not chats to hand to another account."""
    spec = parse_target(target)
    return spec.peer_id is not None and spec.peer_id < 0


# The key of a job's options that ties it to one session: its chat is that session's own conversation
# (a person's, a bot's, Saved Messages), which another account's chat with the same id is not. Its
# value: the exporting account's id, or None for the bot's own session. Absent: any account that reads it.
READER = "reader"


def reader_of(target: ResolvedTarget, account: Account | None) -> dict[str, int | None]:
    """What a job's options record of the session that resolved ``target`` (``account``, None for the
    bot's own): that session when the chat is a user (a person, a bot, oneself), nothing for a group
    or channel, which is one chat whichever account reads it."""
    if isinstance(target.entity, types.User):
        return {READER: None if account is None else account.id}
    return {}


@dataclass
class InUse:
    account: Account
    client: TelegramClient
    floods: FloodMemory


class AccountPool:
    def __init__(
        self,
        store: AccountStore,
        clients: AccountClients,
        holder: str,
        *,
        lease_seconds: float = LEASE_SECONDS,
        renew_every: float = RENEW_EVERY,
        wait_poll: float = WAIT_POLL,
    ) -> None:
        self.store = store
        self.clients = clients
        self.holder = holder
        self.lease_seconds = lease_seconds
        self.renew_every = renew_every
        self.wait_poll = wait_poll
        # Accounts this process has leased (a job of its own runs on each), and those open so far.
        self._taken: set[int] = set()
        self._in_use: dict[int, InUse] = {}
        self._released = asyncio.Event()
        self._renewer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._renewer = asyncio.create_task(self._renew_forever(), name=f"{self.holder} account leases")

    async def stop(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer

    async def active(self) -> list[Account]:
        return [account for account in await self.store.all() if not account.paused]

    async def run(
        self,
        job: Job,
        work: Callable[[TelegramClient], Awaitable[ExportResult]],
        on_wait: Callable[[], Awaitable[None]] | None = None,
    ) -> tuple[ExportResult, Account]:
        """``work(client)`` on an account that can read the job's chat; the result and the account.
        ``on_wait()`` once when every account that may read it is busy and the job waits. A job whose
        options name its account (:data:`READER`) runs on that one only, waiting while it is busy or
        paused, after a restart on any worker too: no other account has that conversation."""
        keys = chat_keys(job.target)
        bound = job.options.get(READER)
        refused: set[int] = set()
        while True:
            if bound is None:
                readers = partial(self._readers, keys, refused)
            else:
                readers = partial(self._its_account, int(bound))
            async with self._using(await self._lease_first(readers, on_wait)) as used:
                await self.store.set_job_account(job.id, used.account.id)
                try:
                    result = await work(used.client)
                except NotVisible as exc:
                    log.info("account %s cannot read the chat of job %s", used.account.id, job.id)
                    await self.store.note_chat(used.account.id, keys, readable=False)
                    # Not read by it: /stats and the summary must not count the job as its.
                    await self.store.set_job_account(job.id, None)
                    refused.add(used.account.id)
                    if bound is not None:
                        raise
                    if not await self._candidates(keys, refused):
                        raise NoAccountCanRead(text.NO_ACCOUNT_READS) from exc
                    continue
                await self.store.note_chat(used.account.id, [*keys, f"peer:{result.chat.id}"], readable=True)
                return result, used.account

    async def peek(
        self, target: str, work: Callable[[TelegramClient], Awaitable[T]], only: int | None = None
    ) -> tuple[T, Account]:
        """``work(client)`` on a free account that can read ``target`` (with ``only``: that account),
        at once (a preview while a person waits), and the account: NoAccountCanRead when every account
        is refused it or busy."""
        keys = chat_keys(target)
        candidates = [a for a in await self._candidates(keys, set()) if only is None or a.id == only]
        last: NotVisible | None = None
        for account in candidates:
            if not await self._try_lease(account):
                continue
            async with self._using(account) as used:
                try:
                    result = await work(used.client)
                except NotVisible as exc:
                    await self.store.note_chat(account.id, keys, readable=False)
                    last = exc
                    continue
                await self.store.note_chat(account.id, keys, readable=True)
                return result, account
        if last is not None or not candidates:
            raise NoAccountCanRead(text.NO_ACCOUNT_READS)
        raise NoAccountCanRead(text.NO_ACCOUNT_FREE)

    async def _candidates(self, keys: list[str], refused: set[int]) -> list[Account]:
        """The accounts to try, those seen reading the chat first; never one refused it."""
        seen = await self.store.readers(keys)
        accounts = [a for a in await self.active() if a.id not in refused and seen.get(a.id) is not False]
        return sorted(accounts, key=lambda a: (not seen.get(a.id, False), a.id))

    @asynccontextmanager
    async def _using(self, account: Account) -> AsyncIterator[InUse]:
        """An account this process has just leased: its session opened, given back when done."""
        try:
            used = await self._open(account)
        except BaseException:
            await self._give_back(account.id)
            raise
        self._in_use[account.id] = used
        try:
            yield used
        finally:
            del self._in_use[account.id]
            await self._close(used)
            await self._give_back(account.id)

    async def _try_lease(self, account: Account) -> bool:
        if account.id in self._taken:
            return False  # this process runs another job on it
        # Taken before the lease is asked for: another job of this process must not pass meanwhile.
        self._taken.add(account.id)
        until = await self.store.lease(account.id, self.holder, self.lease_seconds)
        if until is not None:
            # Who held it before, as read just now for the candidates: a takeover says whose lease ended.
            before = (
                "free" if account.holder is None else f"{account.holder} until {clock(account.lease_until)}"
            )
            log.info(
                "account %s taken by %s until %s (before: %s)", account.id, self.holder, clock(until), before
            )
            return True
        self._taken.discard(account.id)
        return False

    async def _readers(self, keys: list[str], refused: set[int]) -> list[Account]:
        candidates = await self._candidates(keys, refused)
        if not candidates:
            raise NoAccountCanRead(text.NO_ACCOUNT)
        return candidates

    async def _its_account(self, account_id: int) -> list[Account]:
        """The account whose own conversation a job's chat is, unless paused (the job waits for it)."""
        account = await self.store.get(account_id)
        if account is None:
            raise NoAccountCanRead(text.READER_REMOVED)
        return [] if account.paused else [account]

    async def _lease_first(
        self,
        readers: Callable[[], Awaitable[list[Account]]],
        on_wait: Callable[[], Awaitable[None]] | None,
    ) -> Account:
        """The first of ``readers()`` this process can lease, looking again whenever one is given
        back (or every ``wait_poll`` seconds: another process gives accounts back unseen)."""
        while True:
            self._released.clear()
            for account in await readers():
                if await self._try_lease(account):
                    return account
            if on_wait is not None:
                await on_wait()
                on_wait = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self.wait_poll)

    async def _open(self, account: Account) -> InUse:
        client = self.clients.client(await self.store.session(account.id))
        floods = FloodMemory(self.store, account.id, await self.store.flood_waits(account.id))
        floods.install(client)
        await client.connect()
        return InUse(account, client, floods)

    async def _close(self, used: InUse) -> None:
        try:
            renewed = await self.store.renew(self.holder, [used.account.id], self.lease_seconds)
            if used.account.id in renewed:
                await self.store.save_session(used.account.id, self.holder, self.clients.payload(used.client))
        finally:
            await used.client.disconnect()

    async def _give_back(self, account_id: int) -> None:
        try:
            if await self.store.release(account_id, self.holder):
                log.info("account %s given back by %s at %s", account_id, self.holder, clock(time.time()))
        finally:
            self._taken.discard(account_id)
            self._released.set()

    async def _renew_forever(self) -> None:
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            await asyncio.sleep(self.renew_every)
            ids = list(self._taken)
            try:
                leases = await self.store.renew(self.holder, ids, self.lease_seconds)
                renewed = loop.time()
                held = set(leases)
                for account_id, until in sorted(leases.items()):
                    log.info("account %s renewed by %s until %s", account_id, self.holder, clock(until))
            except Exception:
                log.exception("renewing the account leases failed")
                # Unrenewed, the leases run out before the next try: another process may take them.
                held = set() if loop.time() - renewed + self.renew_every >= self.lease_seconds else set(ids)
            for account_id in set(ids) - held:
                used = self._in_use.get(account_id)
                if used is not None:
                    # Another process may use the account now: this one must stop at once.
                    log.error("the lease of account %s was lost; disconnecting it", account_id)
                    await used.client.disconnect()


async def look_up(
    client: TelegramClient,
    pool: AccountPool | None,
    target: str,
    work: Callable[[TelegramClient], Awaitable[T]],
    on: Mapping[str, int | None] | None = None,
) -> tuple[T, Account | None]:
    """``work(client)`` with the bot's own session, and where it fails (a chat it cannot see, the
    session not logged in at all: with accounts stored it is optional, or a flood wait: its flood
    limit is an account's, maybe one busy exporting), at once on an exporting account that can
    (``AccountPool.peek``); the account's own sentence when none can. With the account (None: the
    bot's own session). ``on``: a :func:`reader_of` record; when it names a session, on that one only
    (the preview found the chat to be its own conversation: the export must be that one)."""
    if on and READER in on:
        bound = on[READER]
        if bound is None:
            return await work(client), None
        if pool is None:
            raise NoAccountCanRead(text.NO_ACCOUNT)
        return await pool.peek(target, work, only=bound)
    try:
        return await work(client), None
    except (TargetError, errors.FloodError):
        if pool is None:
            raise
    return await pool.peek(target, work)
