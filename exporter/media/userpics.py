"""Userpics: each sender's small profile photo, downloaded once when photos are exported, for the
HTML archive's round userpics (the initials in the sender's colour stay where there is none).

Telegram sends a peer's current photo inside the peer (``user.photo``: photo id and DC, no size;
core.telegram.org/constructor/userProfilePhoto). The media engine needs each file's exact size
(exporter.media: ``FileSpec.size``), which an inputPeerPhotoFileLocation does not give, so the
photo object is asked for instead, one request per sender through the export's history scheduler:
photos.getUserPhotos (the current photo first; core.telegram.org/method/photos.getUserPhotos) for
users, channels.getFullChannel's ``chat_photo`` for channels and supergroups posting as themselves.
Its smallest crop of at least ``MIN_SIDE`` px (the 160 px "a" on Telegram; core.telegram.org/api/files
lists the a/b/c crops) is fetched by the engine like any photo, and a fresh file reference comes
from the same request asked again.

The archive keeps them as ``userpics/<from_id>.jpg`` (``userpics/user123.jpg``, ``userpics/
channel456.jpg``): Telegram Desktop's export keeps its own profile photos in ``profile_pictures/``
named by date, but has no sender photos in messages, so this name is ours: the sender's
``from_id`` from result.json, which a reader of either can match. Only the ``MOST_SENDERS`` most
active senders of a chat are asked for, so a chat of 100,000 authors costs no 100,000 requests.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telethon import TelegramClient, errors, utils
from telethon.tl import functions as F
from telethon.tl import types as T

from db.private import make_private_dir
from db.store import StoreReader

from ..errors import ExportError
from ..options import ExportOptions
from ..run import ExportRun
from .engine import MediaDownloader
from .progress import MediaProgress
from .spec import Downloaded, FileSpec, Outcome, location_of
from .stage import MediaResult, history_scheduler

USERPICS_DIR = "userpics"
# The progress listeners' phase while the photos come (their time is the engine's "media" phase).
USERPICS_PHASE = "userpics"
MOST_SENDERS = 500
# Twice the 42 px circle of the HTML page: sharp on a high-density screen.
MIN_SIDE = 84
# Senders asked about at once; the history scheduler paces them further.
_AT_ONCE = 8
# messages.getMessages / channels.getMessages take at most 100 ids (api/offsets: a page's limit).
_IDS_A_REQUEST = 100
# _photo_of's answer for a sender whose access hash the session lacks.
_UNKNOWN = object()


@dataclass
class Userpics:
    """What the archive got: ``paths`` maps a sender's from_id to its photo's path in the archive;
    ``files`` and ``written`` are as MediaResult's (disk path and archive path; size and SHA-256)."""

    paths: dict[str, str] = field(default_factory=dict)
    files: list[tuple[Path, str]] = field(default_factory=list)
    written: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Telegram's identity of each photo written -> its path (remembered for incremental exports).
    keys: dict[str, str] = field(default_factory=dict)
    progress: MediaProgress | None = None


async def userpics_stage(
    client: TelegramClient,
    run: ExportRun,
    options: ExportOptions,
    media_dir: Path,
    media: MediaResult,
    earlier: Iterable[tuple[str, str]] = (),
    *,
    input_peer: Any,
    fetched_all: bool,
) -> dict[str, str]:
    """The senders' photos for the HTML archive when photos are exported, added to ``media``'s files
    (so the archive and the manifest hold them) and keys; from_id -> path in the archive.
    ``earlier``: (identity, path) of the files earlier archives of an incremental export hold: a
    photo one of them has is pointed at there, as the stage does with any file, and a new one never
    takes an earlier one's name, so the archives can be unpacked into one folder."""
    if not fetched_all or media.reason is not None:
        return {}  # a PARTIAL archive: the next run fetches everything, these too
    if "photos" not in options.media or "html" not in options.formats:
        return {}
    try:
        found = await download_userpics(
            client,
            run,
            options,
            media_dir,
            history_scheduler(client, run, options),
            dict(earlier),
            input_peer,
        )
    except (errors.RPCError, errors.AuthKeyNotFound, ConnectionError, TimeoutError, ExportError):
        # The messages and their files are all there: without photos the pages show the initials,
        # which is no reason to call a complete export incomplete.
        return {}
    media.files += found.files
    media.written.update(found.written)
    media.keys.update(found.keys)
    if found.progress is not None:
        if media.progress is None:
            media.progress = found.progress
        else:
            # One line of media in the summary: the photos' bytes and time join the files'.
            media.progress.bytes_fetched += found.progress.bytes_fetched
            media.progress.files_downloaded += found.progress.files_downloaded
            media.progress.finished = found.progress.finished
    return found.paths


def senders(store: Path, most: int = MOST_SENDERS) -> dict[str, int]:
    """The from_ids of users and channels that wrote in the stored messages, most active first,
    each with the id of its newest message. Every record is read (0.8 s for 100,000 messages,
    measured), so in a worker thread with a connection of its own, never on the event loop."""
    with StoreReader(store) as reader:
        return {
            sender: newest
            for sender, newest in reader.senders(most)
            if sender.startswith(("user", "channel"))
        }


async def download_userpics(
    client: TelegramClient,
    run: ExportRun,
    options: ExportOptions,
    media_dir: Path,
    history: Any,
    earlier: Mapping[str, str],
    input_peer: Any,
) -> Userpics:
    """Ask for the senders' photos and download them into ``media_dir/userpics``; a sender whose
    photo Telegram does not give (none set, hidden, or an error about that peer) keeps initials."""
    found = Userpics()
    who = await asyncio.to_thread(senders, run.store.path)
    if not who:
        return found
    run.emit(USERPICS_PHASE)
    photos, unknown = await _photos_of(client, history, list(who))
    if unknown:
        # A resumed export read its messages in an earlier process: this one's session never saw
        # these senders' access hashes. Their messages, asked again by id (100 a request), bring
        # them, as Telegram sends the users and chats of every messages answer.
        await _learn_senders(history, input_peer, [who[sender] for sender in unknown])
        more, _ = await _photos_of(client, history, unknown)
        photos.update(more)
    specs = {}
    folder = media_dir / USERPICS_DIR
    taken = set(earlier.values())
    for sender, photo in photos.items():
        where = location_of(photo, _crop(photo))
        if where is None:
            continue
        location, dc_id, size = where
        if location.key in earlier:
            found.paths[sender] = earlier[location.key]
            continue
        name = next(n for i in itertools.count() if f"{USERPICS_DIR}/{(n := _name(sender, i))}" not in taken)
        specs[sender] = FileSpec(location.key, location, dc_id, size, folder / name)
    if not specs:
        return found
    make_private_dir(folder)
    by_key = {spec.key: sender for sender, spec in specs.items()}

    async def refresh(spec: FileSpec) -> bytes | None:
        photo = await _photo_of(client, history, by_key[spec.key])
        if isinstance(photo, T.Photo) and photo.id == spec.location.id:
            return bytes(photo.file_reference)
        return None

    def done(spec: FileSpec, outcome: Outcome) -> None:
        run.emit(USERPICS_PHASE)
        if isinstance(outcome, Downloaded):
            path = f"{USERPICS_DIR}/{spec.dest.name}"
            found.paths[by_key[spec.key]] = path
            found.files.append((spec.dest, path))
            found.written[path] = {"size": outcome.size, "sha256": outcome.sha256}
            found.keys[spec.key] = path

    async with MediaDownloader(
        client,
        run.clock,
        options.media_settings,
        refresh=refresh,
        on_flood_wait=run.on_flood_wait,
        longest_flood_wait=options.longest_flood_wait,
    ) as engine:
        engine.expect(len(specs), sum(spec.size for spec in specs.values()))
        found.progress = await engine.download_all(list(specs.values()), done)
    return found


def _name(sender: str, attempt: int) -> str:
    """``user123.jpg``; a sender whose earlier photo (another one) took that: ``user123 (1).jpg``, as
    Desktop names a file whose name is taken."""
    return f"{sender}.jpg" if attempt == 0 else f"{sender} ({attempt}).jpg"


def _crop(photo: T.Photo) -> str:
    """The type of the smallest size at least MIN_SIDE px wide, else of the largest."""
    sizes = sorted((s for s in photo.sizes if isinstance(s, T.PhotoSize)), key=lambda s: s.w)
    return next((s.type for s in sizes if s.w >= MIN_SIDE), sizes[-1].type if sizes else "")


async def _photos_of(
    client: TelegramClient, history: Any, who: list[str]
) -> tuple[dict[str, T.Photo], list[str]]:
    """The senders' photos, and the senders whose access hash this session does not know."""
    photos: dict[str, T.Photo] = {}
    unknown: list[str] = []
    for start in range(0, len(who), _AT_ONCE):
        batch = who[start : start + _AT_ONCE]
        answers = await asyncio.gather(*(_photo_of(client, history, sender) for sender in batch))
        for sender, photo in zip(batch, answers, strict=True):
            if photo is _UNKNOWN:
                unknown.append(sender)
            elif isinstance(photo, T.Photo):
                photos[sender] = photo
    return photos, unknown


async def _learn_senders(history: Any, input_peer: Any, message_ids: list[int]) -> None:
    """Ask for these messages of the chat again, for the peers Telegram sends with them (Telethon
    keeps their access hashes). Ids below 0 are the migrated-from group's and are left out."""
    ids = [T.InputMessageID(i) for i in message_ids if i > 0]
    for start in range(0, len(ids), _IDS_A_REQUEST):
        batch = ids[start : start + _IDS_A_REQUEST]
        if isinstance(input_peer, T.InputPeerChannel):
            await history(F.channels.GetMessagesRequest(utils.get_input_channel(input_peer), batch))
        else:
            await history(F.messages.GetMessagesRequest(batch))


async def _photo_of(client: TelegramClient, history: Any, sender: str) -> object:
    """The sender's photo, None when it has none to give, or _UNKNOWN without its access hash."""
    digits = sender.lstrip("abcdefghijklmnopqrstuvwxyz")
    if not digits.isdigit():
        return None
    try:
        if sender.startswith("user"):
            user = utils.get_input_user(await client.get_input_entity(T.PeerUser(int(digits))))
            answer = await history(F.photos.GetUserPhotosRequest(user, offset=0, max_id=0, limit=1))
            photo = answer.photos[0] if answer.photos else None
        else:
            channel = utils.get_input_channel(await client.get_input_entity(T.PeerChannel(int(digits))))
            photo = (await history(F.channels.GetFullChannelRequest(channel))).full_chat.chat_photo
    except (ValueError, TypeError):
        # Not in the session's entities: this process has not seen the sender (a resumed export),
        # or Telegram sent no access hash for it (a deleted account, a channel out of sight).
        return _UNKNOWN
    except errors.BadRequestError:
        return None  # about this peer (USER_ID_INVALID, CHANNEL_PRIVATE…): initials, not a failed export
    return photo if isinstance(photo, T.Photo) else None
