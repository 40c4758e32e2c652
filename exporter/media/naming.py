"""Where a file goes in the archive: Telegram Desktop's folders and names, made safe for every OS.

The rules are Desktop's export (tdesktop ``export/data/export_data_types.cpp`` and
``export/output/export_output_file.cpp`` at 929032d, Sept 2025):
- folders: ``photos/`` for photos; documents by ``DocumentFolder``: ``video_files/`` (a video,
  GIFs included, which carry a video attribute), ``animations/``, ``stickers/``,
  ``voice_messages/``, ``round_video_messages/``, else ``files/``; ``contacts/`` for vCards;
- names: ``photo_N@DD-MM-YYYY_HH-MM-SS.jpg`` (``PreparePhotoFileName``); a document keeps its own
  name (``base::FileNameFromUserString``), and one without a name is ``audio_N@….ogg`` (voice;
  ``.mp3`` for audio/mp3), ``video_N@…`` (a video) or ``file_N@…`` (anything else) with the
  extension of its MIME type (``ComputeDocumentName``); the date is the message's, in the
  export's time zone (``FormatDateTime``, local time), and absent for custom emoji, which Desktop
  names without a date; ``contacts/contact_N.vcard``;
- a thumbnail is its file's suggested path + ``_thumb.jpg`` (``ParseDocumentThumb``);
- a path already taken gets `` (1)``, `` (2)``, … before its first dot (``PrepareRelativePath``:
  "file.tar.xz" becomes "file (1).tar.xz").

N counts per kind (photos, audios, videos, files, contacts: ``ParseMediaContext``) in the order
Desktop parses messages; :class:`Counters` keeps them and :mod:`exporter.media.naming_pass`
walks in that order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PHOTOS = "photos"
CONTACTS = "contacts"

# Flags of a document, from its attributes (export_data_types.cpp, ParseAttributes).
VIDEO_FILE = 1
ANIMATED = 2
STICKER = 4
VOICE = 8
ROUND = 16
AUDIO = 32

# Desktop takes a MIME type's first glob pattern from Qt's MIME database, which is freedesktop.org's
# shared-mime-info (freedesktop.org.xml 2.4; aliases resolved: audio/mp3 is audio/mpeg), and has
# its own answer for its sticker types (core/mime_type.cpp: image/webp *.webp,
# application/x-tgsticker *.tgs). The types Telegram clients send most; a type not listed here
# gets Desktop's answer for a type Qt does not know: .mov for a video, .unknown otherwise.
MIME_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/heic": ".heic",
    "image/heif": ".heic",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "image/svg+xml": ".svg",
    "application/x-tgsticker": ".tgs",
    "video/mp4": ".mp4",
    "video/quicktime": ".qt",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "video/mpeg": ".mpeg",
    "video/3gpp": ".3gp",
    "video/x-msvideo": ".avi",
    "audio/ogg": ".oga",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/flac": ".flac",
    "audio/x-flac": ".flac",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/x-tar": ".tar",
    "application/gzip": ".gz",
    "application/x-7z-compressed": ".7z",
    "application/vnd.rar": ".rar",
    "application/x-rar-compressed": ".rar",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "text/html": ".html",
    "text/markdown": ".md",
    "application/json": ".json",
    "application/xml": ".xml",
    "text/xml": ".xml",
    "application/rtf": ".rtf",
    "application/epub+zip": ".epub",
    "application/vnd.android.package-archive": ".apk",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppz",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "text/vcard": ".vcard",
    "text/x-vcard": ".vcard",
}

# base::FileNameFromUserString (lib_base base_file_utilities.cpp): bidi marks and what Windows or
# POSIX forbid in a name become "_" (an "exe" name must not read as "jpeg" backwards).
_BAD = frozenset('\u200e\u200f\u202a\u202b\u202d\u202e\u2066\u2067/\\<>:"|?*')
# Its Windows part (base_file_utilities_win.cpp), applied everywhere since an archive may be
# unzipped anywhere: device names get "_" in front, shortcut files ".download" after.
_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(1, 10)] + [f"LPT{i}" for i in range(1, 10)]
)
_MASKED_EXTENSIONS = (".lnk", ".scf")
# guess: room for " (NNN)" and "_thumb.jpg" under the 255 bytes ext4, APFS and NTFS allow a name;
# Desktop does not cut names (a longer one fails to write there).
MAX_NAME_BYTES = 230


def safe_file_name(name: str) -> str:
    """A document's own name as Desktop writes it, safe on Windows, macOS and Linux alike."""
    name = "".join("_" if ch in _BAD or ord(ch) < 32 else ch for ch in name)
    if not name or name.endswith((" ", ".")):
        name += "_"
    if name.lower().endswith(_MASKED_EXTENSIONS):
        name += ".download"
    for device in _DEVICE_NAMES:
        if name.upper().startswith(device) and (len(name) == len(device) or name[len(device)] == "."):
            name = "_" + name
            break
    return _cut(name, MAX_NAME_BYTES)


def _cut(name: str, limit: int) -> str:
    """At most ``limit`` bytes of UTF-8, cut before the last dot so the extension stays."""
    if len(name.encode()) <= limit:
        return name
    dot = name.rfind(".")
    extension = name[dot:] if 0 < dot and len(name) - dot <= 16 else ""
    stem = name[: len(name) - len(extension)]
    room = limit - len(extension.encode())
    cut = stem.encode()[:room].decode(errors="ignore")
    return cut + extension


def mime_extension(mime: str, *, video: bool) -> str:
    return MIME_EXTENSIONS.get(mime.lower(), ".mov" if video else ".unknown")


def date_part(date: int, zone: dt.tzinfo | None) -> str:
    """``@DD-MM-YYYY_HH-MM-SS`` in the export's zone (FormatDateTime(date, 0, '-', '-', '_')); ''
    without a date."""
    if not date:
        return ""
    return "@" + dt.datetime.fromtimestamp(date, zone or dt.UTC).strftime("%d-%m-%Y_%H-%M-%S")


def document_folder(flags: int) -> str:
    """DocumentFolder: the first flag that matches, in Desktop's order."""
    if flags & VIDEO_FILE:
        return "video_files"
    if flags & ANIMATED:
        return "animations"
    if flags & STICKER:
        return "stickers"
    if flags & VOICE:
        return "voice_messages"
    if flags & ROUND:
        return "round_video_messages"
    return "files"


@dataclass
class Counters:
    """ParseMediaContext's counters: the N of each kind of name, counted per export."""

    photos: int = 0
    audios: int = 0
    videos: int = 0
    files: int = 0
    contacts: int = 0

    def photo(self, date: int, zone: dt.tzinfo | None) -> str:
        self.photos += 1
        return f"{PHOTOS}/photo_{self.photos}{date_part(date, zone)}.jpg"

    def contact(self) -> str:
        self.contacts += 1
        return f"{CONTACTS}/contact_{self.contacts}.vcard"

    def document(self, name: str, mime: str, flags: int, date: int, zone: dt.tzinfo | None) -> str:
        """ComputeDocumentName under DocumentFolder; counts only the kind of name it makes."""
        if not name:
            if flags & VOICE:
                self.audios += 1
                extension = ".mp3" if mime.lower() == "audio/mp3" else ".ogg"
                name = f"audio_{self.audios}{date_part(date, zone)}{extension}"
            elif flags & VIDEO_FILE:
                self.videos += 1
                name = f"video_{self.videos}{date_part(date, zone)}{mime_extension(mime, video=True)}"
            else:
                self.files += 1
                name = f"file_{self.files}{date_part(date, zone)}{mime_extension(mime, video=False)}"
        return f"{document_folder(flags)}/{safe_file_name(name)}"


def thumbnail_path(suggested: str) -> str:
    """A thumbnail beside its file: the file's *suggested* path (before any clash suffix) + _thumb.jpg."""
    return suggested + "_thumb.jpg"


def numbered(path: str, attempt: int) -> str:
    """The ``attempt``-th free name for a taken ``path``: " (attempt)" before the first dot of the
    path (Desktop's folders have no dots, so that is the first dot of the name)."""
    dot = path.find(".")
    if dot < 0:
        return f"{path} ({attempt})"
    return f"{path[:dot]} ({attempt}){path[dot:]}"
