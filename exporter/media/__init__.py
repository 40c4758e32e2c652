"""The media engine: downloads files from Telegram, fast, resumable, and never frozen on one file.

Contract (the media stage codes against this; everything named here is importable from
``exporter.media``):

``FileSpec`` (frozen) describes one file to fetch:
- ``key``: stable identity of the bytes, e.g. ``"document:<id>"`` or ``"photo:<id>:<size type>"``
  (``FileLocation.key``). Within one ``download_all`` a key is downloaded once; a second spec with
  the same key gets the first one's outcome.
- ``location``: ``FileLocation(kind "photo" | "document", id, access_hash, file_reference,
  thumb_size)``, the fields of InputPhotoFileLocation / InputDocumentFileLocation. For a photo
  ``thumb_size`` is the size type to fetch (its largest: "y", "w", ...); for a document "" is the file
  itself and a type ("m") one of its thumbnails. ``location_of(photo_or_document, thumb)`` builds it
  from Telethon's objects, with the DC and the exact size (see below), as ``(FileLocation, dc_id, size)``.
- ``dc_id``: the DC the file lives on (Photo.dc_id / Document.dc_id); FILE_MIGRATE_X is followed anyway.
- ``size``: the exact byte count (Document.size, PhotoSize.size, the largest of PhotoSizeProgressive.
  sizes). The result must have exactly this many bytes, else the file is Unavailable("size ...").
- ``dest``: the final path (overwritten). Partial data lives beside it as ``<dest>.part`` with its log
  ``<dest>.part.log`` (which parts are whole, and of which file); once complete and checked it is
  renamed to ``dest`` and the log removed. A rerun continues a ``.part`` of the same key and size:
  every part that reached the disk is kept (partfile.py). An archive must leave both out; they stay
  only beside files that ended Stalled or Unavailable, or when the export stopped. The directory
  must exist.
- ``msg_ref``: ``MessageRef(peer, msg_id)`` of a message carrying the file, used to get a fresh
  file reference after FILE_REFERENCE_EXPIRED (peer: anything Telethon resolves, typically the
  InputPeer of the chat). None for custom emoji documents, which are refreshed through
  messages.getCustomEmojiDocuments.

Outcomes (``on_done(spec, outcome)`` gets exactly one per spec; sync or async):
- ``Downloaded(path, size, sha256)``: ``path`` == ``spec.dest``, complete, size checked, SHA-256 hex
  computed while streaming;
- ``Unavailable(reason)``: Telegram will not give the file (LOCATION_INVALID, LOCATION_NOT_AVAILABLE,
  VERSION_INVALID, FILE_ID_INVALID, a reference that could not be renewed, a size that does not match);
  Desktop writes "(File unavailable, please try again later)" for these;
- ``Stalled(reason)``: overtaken and no progress for ``MediaSettings.stall_seconds`` (stalls.py); the
  rest goes on. What reached the disk stays in ``.part`` for the next run.

``MediaDownloader(client, clock, settings=MediaSettings(), *, refresh=None, history=None,
on_flood_wait=None, longest_flood_wait=900.0)``:
- ``client``: the connected Telethon client of the export. The engine opens media connections of its
  own (one set per DC), so downloads never queue behind history requests;
- ``clock``: the export's ``PhaseClock``: flood waits on upload.getFile are slept by the engine's own
  ``FetchScheduler`` (never inside Telethon) and counted there as flood waits;
- ``refresh``: ``async (spec) -> bytes | None`` returning a fresh file reference (None: the message or
  the file is gone); by default the engine asks for the message itself through ``history`` (the
  export's history FetchScheduler; the client when None);
- use as ``async with MediaDownloader(...) as engine:``; ``await engine.download_all(specs, on_done)``
  takes an iterable or async iterable of FileSpec, runs several files at once and several parts of
  each, and returns when every spec has its outcome. Errors that end the whole export (the session
  revoked, a flood wait longer than ``longest_flood_wait``, ExportOptions' own) are raised; partial
  files stay.
- ``engine.progress``: ``MediaProgress`` counters (files and bytes done / total, unavailable, stalled,
  parts fetched, bytes resumed, seconds), ``eta()`` and ``summary()`` ("media: 1.2 GB in 3 min,
  6.8 MB/s; ..."); ``engine.expect(files, nbytes)`` announces totals up front when the caller knows
  them from message metadata (each key once).
- ``MediaSettings``: part size, connections per DC, bytes in flight per connection, parts per file,
  files at once and their bytes, ``stall_seconds``; settings.py says why each default is what it is.

Timing: the engine's requests are timed in its own ``MediaClock`` (engine.clock); the export's clock
gets its flood waits and pacing, and a ``media`` phase for the time a file part was in flight.
``python -m exporter.media`` downloads the files of given messages with the engine (or with
Telethon's download_media, ``--telethon``) and prints each outcome and the summary.
"""

from __future__ import annotations

from .engine import MediaDownloader, OnDone
from .progress import MediaProgress
from .references import RefreshReference, message_refresher
from .settings import MediaSettings
from .spec import (
    Downloaded,
    FileLocation,
    FileSpec,
    MessageRef,
    Outcome,
    Stalled,
    Unavailable,
    location_of,
)

__all__ = [
    "Downloaded",
    "FileLocation",
    "FileSpec",
    "MediaDownloader",
    "MediaProgress",
    "MediaSettings",
    "MessageRef",
    "OnDone",
    "Outcome",
    "RefreshReference",
    "Stalled",
    "Unavailable",
    "location_of",
    "message_refresher",
]
