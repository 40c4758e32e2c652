"""The media stage's naming pass (step 2 of exporter.media.stage): every stored file reference is
pointed at a file already named (the same Telegram identity: stored once, as Desktop's cache does),
left out with Desktop's sentence (exporter.media.selection), or given a free path by Desktop's rules
(exporter.media.naming), walking the messages in the order Desktop parses and loads them: slices of
100 messages, each slice's files in message order, then its new custom emoji (resolved after the
slice, from a sorted set, 100 at a time from its end). It reads and writes only the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from db.media_store import EARLIER, PENDING, FileRow, MediaStore, Ref

from ..render.local_time import zone_info
from .capture import EMOJI, PAID_PREFIX, THUMBNAIL, VCARD
from .naming import Counters, numbered, thumbnail_path
from .selection import Selection, unavailable

# export_api_wrap.cpp: kMessagesSliceLimit (messages a slice), kMaxEmojiPerRequest.
SLICE = 100
EMOJI_PER_REQUEST = 100
# In the store's meta table once the pass is done (with the time zone the names' dates are in).
PLAN_KEY = "media_plan"
# The identity of a file with no location on Telegram (a vCard): its reference.
CONTENT_PREFIX = "content:"
_UINT64 = (1 << 64) - 1


def _from_top(ids: list[int]) -> Iterator[int]:
    """Desktop's order of resolving emoji: a flat_set<uint64> taken EMOJI_PER_REQUEST at a time from
    its end, each batch in ascending order."""
    ordered = sorted(ids, key=lambda i: i & _UINT64)
    while ordered:
        batch, ordered = ordered[-EMOJI_PER_REQUEST:], ordered[:-EMOJI_PER_REQUEST]
        yield from batch


class _Namer:
    def __init__(self, media: MediaStore, selection: Selection, zone: dt.tzinfo) -> None:
        self.media, self.selection, self.zone = media, selection, zone
        self.counters = Counters()
        self.emoji_paths: dict[int, str] = {}
        self.emoji_seen: set[int] = set()

    def suggest(self, refs: list[Ref]) -> dict[tuple[int, int], str]:
        """The suggested path of each file of a slice, counting as Desktop counts."""
        suggested: dict[tuple[int, int], str] = {}
        counters, zone = self.counters, self.zone
        main = ""
        for ref in refs:
            if ref.kind == EMOJI:
                continue
            if ref.role == THUMBNAIL:
                suggested[ref.msg_id, ref.seq] = thumbnail_path(main)
            elif ref.role == VCARD:
                suggested[ref.msg_id, ref.seq] = counters.contact()
            elif ref.kind == "photos":
                main = suggested[ref.msg_id, ref.seq] = counters.photo(ref.date, zone)
            else:
                main = suggested[ref.msg_id, ref.seq] = counters.document(
                    ref.file_name, ref.mime, ref.flags, ref.date, zone
                )
        new = {ref.file_id for ref in refs if ref.kind == EMOJI} - self.emoji_seen
        self.emoji_seen |= new
        for document_id in _from_top(list(new)):
            document = self.media.emoji(document_id)
            if document is not None and document.found:
                # Parsed with the chat's counters and no date (ApiWrap::resolveCustomEmoji).
                name = counters.document(document.file_name, document.mime, document.flags, 0, None)
                self.emoji_paths[document_id] = name
        return suggested

    def decide(self, ref: Ref, suggested: str) -> None:
        media = self.media
        if ref.role.startswith(PAID_PREFIX):
            return  # counted only: Desktop downloads no paid media
        emoji = ref.kind == EMOJI
        key, full_size, document = ref.file_key, ref.full_size, None
        if emoji:
            document = media.emoji(ref.file_id)
            if document is None or not document.found:
                media.decide(ref.msg_id, ref.seq, value=unavailable(emoji=True))
                return
            key, full_size = f"document:{document.id}", document.size
            suggested = self.emoji_paths[document.id]
        elif key is None and ref.content is None:
            media.decide(ref.msg_id, ref.seq, value=unavailable(emoji=False))
            return
        if key is not None and media.file_path(key) is not None:
            media.decide(ref.msg_id, ref.seq, file=key)
            return
        if ref.content is None:
            sentence = self.selection.skipped(ref.kind, full_size, emoji=emoji)
            if sentence is not None:
                media.decide(ref.msg_id, ref.seq, value=sentence)
                return
        path = suggested
        attempt = 0
        while media.path_taken(path):
            attempt += 1
            path = numbered(suggested, attempt)
        if document is not None:
            row = FileRow(
                0, f"document:{document.id}", path, PENDING, document.dc_id, "document", document.id,
                document.access_hash, document.file_reference, "", document.size, None, None, None, None, None,
            )  # fmt: skip
        else:
            # A vCard has no location: Desktop's cache never finds it, each is its own file.
            row = FileRow(
                0, key or f"{CONTENT_PREFIX}{ref.msg_id}:{ref.seq}", path, PENDING, ref.dc_id, ref.loc_kind,
                ref.file_id, ref.access_hash, ref.file_reference, ref.thumb_size, ref.size, ref.content,
                ref.msg_id, ref.ref_chat, None, None,
            )  # fmt: skip
        media.add_file(row)
        media.decide(ref.msg_id, ref.seq, file=row.key)


def name_files(
    media: MediaStore, selection: Selection, time_zone: str, earlier: Iterable[tuple[str, str]] = ()
) -> None:
    """The naming pass, in one transaction with the mark that it is done. Files of ``earlier``
    archives come first: references point at them, and their paths are taken.

    A few keyed queries a reference, nothing held but the slice: 100,000 photo references (a fifth
    posted twice) took 3.3 s on this loaded 2-core machine, against minutes to download them."""
    namer = _Namer(media, selection, zone_info(time_zone))
    connection = media.connection
    with connection:
        for key, path in earlier:
            media.add_file(
                FileRow(0, key, path, EARLIER, 0, "", 0, 0, b"", "", 0, None, None, None, None, None)
            )
        for first, last in media.slices(SLICE):
            refs = media.refs_between(first, last)
            if not refs:
                continue
            suggested = namer.suggest(refs)
            for ref in refs:
                # Emoji take their document's path; paid media none.
                namer.decide(ref, suggested.get((ref.msg_id, ref.seq), ""))
        connection.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", (PLAN_KEY, f'{{"time_zone": "{time_zone}"}}')
        )
