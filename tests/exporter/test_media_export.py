"""The media stage end to end: real Telethon exports the media-small group from the sandbox over TCP,
and the archive is checked against the sandbox's truth and Telegram Desktop's rules of names,
folders, settings and sentences (exporter.media.naming, exporter.media.selection)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from telethon import TelegramClient
from telethon.tl import functions as F
from telethon.tl import types as T

from exporter.export import ExportResult, export_chat
from exporter.media.naming import MIME_EXTENSIONS, safe_file_name
from exporter.media.selection import EMOJI_UNAVAILABLE, FILE_TOO_LARGE
from exporter.options import MEDIA_TYPES, ExportOptions
from exporter.records import FILE_NOT_INCLUDED, FILE_UNAVAILABLE
from exporter.targets import parse_target, resolve_target
from exporter.timing_summary import headline
from sandbox.cluster import Cluster
from sandbox.world import FileTruth, World, build_scenario, expected_messages, message_files

GROUP = "media_small_sandbox"
MIB = 1 << 20
FOLDERS = {
    "photo": "photos",
    "video": "video_files",
    # GIFs carry a video attribute, and Desktop's DocumentFolder asks "video?" first.
    "gif": "video_files",
    "voice": "voice_messages",
    "round": "round_video_messages",
    "sticker": "stickers",
    "custom_emoji": "stickers",
    "audio": "files",
    "document": "files",
}


@pytest.fixture
def world() -> World:
    return build_scenario("media-small")


async def export(client: TelegramClient, out: Path, **options: Any) -> tuple[ExportResult, dict[str, Any]]:
    target = await resolve_target(client, parse_target("@" + GROUP))
    result = await export_chat(
        client, target, ExportOptions(formats=("json",), time_zone="UTC", **options), out
    )
    (part,) = result.parts
    with zipfile.ZipFile(part.path) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    return result, files


def records(files: dict[str, bytes]) -> dict[int, dict[str, Any]]:
    return {m["id"]: m for m in json.loads(files["result.json"])["messages"]}


class Message:
    """A message's files as the sandbox made them, and what its record says of each."""

    def __init__(self, world: World, msg_id: int, record: dict[str, Any]) -> None:
        chat = world.by_username(GROUP)
        truths = list(message_files(world, chat, msg_id))
        date = world.message(chat, msg_id).date
        self.date = date if isinstance(date, int) else int(date.timestamp())
        self.main: FileTruth | None = next(
            (f for f in truths if f.thumb == "" and f.kind != "custom_emoji"), None
        )
        self.thumb = next((f for f in truths if self.main and self.main.kind != "photo" and f.thumb), None)
        self.emoji = [f for f in truths if f.kind == "custom_emoji"]
        self.record = record
        media = world.message(chat, msg_id).media
        self.vcard = media.vcard.encode() if isinstance(media, T.MessageMediaContact) else None
        main = self.main
        self.field = None if main is None else ("photo" if main.kind == "photo" else "file")

    def emoji_values(self) -> list[str]:
        parts = [p for p in self.record.get("text_entities", ()) if p["type"] == "custom_emoji"]
        parts += [r for r in self.record.get("reactions", ()) if r["type"] == "custom_emoji"]
        return list(dict.fromkeys(p["document_id"] for p in parts))

    def values(self) -> list[tuple[FileTruth, str]]:
        """(file, the record's value for it) for every file of the message."""
        pairs = []
        if self.main is not None and self.field is not None:
            pairs.append((self.main, self.record[self.field]))
        if self.thumb is not None:
            pairs.append((self.thumb, self.record["thumbnail"]))
        values = self.emoji_values()
        assert len(values) == len(self.emoji) or set(values) <= {"", EMOJI_UNAVAILABLE}
        pairs += list(zip(self.emoji, values, strict=False))
        return pairs


def messages(world: World, files: dict[str, bytes]) -> list[Message]:
    by_id = records(files)
    chat = world.by_username(GROUP)
    return [Message(world, msg_id, by_id[msg_id]) for msg_id, _ in expected_messages(world, chat)]


def unnumbered(path: str) -> str:
    """The suggested path a clash suffix " (k)" was put into (before the first dot)."""
    return re.sub(r" \(\d+\)(?=\.|$)", "", path, count=1) if "." in path else re.sub(r" \(\d+\)$", "", path)


def stamp(date: int) -> str:
    return dt.datetime.fromtimestamp(date, dt.UTC).strftime("@%d-%m-%Y_%H-%M-%S")


async def emoji_names(client: TelegramClient, world: World) -> dict[int, str]:
    chat = world.by_username(GROUP)
    ids = sorted(
        {
            f.file_id
            for i, _ in expected_messages(world, chat)
            for f in message_files(world, chat, i)
            if f.kind == "custom_emoji"
        }
    )
    documents = await client(F.messages.GetCustomEmojiDocumentsRequest(ids))
    names = {}
    for document in documents:
        name = next(a.file_name for a in document.attributes if isinstance(a, T.DocumentAttributeFilename))
        names[document.id] = name
    assert set(names) == set(ids)
    return names


async def test_all_media_every_file_in_the_archive_once_with_desktops_names(
    client: TelegramClient, cluster: Cluster, world: World, tmp_path: Path
) -> None:
    result, files = await export(client, tmp_path, media=MEDIA_TYPES, max_file_size=4000 * MIB)
    assert result.complete
    emoji = await emoji_names(client, world)
    served_before = sum(n for k, n in cluster.stats().items() if k.startswith("file_bytes:"))
    first_path: dict[tuple[int, str], str] = {}
    vcards = set()
    counters = Counter[str]()
    for message in messages(world, files):
        vcard = message.record.get("contact_vcard")
        if vcard is not None:
            counters["contact"] += 1
            assert vcard == f"contacts/contact_{counters['contact']}.vcard"
            assert files[vcard] == message.vcard
            vcards.add(vcard)
        # Desktop's counters, in message order, every message counted (repeats too).
        main = message.main
        expected_main = None
        if main is not None and main.kind == "photo":
            counters["photo"] += 1
            expected_main = f"photos/photo_{counters['photo']}{stamp(message.date)}.jpg"
        elif main is not None and main.name:
            expected_main = f"{FOLDERS[main.kind]}/{safe_file_name(main.name)}"
        elif main is not None:
            counter, prefix = {
                "voice": ("audio", "audio"),
                "video": ("video", "video"),
                "gif": ("video", "video"),
            }.get(main.kind, ("file", "file"))
            counters[counter] += 1
            extension = ".ogg" if main.kind == "voice" else MIME_EXTENSIONS.get(main.mime, ".unknown")
            expected_main = (
                f"{FOLDERS[main.kind]}/{prefix}_{counters[counter]}{stamp(message.date)}{extension}"
            )
        for truth, value in message.values():
            identity = (truth.file_id, truth.thumb)
            assert value in files, (message.record["id"], truth.kind, value)
            assert hashlib.sha256(files[value]).hexdigest() == truth.sha256, value
            if identity in first_path:
                # Posted again: the first path, stored once.
                assert value == first_path[identity]
                continue
            first_path[identity] = value
            if truth is main:
                assert unnumbered(value) == expected_main
            elif truth.kind == "custom_emoji":
                assert unnumbered(value) == f"stickers/{safe_file_name(emoji[truth.file_id])}"
            else:
                # Beside its file, named after the file's suggested path (before any " (k)").
                assert unnumbered(value) == unnumbered(message.record["file"]) + "_thumb.jpg"
    media = {name for name in files if "/" in name}
    assert media == set(first_path.values()) | vcards, "every file once, nothing else"
    assert vcards
    # Each file crossed the network once: what the sandbox served is the unique files' bytes.
    unique_bytes = sum(len(files[path]) for path in media if not path.startswith("contacts/"))
    assert served_before == unique_bytes
    # The manifest names every file with its size and SHA-256.
    manifest = json.loads(files["manifest.json"])["media"]
    assert manifest["not_downloaded"] == []
    assert set(manifest["files"]) == media
    for path, entry in manifest["files"].items():
        assert entry == {"size": len(files[path]), "sha256": hashlib.sha256(files[path]).hexdigest()}
    # Names are safe everywhere: no way out of the archive, nothing Windows refuses.
    for path in media:
        folder, name = path.split("/")
        assert folder in {*FOLDERS.values(), "contacts"} and name not in ("", ".", "..")
        assert not set(name) & set('\\<>:"|?*') and not name.endswith((" ", "."))


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="desktop-defaults"),
        pytest.param(
            {"media": ("photos", "videos", "stickers"), "max_file_size": MIB}, id="videos-under-1MiB"
        ),
        pytest.param({"media": ()}, id="none"),
    ],
)
async def test_settings_choose_files_and_records_say_why_the_rest_is_missing(
    client: TelegramClient, world: World, tmp_path: Path, options: dict[str, Any]
) -> None:
    chosen = ExportOptions(**options)
    kinds = {"photo": "photos", "video": "videos", "sticker": "stickers", "gif": "gifs", "voice": "voice"}
    kinds |= {"round": "round", "audio": "files", "document": "files"}
    result, files = await export(client, tmp_path, **options)
    assert result.complete
    seen = Counter[str]()
    for message in messages(world, files):
        main = message.main
        for truth, value in message.values():
            if truth.kind == "custom_emoji":
                # Downloaded whatever the settings say, unless over the size limit (then "").
                expected = "" if truth.size > chosen.max_file_size else value
                assert value == expected and (value == "" or value in files)
                seen["emoji " + ("skipped" if value == "" else "file")] += 1
                continue
            assert main is not None
            if kinds[main.kind] not in chosen.media:
                assert value == FILE_NOT_INCLUDED, (truth, value)
                seen["not included"] += 1
            elif main.size > chosen.max_file_size:
                # A thumbnail goes with its file: "Don't load thumbs for large files that we skip".
                assert value == FILE_TOO_LARGE, (truth, value)
                seen["too large"] += 1
            else:
                assert hashlib.sha256(files[value]).hexdigest() == truth.sha256
                seen["downloaded"] += 1
        vcard = message.record.get("contact_vcard")
        if vcard is not None:
            # A vCard came with its message: Desktop writes it whatever the settings.
            assert vcard.startswith("contacts/contact_") and files[vcard].startswith(b"BEGIN:VCARD")
            seen["vcard"] += 1
    assert seen["vcard"] > 0 and seen["emoji file"] > 0
    if chosen.media == ():
        assert seen["downloaded"] == 0 and seen["not included"] > 50
    else:
        assert seen["downloaded"] > 0 and seen["not included"] > 0
    if options.get("max_file_size"):
        assert seen["too large"] > 0


@pytest.mark.parametrize("world", [build_scenario("media-faults")], ids=["media-faults"])
async def test_refused_stalled_and_expiring_files_end_in_a_delivered_archive(
    client: TelegramClient, cluster: Cluster, world: World, tmp_path: Path
) -> None:
    from exporter.media.settings import MediaSettings

    result, files = await export(
        client,
        tmp_path,
        media=MEDIA_TYPES,
        max_file_size=4000 * MIB,
        media_settings=MediaSettings(stall_seconds=3),
    )
    # The messages are all there: the export is complete, its files are not all in it.
    assert result.complete
    manifest = json.loads(files["manifest.json"])["media"]
    missing = {entry["path"]: entry for entry in manifest["not_downloaded"]}
    faulty: dict[str, str] = {}
    expired = other_dc = 0
    for message in messages(world, files):
        for truth, value in message.values():
            if truth.fault is None:
                assert hashlib.sha256(files[value]).hexdigest() == truth.sha256
                expired += truth.reference_expires
                other_dc += truth.dc_id != 2
            else:
                # Desktop's sentence in the record, and the manifest says which file and why.
                assert value == FILE_UNAVAILABLE, (truth, value)
                faulty[truth.fault] = faulty.get(truth.fault, "") or truth.kind
    assert set(faulty) == {"unavailable", "stalls"}
    statuses = Counter(entry["status"] for entry in missing.values())
    assert statuses["unavailable"] >= 2 and statuses["stalled"] >= 2, missing
    assert all(entry["reason"] for entry in missing.values())
    assert not set(missing) & set(files), "a missing file is not in the archive"
    # Files whose references expired were renewed, files on DC 4 fetched there (FILE_MIGRATE).
    assert expired > 10 and other_dc > 10
    assert result.report.accounted.get("media", 0) > 0
    # The summary counts them.
    assert result.report.media.unavailable == len(missing)
    assert f"{len(missing)} files unavailable" in " ".join(headline(result.report))


@pytest.mark.parametrize("world", [build_scenario("small")], ids=["small"])
async def test_a_forums_files_sit_in_the_same_folders_at_the_archive_root(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    forum = world.by_username("project_forum_sandbox")
    target = await resolve_target(client, parse_target("@project_forum_sandbox"))
    result = await export_chat(
        client, target, ExportOptions(formats=("json", "html"), time_zone="UTC"), tmp_path
    )
    (part,) = result.parts
    with zipfile.ZipFile(part.path) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    by_id = {m["id"]: m for m in json.loads(files["result.json"])["messages"]}
    photos = vcards = 0
    for msg_id, topic_id in expected_messages(world, forum):
        record = by_id[msg_id]
        assert record["topic_id"] == topic_id
        main = next((f for f in message_files(world, forum, msg_id) if f.thumb == ""), None)
        if main is not None and main.kind == "photo":
            # Desktop's defaults download photos: in photos/ beside result.json, whatever the topic.
            assert record["photo"].startswith("photos/photo_")
            assert hashlib.sha256(files[record["photo"]]).hexdigest() == main.sha256
            photos += 1
        if "contact_vcard" in record:
            assert record["contact_vcard"].startswith("contacts/") and record["contact_vcard"] in files
            vcards += 1
    assert photos and vcards


async def test_an_export_that_stopped_early_names_its_files_only_once_all_messages_are_in(
    client: TelegramClient, cluster: Cluster, tmp_path: Path
) -> None:
    from sandbox.netmodel import parse_fault

    target = await resolve_target(client, parse_target("@" + GROUP))
    options = ExportOptions(formats=("json",), time_zone="UTC", media=MEDIA_TYPES, max_file_size=4000 * MIB)
    work = tmp_path / "work"
    cluster.network.add_fault(parse_fault("messages.getHistory@3=420:FLOOD_WAIT_3600*1000"))
    partial = await export_chat(client, target, options, tmp_path / "partial", work_dir=work)
    assert not partial.complete
    with zipfile.ZipFile(partial.parts[0].path) as zf:
        stopped = records({name: zf.read(name) for name in zf.namelist()})
    assert 0 < len(stopped) < 160
    # Not yet named: Desktop numbers files in message order, and the rest of the messages is missing.
    fields = [r[f] for r in stopped.values() for f in ("photo", "file", "thumbnail") if f in r]
    assert fields and set(fields) == {FILE_UNAVAILABLE}
    assert not [name for name in zf.namelist() if "/" in name and not name.startswith("contacts")]

    cluster.network.faults.clear()
    resumed = await export_chat(client, target, options, tmp_path / "resumed", work_dir=work)
    whole, files = await export(client, tmp_path / "whole", media=MEDIA_TYPES, max_file_size=4000 * MIB)
    assert resumed.complete and whole.complete
    with zipfile.ZipFile(resumed.parts[0].path) as zf:
        assert zf.read("result.json") == files["result.json"]
