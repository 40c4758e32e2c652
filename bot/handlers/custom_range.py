"""Custom dates from the options screen: "Custom dates…" asks for a range, the person types it
(2024-01-01..2024-03-31, as after /export), a wrong one is explained and asked again, and a right
one takes them back to the options screen with that range chosen.

The waiting is an aiogram FSM state holding only the screen's button token: what the screen means
stays with the token (bot.callbacks), and an expired token ends the waiting with one sentence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from .. import text
from ..callbacks import ButtonSession
from ..context import App
from ..middlewares.access import sender_id
from .export_choice import date_range, range_label

# The options screen's press that asks for dates, and the prompt's way back.
ASK = "dates"
BACK = "back"

Screen = Callable[[App, str, ButtonSession], tuple[str, InlineKeyboardMarkup]]


class CustomRange(StatesGroup):
    dates = State()


# Only plain text is an answer: a command sent meanwhile (/cancel, /export …) is a command.
TYPED = (StateFilter(CustomRange.dates), F.text, ~F.text.startswith("/"))


async def ask(message: Message, app: App, token: str, title: str, state: FSMContext) -> None:
    """Turn the options screen into the question; its Back button returns to the screen."""
    await state.set_state(CustomRange.dates)
    await state.update_data(token=token, screen=message.message_id)
    back = InlineKeyboardButton(text=text.BACK, callback_data=app.buttons.data(token, BACK))
    await message.edit_text(
        text.CUSTOM_RANGE_ASK.format(title=title), reply_markup=InlineKeyboardMarkup(inline_keyboard=[[back]])
    )


async def leave(state: FSMContext) -> None:
    """Any other press on the screen ends the waiting (the login password's state is not ours)."""
    if await state.get_state() == CustomRange.dates.state:
        await state.clear()


def answered(screen: Screen) -> Callable[..., Awaitable[None]]:
    """The handler for the typed dates, drawing the options screen with ``screen``."""

    async def typed(message: Message, app: App, state: FSMContext) -> None:
        data: dict[str, Any] = await state.get_data()
        token = data.get("token", "")
        found = await app.buttons.resolve(sender_id(message), app.buttons.data(token, ASK)) if token else None
        if found is None:
            await state.clear()
            await message.answer(text.CUSTOM_RANGE_EXPIRED)
            return
        session = found[0]
        chosen = date_range(message.text or "")
        if isinstance(chosen, str):
            await message.answer(f"{chosen} {text.CUSTOM_RANGE_AGAIN}")
            return
        await state.clear()

        async def press(typed_on: ButtonSession) -> None:
            typed_on.data["choice"].update(chosen)

        kept = await app.buttons.update(token, session, press)
        if kept is None:  # closed by a press meanwhile
            await message.answer(text.CUSTOM_RANGE_EXPIRED)
            return
        session = kept[0]
        picked = session.data["choice"]
        # The question above the typed dates keeps what was chosen; the screen comes below them,
        # where the person is looking.
        if message.bot is not None:
            await message.bot.edit_message_text(
                text.CUSTOM_RANGE_SET.format(range=range_label(picked)),
                chat_id=message.chat.id,
                message_id=data["screen"],
            )
        said, markup = screen(app, token, session)
        await message.answer(said, reply_markup=markup)

    return typed
