"""Profile photos of the world's users and channels: which have one, what it looks like on the
wire, and its bytes.

Telegram sends a peer's current photo inside the peer itself: ``user.photo`` is a
userProfilePhoto (photo_id, dc_id) and ``channel.photo`` a chatPhoto (core.telegram.org/constructor/
userProfilePhoto, /constructor/chatPhoto), neither with a size. Its bytes come two ways:
- upload.getFile with inputPeerPhotoFileLocation(peer, photo_id, big): "the small (160x160) or big
  (640x640) version" of the peer's current photo (core.telegram.org/api/files, "Downloading files",
  and /constructor/inputPeerPhotoFileLocation);
- the photo object itself (photos.getUserPhotos for users, channels.getFullChannel's chat_photo),
  whose sizes "a" (160x160) and "c" (640x640) are fetched with inputPhotoFileLocation like any photo
  (core.telegram.org/api/files: the photo sizes table names a/b/c as the profile photo crops).

Everything here is a pure function of a peer's id and access hash (which the world already makes
from its key), so no table is kept and every world of one key has the same photos: two of three
users have one (guess: a share of people with a photo, as in any address book), and every second
channel or supergroup.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from telethon.tl import types as T

from .content import M63, h64

if TYPE_CHECKING:
    from .model import Blob, Chat, UserInfo, World

SALT_USERPIC = 0x05E2_91C5
# (type, side, bytes before the per-photo spread): the crops a profile photo has (api/files).
SMALL, BIG = ("a", 160, 5_000), ("c", 640, 40_000)
_CROPS = {crop[0]: crop for crop in (SMALL, BIG)}
# guess: a profile photo lives on the owner's DC; the sandbox's users live on DC 2 (the account's).
DC_ID = 2
PHOTO_DATE = 1_600_000_000  # guess: the photos were set before any history here


def _h(peer_key: int, access_hash: int) -> int:
    return h64(access_hash ^ SALT_USERPIC, peer_key)


def user_photo_id(user: UserInfo) -> int | None:
    h = _h(user.id, user.access_hash)
    return (h >> 2) & M63 if h % 3 else None


def channel_photo_id(chat: Chat) -> int | None:
    if chat.kind not in ("channel", "supergroup", "forum"):
        return None
    h = _h(chat.bare_id, chat.access_hash)
    return (h >> 2) & M63 if h % 2 else None


def user_tl(user: UserInfo) -> T.UserProfilePhoto | None:
    photo_id = user_photo_id(user)
    return None if photo_id is None else T.UserProfilePhoto(photo_id=photo_id, dc_id=DC_ID)


def channel_tl(chat: Chat) -> T.ChatPhoto | T.ChatPhotoEmpty:
    photo_id = channel_photo_id(chat)
    return T.ChatPhotoEmpty() if photo_id is None else T.ChatPhoto(photo_id=photo_id, dc_id=DC_ID)


def _access_hash(photo_id: int) -> int:
    return h64(photo_id, SALT_USERPIC) & M63


def _size_bytes(photo_id: int, crop: tuple[str, int, int]) -> int:
    return crop[2] + h64(photo_id, ord(crop[0])) % 3_000


def photo(photo_id: int, world: World) -> T.Photo:
    """The photo object of a profile photo: what photos.getUserPhotos and channelFull.chat_photo hold."""
    access_hash = _access_hash(photo_id)
    sizes = [T.PhotoSize(t, side, side, _size_bytes(photo_id, (t, side, n))) for t, side, n in (SMALL, BIG)]
    reference = world.file_faults.reference(photo_id, access_hash)
    return T.Photo(photo_id, access_hash, reference, PHOTO_DATE, sizes, DC_ID)


# photo id -> (type of crop) lookups need the owner: one index per world, built on first use.
_OWNERS: weakref.WeakKeyDictionary[World, set[int]] = weakref.WeakKeyDictionary()


def _photo_ids(world: World) -> set[int]:
    found = _OWNERS.get(world)
    if found is None:
        found = {i for u in world.users.values() if (i := user_photo_id(u)) is not None}
        found |= {i for c in world.chats.values() if (i := channel_photo_id(c)) is not None}
        _OWNERS[world] = found
    return found


def blob(world: World, location: object, peer_photo: int | None) -> Blob | None:
    """The bytes an upload.getFile location names, if it is a profile photo: an
    inputPhotoFileLocation of a profile photo's crop, or an inputPeerPhotoFileLocation whose
    ``photo_id`` is the peer's current one (``peer_photo``, resolved by the caller); else None."""
    from .model import Blob

    if isinstance(location, T.InputPeerPhotoFileLocation):
        if peer_photo is None or location.photo_id != peer_photo:
            return None
        photo_id, crop = peer_photo, BIG if location.big else SMALL
    elif isinstance(location, T.InputPhotoFileLocation):
        if location.id not in _photo_ids(world) or location.access_hash != _access_hash(location.id):
            return None
        found = _CROPS.get(location.thumb_size)
        if found is None:
            return None
        photo_id, crop = location.id, found
    else:
        return None
    t, side, _ = crop
    key = h64(world.key ^ SALT_USERPIC, photo_id) ^ ord(t)
    return Blob(DC_ID, _size_bytes(photo_id, crop), _access_hash(photo_id), "image/jpeg", key, side, side)
