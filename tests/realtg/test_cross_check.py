"""The issue's independent cross-check: a plain-Telethon script that imports nothing from the exporter
counts every chat and topic of the ``small`` scenario, and must agree with ``python -m sandbox
describe`` chat by chat and topic by topic."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from sandbox.cluster import Cluster

SCRIPT = Path(__file__).with_name("crosscheck.py")


async def _run(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


def _describe_counts(described: dict) -> dict[str, dict]:
    """What describe says a reader of the account must find: every chat it can read."""
    counts = {}
    by_peer = {chat["peer_id"]: chat for chat in described["chats"]}
    for chat in described["chats"]:
        if chat["left"] or chat["banned"] or chat.get("exportable") is False:
            continue
        entry: dict = {"messages": chat["message_count"]}
        if "migrated_from" in chat:
            old = by_peer[chat["migrated_from"]]
            entry["migrated_from"] = {"peer_id": old["peer_id"], "messages": old["message_count"]}
        if chat["kind"] == "forum":
            entry["topics"] = {str(t["id"]): t["message_count"] for t in chat["topics"]}
        counts[str(chat["peer_id"])] = entry
    return counts


async def test_a_plain_telethon_script_agrees_with_describe(cluster: Cluster, tmp_path: Path) -> None:
    session = cluster.write_session_file(tmp_path / "session.json")
    script_counts = json.loads(await _run(str(SCRIPT), str(session)))
    described = json.loads(await _run("-m", "sandbox", "describe", "--scenario", "small"))
    truth = _describe_counts(described)
    assert script_counts.keys() == truth.keys()
    for peer_id, entry in truth.items():
        assert script_counts[peer_id] == entry, peer_id
    forums = [e for e in truth.values() if "topics" in e]
    assert any("migrated_from" in e for e in truth.values())
    assert forums and all(len(e["topics"]) > 1 for e in forums)
