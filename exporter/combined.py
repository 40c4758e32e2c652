"""Many chats in one archive, laid out as Telegram Desktop's full export.

Layout (Desktop's, for the parts this project exports):

    result.json                 {"about", "chats": {"about", "list": [chat, …]}, "left_chats": {…}}
    export_results.html         html: a page linking every chat's pages
    chats/chat_NN/…             one chat's own export: its pages, files and manifest.json
    manifest.json               ours: each chat's folder, outcome and message count

* ``chats.list`` holds one object per chat, exactly the object a single-chat ``result.json`` is
  (Desktop writes the same ``writeDialogStart`` block in both modes: export_output_json.cpp), and
  chats the account left go to ``left_chats`` (``validateDialogsMode`` there). A section is written
  only when it has a chat, as Desktop opens one only on its first chat.
* Folders are ``chats/chat_`` and the chat's number from 1, zero-padded to the digits of the count
  less one (Desktop's FinishDialogsList, export_api_wrap.cpp), in the order the chats were exported.
* File paths in a message (``photo``, ``file``, ``thumbnail``, a custom emoji's ``document_id`` …)
  are relative to the folder ``result.json`` is in, as in Desktop's full export: every string in a
  message that names a file of the chat's archive gets the chat's folder in front.
* Everything streams: each chat's ``result.json`` is parsed message by message (ijson) and written
  into the new zip as it is read; files are copied between the zips in 1 MiB chunks. The combined
  zip is then cut into parts like any archive (exporter.archive.split).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import shutil
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from db.private import make_private_dir, private_opener

from . import workdir
from .archive import MANIFEST, ArchivePart, partial_path, split
from .render.html_page import CSS_PATH, count
from .render.json import RESULT_FILE

RESULTS_PAGE = "export_results.html"
ABOUT = "Chats exported by telegram-export-bot, in the layout of Telegram Desktop's full export."
ABOUT_CHATS = "The chats of this export, each with its messages."
ABOUT_LEFT = "Chats the account has left, each with its messages."
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ChatArchive:
    """One chat of the combined archive: its own single zip (None when its export failed), and what
    the manifest says of it."""

    title: str
    zip_path: Path | None
    complete: bool
    messages: int = 0
    reason: str | None = None
    left: bool = False
    archived: bool = False
    chat_id: int | None = None
    chat_type: str | None = None


def folder_names(count: int) -> list[str]:
    """``chats/chat_1`` … as Desktop numbers them: padded to the digits of ``count - 1``."""
    digits = len(str(max(count - 1, 0)))
    return [f"chats/chat_{index:0{digits}d}" for index in range(1, count + 1)]


async def write_combined(chats: Sequence[ChatArchive], out_dir: Path, part_size: int) -> list[ArchivePart]:
    """One archive of every chat that has a zip (each a single unsplit zip), cut into parts; the
    chats' own zips are deleted once it is written."""
    return await asyncio.to_thread(_write, list(chats), out_dir, part_size)


def _write(chats: list[ChatArchive], out_dir: Path, part_size: int) -> list[ArchivePart]:
    exported = [chat for chat in chats if chat.zip_path is not None]
    folders = dict(zip((id(chat) for chat in exported), folder_names(len(exported)), strict=True))
    complete = all(chat.complete for chat in chats)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    name = f"Telegram_export-{stamp}" + ("" if complete else ".PARTIAL")
    make_private_dir(out_dir)
    destination = workdir.reserve(out_dir / f"{name}.zip")
    partial = partial_path(destination)
    try:
        with (
            open(partial, "wb", opener=private_opener) as raw,
            zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out,
        ):
            manifest = _manifest(chats, folders, complete)
            out.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
            sources = [_Source(chat, folders[id(chat)]) for chat in exported]
            if any(source.has_json for source in sources):
                with out.open(RESULT_FILE, "w", force_zip64=True) as result:
                    _write_result(result, sources)
            if any(source.first_page for source in sources):
                out.writestr(RESULTS_PAGE, _results_page(sources))
            for source in sources:
                _copy_members(source.path, source.folder, out)
        partial.replace(destination)
        parts = split(destination, part_size)
    except BaseException:
        partial.unlink(missing_ok=True)
        destination.unlink(missing_ok=True)
        raise
    for source in sources:
        source.path.unlink(missing_ok=True)
    return parts


class _Source:
    """One chat's zip, with what the combined archive needs to know of its members."""

    def __init__(self, chat: ChatArchive, folder: str) -> None:
        assert chat.zip_path is not None
        self.chat, self.folder, self.path = chat, folder, chat.zip_path
        with zipfile.ZipFile(self.path) as source:
            names = set(source.namelist())
        self.has_json = RESULT_FILE in names
        # The chat's first HTML page: index.html for a forum, messages.html otherwise.
        self.first_page = next((page for page in ("index.html", "messages.html") if page in names), None)


def _manifest(chats: list[ChatArchive], folders: dict[int, str], complete: bool) -> dict[str, Any]:
    return {
        "format": "telegram-export-bot/many",
        "version": 1,
        "complete": complete,
        "chats": [
            {
                "folder": folders.get(id(chat)),
                "id": chat.chat_id,
                "name": chat.title,
                "type": chat.chat_type,
                "left": chat.left,
                "archived": chat.archived,
                "complete": chat.complete,
                "messages": chat.messages,
                "reason": chat.reason,
            }
            for chat in chats
        ],
    }


def _write_result(out: IO[bytes], sources: list[_Source]) -> None:
    out.write(b'{\n "about": ' + orjson.dumps(ABOUT))
    for left, key, about in ((False, "chats", ABOUT_CHATS), (True, "left_chats", ABOUT_LEFT)):
        section = [s for s in sources if s.has_json and s.chat.left is left]
        if not section:
            continue
        out.write(b',\n "' + key.encode() + b'": {\n  "about": ' + orjson.dumps(about) + b',\n  "list": [')
        for index, source in enumerate(section):
            out.write(b"\n" if index == 0 else b",\n")
            _copy_chat(source.path, source.folder, out)
        out.write(b"\n  ]\n }")
    out.write(b"\n}")


def _copy_chat(path: Path, folder: str, out: IO[bytes]) -> None:
    """One chat's result.json as an item of the list, its file paths made relative to the root."""
    with zipfile.ZipFile(path) as source:
        files = {name for name in source.namelist() if name not in (MANIFEST, RESULT_FILE)}
        with source.open(RESULT_FILE) as stream:
            events = ijson.parse(stream, use_float=True)
            head: dict[str, Any] = {}
            for prefix, event, value in events:
                if prefix == "" and event == "map_key":
                    if value == "messages":
                        break
                    head[value] = _value(events)
            out.write(_encode(head)[:-1] + (b', "messages": [' if head else b'"messages": ['))
            for index, message in enumerate(ijson.items(events, "messages.item", use_float=True)):
                out.write((b"\n" if index == 0 else b",\n") + _encode(_moved(message, folder, files)))
            out.write(b"]}")


def _value(events: Iterator[tuple[str, str, Any]]) -> Any:
    """The value whose events come next (a head field: the name, the topics …)."""
    builder = ijson.ObjectBuilder()
    depth = 0
    for _, event, value in events:
        builder.event(event, value)
        depth += event in ("start_map", "start_array")
        depth -= event in ("end_map", "end_array")
        if depth == 0:
            break
    return builder.value


def _moved(value: Any, folder: str, files: set[str]) -> Any:
    if isinstance(value, str):
        return f"{folder}/{value}" if value in files else value
    if isinstance(value, dict):
        return {key: _moved(item, folder, files) for key, item in value.items()}
    if isinstance(value, list):
        return [_moved(item, folder, files) for item in value]
    return value


def _encode(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        # A lone surrogate (other people's text) or an int past 64 bits: the json module, ASCII-escaped.
        return json.dumps(value, ensure_ascii=True).encode()


def _results_page(sources: list[_Source]) -> str:
    """The archive's front page: its chats as the forum index lists topics, in the chats' own
    stylesheet (each chat's HTML carries the same one; the first chat with pages lends it)."""
    styled = next(source for source in sources if source.first_page is not None)
    rows = []
    for source in sources:
        title = html.escape(source.chat.title)
        if source.first_page is not None:
            title = f'<a href="{source.folder}/{source.first_page}" dir="auto">{title}</a>'
        details = count(source.chat.messages, "message")
        if not source.chat.complete:
            details += " · incomplete"
        rows.append(
            f'<li class="topic"><div class="topic_text">{title}<div class="details">{details}</div></div></li>'
        )
    messages = sum(source.chat.messages for source in sources)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Exported Data</title>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f'<link href="{styled.folder}/{CSS_PATH}" rel="stylesheet">\n</head>\n<body>\n'
        '<div class="page_header"><div class="header_row"><div class="titles">'
        '<div class="chat_name">Exported Data</div>'
        f'<div class="details">{count(len(sources), "chat")} · {count(messages, "message")}</div>'
        "</div></div></div>\n"
        f'<ul class="topics">\n{chr(10).join(rows)}\n</ul>\n</body>\n</html>\n'
    )


def _copy_members(path: Path, folder: str, out: zipfile.ZipFile) -> None:
    """Every file of one chat's zip but its result.json (which lives in the root one) into its folder."""
    with zipfile.ZipFile(path) as source:
        for info in source.infolist():
            if info.filename == RESULT_FILE or info.is_dir():
                continue
            name = f"{folder}/{info.filename}"
            target: str | zipfile.ZipInfo = name
            if info.compress_type == zipfile.ZIP_STORED:
                # Files stay stored as archive.write_zip stored them; by name, the rest takes this
                # zip's fast deflate level (a ZipInfo would take zlib's default, three times slower).
                target = zipfile.ZipInfo(name, info.date_time)
                target.compress_type = zipfile.ZIP_STORED
            large = info.file_size > 1 << 31
            with source.open(info) as reader, out.open(target, "w", force_zip64=large) as writer:
                shutil.copyfileobj(reader, writer, _CHUNK)
