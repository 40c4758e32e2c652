"""python -m exporter against the sandbox over TCP: every Telegram or input fault ends in one sentence.

Each test drives the real CLI (a subprocess with real Telethon) and checks the exit code, that stderr
has no traceback and says what to do, and that what was read is delivered or kept.
"""

from __future__ import annotations

import asyncio
import json
import os
import zipfile
from pathlib import Path

import pytest
from telethon import TelegramClient
from telethon.crypto import AuthKey
from telethon.sessions import StringSession

from exporter import workdir
from exporter.export import export_chat
from exporter.options import ExportOptions
from exporter.targets import parse_target, resolve_target
from sandbox.cluster import Cluster
from sandbox.netmodel import parse_fault
from tests.exporter.test_cli import run_cli

CHAT = "@py_meetup_sandbox"
CHAT_MESSAGES = 297


async def export(cluster: Cluster, tmp_path: Path, *args: str, target: str = CHAT) -> tuple[int, str, str]:
    session = cluster.write_session_file(tmp_path / "session.json")
    return await run_cli(
        "--session-file", str(session), "export", target, "--out", str(tmp_path / "out"), *args
    )


def archives(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "out").glob("*.zip"))


def written(archive: Path) -> int:
    with zipfile.ZipFile(archive) as opened:
        return json.loads(opened.read("manifest.json"))["messages"]["written"]


def one_sentence(err: str) -> str:
    assert "Traceback" not in err and "ExceptionGroup" not in err, err
    return err.strip().splitlines()[-1]


async def test_persistent_5xx_mid_export_stops_with_a_sentence_and_the_partial_archive(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.network.add_fault(parse_fault("messages.getHistory@4=500:INTERNAL_SERVER_ERROR*1000"))
    code, _, err = await export(cluster, tmp_path, "--format", "json")
    assert code == 1
    assert "servers kept failing" in one_sentence(err)
    [partial] = archives(tmp_path)
    assert partial.name.endswith(".PARTIAL.zip") and 0 < written(partial) < CHAT_MESSAGES


async def test_a_flood_wait_on_the_username_lookup_is_a_sentence(cluster: Cluster, tmp_path: Path) -> None:
    cluster.network.add_fault(parse_fault("contacts.resolveUsername=420:FLOOD_WAIT_3600"))
    code, _, err = await export(cluster, tmp_path)
    assert code == 2 and "wait 1 h 0 min" in one_sentence(err)


async def test_flood_premium_wait_of_an_hour_states_the_duration_and_counts_the_wait(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.network.add_fault(parse_fault("messages.getHistory@4=420:FLOOD_PREMIUM_WAIT_3600"))
    # The breakdown (--verbose) counts the refusal; the plain summary must not claim no wait either.
    code, out, err = await export(cluster, tmp_path, "--format", "json", "--verbose")
    assert code == 1 and "wait 1 h 0 min" in one_sentence(err)
    assert "Waits for Telegram's flood limit: 1," in out
    assert "refused requests: 1 (Telegram asked for 3600 s)" in out
    assert written(archives(tmp_path)[0]) > 0


@pytest.mark.parametrize("error", ["AUTH_KEY_UNREGISTERED", "SESSION_REVOKED"])
async def test_a_session_revoked_at_start_says_log_in_again(
    cluster: Cluster, tmp_path: Path, error: str
) -> None:
    cluster.network.revoke_session(after=0, error=error)
    code, _, err = await export(cluster, tmp_path)
    assert code == 2 and "log in again" in one_sentence(err)


async def test_a_session_revoked_mid_export_delivers_what_was_read_and_says_log_in_again(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.network.revoke_session(after=8, error="SESSION_REVOKED")
    code, _, err = await export(cluster, tmp_path, "--format", "json")
    sentence = one_sentence(err)
    assert code == 1 and "log in again" in sentence and "run the same command again" not in sentence
    assert written(archives(tmp_path)[0]) > 0


async def test_losing_access_mid_export_is_a_sentence(cluster: Cluster, tmp_path: Path) -> None:
    # 1 probe + 3 pages read the chat; the third page is refused.
    cluster.network.lose_chat_access(after=3)
    code, _, err = await export(cluster, tmp_path, "--format", "json")
    assert code == 1 and "no access to that chat any more" in one_sentence(err)


@pytest.mark.parametrize("since", ["1970-01-01", "2000-01-01"])
async def test_since_before_the_first_message_exports_everything(
    cluster: Cluster, tmp_path: Path, since: str
) -> None:
    code, _, err = await export(cluster, tmp_path, "--format", "json", "--since", since)
    assert code == 0, err
    assert written(archives(tmp_path)[0]) == CHAT_MESSAGES


@pytest.mark.parametrize(
    "args, message",
    [
        (("--topics", ""), "give at least one topic id"),
        (("--topics", " , "), "give at least one topic id"),
        (("--min-id", "-100"), "is not a message id"),
        (("--max-id", "99999999999999999999"), "is not a message id"),
        (("--last", "99999999999999999999"), "is not a whole number from 1"),
        (("--since", "2024-02-01", "--until", "2024-01-01"), "not before the end date"),
        (("--until", "1969-12-31"), "before 1970"),
        (("--min-id", "10", "--max-id", "11"), "No message id lies between"),
    ],
)
async def test_bad_numbers_and_empty_topics_are_refused_with_a_sentence(
    cluster: Cluster, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    code, _, err = await export(cluster, tmp_path, *args, target="@project_forum_sandbox")
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("target", ["99999999999999999999", "0"])
async def test_out_of_range_ids_are_refused_with_a_sentence(
    cluster: Cluster, tmp_path: Path, target: str
) -> None:
    code, _, err = await export(cluster, tmp_path, target=target)
    assert code == 2 and "is not a Telegram chat or user id" in one_sentence(err)


async def test_export_me_exports_saved_messages(cluster: Cluster, tmp_path: Path) -> None:
    code, _, err = await export(cluster, tmp_path, "--format", "json", target="me")
    assert code == 0, err
    assert written(archives(tmp_path)[0]) == 150


async def test_a_damaged_work_store_names_its_folder_and_restart_starts_over(
    cluster: Cluster, tmp_path: Path
) -> None:
    cluster.network.add_fault(parse_fault("messages.getHistory@4=420:FLOOD_WAIT_3600"))
    assert (await export(cluster, tmp_path, "--format", "json"))[0] == 1
    [store] = (tmp_path / "out" / ".work").glob("*/messages.sqlite")
    store.write_bytes(b"this is not a database" * 100)
    code, _, err = await export(cluster, tmp_path, "--format", "json")
    sentence = one_sentence(err)
    assert code == 2 and f"work folder {store.parent} is damaged" in sentence and "--restart" in sentence
    code, _, err = await export(cluster, tmp_path, "--format", "json", "--restart")
    assert code == 0, err
    assert written(max(archives(tmp_path), key=lambda p: p.stat().st_mtime)) == CHAT_MESSAGES


async def test_the_same_export_twice_at_once_the_second_says_already_running(
    cluster: Cluster, tmp_path: Path
) -> None:
    # The first run sleeps off a flood wait while holding its work folder.
    cluster.network.add_fault(parse_fault("messages.getHistory@3=420:FLOOD_WAIT_8"))
    first = asyncio.ensure_future(export(cluster, tmp_path, "--format", "json"))
    work = tmp_path / "out" / ".work"
    for _ in range(400):
        if cluster.network.flood_waits or cluster.calls["messages.getHistory"] >= 3:
            break  # the first run holds its work folder and sleeps off the flood wait
        await asyncio.sleep(0.05)
    assert list(work.glob("*/messages.sqlite"))
    code, _, err = await export(cluster, tmp_path, "--format", "json")
    assert code == 2 and "already running" in one_sentence(err)
    assert (await first)[0] == 0
    assert len(archives(tmp_path)) == 1 and written(archives(tmp_path)[0]) == CHAT_MESSAGES


async def test_two_exports_of_one_chat_in_the_same_second_never_share_an_archive(
    client: TelegramClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same second for both: the name's time stamp is all that told them apart.
    monkeypatch.setattr(workdir, "export_name", lambda chat: f"chat-{chat.id}-20260101-000000")
    target = await resolve_target(client, parse_target(CHAT))
    results = await asyncio.gather(
        export_chat(client, target, ExportOptions(formats=("json",)), tmp_path),
        export_chat(client, target, ExportOptions(formats=("md",)), tmp_path),
    )
    paths = {result.parts[0].path for result in results}
    assert len(paths) == 2 and {p.name for p in tmp_path.glob("*.zip")} == {p.name for p in paths}
    for result in results:
        assert written(result.parts[0].path) == CHAT_MESSAGES


async def test_a_session_key_the_server_does_not_know_says_log_in_again(
    cluster: Cluster, tmp_path: Path
) -> None:
    # An auth key Telegram forgot (transport error -404: Telethon's AuthKeyNotFound).
    forgotten = StringSession()
    forgotten.set_dc(cluster.home.dc_id, cluster.home.host, cluster.home.port)
    forgotten.auth_key = AuthKey(os.urandom(256))
    session = tmp_path / "forgotten.json"
    session.write_text(json.dumps(cluster.session_file_payload(forgotten.save())))
    code, _, err = await run_cli("--session-file", str(session), "export", CHAT, "--out", str(tmp_path))
    assert code == 2 and "log in again" in one_sentence(err)
    assert len(err.strip().splitlines()) == 1
