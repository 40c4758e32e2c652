"""File names from chat and topic titles that are safe on Linux, macOS and Windows.

Titles are user input: they can hold slashes, "..", NUL and other control
characters, bidi overrides that disguise the extension, names Windows reserves
(CON, NUL, COM1 …), trailing dots or spaces Windows strips, or hundreds of bytes.
"""

from __future__ import annotations

import unicodedata

# Characters Windows forbids in names; "/" and "\\" also separate paths everywhere.
_FORBIDDEN = frozenset('<>:"/\\|?*')

# Bidi controls can make "evil\u202egpj.exe" display as "evilexe.jpg"; BOM and
# zero-width no-break spaces are invisible.
_INVISIBLE = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")

_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{base}{n}" for base in ("COM", "LPT") for n in (*"0123456789", "¹", "²", "³")}
)

# Emoji sequences end badly when cut after a joiner or before their variation selector.
_DANGLING = "\u200d\ufe0e\ufe0f"

DEFAULT_MAX_BYTES = 100
"""UTF-8 budget for a title; leaves room for an id prefix and extension within 255 bytes."""


def safe_filename(
    title: str | None, *, fallback: str = "untitled", max_bytes: int = DEFAULT_MAX_BYTES
) -> str:
    """A single path component derived from ``title``, or ``fallback`` if nothing usable is left.

    Keeps letters of every script and emoji; replaces characters Windows forbids
    with "_"; drops control and bidi characters; collapses whitespace; strips
    leading and trailing dots and spaces (no "..", no hidden files, nothing
    Windows would silently change); prefixes reserved device names with "_"; and
    cuts to ``max_bytes`` of UTF-8 on a character boundary.
    """
    chars: list[str] = []
    for ch in unicodedata.normalize("NFC", title or ""):
        if ch in _FORBIDDEN:
            chars.append("_")
        elif ch in _INVISIBLE:
            continue
        else:
            category = unicodedata.category(ch)
            if category in ("Cc", "Zl", "Zp"):
                # Tabs and newlines separate words; NUL and friends vanish.
                if ch in "\t\n\r\v\f\x1c\x1d\x1e\x85" or category != "Cc":
                    chars.append(" ")
            elif category != "Cs":
                chars.append(ch)
    name = " ".join("".join(chars).split()).strip(" .")
    name = _cut_utf8(name, max_bytes).rstrip(" .")
    if not name:
        name = fallback
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return name


def topic_stem(topic_id: int, title: str | None) -> str:
    """File name (without extension) of a topic: the id keeps it unique, the title readable."""
    return f"{topic_id} - {safe_filename(title, fallback=f'Topic {topic_id}')}"


def _cut_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    cut = encoded[:max_bytes].decode("utf-8", "ignore")
    return cut.rstrip(_DANGLING)
