"""Which files an export downloads, and the sentence a record keeps for each one it does not.

Telegram Desktop's order (``ApiWrap::processFileLoad``, export_api_wrap.cpp): a file with nothing
to load is unavailable; a file already written is pointed at (its cache of locations, checked
before any setting); a file whose bytes came with the message (a contact's vCard) is written
whatever the settings; then the kind of file must be chosen, and the message's file must not be
larger than the limit (a thumbnail is judged by its file: "Don't load thumbs for large files that
we skip"). Custom emoji have no kind there, so only the size limit applies to them, and their
``document_id`` keeps an empty string when skipped, "(unavailable)" when Telegram has no document
(``ApiWrap::getCustomEmoji``, Data::TextPart::UnavailableEmoji).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..filters.media import media_choice
from ..options import MEDIA_TYPES, ExportOptions
from ..records.media import FILE_NOT_INCLUDED, FILE_UNAVAILABLE

# export_output_json.cpp, pushPath: the three sentences of a file not in the archive.
FILE_TOO_LARGE = "(File exceeds maximum size. Change data exporting settings to download.)"
EMOJI_UNAVAILABLE = "(unavailable)"
EMOJI_SKIPPED = ""

__all__ = [
    "EMOJI_UNAVAILABLE",
    "FILE_NOT_INCLUDED",
    "FILE_TOO_LARGE",
    "FILE_UNAVAILABLE",
    "Selection",
    "file_size",
    "media_kinds",
]


@dataclass(frozen=True)
class Selection:
    kinds: frozenset[str]
    max_file_size: int

    @classmethod
    def of(cls, options: ExportOptions) -> Selection:
        if options.filter is not None:
            # A filter that names files chooses them (exporter/filters/media.py).
            return cls(*media_choice(options.filter, options.media, options.max_file_size))
        return cls(frozenset(options.media), options.max_file_size)

    def skipped(self, kind: str, full_size: int, *, emoji: bool = False) -> str | None:
        """The sentence of a file the settings leave out, or None to download it."""
        if not emoji and kind not in self.kinds:
            return FILE_NOT_INCLUDED
        if full_size > self.max_file_size:
            return EMOJI_SKIPPED if emoji else FILE_TOO_LARGE
        return None


def unavailable(emoji: bool) -> str:
    return EMOJI_UNAVAILABLE if emoji else FILE_UNAVAILABLE


def media_kinds(text: str) -> tuple[str, ...]:
    """ "none", "all", or kinds of MEDIA_TYPES separated by commas (ValueError says what is wrong)."""
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    if chosen == ("none",):
        return ()
    if chosen == ("all",):
        return MEDIA_TYPES
    unknown = [kind for kind in chosen if kind not in MEDIA_TYPES]
    if unknown or not chosen:
        raise ValueError(
            f"unknown media {','.join(unknown) or repr(text)}: use none, all, or some of {','.join(MEDIA_TYPES)}"
        )
    return chosen


# Sizes as Telegram Desktop shows them (Ui::FormatSizeText): a KB is 1024 bytes, an MB 1024 KB.
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1 << 10,
    "kib": 1 << 10,
    "mb": 1 << 20,
    "mib": 1 << 20,
    "gb": 1 << 30,
    "gib": 1 << 30,
}


def file_size(text: str) -> int:
    """Bytes of "8MB", "500 KB", "1.5GB" or "1048576" (ValueError says what is wrong)."""
    spoken = text.strip().lower()
    number = spoken.rstrip("abgikm ")
    try:
        size = int(float(number) * _UNITS[spoken[len(number) :].strip()])
    except (ValueError, KeyError):
        raise ValueError(f"{text!r} is not a size: write e.g. 8MB, 500KB, 2GB or 1048576") from None
    if size < 1:
        raise ValueError(f"{text!r} is smaller than one byte")
    return size
