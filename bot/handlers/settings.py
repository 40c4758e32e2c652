"""/settings: the time zone a user's archives date their messages in (and, for reference, the files
they download, which the export screen's media rows change: bot.handlers.media_row).

Telegram Desktop writes dates in the exporting computer's local time
(export_output_json.cpp, SerializeDate); the bot's computer is not the user's,
so each user picks a zone once: a button of a common one, or ``/settings
Area/City`` typed. Until then dates are UTC. ``date_unixtime`` never depends on it.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from db.user_settings import UserSettings
from exporter.render.local_time import UnknownTimeZone, zone_info

from .. import text
from ..callbacks import ButtonPress, ButtonSession, pressed_message
from ..context import App
from ..middlewares.access import sender_id
from . import media_row
from .private import IN_A_GROUP, only_in_private

# One button each, three to a row: UTC and the zones of the most populous Telegram regions.
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "Europe/Kyiv",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Jakarta",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Australia/Sydney",
)
_PER_ROW = 3


async def settings(message: Message, command: CommandObject, app: App) -> None:
    user_id = sender_id(message)
    store = UserSettings(app.database)
    typed = (command.args or "").strip()
    if typed:
        try:
            zone_info(typed)
        except UnknownTimeZone as exc:
            await message.answer(str(exc))
            return
        await store.set_time_zone(user_id, typed)
        await message.answer(text.TIME_ZONE_SET.format(zone=typed))
        return
    token = await app.buttons.open(user_id, "time_zone")
    rows = [
        [
            InlineKeyboardButton(text=zone, callback_data=app.buttons.data(token, index))
            for index, zone in enumerate(COMMON_ZONES[start : start + _PER_ROW], start)
        ]
        for start in range(0, len(COMMON_ZONES), _PER_ROW)
    ]
    media = media_row.summary(await media_row.remembered(app, user_id))
    await message.answer(
        text.TIME_ZONE_SCREEN.format(zone=await store.time_zone(user_id), media=media),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def pick_zone(query: CallbackQuery, app: App, button: ButtonSession, choice: str) -> None:
    if not choice.isdecimal() or int(choice) >= len(COMMON_ZONES):
        await query.answer()
        return
    zone = COMMON_ZONES[int(choice)]
    await UserSettings(app.database).set_time_zone(button.owner, zone)
    await pressed_message(query).edit_text(text.TIME_ZONE_SET.format(zone=zone))
    await query.answer()


def make_router() -> Router:
    router = Router(name="settings")
    # A user's own choice, like /history: asked and answered in private.
    router.message(Command("settings"), IN_A_GROUP)(only_in_private)
    router.message(Command("settings"))(settings)
    router.callback_query(ButtonPress("time_zone"))(pick_zone)
    return router
