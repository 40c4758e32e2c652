"""The export screen's media rows: which files an archive downloads, and the largest one.

Telegram Desktop asks the same two things before an export (export_settings.h: the kinds of media
and a size limit, 1 MB to 4000 MB, photos only and 8 MB by default). Here the common answers are one
tap each: no media, photos, all files; up to 8, 50, 500 or 4000 MB (MB of 1024 KB, as Desktop and
the CLI count them). A tap is remembered for the user's next exports (db.user_settings), and the
choice travels in the job's ExportOptions (``media``, ``max_file_size``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram.types import InlineKeyboardButton

from db.user_settings import MediaChoice, UserSettings
from exporter.options import DEFAULT_MAX_FILE_SIZE, DEFAULT_MEDIA, MEDIA_TYPES

from .. import text
from ..context import App

MB = 1024 * 1024
PRESETS: dict[str, tuple[str, ...]] = {"none": (), "photos": ("photos",), "all": MEDIA_TYPES}
# Desktop's default, then sizes that let in a phone's videos (50), most films (500), and Desktop's
# largest (4000); an archive part holds what the Bot API takes, so big files make more parts.
SIZES_MB = (8, 50, 500, 4000)
# Button data: "m" + a preset, "s" + a size in MB.
MEDIA_PREFIX, SIZE_PREFIX = "m", "s"

Button = Callable[[str, str], InlineKeyboardButton]


async def remembered(app: App, user_id: int) -> dict[str, Any]:
    """The user's last media choice as the export screen keeps it; Desktop's defaults at first."""
    stored = await UserSettings(app.database).media(user_id)
    if stored is None:
        return {"media": list(DEFAULT_MEDIA), "max_file_size": DEFAULT_MAX_FILE_SIZE}
    return {"media": list(stored.kinds), "max_file_size": stored.max_file_size}


def preset_of(kinds: list[str] | tuple[str, ...]) -> str | None:
    return next((name for name, preset in PRESETS.items() if set(preset) == set(kinds)), None)


def size_text(size: int) -> str:
    return text.SIZE_MB.format(mb=size // MB) if size % MB == 0 else text.SIZE_BYTES.format(size=size)


def summary(choice: dict[str, Any]) -> str:
    """One line for the screen: 'Media: photos, up to 8 MB a file'."""
    kinds = choice["media"]
    if not kinds:
        return text.MEDIA_NONE
    preset = preset_of(kinds)
    what = text.MEDIA_ALL_FILES if preset == "all" else ", ".join(text.MEDIA_KIND_LABELS[k] for k in kinds)
    return text.MEDIA_SUMMARY.format(what=what, size=size_text(choice["max_file_size"]))


def rows(choice: dict[str, Any], button: Button) -> list[list[InlineKeyboardButton]]:
    """The preset row, and the size row when files are downloaded at all."""
    current = preset_of(choice["media"])
    out = [
        [
            button(f"{'✅' if current == name else '▫️'} {label}", MEDIA_PREFIX + name)
            for name, label in text.MEDIA_PRESET_BUTTONS.items()
        ]
    ]
    if choice["media"]:
        out.append(
            [
                button(
                    f"{'✅ ' if choice['max_file_size'] == mb * MB else ''}{text.SIZE_BUTTON.format(mb=mb)}",
                    f"{SIZE_PREFIX}{mb}",
                )
                for mb in SIZES_MB
            ]
        )
    return out


async def tap(app: App, user_id: int, choice: dict[str, Any], pressed: str) -> bool:
    """Apply a press of one of :func:`rows`' buttons to ``choice`` and remember it for the user;
    False when ``pressed`` is not one of them."""
    if pressed.startswith(MEDIA_PREFIX) and pressed[1:] in PRESETS:
        choice["media"] = list(PRESETS[pressed[1:]])
    elif pressed.startswith(SIZE_PREFIX) and pressed[1:].isdecimal() and int(pressed[1:]) in SIZES_MB:
        choice["max_file_size"] = int(pressed[1:]) * MB
    else:
        return False
    await UserSettings(app.database).set_media(
        user_id, MediaChoice(tuple(choice["media"]), choice["max_file_size"])
    )
    return True
