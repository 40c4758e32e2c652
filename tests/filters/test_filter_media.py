"""A filter that names files chooses them: has:/size/ext: terms decide what is downloaded (real
Telethon against the sandbox, files checked in the archive)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from telethon import TelegramClient

from exporter.export import export_chat
from exporter.filters.media import media_choice
from exporter.options import MEDIA_TYPES, ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.world import World

FORUM = "project_forum_sandbox"


async def _files(client: TelegramClient, out: Path, query: str, **chosen: object) -> dict[int, str]:
    """Message id → its file's path in the archive or the sentence saying why it is not there."""
    target = await resolve_target(client, parse_target(f"@{FORUM}"))
    options = ExportOptions(formats=("json",), filter=query, **chosen)  # type: ignore[arg-type]
    result = await export_chat(client, target, options, out)
    assert result.complete, result.reason
    with zipfile.ZipFile(result.parts[0].path) as zf:
        messages = json.loads(zf.read("result.json"))["messages"]
        names = set(zf.namelist())
    files = {m["id"]: m.get("file", m.get("photo")) for m in messages if "file" in m or "photo" in m}
    # A path is in the archive; a sentence ("(File not included…)") is not a path.
    assert all(f in names for f in files.values() if not f.startswith("("))
    return files


async def test_file_terms_choose_the_files_and_other_filters_leave_it_to_the_settings(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    videos = await _files(client, tmp_path / "a", "has:video,round", media=())
    assert videos and all(not f.startswith("(") for f in videos.values())
    # Under OR a has: promises nothing about the files: the settings (none) decide.
    either = await _files(client, tmp_path / "b", "has:video | has:round", media=())
    assert either.keys() == videos.keys() and all(f.startswith("(") for f in either.values())
    # size<… raises the size limit to what it asks for.
    small = await _files(client, tmp_path / "c", "has:file size<1MB", media=("photos",), max_file_size=1)
    assert small and all(not f.startswith("(") for f in small.values())
    big = await _files(client, tmp_path / "d", "has:file", media=("photos",), max_file_size=1)
    assert big.keys() >= small.keys() and all(f.startswith("(") for f in big.values())


def test_the_choice_by_terms() -> None:
    settings = (("photos",), 8 << 20)
    assert media_choice("from:me", *settings) == (frozenset({"photos"}), 8 << 20)
    assert media_choice("has:video from:me", *settings) == (frozenset({"videos"}), 8 << 20)
    assert media_choice("has:audio,file size<20MB", *settings) == (frozenset(MEDIA_TYPES), 20 << 20)
    assert media_choice("size>50MB", *settings)[1] == 1 << 62
    assert media_choice("ext:pdf", *settings)[0] == frozenset(MEDIA_TYPES) - {"photos"}
    assert media_choice("-has:video", *settings) == (frozenset({"photos"}), 8 << 20)
