"""The sandbox's photos, thumbnails and stickers are pictures a decoder reads, of the size Telegram
says they have, followed by the file's random bytes (which decoders ignore)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sandbox.world import Chat, build_scenario
from sandbox.world.pictures import jpeg, picture, webp
from sandbox.world.truth import expected_files


@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (2560, 2560), (320, 240), (17, 33), (1, 1)])
def test_jpeg_decodes_to_its_size_and_gradient(size: tuple[int, int]) -> None:
    width, height = size
    data = jpeg(width, height, (250, 10, 10), (10, 10, 250))
    image = Image.open(io.BytesIO(data + bytes(range(256)) * 40))
    image.load()
    assert image.size == size and image.format == "JPEG"
    top, bottom = image.getpixel((0, 0)), image.getpixel((width - 1, height - 1))
    assert abs(top[0] - 250) <= 6 and abs(top[2] - 10) <= 6  # type: ignore[index]
    if height >= 64:  # chroma is kept per 16 px: in a smaller picture the rows blend
        assert abs(bottom[2] - 250) <= 6 and abs(bottom[0] - 10) <= 6  # type: ignore[index]
    # Flat blocks cost bits only where a row's colour changes: a big photo stays a small picture.
    assert len(data) < 200 + width * height // 128


@pytest.mark.parametrize("size", [(512, 512), (100, 100), (1, 1), (16384, 3)])
def test_webp_decodes_to_its_size_and_colour(size: tuple[int, int]) -> None:
    data = webp(*size, (12, 200, 99))
    image = Image.open(io.BytesIO(data + b"\xff" * 1000))
    image.load()
    assert image.size == size and image.format == "WEBP"
    assert image.convert("RGB").getpixel((size[0] - 1, size[1] - 1)) == (12, 200, 99)


def test_only_pictures_of_a_known_size_are_made() -> None:
    assert picture("image/jpeg", 0, 10, 1) is None and picture("video/mp4", 10, 10, 1) is None
    assert picture("image/jpeg", 10, 10, 1) != picture("image/jpeg", 10, 10, 2)  # each file its own


def test_media_small_files_open_as_the_pictures_their_messages_describe() -> None:
    world = build_scenario("media-small")
    chat = world.by_username("media_small_sandbox")
    assert isinstance(chat, Chat)
    checked = {"photo": 0, "thumbnail": 0, "sticker": 0}
    for spec in expected_files(world, chat, thumbnails=True):
        if spec.kind not in ("photo", "sticker") and not spec.thumb:
            continue
        blob = world.blob(spec.file_id, spec.thumb)
        assert blob is not None
        image = Image.open(io.BytesIO(blob.read(0, blob.size)))
        image.load()
        assert image.size == (blob.width, blob.height) and blob.width > 0
        checked["thumbnail" if spec.thumb else spec.kind] += 1
    assert all(checked.values()), checked
