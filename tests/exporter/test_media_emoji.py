"""Custom emoji documents asked for by the media stage: a 400 marks the batch unavailable for good,
an error that ends the export (401, a flood wait over the limit) leaves the batch to be asked again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from telethon import errors

from db.media_store import EmojiDocument, MediaStore
from db.store import ExportStore
from exporter.media.capture import EMOJI, EMOJI_PREFIX, FILE
from exporter.media.stage import ask_emoji
from tests.exporter.test_media_naming import ref

EMOJI_ID = 777


def emoji_store(tmp_path: Path) -> tuple[ExportStore, MediaStore]:
    store = ExportStore(tmp_path / "store.sqlite")
    with store.connection:
        store.connection.execute("INSERT INTO messages VALUES (1, NULL, 1700000000, x'7b7d')")
        store.connection.execute(
            f"INSERT INTO media_refs VALUES ({','.join('?' * 20)}, NULL, NULL)",
            ref(1, 0, EMOJI_PREFIX + str(EMOJI_ID), EMOJI, file_id=EMOJI_ID),
        )
    return store, MediaStore(store.connection)


def refusing(error: Exception) -> Any:
    async def send(request: object) -> object:
        raise error

    return send


async def test_a_bad_request_marks_the_batch_unavailable(tmp_path: Path) -> None:
    store, media = emoji_store(tmp_path)
    await ask_emoji(refusing(errors.BadRequestError(None, "DOCUMENT_INVALID")), media)
    emoji = media.emoji(EMOJI_ID)
    assert emoji is not None and not emoji.found
    assert media.unknown_emoji() == []
    store.close()


@pytest.mark.parametrize(
    "error",
    [errors.AuthKeyUnregisteredError(None), errors.FloodWaitError(None, capture=3600)],
    ids=["session-revoked", "flood-wait-too-long"],
)
async def test_an_error_that_ends_the_export_is_asked_again_next_run(
    tmp_path: Path, error: Exception
) -> None:
    store, media = emoji_store(tmp_path)
    with pytest.raises(type(error)):
        await ask_emoji(refusing(error), media)
    assert media.emoji(EMOJI_ID) is None
    assert media.unknown_emoji() == [EMOJI_ID]
    store.close()


async def test_asked_while_history_is_read_a_bad_request_leaves_the_batch_to_the_stage(
    tmp_path: Path,
) -> None:
    """The warm-up (exporter/media/warmup.py) asks in batches of its own; a refused one is asked
    again by the stage, in Desktop's batches, which decide what a 400 makes unavailable."""
    store, media = emoji_store(tmp_path)
    await ask_emoji(
        refusing(errors.BadRequestError(None, "DOCUMENT_INVALID")), media, refused_unavailable=False
    )
    assert media.emoji(EMOJI_ID) is None
    assert media.unknown_emoji() == [EMOJI_ID]
    store.close()


def test_the_warm_up_opens_the_dcs_of_the_files_the_settings_would_download(tmp_path: Path) -> None:
    """exporter/media/warmup.py connects to these DCs while history is read: the emoji documents
    found (up to the size limit), and the files of the chosen kinds up to it; a vCard needs none."""
    store, media = emoji_store(tmp_path)
    media.put_emoji([EmojiDocument(EMOJI_ID, True, dc_id=4, size=50)])
    rows = [
        ref(2, 0, FILE, "photos", file_key="photo:2", file_id=2, dc_id=1),
        ref(3, 0, FILE, "videos", file_key="document:3", file_id=3, dc_id=3),
        ref(4, 0, FILE, "photos", file_key="photo:4", file_id=4, dc_id=5, full_size=10**9),
        ref(5, 0, FILE, "contact", content=b"BEGIN:VCARD", dc_id=0),
    ]
    with store.connection:
        store.connection.executemany(
            f"INSERT INTO media_refs VALUES ({','.join('?' * 20)}, NULL, NULL)", rows
        )
    assert media.download_dcs(["photos"], 8 * 1024 * 1024) == [1, 4]
    assert media.download_dcs(["photos", "videos"], 10**9) == [1, 3, 4, 5]
    assert media.download_dcs([], 8 * 1024 * 1024) == [4], "custom emoji whatever the kinds"
    assert media.download_dcs([], 10) == [], "an emoji over the size limit is not downloaded"
    store.close()
