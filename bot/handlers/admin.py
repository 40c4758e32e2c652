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
from telethon import errors

from db import Role, RoleError, collect_stats
from exporter.qr_login import login_by_qr
from exporter.redaction import redact_secrets

from ..charts import stats_chart
from ..context import App
from ..middlewares.access import sender_id
from .policy import PEER_ID_LIMIT, cancel_waiting
from .private import IN_A_GROUP, IN_PRIVATE, only_in_private

log = logging.getLogger(__name__)
QR_WAIT = 120
QR_CAPTION = (
    "Scan with Telegram on the exporting account's phone: Settings → Devices → Link Desktop Device. "
    "The code renews itself every 30 seconds for two minutes."
)
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
        f"Exports: {t.done} done, {t.failed} failed, {t.cancelled} cancelled; {t.running} running, {t.queued} queued",
        f"Messages exported: {t.messages:,}; archives {t.bytes / 1e6:,.1f} MB",
    ]
    if shares.exports:
        rate = sum(d.messages for d in data.days) / max(1e-9, sum(d.wall for d in data.days))
        lines.append(f"Speed over the last {len(data.days)} days: {rate:,.0f} msg/s")
        parts = ", ".join(
            f"{name.replace('_', ' ')} {100 * share:.0f} %" for name, share in shares.phases.items()
        )
        # The same split as each export's Details: every second counted once, so they add up.
        lines.append(f"Where the time went ({shares.exports} exports, {shares.wall:,.0f} s): {parts}")
    # Two numbers, named as in each export's summary: a wait can hold several refused requests.
    lines.append(
        f"Waits for Telegram's flood limit: {flood.waits} in {flood.exports_hit} exports, "
        f"{flood.waited_wall:,.0f} s waited; refused requests: {flood.refused} "
        f"(Telegram asked for {flood.announced_seconds:,} s)"
    )
    if data.queue:
        lines.append(
            "Queue: "
            + ", ".join(f"user {u.user_id}: {u.running} running, {u.queued} queued" for u in data.queue)
        )
    if data.failures:
        lines.append("Recent failures:")
        lines += [f"  #{f.job_id} {f.target}: {(f.error or '')[:120]}" for f in data.failures[:5]]
    usage = (
        sum(p.stat().st_size for p in app.archives_dir.rglob("*") if p.is_file())
        if app.archives_dir.exists()
        else 0
    )
    lines.append(f"Disk used by archives: {usage / 1e6:,.1f} MB of {app.settings.disk_budget_mb:,} MB")
    await message.answer("\n".join(lines))
    chart = await asyncio.to_thread(stats_chart, data)
    await message.answer_photo(BufferedInputFile(chart, "stats.png"), caption="Exports and speed per day")


async def _target_user(message: Message, command: CommandObject) -> int | None:
    text = (command.args or "").strip()
    if text.isdecimal():
        if int(text) < PEER_ID_LIMIT:
            return int(text)
        await message.answer(
            "That number is too big for a Telegram user id: ask that person for the id the bot told them."
        )
        return None
    if message.reply_to_message and message.reply_to_message.from_user:
        return message.reply_to_message.from_user.id
    await message.answer(
        f"Usage: /{command.command} USER_ID (the id the bot told that person), or reply to their message."
    )
    return None


async def allow(message: Message, command: CommandObject, app: App) -> None:
    user_id = await _target_user(message, command)
    if user_id is None:
        return
    changed = await app.users.allow(user_id, sender_id(message))
    await message.answer(f"User {user_id} may export now." if changed else f"User {user_id} already could.")


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
        "An admin removed your access to this bot, so this was cancelled",
    )
    await message.answer(
        (f"User {user_id} can no longer export." if changed else f"User {user_id} had no access.")
        + (f" {stopped} of their waiting exports were cancelled." if stopped else "")
    )


async def login(message: Message, app: App, state: FSMContext) -> None:
    client = app.client
    if not client.is_connected():
        await client.connect()
    if await client.is_user_authorized():
        me = await client.get_me()
        await message.answer(f"The exporting account is already logged in as {me.first_name} (id {me.id}).")
        return
    shown: Message | None = None

    async def show(url: str, expires: dt.datetime) -> None:
        # A token lives ~30 s (api/qr-login): each new one replaces the picture in place.
        nonlocal shown
        png = io.BytesIO()
        segno.make(url, micro=False).save(png, kind="png", scale=8, border=2)
        picture = BufferedInputFile(png.getvalue(), "login.png")
        if shown is None:
            shown = await message.answer_photo(picture, caption=QR_CAPTION)
        else:
            await shown.edit_media(InputMediaPhoto(media=picture, caption=QR_CAPTION))

    try:
        user = await login_by_qr(client, show, within=QR_WAIT)
    except errors.SessionPasswordNeededError:
        await state.set_state(Login.password)
        await message.answer(
            "The account has a two-step password: send it here. I delete the message at once."
        )
        return
    except TimeoutError:
        await message.answer(
            f"No QR code was scanned in {QR_WAIT // 60} minutes: send /login again when the phone is at hand."
        )
        return
    finally:
        if shown is not None:
            await shown.delete()
    await message.answer(f"Logged in as {user.first_name} (id {user.id}).")


async def login_password(message: Message, app: App, state: FSMContext) -> None:
    password = message.text or ""
    await message.delete()
    redact_secrets(password)
    try:
        user = await app.client.sign_in(password=password)
    except errors.PasswordHashInvalidError:
        await message.answer("That password is wrong: send it again, or /login to start over.")
        return
    await state.clear()
    await message.answer(f"Logged in as {user.first_name} (id {user.id}).")


async def logout(message: Message, app: App) -> None:
    if not await app.client.is_user_authorized():
        await message.answer("The exporting account is not logged in.")
        return
    await app.client.log_out()
    await message.answer("The exporting account is logged out; its session is gone. /login to log in again.")


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
