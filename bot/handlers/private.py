"""Some commands work only in a private chat with the bot; anywhere else they get one refusal.

Those that show or take a secret or the exporting account's identity (/login,
/logout, the 2FA password, /stats' user ids and failures) and those that show
a person's exports (/status, /cancel and /history: titles of chats they
exported, and "Send again", which would post an archive of another chat into
the group).
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import CommandObject
from aiogram.types import Message

from .. import text

IN_PRIVATE = F.chat.type == "private"
IN_A_GROUP = F.chat.type != "private"


async def only_in_private(message: Message, command: CommandObject) -> None:
    await message.answer(text.PRIVATE_ONLY.format(command=command.command))
