"""What the media engine is asked for (FileSpec) and what it answers (Outcome)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from telethon.tl import types as T

FileKind = Literal["photo", "document"]


def file_kind(text: str) -> FileKind:
    """A location kind read back from the work store, which keeps it as text (db/ knows no FileKind)."""
    if text == "photo":
        return "photo"
    if text == "document":
        return "document"
    raise ValueError(f"not a file location kind: {text!r}")


@dataclass(frozen=True)
class FileLocation:
    """The fields of InputPhotoFileLocation / InputDocumentFileLocation, storable as they are."""

    kind: FileKind
    id: int
    access_hash: int
    file_reference: bytes
    thumb_size: str = ""

    @property
    def key(self) -> str:
        """Identity of the bytes: a file id with the size asked for (a photo's sizes are different files)."""
        return f"{self.kind}:{self.id}:{self.thumb_size}" if self.thumb_size else f"{self.kind}:{self.id}"

    def with_reference(self, file_reference: bytes) -> FileLocation:
        return FileLocation(self.kind, self.id, self.access_hash, file_reference, self.thumb_size)

    def input(self) -> T.InputPhotoFileLocation | T.InputDocumentFileLocation:
        if self.kind == "photo":
            return T.InputPhotoFileLocation(self.id, self.access_hash, self.file_reference, self.thumb_size)
        return T.InputDocumentFileLocation(self.id, self.access_hash, self.file_reference, self.thumb_size)


@dataclass(frozen=True)
class MessageRef:
    """A message that carries the file: fetched again for a fresh file reference."""

    peer: object
    msg_id: int


@dataclass(frozen=True)
class FileSpec:
    key: str
    location: FileLocation
    dc_id: int
    size: int
    dest: Path
    msg_ref: MessageRef | None = None


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class Unavailable:
    reason: str


@dataclass(frozen=True)
class Stalled:
    reason: str


Outcome = Downloaded | Unavailable | Stalled


def _photo_size_bytes(size: object) -> int | None:
    """Bytes upload.getFile serves for a photo size; None for sizes that are not fetched (stripped,
    path and cached sizes travel inside the Photo object itself: core.telegram.org/api/files)."""
    if isinstance(size, T.PhotoSize):
        # Telethon is untyped; the TL schema makes the size an int.
        nbytes: int = size.size
        return nbytes
    if isinstance(size, T.PhotoSizeProgressive):
        # the sizes of the progressive prefixes; the whole file is the last, largest one
        return max(size.sizes) if size.sizes else None
    return None


def location_of(media: T.Photo | T.Document, thumb: str = "") -> tuple[FileLocation, int, int] | None:
    """(location, dc_id, size) of a photo's size ``thumb`` ('' = its largest) or of a document
    (``thumb`` '' = the file, else one of its thumbnails); None when there is nothing to download."""
    if isinstance(media, T.Photo):
        sizes = [(s.type, n) for s in media.sizes for n in [_photo_size_bytes(s)] if n is not None]
        if not sizes:
            return None
        # Telegram lists a photo's sizes smallest first; the largest is what Desktop exports.
        kind, nbytes = sizes[-1] if not thumb else next(((t, n) for t, n in sizes if t == thumb), ("", 0))
        if not kind:
            return None
        location = FileLocation("photo", media.id, media.access_hash, media.file_reference, kind)
        return location, media.dc_id, nbytes
    if isinstance(media, T.Document):
        if not thumb:
            location = FileLocation("document", media.id, media.access_hash, media.file_reference)
            return location, media.dc_id, media.size
        for size in media.thumbs or ():
            thumb_bytes = _photo_size_bytes(size)
            if thumb_bytes is not None and size.type == thumb:
                location = FileLocation("document", media.id, media.access_hash, media.file_reference, thumb)
                return location, media.dc_id, thumb_bytes
    return None
