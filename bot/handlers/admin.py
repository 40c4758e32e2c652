"""Admins: /stats, /allow, /deny, and logging the user client in and out (/login by QR code, /logout).

A login code sent through a bot makes Telegram void it, so the user client
logs in by QR code: the bot shows the code, the admin scans it with a phone,
and a 2FA password, if asked for, is typed into the chat and deleted at once.

/login, /logout, /stats and the 2FA password work only in the admin's private
chat (private.py says why); /allow and /deny work in groups too (replying to
someone there is handy) and show nothing but the id they were given.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging

import segno
from aiogram import Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, InputMediaPhoto, Message
from telethon import TelegramClient, errors
from telethon.tl.types import User

from db import Role, RoleError, collect_stats
from exporter.qr_login import login_by_qr
from exporter.redaction import redact_secrets

from .. import text
from ..accounts.words import RECENT_DAYS, stats_lines
from ..charts import stats_chart
from ..context import App
from ..middlewares.access import sender_id
from .policy import PEER_ID_LIMIT, cancel_waiting
from .private import IN_A_GROUP, IN_PRIVATE, only_in_private

log = logging.getLogger(__name__)
QR_WAIT = 120
PRIVATE_ONLY = ("login", "logout", "stats")


class IsAdmin(Filter):
    async def __call__(self, message: Message, role: Role) -> bool:
        return role == Role.ADMIN


class Login(StatesGroup):
    password = State()


async def stats(message: Message, app: App) -> None:
    data = await collect_stats(app.database)
    t, shares, flood = data.totals, data.shares, data.flood
    lines = [
        text.STATS_JOBS.format(
            done=t.done, failed=t.failed, cancelled=t.cancelled, running=t.running, queued=t.queued
        ),
        text.STATS_VOLUME.format(messages=t.messages, megabytes=t.bytes / 1e6),
    ]
    if shares.exports:
        rate = sum(d.messages for d in data.days) / max(1e-9, sum(d.wall for d in data.days))
        lines.append(text.STATS_SPEED.format(days=len(data.days), rate=rate))
        phases = ", ".join(
            text.STATS_PHASE.format(phase=name.replace("_", " "), percent=100 * share)
            for name, share in shares.phases.items()
        )
        lines.append(text.STATS_PHASES.format(exports=shares.exports, seconds=shares.wall, phases=phases))
    lines.append(
        text.STATS_FLOOD.format(
            waits=flood.waits,
            exports=flood.exports_hit,
            waited=flood.waited_wall,
            refused=flood.refused,
            announced=flood.announced_seconds,
        )
    )
    if app.accounts is not None:
        lines += stats_lines(await app.accounts.store.loads(RECENT_DAYS * 86400))
    if data.queue:
        users = ", ".join(
            text.STATS_QUEUE_USER.format(user_id=u.user_id, running=u.running, queued=u.queued)
            for u in data.queue
        )
        lines.append(text.STATS_QUEUE.format(users=users))
    if data.failures:
        lines.append(text.STATS_FAILURES)
        lines += [
            text.STATS_FAILURE.format(id=f.job_id, target=f.target, error=(f.error or "")[:120])
            for f in data.failures[:5]
        ]
    usage = (
        sum(p.stat().st_size for p in app.archives_dir.rglob("*") if p.is_file())
        if app.archives_dir.exists()
        else 0
    )
    lines.append(text.STATS_DISK.format(used=usage / 1e6, budget=app.settings.disk_budget_mb))
    await message.answer("\n".join(lines))
    chart = await asyncio.to_thread(stats_chart, data)
    await message.answer_photo(BufferedInputFile(chart, "stats.png"), caption=text.STATS_CHART_CAPTION)


async def _target_user(message: Message, command: CommandObject) -> int | None:
    typed = (command.args or "").strip()
    if typed.isdecimal():
        if int(typed) < PEER_ID_LIMIT:
            return int(typed)
        await message.answer(text.ID_TOO_BIG)
        return None
    if message.reply_to_message and message.reply_to_message.from_user:
        return message.reply_to_message.from_user.id
    await message.answer(text.WHO_USAGE.format(command=command.command))
    return None


async def allow(message: Message, command: CommandObject, app: App) -> None:
    user_id = await _target_user(message, command)
    if user_id is None:
        return
    changed = await app.users.allow(user_id, sender_id(message))
    await message.answer((text.ALLOWED if changed else text.ALREADY_ALLOWED).format(user_id=user_id))


async def deny(message: Message, command: CommandObject, app: App) -> None:
    user_id = await _target_user(message, command)
    if user_id is None:
        return
    try:
        changed = await app.users.deny(user_id, sender_id(message))
    except RoleError as exc:
        await message.answer(str(exc))
        return
    stopped = await cancel_waiting(
        app,
        lambda job: job.user_id == user_id,
        sender_id(message),
        text.CANCELLED_DENIED,
    )
    if changed:
        done = text.DENIED_CANCELLED if stopped else text.DENIED
    else:
        done = text.HAD_NO_ACCESS_CANCELLED if stopped else text.HAD_NO_ACCESS
    await message.answer(done.format(user_id=user_id, stopped=stopped))


async def login(message: Message, app: App, state: FSMContext) -> None:
    client = app.client
    if not client.is_connected():
        await client.connect()
    if await client.is_user_authorized():
        me = await client.get_me()
        await message.answer(text.ALREADY_LOGGED_IN.format(name=me.first_name, id=me.id))
        return
    user = await scan_qr(message, client, state, Login.password)
    if user is not None:
        await message.answer(text.LOGGED_IN.format(name=user.first_name, id=user.id))


async def scan_qr(
    message: Message, client: TelegramClient, state: FSMContext, password: State
) -> User | None:
    """Show QR codes until one is scanned: the user logged in, or None after saying why not (no scan in
    time; a two-step password asked for, ``state`` set to ``password`` to take it)."""
    shown: Message | None = None

    async def show(url: str, expires: dt.datetime) -> None:
        # A token lives ~30 s (api/qr-login): each new one replaces the picture in place.
        nonlocal shown
        png = io.BytesIO()
        segno.make(url, micro=False).save(png, kind="png", scale=8, border=2)
        picture = BufferedInputFile(png.getvalue(), "login.png")
        if shown is None:
            shown = await message.answer_photo(picture, caption=text.QR_CAPTION)
        else:
            await shown.edit_media(InputMediaPhoto(media=picture, caption=text.QR_CAPTION))

    try:
        return await login_by_qr(client, show, within=QR_WAIT)
    except errors.SessionPasswordNeededError:
        await state.set_state(password)
        await message.answer(text.TWO_STEP_PASSWORD)
        return None
    except TimeoutError:
        await message.answer(text.QR_NOT_SCANNED.format(minutes=QR_WAIT // 60))
        return None
    finally:
        if shown is not None:
            await shown.delete()


async def login_password(message: Message, app: App, state: FSMContext) -> None:
    user = await sign_in_with_password(message, app.client)
    if user is not None:
        await state.clear()
        await message.answer(text.LOGGED_IN.format(name=user.first_name, id=user.id))


async def sign_in_with_password(message: Message, client: TelegramClient) -> User | None:
    """The two-step password in ``message`` (deleted at once, never logged): the user, or None after
    saying it was wrong."""
    password = message.text or ""
    await message.delete()
    redact_secrets(password)
    try:
        user: User = await client.sign_in(password=password)
    except errors.PasswordHashInvalidError:
        await message.answer(text.WRONG_PASSWORD)
        return None
    return user


async def logout(message: Message, app: App) -> None:
    if not await app.client.is_user_authorized():
        await message.answer(text.NOT_LOGGED_IN)
        return
    await app.client.log_out()
    await message.answer(text.LOGGED_OUT)


def make_router() -> Router:
    """A fresh router per dispatcher (a router can belong to one only)."""
    router = Router(name="admin")
    router.message.filter(IsAdmin())
    router.message(Command(*PRIVATE_ONLY), IN_A_GROUP)(only_in_private)
    router.message(Command("stats"))(stats)
    router.message(Command("allow"))(allow)
    router.message(Command("deny"))(deny)
    router.message(Command("login"))(login)
    # The state is kept per (chat, user) and set in the private chat only: a group message can never match.
    router.message(Login.password, IN_PRIVATE)(login_password)
    router.message(Command("logout"))(logout)
    return router
