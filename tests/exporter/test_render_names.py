from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from exporter.render.names import safe_filename, topic_stem

NASTY = [
    "a/b\\c",
    "..",
    ".",
    "../../etc/passwd",
    " .hidden",
    "trailing dot.",
    "trailing space ",
    "nul\x00byte",
    "bell\x07 and\ttab\nnewline",
    'win<>:"|?*chars',
    "CON",
    "con.txt",
    "Lpt1",
    "COM¹",
    "AUX .md",
    "🔥" * 80,
    "👨‍👩‍👧‍👦" * 20,
    "שלום עולם",
    "مرحبا بالعالم",
    "evil\u202egpj.exe",
    "zero\u200bwidth and\ufeffbom",
    "x" * 500,
    "",
    "   ",
    "\u2028\u2029",
    "e\u0301",
]
RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{b}{n}" for b in ("COM", "LPT") for n in [*"0123456789", "¹", "²", "³"]
}


@pytest.mark.parametrize("title", NASTY)
def test_safe_on_every_os(title: str, tmp_path: Path) -> None:
    name = safe_filename(title)
    assert name
    assert len(name.encode("utf-8")) <= 100
    assert not set(name) & set('<>:"/\\|?*')
    assert all(unicodedata.category(ch) not in ("Cc", "Cs", "Zl", "Zp") for ch in name)
    assert "\u202e" not in name and "\ufeff" not in name
    assert name == name.strip(" .")
    assert name.split(".")[0].strip().upper() not in RESERVED
    assert name == unicodedata.normalize("NFC", name)
    (tmp_path / name).write_text("ok", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_readable_titles_survive() -> None:
    assert safe_filename("Plans for 2024") == "Plans for 2024"
    assert safe_filename("שלום עולם") == "שלום עולם"
    assert safe_filename("🔥🔥") == "🔥🔥"
    assert safe_filename("a/b") == "a_b"
    assert safe_filename("CON") == "_CON"
    assert safe_filename("..") == "untitled"
    assert safe_filename(None, fallback="chat") == "chat"
    assert safe_filename("evil\u202egpj.exe") == "evilgpj.exe"
    assert safe_filename("e\u0301") == "é"


def test_long_titles_cut_on_character_boundaries() -> None:
    name = safe_filename("é" * 300)
    assert name == "é" * 50
    emoji = safe_filename("👨‍👩‍👧‍👦" * 20)
    assert not emoji.endswith("\u200d")
    assert len(safe_filename("x" * 500, max_bytes=20)) == 20


def test_topic_stems_are_unique_by_id() -> None:
    assert topic_stem(8, "Ideas") == "8 - Ideas"
    assert topic_stem(9, "Ideas") != topic_stem(8, "Ideas")
    assert topic_stem(3, "") == "3 - Topic 3"
    assert topic_stem(4, "../..") == "4 - _"
