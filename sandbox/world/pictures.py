"""Pictures a browser can show, at the start of the sandbox's image files.

A sandbox file is pseudo-random bytes (model.Blob); a photo, a thumbnail or a sticker starts with a
complete small picture of the size Telegram says it has, and the random bytes follow it. Image
decoders stop at the picture's end (a JPEG's EOI marker, a WebP's RIFF length), so an exported
archive shows real pictures in a browser while the files keep their sizes and checksums.

- JPEG (photos, thumbnails): baseline, 4:2:0 YCbCr, every 8x8 block one flat colour (its DC term;
  no AC terms), a vertical gradient of two colours; Huffman tables of our own with a 1-bit code for
  "no change" and for end-of-block, so a row of unchanged blocks costs 2 bits a block: 38 KB for a
  2560 x 2560 photo, 5 KB for 1280 x 720. Format: ITU-T T.81 (baseline sequential, Annex F) and
  JFIF 1.02.
- WebP (stickers, static custom emoji): lossless (VP8L) of one colour; each of the five prefix codes
  is a "simple code" of one symbol, which costs no bits per pixel, so any size is 30 bytes. Format:
  RFC 9649, "WebP Image Format", sections 3 (VP8L) and 2 (RIFF container).

A picture longer than the file (or than the first 64 KiB block) is not written; the file then
starts with the bare magic number as before.
"""

from __future__ import annotations

import struct
from functools import lru_cache

# guess: pleasant top and bottom colours; which pair a file gets comes from its key.
_GRADIENTS = (
    ((0x5E, 0xB5, 0xF7), (0x1F, 0x4E, 0x79)),
    ((0xF7, 0xB2, 0x67), (0xC0, 0x39, 0x2B)),
    ((0x8E, 0xD1, 0x9C), (0x1E, 0x6B, 0x52)),
    ((0xD7, 0xA6, 0xF2), (0x55, 0x3C, 0x9A)),
    ((0xF9, 0xE0, 0x7F), (0xD3, 0x54, 0x00)),
    ((0xA5, 0xD8, 0xE6), (0x2C, 0x3E, 0x50)),
)
_STICKER_COLOURS = ((0xFF, 0xC8, 0x3D), (0x7C, 0xC5, 0x76), (0xF2, 0x6D, 0x7D), (0x6C, 0x9E, 0xF8))


def picture(mime: str, width: int, height: int, key: int) -> bytes | None:
    """A complete picture of ``mime`` (image/jpeg or image/webp) and this size; None for another
    type or no size."""
    if width <= 0 or height <= 0:
        return None
    if mime == "image/jpeg":
        top, bottom = _GRADIENTS[key % len(_GRADIENTS)]
        image = jpeg(width, height, top, bottom)
        # A comment naming the file, after SOI and the JFIF header: no two files start alike.
        return image[:_JFIF_END] + _segment(0xFE, b"sandbox file %016x" % key) + image[_JFIF_END:]
    if mime == "image/webp":
        return webp(width, height, _STICKER_COLOURS[key % len(_STICKER_COLOURS)])
    return None


# -- JPEG

# Huffman tables (T.81 B.2.4.2: 16 counts of codes per length, then the symbols). DC: category 0
# ("no change") has the 1-bit code 0, categories 1..11 the 5-bit codes 10000..11010. AC: only
# end-of-block (symbol 0x00), code 0. No code is all ones, as K.2 requires.
_DC_COUNTS = bytes([1, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
_DC_SYMBOLS = bytes(range(12))
_AC_COUNTS = bytes([1] + [0] * 15)
_AC_SYMBOLS = bytes([0])
_DC_CODE_FIRST = 0b10000
# SOI and the JFIF APP0 segment: where jpeg()'s pictures may take a comment.
_JFIF_END = 2 + 18


def _segment(marker: int, body: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(body) + 2) + body


class _Bits:
    """Bits written high bit first into a buffer that starts all zero, so runs of zero bits (most
    of a flat picture) cost nothing but moving the position."""

    def __init__(self, nbits: int) -> None:
        self.buf = bytearray((nbits + 7) // 8)
        self.pos = 0

    def put(self, value: int, n: int) -> None:
        for i in range(n - 1, -1, -1):
            if value >> i & 1:
                self.buf[self.pos >> 3] |= 0x80 >> (self.pos & 7)
            self.pos += 1

    def skip(self, n: int) -> None:
        self.pos += n

    def finish(self) -> bytes:
        # T.81 F.1.2.3: pad the last byte with 1 bits; B.1.1.5: a 0xFF byte in entropy-coded data is
        # followed by a stuffed 0x00.
        while self.pos & 7:
            self.put(1, 1)
        return bytes(self.buf[: self.pos >> 3]).replace(b"\xff", b"\xff\x00")


def _dc_diff(bits: _Bits, diff: int) -> None:
    """A DC difference (T.81 F.1.2.1): its category's code, then the category's bits."""
    if diff == 0:
        bits.skip(1)
        return
    category = abs(diff).bit_length()
    bits.put(_DC_CODE_FIRST + category - 1, 5)
    bits.put(diff if diff > 0 else diff + (1 << category) - 1, category)


def _ycc(rgb: tuple[float, float, float]) -> tuple[int, int, int]:
    """The DC terms of a flat block of this colour (JFIF's YCbCr; DC = 8 x (value - 128) when every
    quantizer is 1)."""
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b

    def dc(value: float) -> int:
        return max(-1024, min(1016, round(8 * (value - 128))))

    return dc(y), dc(cb), dc(cr)


@lru_cache(maxsize=256)
def jpeg(width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    """A baseline JPEG of ``width`` x ``height``, ``top`` fading to ``bottom`` by rows of 16 px."""
    cols, rows = -(-width // 16), -(-height // 16)
    # At most a 5-bit code and 11 bits per component at each row start; 12 bits per other MCU.
    bits = _Bits(rows * (3 * 16 + 12 * cols) + 8)
    previous = (0, 0, 0)
    for row in range(rows):
        t = row / (rows - 1) if rows > 1 else 0.0
        r, g, b = (a + (z - a) * t for a, z in zip(top, bottom, strict=True))
        colour = _ycc((r, g, b))
        # The first MCU of a row: Y's first block moves to the row's value, its other three stay;
        # then Cb and Cr; every block ends at once (end-of-block, code 0).
        _dc_diff(bits, colour[0] - previous[0])
        bits.skip(1 + 3 * 2)
        _dc_diff(bits, colour[1] - previous[1])
        bits.skip(1)
        _dc_diff(bits, colour[2] - previous[2])
        bits.skip(1)
        # The rest of the row: six blocks of "no change" and end-of-block, all zero bits.
        bits.skip(12 * (cols - 1))
        previous = colour
    scan = bits.finish()
    jfif = b"JFIF\x00" + bytes([1, 2, 0]) + struct.pack(">HH", 1, 1) + bytes([0, 0])
    frame = struct.pack(">BHHB", 8, height, width, 3) + bytes([1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0])
    tables = bytes([0x00]) + _DC_COUNTS + _DC_SYMBOLS + bytes([0x10]) + _AC_COUNTS + _AC_SYMBOLS
    scan_header = bytes([3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0])
    return b"".join(
        (
            b"\xff\xd8",
            _segment(0xE0, jfif),
            _segment(0xDB, bytes([0]) + bytes([1] * 64)),  # one quantization table, all ones
            _segment(0xC0, frame),
            _segment(0xC4, tables),
            _segment(0xDA, scan_header),
            scan,
            b"\xff\xd9",
        )
    )


# -- WebP


class _LsbBits:
    """Bits written low bit first, as VP8L reads them (RFC 9649, 3.2)."""

    def __init__(self) -> None:
        self.value = 0
        self.pos = 0

    def put(self, value: int, n: int) -> None:
        self.value |= (value & ((1 << n) - 1)) << self.pos
        self.pos += n

    def finish(self) -> bytes:
        return self.value.to_bytes((self.pos + 7) // 8, "little")


@lru_cache(maxsize=64)
def webp(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A lossless WebP of ``width`` x ``height`` (each at most 16384), all one opaque colour."""
    bits = _LsbBits()
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(0, 1)  # alpha_is_used: no
    bits.put(0, 3)  # version 0
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no color cache
    bits.put(0, 1)  # no meta prefix codes: one group for the whole picture
    red, green, blue = rgb
    # Green (with lengths and cache codes), red, blue, alpha, distance: each a simple code of one
    # 8-bit symbol, so every pixel is that literal and reads no bits.
    for symbol in (green, red, blue, 0xFF, 0):
        bits.put(1, 1)  # simple code
        bits.put(0, 1)  # one symbol
        bits.put(1, 1)  # of 8 bits
        bits.put(symbol, 8)
    data = b"\x2f" + bits.finish()
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


# -- which files are pictures, and their sizes

# The sizes content.py and media.py give documents that are pictures (DocumentAttributeImageSize).
_DOCUMENT_SIZES = {"sticker": (512, 512), "custom_emoji": (100, 100)}


def size_of(kind: str, parts: tuple[tuple[str, int, int, int], ...], thumb: str) -> tuple[int, int]:
    """(width, height) of a file's picture: a photo size or thumbnail of ``parts`` (``thumb`` ''
    is a photo's largest size), a sticker's or custom emoji's; (0, 0) for anything else."""
    if thumb or kind == "photo":
        wanted = thumb or parts[-1][0]
        return next(((w, h) for t, w, h, _size in parts if t == wanted), (0, 0))
    return _DOCUMENT_SIZES.get(kind, (0, 0))
