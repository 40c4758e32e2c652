"""Media downloads: Telegram's getFile rules, and files that live on another DC."""

from __future__ import annotations

import pytest
from telethon import TelegramClient, errors
from telethon.tl import functions as F
from telethon.tl import types as T

from sandbox.api.upload import check_window
from sandbox.cluster import Cluster
from sandbox.mtproto.tl import RpcError
from sandbox.world import World


async def media_messages(client: TelegramClient, world: World) -> list:
    return [
        message
        for username in ("daily_digest_sandbox", "py_meetup_sandbox", "project_forum_sandbox")
        async for message in client.iter_messages(username, limit=None, wait_time=0)
        if isinstance(message.media, T.MessageMediaDocument | T.MessageMediaPhoto)
    ]


def expected_bytes(world: World, message: object) -> bytes:
    if isinstance(message.media, T.MessageMediaPhoto):
        photo = message.media.photo
        largest = max(
            (s for s in photo.sizes if isinstance(s, T.PhotoSize | T.PhotoSizeProgressive)), key=_size_of
        )
        blob = world.blob(photo.id, largest.type)
    else:
        blob = world.blob(message.media.document.id)
    return blob.read(0, blob.size)


def _size_of(size: object) -> int:
    return size.size if isinstance(size, T.PhotoSize) else max(size.sizes)


async def test_downloads_match_the_world_on_both_dcs(
    cluster: Cluster, client: TelegramClient, world: World
) -> None:
    messages = await media_messages(client, world)
    dcs = {
        (m.media.photo.dc_id if isinstance(m.media, T.MessageMediaPhoto) else m.media.document.dc_id)
        for m in messages
    }
    assert dcs == {2, 4}, "the world should place files on both DCs"
    by_dc = {}
    for message in messages:
        media = (
            message.media.photo if isinstance(message.media, T.MessageMediaPhoto) else message.media.document
        )
        by_dc.setdefault(media.dc_id, message)
    big = max(
        (m for m in messages if isinstance(m.media, T.MessageMediaDocument)),
        key=lambda m: m.media.document.size,
    )
    assert big.media.document.size > 1024 * 1024, "one file must span several 1 MiB windows"
    for message in [*by_dc.values(), big]:
        data = await client.download_media(message, file=bytes)
        assert data == expected_bytes(world, message)
    # Downloading from DC 4 exported the authorization there.
    assert cluster.calls["auth.exportAuthorization"] >= 1
    assert cluster.calls["auth.importAuthorization"] >= 1
    assert cluster.dcs[4].stats["connections"] >= 1


def test_getfile_window_rules() -> None:
    check_window(0, 512 * 1024, precise=False)
    check_window(1024 * 1024, 1024 * 1024, precise=False)
    check_window(1024, 3 * 1024, precise=True)
    for offset, limit, precise, error in [
        (1024, 4096, False, "OFFSET_INVALID"),
        (0, 3 * 4096, False, "LIMIT_INVALID"),  # 1 MiB is not a multiple of it
        (1024 * 1024 - 4096, 8192, False, "LIMIT_INVALID"),  # crosses a 1 MiB boundary
        (512, 1024, True, "OFFSET_INVALID"),
        (0, 2 * 1024 * 1024, True, "LIMIT_INVALID"),
    ]:
        with pytest.raises(RpcError, match=error):
            check_window(offset, limit, precise=precise)


async def test_getfile_errors_reach_the_client(client: TelegramClient, world: World) -> None:
    messages = await media_messages(client, world)
    document = next(
        m.media.document
        for m in messages
        if isinstance(m.media, T.MessageMediaDocument) and m.media.document.dc_id == 2
    )
    location = T.InputDocumentFileLocation(document.id, document.access_hash, document.file_reference, "")
    with pytest.raises(errors.LimitInvalidError):
        await client(F.upload.GetFileRequest(location, offset=0, limit=3 * 4096))
    with pytest.raises(errors.OffsetInvalidError):
        await client(F.upload.GetFileRequest(location, offset=100, limit=4096))
    forged = T.InputDocumentFileLocation(document.id, document.access_hash + 1, document.file_reference, "")
    with pytest.raises(errors.FileIdInvalidError):
        await client(F.upload.GetFileRequest(forged, offset=0, limit=4096))
