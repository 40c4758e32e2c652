"""`python -m bot --session-file` runs against the sandbox without TG_API_ID and TG_API_HASH; a
session Telegram ended because two processes used it at once (406 AUTH_KEY_DUPLICATED: the bot and a
worker given one session file) stops it at start with one sentence that says what to do; a webhook
left set by an earlier run with WEBHOOK_URL does not stop polling."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sandbox.botapi import BotAPIServer
from sandbox.cluster import Cluster
from tests.test_startup import DEADLINE, api, finish, one_sentence, run, start, stopped_in_the_end

__all__ = ["api"]
ADMIN = 4242


def sandbox_bot(tmp_path: Path, api: BotAPIServer) -> dict[str, str]:
    """The settings of a bot run against the sandbox with --session-file: no TG_API_ID/HASH."""
    return {
        "BOT_TOKEN": api.token,
        "BOT_API_URL": api.url,
        "ADMIN_IDS": str(ADMIN),
        "DATA_DIR": str(tmp_path / "data"),
    }


async def test_a_session_ended_for_use_from_two_places_is_one_sentence(
    tmp_path: Path, cluster: Cluster, api: BotAPIServer
) -> None:
    session = cluster.write_session_file(tmp_path / "bot.json")
    # What the sandbox records once a second process used the key (sandbox/mtproto/places.py).
    for dc in cluster.dcs.values():
        for record in dc.auth_keys.values():
            record.duplicated = True
    env = sandbox_bot(tmp_path, api)
    ended = await run("bot", "--session-file", str(session), cwd=tmp_path, env=env)
    one_sentence(ended, "used from two places at once", str(session), "a session file of its own")
    assert api.token not in ended.err


async def test_polling_after_a_webhook_run_deletes_the_webhook_and_answers(
    tmp_path: Path, cluster: Cluster, api: BotAPIServer
) -> None:
    session = cluster.write_session_file(tmp_path / "bot.json")
    # What a run with WEBHOOK_URL leaves behind (bot/webhook.py leaves it for the other front-ends).
    api.state.webhook_url = "https://bot.example/hook"
    ada = api.add_user("Ada", user_id=ADMIN)
    env = sandbox_bot(tmp_path, api)
    bot = await start("bot", "--session-file", str(session), cwd=tmp_path, env=env)
    with stopped_in_the_end(bot):
        ended = asyncio.create_task(finish(bot))
        api.send_text(ada, ada.id, "/start")
        answer = await api.wait_for(
            lambda: next((m for m in api.messages_in(ada.id) if m.outgoing), None) or ended.done(),
            timeout=DEADLINE,
        )
        assert not ended.done(), ended.result().err
        assert answer is not True and answer.text
        assert not api.state.webhook_url
        bot.terminate()
        assert "the webhook https://bot.example/hook was set" in (await ended).err
