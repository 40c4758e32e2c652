"""`python -m bot --session-file` runs against the sandbox without TG_API_ID and TG_API_HASH, and a
session Telegram ended because two processes used it at once (406 AUTH_KEY_DUPLICATED: the bot and a
worker given one session file) stops it at start with one sentence that says what to do."""

from __future__ import annotations

from pathlib import Path

from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from tests.test_startup import api, one_sentence, run

__all__ = ["api"]


async def test_a_session_ended_for_use_from_two_places_is_one_sentence(
    tmp_path: Path, cluster: Cluster, api: BotAPIServer
) -> None:
    session = cluster.write_session_file(tmp_path / "bot.json")
    # What the sandbox records once a second process used the key (sandbox/mtproto/places.py).
    for dc in cluster.dcs.values():
        for record in dc.auth_keys.values():
            record.duplicated = True
    env = {
        "BOT_TOKEN": api.token,
        "BOT_API_URL": api.url,
        "ADMIN_IDS": "1",
        "DATA_DIR": str(tmp_path / "data"),
    }
    ended = await run("bot", "--session-file", str(session), cwd=tmp_path, env=env)
    one_sentence(ended, "used from two places at once", str(session), "a session file of its own")
    assert api.token not in ended.err
