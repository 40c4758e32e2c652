"""python -m exporter export --all / several targets, against the sandbox over TCP with real Telethon:
every chosen chat exported whole, the right kinds, archived and left chats as asked, both layouts."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

from exporter.filters import parse
from sandbox.cluster import Cluster
from sandbox.world import World
from tests.exporter.test_cli import run_cli
from tests.filters.brute import Brute

from .support import assert_exact, chat_of, file_paths, read_like_desktop_tools, read_zip


def _session(cluster: Cluster, tmp_path: Path) -> str:
    return str(cluster.write_session_file(tmp_path / "session.json"))


async def test_all_per_chat_takes_every_readable_chat_of_the_kinds_once(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, stdout, err = await run_cli(
        "--session-file", _session(cluster, tmp_path), "export", "--all", "--out", str(out), "--media", "none"
    )
    assert code == 0, err
    archives = sorted(out.glob("*.zip"))
    exported = []
    for path in archives:
        manifest, result, _ = read_zip(path)
        assert manifest["complete"] is True
        assert result is not None
        exported.append(assert_exact(world, result).title)
    # Archived chats are in by default; chats the account left are not, nor an upgraded group apart.
    expected = [c.title for c in world.chats.values() if not c.left]
    assert sorted(exported) == sorted(expected)
    assert len(stdout.splitlines()) == len(expected) * 2  # a summary line and an archive line each
    assert all(line.startswith(("complete: ", "archive: ")) for line in stdout.splitlines())


async def test_kinds_archived_and_left_choose_the_chats(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, stdout, err = await run_cli(
        "--session-file", _session(cluster, tmp_path), "export", "--all", "--kinds", "channels",
        "--no-archived", "--left", "--out", str(out), "--media", "none", "--format", "json",
    )  # fmt: skip
    # The left private channel cannot be read: one sentence, the others are exported.
    assert code == 1
    assert "Traceback" not in err
    lines = stdout.splitlines()
    assert lines[0].startswith("complete: Digest: ")
    assert lines[1].startswith("complete: Left Public:")
    assert lines[2].startswith("failed: Left Private: ") and "no access" in lines[2]
    exported = {assert_exact(world, read_zip(p)[1] or {}).title for p in out.glob("*.zip")}
    assert exported == {"Digest", "Left Public"}  # not the archived Quiet Channel, no group or forum


async def test_combined_layout_is_desktops_full_export(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, _, err = await run_cli(
        "--session-file", _session(cluster, tmp_path), "export", "--all", "--left",
        "--layout", "combined", "--out", str(out), "--media", "all",
    )  # fmt: skip
    assert code == 1, err  # the left private channel
    [archive] = out.glob("*.zip")
    assert archive.name.endswith(".PARTIAL.zip")
    assert not list(out.glob("*/*.zip")), "the chats' own zips are gone once combined"
    manifest, result, names = read_zip(archive)
    assert result is not None
    readable = [c for c in world.chats.values() if not (c.left and not c.username)]
    listed = result["chats"]["list"]
    left = result["left_chats"]["list"]
    assert sorted(chat_of(world, c["id"]).title for c in listed) == sorted(
        c.title for c in readable if not c.left
    )
    assert [chat_of(world, c["id"]).title for c in left] == ["Left Public"]
    files = 0
    for chat_object in listed + left:
        assert_exact(world, chat_object)
        for path in file_paths(chat_object["messages"]):
            if not path.startswith("("):  # Desktop's "(File not included…)" sentences
                assert path.startswith("chats/chat_") and path in names, path
                files += 1
    assert files > 0, "the world has files; the test must see some"
    # A tool written for Desktop's full export reads every chat with its whole history.
    assert read_like_desktop_tools(result) == {
        **{("chats", c["id"]): len(c["messages"]) for c in listed},
        ("left_chats", left[0]["id"]): len(left[0]["messages"]),
    }
    folders = sorted({name.split("/")[1] for name in names if name.startswith("chats/")})
    # 9 chats: numbered to the digits of 8, as Desktop numbers them (exporter.combined)
    assert len(readable) == 9 and folders == [f"chat_{i}" for i in range(1, 10)]
    # Our manifest says which chats are in, which failed and why, and whether each is whole.
    outcomes = {c["name"]: c for c in manifest["chats"]}
    assert outcomes["Left Private"]["folder"] is None and "no access" in outcomes["Left Private"]["reason"]
    assert all(c["complete"] for name, c in outcomes.items() if name != "Left Private")
    assert "export_results.html" in names and f"{folders[0]}" in _read(archive, "export_results.html")
    # The front page wears the chats' stylesheet (one in the archive) and counts what it lists.
    front = _read(archive, "export_results.html")
    sheet = re.search(r'<link href="([^"]+)" rel="stylesheet">', front)
    assert sheet is not None and sheet[1] in names, front[:400]
    total = sum(c["messages"] for c in manifest["chats"])
    assert f"{len(readable)} chats · {total:,} messages" in front


async def test_several_targets_in_one_command(cluster: Cluster, world: World, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, err = await run_cli(
        "--session-file", _session(cluster, tmp_path), "export", "@digest_many", "me", "@meetup_many",
        str(world.by_username("digest_many").peer_id),
        "--layout", "combined", "--out", str(out), "--format", "json,html",
    )  # fmt: skip
    assert code == 0, err
    [archive] = out.glob("*.zip")
    _, result, names = read_zip(archive)
    assert result is not None and "left_chats" not in result
    titles = [assert_exact(world, chat).title for chat in result["chats"]["list"]]
    assert titles == ["Digest", "Saved Messages", "Meetup"]  # in the order asked, Digest's id once
    assert {"chats/chat_1/messages.html", "chats/chat_3/messages.html"} <= names


async def test_all_with_targets_or_neither_is_one_line(cluster: Cluster, tmp_path: Path) -> None:
    session = _session(cluster, tmp_path)
    for args in (["export", "--all", "@digest_many"], ["export"]):
        code, _, err = await run_cli("--session-file", session, *args, "--out", str(tmp_path))
        assert code == 2 and err.strip() == "error: name the chats to export, or give --all (not both)."


def _read(archive: Path, name: str) -> str:
    with zipfile.ZipFile(archive) as opened:
        return opened.read(name).decode()


async def test_a_filter_applies_to_every_chat(cluster: Cluster, world: World, tmp_path: Path) -> None:
    out, query = tmp_path / "out", "has:photo"
    code, _, err = await run_cli(
        "--session-file", _session(cluster, tmp_path), "export", "--all", "--filter", query,
        "--timezone", "UTC", "--layout", "combined", "--out", str(out), "--media", "none",
    )  # fmt: skip
    assert code == 0, err
    [archive] = out.glob("*.zip")
    _, result, _ = read_zip(archive)
    assert result is not None
    kept = 0
    for chat_object in result["chats"]["list"]:
        chat = chat_of(world, chat_object["id"])
        # The filters' own brute-force evaluation over the ground truth (tests/filters/brute.py).
        expected = Brute(world, chat, "UTC", time.time(), {}).ids(parse(query))
        assert [m["id"] for m in chat_object["messages"]] == expected, chat.title
        kept += len(expected)
    assert kept > 0, "the world has photos; the filter must keep some"


async def test_incremental_all_brings_each_chat_only_its_new_messages(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    session, data = _session(cluster, tmp_path), str(tmp_path / "data")
    first, second = tmp_path / "first", tmp_path / "second"
    common = ["--all", "--kinds", "channels,groups", "--incremental", "--data-dir", data, "--media", "none"]
    code, _, err = await run_cli("--session-file", session, "export", *common, "--out", str(first))
    assert code == 0, err
    digest, meetup = world.by_username("digest_many"), world.by_username("meetup_many")
    new = {
        digest.title: world.add_messages(digest.peer_id, 7),
        meetup.title: world.add_messages(meetup.peer_id, 3),
    }
    code, _, err = await run_cli(
        "--session-file", session, "export", *common, "--layout", "combined", "--out", str(second)
    )
    assert code == 0, err
    [archive] = second.glob("*.zip")
    _, result, _ = read_zip(archive)
    assert result is not None
    got = {chat_of(world, c["id"]).title: [m["id"] for m in c["messages"]] for c in result["chats"]["list"]}
    # The chats with new messages bring those alone; the others are there, with nothing new.
    assert got == {title: new.get(title, []) for title in got} and set(new) <= set(got)
