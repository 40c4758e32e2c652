"""Telegram Desktop's file names, unit by unit: safe names, clash numbering, counters and the naming
pass's order (slices of 100 messages, custom emoji after each slice), on a real per-export store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from db.media_store import EmojiDocument, MediaStore
from db.store import ExportStore
from exporter.media.capture import EMOJI, EMOJI_PREFIX, FILE, RefRow
from exporter.media.naming import (
    MAX_NAME_BYTES,
    STICKER,
    VIDEO_FILE,
    VOICE,
    Counters,
    date_part,
    document_folder,
    numbered,
    safe_file_name,
)
from exporter.media.naming_pass import _from_top, name_files
from exporter.media.selection import FILE_NOT_INCLUDED, FILE_TOO_LARGE, Selection
from sandbox.world.hostile import FILE_NAMES

# base::FileNameFromUserString and its Windows part, applied to the sandbox's hostile names.
SAFE = {
    "../../etc/passwd": ".._.._etc_passwd",
    "..\\..\\Windows\\System32\\drivers\\etc\\hosts": ".._.._Windows_System32_drivers_etc_hosts",
    "/etc/shadow": "_etc_shadow",
    "<img src=x onerror=alert(1)>.pdf": "_img src=x onerror=alert(1)_.pdf",
    "report\u202efdp.exe": "report_fdp.exe",
    "CON.txt": "_CON.txt",
    ".htaccess": ".htaccess",
    "zero\u200bwidth.zip": "zero\u200bwidth.zip",
    '"quoted" & <tagged>.docx': "_quoted_ & _tagged_.docx",
    "C:\\boot.ini": "C__boot.ini",
    "~/.ssh/id_rsa": "~_.ssh_id_rsa",
}


@pytest.mark.parametrize("name", FILE_NAMES)
def test_hostile_names_are_made_safe_as_desktop_makes_them(name: str) -> None:
    safe = safe_file_name(name)
    if name in SAFE:
        assert safe == SAFE[name]
    else:  # 240 letters and ".txt": cut to the limit, the extension kept
        assert safe.endswith(".txt") and len(safe.encode()) == MAX_NAME_BYTES
    assert "/" not in safe and "\\" not in safe


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("notes.", "notes._"),
        ("trailing ", "trailing _"),
        ("", "_"),
        ("link.LNK", "link.LNK.download"),
        ("lpt1", "_lpt1"),
        ("COM10.txt", "COM10.txt"),
    ],
)
def test_what_windows_would_change_or_refuse(name: str, safe: str) -> None:
    assert safe_file_name(name) == safe


def test_a_clash_is_numbered_before_the_first_dot() -> None:
    # PrepareRelativePath: not the last dot, so "file.tar.xz" stays a .tar.xz.
    assert numbered("files/backup.tar.gz", 1) == "files/backup (1).tar.gz"
    assert numbered("files/README", 2) == "files/README (2)"
    assert numbered("files/.htaccess", 1) == "files/ (1).htaccess"
    assert numbered("video_files/clip.mp4_thumb.jpg", 3) == "video_files/clip (3).mp4_thumb.jpg"


def test_counters_name_each_kind_with_its_own_number() -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    date = int(dt.datetime(2024, 3, 5, 6, 7, 8, tzinfo=dt.UTC).timestamp())
    c = Counters()
    assert c.photo(date, berlin) == "photos/photo_1@05-03-2024_07-07-08.jpg"
    assert c.document("", "audio/ogg", VOICE, date, None) == "voice_messages/audio_1@05-03-2024_06-07-08.ogg"
    assert c.document("", "audio/mp3", VOICE, date, None).endswith("audio_2@05-03-2024_06-07-08.mp3")
    assert (
        c.document("", "video/mp4", VIDEO_FILE, date, None) == "video_files/video_1@05-03-2024_06-07-08.mp4"
    )
    assert c.document("", "video/x-unheard-of", VIDEO_FILE, date, None).endswith(
        "video_2@05-03-2024_06-07-08.mov"
    )
    assert c.document("", "application/pdf", 0, date, None) == "files/file_1@05-03-2024_06-07-08.pdf"
    assert c.document("", "application/octet-stream", 0, date, None).endswith(
        "file_2@05-03-2024_06-07-08.unknown"
    )
    # A named document counts nothing; a custom emoji has no date.
    assert c.document("report.pdf", "application/pdf", 0, date, None) == "files/report.pdf"
    assert c.document("", "image/webp", STICKER, 0, None) == "stickers/file_3.webp"
    assert c.contact() == "contacts/contact_1.vcard"
    assert (c.photos, c.audios, c.videos, c.files, c.contacts) == (1, 2, 2, 3, 1)
    assert date_part(0, None) == ""


def test_document_folders_follow_desktops_order() -> None:
    # A GIF carries a video attribute: video_files, as Desktop files it.
    assert document_folder(VIDEO_FILE | 2) == "video_files"
    assert document_folder(2) == "animations"
    assert document_folder(STICKER | VOICE) == "stickers"
    assert document_folder(0) == "files"


def test_slices_of_100_and_an_upgraded_groups_history_apart(tmp_path: Path) -> None:
    store = ExportStore(tmp_path / "store.sqlite")
    ids = [-999_999_990, -999_999_980, *range(1, 201), *range(205, 256)]
    with store.connection:
        store.connection.executemany("INSERT INTO messages VALUES (?, NULL, 0, x'')", [(i,) for i in ids])
    # A slice ends before the next one's first id: 201-204 are not stored.
    slices = list(MediaStore(store.connection).slices(100))
    assert slices == [(-999_999_990, -999_999_980), (1, 100), (101, 204), (205, 255)]
    store.close()


def test_emoji_are_resolved_from_the_top_of_a_sorted_set_100_at_a_time() -> None:
    ids = [5, 1, -1, *range(10, 208)]  # -1 is the largest as uint64
    order = list(_from_top(ids))
    assert order[:100] == [*range(109, 208), -1]
    assert order[100:] == [5, *range(10, 109), 1]


def ref(msg_id: int, seq: int, role: str, kind: str, **fields: object) -> RefRow:
    row: dict[str, object] = {
        "flags": 0, "file_key": None, "dc_id": 2, "loc_kind": "document", "file_id": 0, "access_hash": 1,
        "file_reference": b"r", "thumb_size": "", "size": 100, "full_size": 100, "mime": "application/pdf",
        "file_name": "", "date": 1_700_000_000, "content": None, "ref_chat": None,
    }  # fmt: skip
    row.update(fields)
    return (msg_id, seq, role, None, kind, *row.values())  # type: ignore[return-value]


def test_the_naming_pass_counts_in_desktops_order_and_stores_each_file_once(tmp_path: Path) -> None:
    store = ExportStore(tmp_path / "store.sqlite")
    media = MediaStore(store.connection)
    emoji_id = 777
    refs = [
        ref(1, 0, FILE, "files", file_key="document:1", file_id=1),
        ref(2, 0, EMOJI_PREFIX + str(emoji_id), EMOJI, file_id=emoji_id),
        ref(3, 0, FILE, "files", file_key="document:1", file_id=1),  # posted again
        ref(4, 0, FILE, "videos", file_key="document:4", file_id=4, flags=VIDEO_FILE, mime="video/mp4"),
        ref(5, 0, FILE, "files", file_key="document:5", file_id=5, file_name="Report.pdf"),
        ref(6, 0, FILE, "files", file_key="document:6", file_id=6, file_name="report.pdf"),
        ref(7, 0, FILE, "files", file_key="document:7", file_id=7, size=10**9, full_size=10**9),
        ref(120, 0, FILE, "files", file_key="document:120", file_id=120),
    ]
    rows = [(i, None, 1_700_000_000, b"{}") for i in range(1, 151)]
    with store.connection:
        store.connection.executemany("INSERT INTO messages VALUES (?, ?, ?, ?)", rows)
        store.connection.executemany(
            f"INSERT INTO media_refs VALUES ({','.join('?' * 20)}, NULL, NULL)", refs
        )
    media.put_emoji([EmojiDocument(emoji_id, True, 2, 1, b"r", 50, "image/webp", "", STICKER)])
    name_files(media, Selection(frozenset({"files"}), 1 << 20), "UTC")
    # A sentence, or the path of the file the reference waits for (downloads are not run here).
    query = "SELECT msg_id, role, COALESCE(value, (SELECT path FROM media_files WHERE key = file)) FROM media_refs"
    values = {(m, role): v for m, role, v in store.connection.execute(query)}
    stamp = "@14-11-2023_22-13-20"
    assert values[1, FILE] == f"files/file_1{stamp}.pdf"
    # Posted again: the first path. Desktop still parsed it, which took file_2 (and message 7 file_3).
    assert values[3, FILE] == values[1, FILE]
    assert values[4, FILE] == FILE_NOT_INCLUDED
    assert values[5, FILE] == "files/Report.pdf"
    assert values[6, FILE] == "files/report (1).pdf"  # one file once unzipped on Windows or macOS
    assert values[7, FILE] == FILE_TOO_LARGE
    # The emoji is named after its slice's messages, without a date; the next slice follows.
    assert values[2, EMOJI_PREFIX + str(emoji_id)] == "stickers/file_4.webp"
    assert values[120, FILE] == f"files/file_5{stamp}.pdf"
    assert media.to_fetch() == (5, 100 + 50 + 100 + 100 + 100)
    store.close()
