"""Admins: adding exporting accounts (/login) and listing, pausing or removing them (/accounts).

With SESSION_KEY set, /login adds an account instead of logging the bot's own
session in: a new session is logged in by QR code (a two-step password is
asked for and deleted at once, as admin.py does for the bot's own session),
and stored encrypted in the database, where any process can take it over
(bot/accounts). The account's dialogs are noted as chats it can read, so a job
for one of them goes to it first.

Only in the admin's private chat (private.py says why). Buttons carry a
server-side token (callbacks.py); the account a button acts on is in it.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telethon import TelegramClient, utils
from telethon.tl.types import User

from db.accounts import Account

from .. import text
from ..accounts import AccountPool, same_for_every_account
from ..callbacks import ButtonPress, Buttons, ButtonSession, pressed_message
from ..context import App
from ..middlewares.access import sender_id
from . import picker
from .admin import IsAdmin, scan_qr, sign_in_with_password
from .private import IN_A_GROUP, IN_PRIVATE, only_in_private

log = logging.getLogger(__name__)
KIND = "accounts"


class AccountLogin(StatesGroup):
    password = State()


class WithAccounts(Filter):
    """Exporting accounts are stored in the database (SESSION_KEY is set)."""

    async def __call__(self, message: Message, app: App) -> bool:
        return app.accounts is not None


# A login waiting for its two-step password: admin id -> the client being logged in. In this
# process's memory on purpose: a session half logged in is never written anywhere.
_waiting: dict[tuple[int, int], TelegramClient] = {}


def _pool(app: App) -> AccountPool:
    assert app.accounts is not None  # WithAccounts let the update through
    return app.accounts


async def add_account(message: Message, app: App, state: FSMContext) -> None:
    pool = _pool(app)
    client = pool.clients.client()
    await client.connect()
    user = await scan_qr(message, client, state, AccountLogin.password)
    if user is None:
        if await state.get_state() == AccountLogin.password.state:
            await _forget(app, message)
            _waiting[(id(app), sender_id(message))] = client
        else:
            await client.disconnect()
        return
    await _store(message, app, client, user)


async def account_password(message: Message, app: App, state: FSMContext) -> None:
    client = _waiting.get((id(app), sender_id(message)))
    if client is None:
        # The bot restarted meanwhile: a half-done login lives in memory only.
        await state.clear()
        await message.answer(text.LOGIN_START_AGAIN)
        return
    user = await sign_in_with_password(message, client)
    if user is None:
        return
    await state.clear()
    del _waiting[(id(app), sender_id(message))]
    await _store(message, app, client, user)


async def _forget(app: App, message: Message) -> None:
    """A login started again: the one before it is dropped."""
    earlier = _waiting.pop((id(app), sender_id(message)), None)
    if earlier is not None:
        await earlier.disconnect()


async def _store(message: Message, app: App, client: TelegramClient, user: User) -> None:
    pool = _pool(app)
    try:
        name = utils.get_display_name(user) or str(user.id)
        account = await pool.store.add(user.id, name, pool.clients.payload(client), sender_id(message))
        # The chats it is in, so a job for one of them tries this account first; its groups and
        # channels for /export's picker too (a person's id names each account's own conversation).
        dialogs = await client.get_dialogs(limit=None)
        await pool.store.note_chat(account.id, [f"peer:{d.id}" for d in dialogs], readable=True)
        shared = [picker.seen(d) for d in dialogs if same_for_every_account(str(d.id))]
        await pool.store.note_dialogs(account.id, shared)
    finally:
        await client.disconnect()
    await message.answer(text.ACCOUNT_ADDED.format(name=name, id=user.id, number=account.id))


async def _listing(
    app: App, owner: int, accounts: list[Account], busy: set[int]
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not accounts:
        return text.ACCOUNTS_NONE, None
    lines, rows = [text.ACCOUNTS_TITLE], []
    token = await app.buttons.open(owner, KIND)
    for account in accounts:
        if account.paused:
            state = text.ACCOUNT_STATE_PAUSED
        elif account.id in busy:
            state = text.ACCOUNT_STATE_BUSY
        else:
            state = text.ACCOUNT_STATE_IDLE
        lines.append(
            text.ACCOUNT_LINE.format(
                number=account.id, name=account.name, tg_id=account.tg_user_id, state=state
            )
        )
        toggle = text.BUTTON_ACCOUNT_RESUME if account.paused else text.BUTTON_ACCOUNT_PAUSE
        action = "resume" if account.paused else "pause"
        rows.append(
            [
                InlineKeyboardButton(
                    text=toggle.format(number=account.id),
                    callback_data=Buttons.data(token, f"{action}:{account.id}"),
                ),
                InlineKeyboardButton(
                    text=text.BUTTON_ACCOUNT_REMOVE.format(number=account.id),
                    callback_data=Buttons.data(token, f"ask:{account.id}"),
                ),
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def _busy(app: App, accounts: list[Account]) -> set[int]:
    """Accounts some process holds now (running an export)."""
    now = app.database.now()
    return {a.id for a in accounts if a.holder is not None and (a.lease_until or 0) >= now}


async def list_accounts(message: Message, app: App) -> None:
    accounts = await _pool(app).store.all()
    words, markup = await _listing(app, sender_id(message), accounts, _busy(app, accounts))
    await message.answer(words, reply_markup=markup)


async def accounts_need_key(message: Message) -> None:
    await message.answer(text.ACCOUNTS_NEED_KEY)


async def on_account_button(query: CallbackQuery, app: App, button: ButtonSession, choice: str) -> None:
    store = _pool(app).store
    action, _, number = choice.partition(":")
    account = await store.get(int(number))
    message = pressed_message(query)
    if account is None:
        await query.answer(text.ACCOUNT_GONE)
        return
    if action == "ask":
        token = await app.buttons.open(query.from_user.id, KIND)
        sure = InlineKeyboardButton(
            text=text.BUTTON_ACCOUNT_REMOVE_SURE.format(number=account.id),
            callback_data=Buttons.data(token, f"remove:{account.id}"),
        )
        await query.answer()
        await message.answer(
            text.ACCOUNT_REMOVE_SURE.format(number=account.id, name=account.name),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[sure]]),
        )
        return
    if action == "remove":
        if not await store.remove(account.id):
            await query.answer()
            await message.edit_text(text.ACCOUNT_BUSY.format(number=account.id, name=account.name))
            return
        done = text.ACCOUNT_REMOVED
    else:
        account = await store.set_paused(account.id, action == "pause")
        done = text.ACCOUNT_PAUSED if account.paused else text.ACCOUNT_RESUMED
    await query.answer(done.format(number=account.id, name=account.name))
    if action == "remove":
        await message.edit_text(done.format(number=account.id, name=account.name))
        return
    accounts = await store.all()
    words, markup = await _listing(app, query.from_user.id, accounts, _busy(app, accounts))
    await message.edit_text(words, reply_markup=markup)


def make_router() -> Router:
    """Goes before the admin router: /login here when accounts are stored, there otherwise."""
    router = Router(name="accounts")
    router.message.filter(IsAdmin())
    router.message(Command("accounts"), IN_A_GROUP)(only_in_private)
    router.message(Command("login"), WithAccounts(), IN_PRIVATE)(add_account)
    router.message(AccountLogin.password, IN_PRIVATE)(account_password)
    router.message(Command("accounts"), WithAccounts())(list_accounts)
    router.message(Command("accounts"))(accounts_need_key)
    router.callback_query.filter(IsAdmin())
    router.callback_query(ButtonPress(KIND))(on_account_button)
    return router
