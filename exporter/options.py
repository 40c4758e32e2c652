"""What one export is asked to do, and the one JSON form of it.

The user's choices (formats, range, topics, takeout, time zone, media) travel as JSON:
a queued job stores them, the plan's identity and the manifest record them, and
the work folder is named by them.  :meth:`ExportOptions.to_json` and
:meth:`ExportOptions.from_json` are that one form; the defaults are the
dataclass's own, stated once below.  The rest (part size, concurrency, the
Bloom filter) is engine tuning the entry points set, never stored: a job's
options are decoded over the bot's defaults, which carry it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .archive import DEFAULT_PART_SIZE
from .errors import ExportError
from .filters import FilterSyntaxError, parse
from .media.settings import MediaSettings

FORMATS = ("json", "html", "md")
DEFAULT_FORMATS = ("json", "html")

# The kinds of files an export may download, as Telegram Desktop's export settings name them
# (export_settings.h, MediaSettings::Type): photos, videos, voice messages, round video messages,
# stickers, GIFs, files (music and every other document).
MEDIA_TYPES = ("photos", "videos", "voice", "round", "stickers", "gifs", "files")
# Desktop's defaults (export_settings.h): photos only, files up to 8 MiB.
DEFAULT_MEDIA = ("photos",)
DEFAULT_MAX_FILE_SIZE = 8 * 1024 * 1024


@dataclass(frozen=True)
class ExportOptions:
    formats: tuple[str, ...] = DEFAULT_FORMATS
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    min_id: int = 0
    max_id: int = 0
    last: int | None = None
    topics: tuple[int, ...] | None = None
    # Incremental export: (topic id or None, highest id already delivered) pairs; only newer
    # messages are read. Topics not listed are read whole (they are new since then).
    after: tuple[tuple[int | None, int], ...] = ()
    takeout: bool = False
    # The kinds of files downloaded (of MEDIA_TYPES) and the largest file downloaded, in bytes; custom
    # emoji and contacts' vCards are saved whatever these say, as Desktop saves them.
    media: tuple[str, ...] = DEFAULT_MEDIA
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # The zone result.json, HTML and Markdown dates are written in (exporter.render.local_time). Not
    # part of identity(): the store keeps UTC, so an export resumed under another zone renders in it.
    time_zone: str = "UTC"
    # The archive's name keeps the chat's title as written (spaces, emoji) instead of its words joined
    # by "_" (exporter.workdir). Not part of identity(): it names the archive, not what is in it.
    raw_title: bool = False
    # A filter in the language of exporter.filters (docs/filters.md): only the messages it matches
    # are kept, and `complete` means every message matching it. Dates in it are in ``time_zone``.
    filter: str | None = None
    # A channel's posts with their comments (exporter.comments), kept under each post.
    comments: bool = False
    # Ask Telegram (messages.search) for what of the filter it can evaluate, instead of reading the
    # whole history (exporter.filters.pushdown); the bench turns it off to compare.
    push_down: bool = True
    part_size: int = DEFAULT_PART_SIZE
    # Regular chats: one concurrent id range per this many messages, at most max_shards. A range is
    # one request in flight, so as many ranges as max_concurrency fill the pipe: 16 of them capped
    # the 100,000-message channel at 16 in flight (about 12,000 msg/s at 130 ms).
    shard_messages: int = 2_500
    max_shards: int = 32
    # Most requests in flight at once; the scheduler adapts below it.
    max_concurrency: int = 32
    # Flood waits up to this long are waited out; a longer one stops the export (resumable).
    longest_flood_wait: float = 900.0
    # The Bloom filter in front of the store (see exporter.dedupe); tests shrink it.
    bloom_error_rate: float = 0.001
    bloom_capacity: int | None = None
    # How the media engine downloads (parts, connections, when a file has stalled).
    media_settings: MediaSettings = field(default_factory=MediaSettings)

    def to_json(self) -> dict[str, Any]:
        """The user's choices as JSON; an unset choice is null."""
        return {name: encode(getattr(self, name)) for name, (encode, _) in _CHOICES.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], defaults: ExportOptions | None = None) -> ExportOptions:
        """The choices in ``data`` over ``defaults`` (the class's when None): a choice missing or
        null there keeps its default, and engine tuning always comes from ``defaults``."""
        chosen = {
            name: decode(data[name]) for name, (_, decode) in _CHOICES.items() if data.get(name) is not None
        }
        return replace(defaults or cls(), **chosen)

    def identity(self) -> dict[str, Any]:
        """What the manifest records, and what must match when an export is resumed: the
        choices (the filter only when there is one) but the time zone (rendering reads the store again in whatever zone is asked)."""
        choices = self.to_json()
        del choices["time_zone"]
        del choices["raw_title"]
        if choices["filter"] is None:
            # Work folders are named by this dict's hash: exports without a filter keep their names.
            del choices["filter"]
        if not choices["comments"]:
            del choices["comments"]  # likewise for exports without comments
        return choices

    @property
    def bounded(self) -> bool:
        return bool(
            self.since or self.until or self.min_id or self.max_id or self.last or self.after or self.filter
        )

    def check(self) -> None:
        """Refuse what would fail later or export nothing and call it complete."""
        unknown = sorted(set(self.formats) - set(FORMATS))
        if unknown or not self.formats:
            choices = ", ".join(FORMATS)
            raise ExportError(f"Unknown format {', '.join(unknown) or '(none)'}: choose from {choices}.")
        strange = sorted(set(self.media) - set(MEDIA_TYPES))
        if strange:
            raise ExportError(f"Unknown media {', '.join(strange)}: choose from {', '.join(MEDIA_TYPES)}.")
        if self.max_file_size < 1:
            raise ExportError("The largest file size must be at least one byte.")
        if self.since and self.until and self.since >= self.until:
            raise ExportError("The start date is not before the end date: nothing would be exported.")
        if self.until and self.until.timestamp() <= 0:
            raise ExportError("The end date is before 1970: no Telegram message is that old.")
        if self.max_id and self.min_id + 1 >= self.max_id:
            raise ExportError("No message id lies between the smallest and the largest id given.")
        if self.filter is not None:
            try:
                parse(self.filter)
            except FilterSyntaxError as exc:
                raise ExportError(f"The filter does not parse: {exc}.") from None


def _date(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _same(value: Any) -> Any:
    return value


# Per choice: (to JSON, from JSON). A zero id and an empty ``after`` are written as null, as the
# manifest has always shown them; the order is the manifest's.
_CHOICES: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "formats": (list, tuple),
    "since": (lambda d: d.isoformat() if d else None, _date),
    "until": (lambda d: d.isoformat() if d else None, _date),
    "min_id": (lambda i: i or None, int),
    "max_id": (lambda i: i or None, int),
    "last": (_same, int),
    "topics": (lambda t: list(t) if t is not None else None, tuple),
    "after": (lambda a: [[topic, max_id] for topic, max_id in a] or None, lambda a: tuple(map(tuple, a))),
    "takeout": (bool, bool),
    "media": (list, tuple),
    "max_file_size": (int, int),
    "time_zone": (str, str),
    "raw_title": (bool, bool),
    "filter": (_same, str),
    "comments": (bool, bool),
}
