"""The bot's own Telegram session ended under an export (406 AUTH_KEY_DUPLICATED: the same session
used from another place): the export says so and what the admin does, not "check the network"."""

from __future__ import annotations

import logging

import pytest
from telethon import errors
from telethon.sessions import StringSession

from exporter.client import SessionFile, build_client
from tests.bot.conftest import Product
from tests.bot.test_jobs_and_admin import start_export, wait_job


async def test_an_export_whose_session_telegram_ended_names_the_cause(
    product: Product, caplog: pytest.LogCaptureFixture
) -> None:
    cluster, admin = product.cluster, product.admin
    cluster.network.latency = 1.0  # slow enough to end the session mid-export
    await start_export(product, admin, "@daily_digest_sandbox")
    await wait_job(product, admin.id, lambda job: (job.progress or {}).get("done", 0) > 0)
    # The bot's own session, used from another place at once (127.0.0.2: sandbox/mtproto/places.py).
    own = StringSession.save(product.running.app.client.session)
    there = build_client(
        SessionFile.from_payload(cluster.session_file_payload(own)), local_addr=("127.0.0.2", 0)
    )
    try:
        with pytest.raises(errors.AuthKeyDuplicatedError):
            await there.connect()
    finally:
        await there.disconnect()
    cluster.network.latency = 0
    job = await wait_job(product, admin.id, lambda job: job.state == "failed", timeout=60)
    assert job.error is not None and "Telegram ended the bot's session" in job.error
    said = [m.text or "" for m in product.api.messages_in(admin.id) if m.outgoing]
    assert any("log it in again (python -m exporter login)" in t for t in said), said
    assert not any("check the network" in t for t in said)
    ended = [r for r in caplog.records if "Telegram ended this process's own session" in r.getMessage()]
    assert len(ended) == 1 and ended[0].levelno == logging.ERROR
