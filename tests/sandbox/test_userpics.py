"""Profile photos in the sandbox, fetched by the real Telethon as Telegram serves them: a peer's
current photo by the peer (inputPeerPhotoFileLocation, small and big), the same photo's crops by the
photo object (photos.getUserPhotos, channels.getFullChannel), and what a wrong id gets."""

from __future__ import annotations

import pytest
from telethon import errors
from telethon.tl import functions as F
from telethon.tl import types as T

from sandbox.world import World, userpics
from tests.conftest import ClientFactory


def _jpeg(data: bytes) -> bool:
    return data.startswith(b"\xff\xd8") and b"sandbox file" in data[:64]


async def test_user_photos_by_the_peer_and_by_the_photo(connect: ClientFactory, world: World) -> None:
    client = await connect()
    users = [u for u in world.users.values() if not u.is_self]
    with_photo = [u for u in users if userpics.user_photo_id(u) is not None]
    without = [u for u in users if userpics.user_photo_id(u) is None]
    assert with_photo and without
    user = with_photo[0]
    entity = await client.get_entity(T.InputUser(user.id, user.access_hash))
    assert isinstance(entity.photo, T.UserProfilePhoto)
    small = await client.download_profile_photo(entity, file=bytes, download_big=False)
    big = await client.download_profile_photo(entity, file=bytes, download_big=True)
    assert _jpeg(small) and _jpeg(big) and len(big) > len(small)
    # The same photo as an object: its "a" crop is the small file, byte for byte.
    photos = await client(F.photos.GetUserPhotosRequest(T.InputUser(user.id, user.access_hash), 0, 0, 1))
    [photo] = photos.photos
    assert photo.id == entity.photo.photo_id
    assert [s.type for s in photo.sizes] == ["a", "c"] and photo.sizes[0].size == len(small)
    assert await client.download_media(photo, file=bytes, thumb=photo.sizes[0]) == small
    # Without a photo: none is named, the list is empty, and no file is served.
    bare = without[0]
    entity = await client.get_entity(T.InputUser(bare.id, bare.access_hash))
    assert entity.photo is None
    empty = await client(F.photos.GetUserPhotosRequest(T.InputUser(bare.id, bare.access_hash), 0, 0, 1))
    assert empty.photos == []
    wrong = T.InputPeerPhotoFileLocation(T.InputPeerUser(bare.id, bare.access_hash), photo.id)
    with pytest.raises(errors.LocationInvalidError):
        await client(F.upload.GetFileRequest(wrong, 0, 4096))


async def test_channel_photos(connect: ClientFactory, world: World) -> None:
    client = await connect()
    channels = [c for c in world.chats.values() if userpics.channel_photo_id(c) is not None and not c.left]
    assert channels
    chat = channels[0]
    entity = await client.get_entity(T.InputPeerChannel(chat.bare_id, chat.access_hash))
    assert isinstance(entity.photo, T.ChatPhoto)
    small = await client.download_profile_photo(entity, file=bytes, download_big=False)
    full = await client(F.channels.GetFullChannelRequest(T.InputChannel(chat.bare_id, chat.access_hash)))
    photo = full.full_chat.chat_photo
    assert photo.id == entity.photo.photo_id
    assert await client.download_media(photo, file=bytes, thumb=photo.sizes[0]) == small
