"""The "Details" button under an export's summary: it swaps the message between the plain
summary and the timing breakdown, both kept in the job's delivery record."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup

from .. import text
from ..callbacks import ButtonPress, ButtonSession, pressed_message
from ..context import App

DETAILS = "details"
SUMMARY = "summary"
LABELS = {DETAILS: text.DETAILS_BUTTON, SUMMARY: text.SUMMARY_BUTTON}


def toggle_markup(app: App, token: str, show: str) -> InlineKeyboardMarkup:
    """One button that shows ``show`` (DETAILS or SUMMARY) when pressed."""
    button = InlineKeyboardButton(text=LABELS[show], callback_data=app.buttons.data(token, show))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def details_markup(app: App, owner: int, job_id: int) -> InlineKeyboardMarkup:
    """The markup sent with a summary: "Details", for the job's owner."""
    return toggle_markup(app, await app.buttons.open(owner, DETAILS, job_id=job_id), DETAILS)


async def toggle(query: CallbackQuery, app: App, button: ButtonSession, choice: str, token: str) -> None:
    job = await app.queue.get(button.data["job_id"])
    record = (job.delivery or {}) if job else {}
    if choice not in LABELS or not record.get(choice):
        await query.answer(text.DETAILS_GONE, show_alert=True)
        return
    back = SUMMARY if choice == DETAILS else DETAILS
    # Pressed twice before the first edit showed: the text is already there.
    with contextlib.suppress(TelegramBadRequest):
        await pressed_message(query).edit_text(record[choice], reply_markup=toggle_markup(app, token, back))
    await query.answer()


def make_router() -> Router:
    """A fresh router per dispatcher (a router can belong to one only)."""
    router = Router(name="details")
    router.callback_query(ButtonPress(DETAILS))(toggle)
    return router
