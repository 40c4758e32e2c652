"""DATABASE_URL naming a PostgreSQL server that is down: `python -m bot` and `python -m bot.worker`
each end with one sentence that says why, not ten seconds of the pool's retries, each logged, and
"pool initialization incomplete" for a reason."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.test_startup import API, TOKEN, closed_port, one_sentence, run


async def test_a_database_server_that_is_down_is_one_sentence_with_the_reason(tmp_path: Path) -> None:
    port = closed_port()
    url = f"postgresql://postgres:hunter2-secret@127.0.0.1:{port}/exportbot"
    env = {"BOT_TOKEN": TOKEN, "ADMIN_IDS": "1", "DATABASE_URL": url, **API}

    async def started(module: str) -> None:
        cwd = tmp_path / module
        cwd.mkdir()
        ended = await run(module, cwd=cwd, env=env)
        # One line on stderr: the pool's warning about each retry would be more lines before it.
        one_sentence(ended, f"exportbot on 127.0.0.1:{port}", "Connection refused")
        assert "hunter2" not in ended.err + ended.out

    await asyncio.gather(started("bot"), started("bot.worker"))
