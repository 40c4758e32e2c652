"""Dates as Telegram Desktop writes them: the exporting machine's local time, no zone suffix
(export_output_json.cpp SerializeDate: QDateTime::fromSecsSinceEpoch(…).toString(Qt::ISODate)).
The CLI uses the machine's zone unless --timezone names another; date_unixtime never changes."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sandbox.cluster import Cluster
from sandbox.world import World
from tests.bot import conftest as bot_fixtures
from tests.bot.conftest import Product
from tests.exporter.test_cli import run_cli

CHANNEL = "daily_digest_sandbox"


def _archive(out: Path) -> zipfile.ZipFile:
    (part,) = out.glob("*.zip")
    return zipfile.ZipFile(part)


def _local(ts: int, zone: str) -> str:
    return dt.datetime.fromtimestamp(ts, ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S")


async def _cli_export(cluster: Cluster, tmp_path: Path, *extra: str) -> tuple[int, str, Path]:
    session = cluster.write_session_file(tmp_path / "session.json")
    out = tmp_path / "out"
    code, _, err = await run_cli(
        "--session-file",
        str(session),
        "export",
        f"@{CHANNEL}",
        "--out",
        str(out),
        "--format",
        "json,html,md",
        *extra,
    )
    return code, err, out


def _check_dates(world: World, records: list[dict], zone: str) -> None:
    chat = world.by_username(CHANNEL)
    assert records
    for record in records:
        # The instant itself is the sandbox's, whatever the zone.
        assert int(record["date_unixtime"]) == world.date_of(chat, record["id"])
        assert record["date"] == _local(int(record["date_unixtime"]), zone)
        if "edited" in record:
            assert record["edited"] == _local(int(record["edited_unixtime"]), zone)


async def test_timezone_option_puts_every_format_in_that_zone(
    cluster: Cluster, world: World, tmp_path: Path
) -> None:
    code, err, out = await _cli_export(cluster, tmp_path, "--timezone", "America/New_York")
    assert code == 0, err
    with _archive(out) as zf:
        records = json.loads(zf.read("result.json"))["messages"]
        manifest = json.loads(zf.read("manifest.json"))
        html = zf.read("messages.html").decode()
        markdown = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".md"))
    _check_dates(world, records, "America/New_York")
    assert any(
        r["date"][11:13] != dt.datetime.fromtimestamp(int(r["date_unixtime"]), dt.UTC).strftime("%H")
        for r in records
    )
    assert manifest["time_zone"] == "America/New_York"
    first = next(r for r in records if r["type"] == "message")
    # HTML shows the local clock time and names the zone in the tooltip.
    assert (
        f'title="{first["date"][:10]} {first["date"][11:19]} America/New_York">{first["date"][11:16]}' in html
    )
    assert 'time_zone: "America/New_York"' in markdown
    assert f"first_message: {records[0]['date']}" in markdown


async def test_the_machines_zone_is_the_default(
    cluster: Cluster, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    code, err, out = await _cli_export(cluster, tmp_path)
    assert code == 0, err
    with _archive(out) as zf:
        records = json.loads(zf.read("result.json"))["messages"]
        assert json.loads(zf.read("manifest.json"))["time_zone"] == "Asia/Tokyo"
    _check_dates(world, records, "Asia/Tokyo")


async def test_an_unknown_zone_is_one_sentence_and_exit_2(cluster: Cluster, tmp_path: Path) -> None:
    code, err, out = await _cli_export(cluster, tmp_path, "--timezone", "Mars/Olympus")
    assert code == 2 and "Traceback" not in err
    assert "Unknown time zone 'Mars/Olympus'" in err
    assert not out.exists() or not list(out.glob("*.zip"))


# The bot: each user's zone, chosen once with /settings; UTC until then.
api = bot_fixtures.api
product = bot_fixtures.product


async def _bot_export(product: Product, user_id: int, count: int) -> list[dict]:
    user = product.admin
    product.say(user, f"/export @{CHANNEL}")
    options = await product.reply(
        user_id, lambda m: (m.text or "").startswith("Export Daily Digest") and m.reply_markup is not None
    )
    product.press(user, options, "▶ Export")
    return await product.archive(user_id, count=count)


async def test_the_bot_writes_dates_in_the_zone_picked_with_settings(product: Product, world: World) -> None:
    admin = product.admin
    product.say(admin, "/settings")
    screen = await product.reply(admin.id, lambda m: (m.text or "").startswith("Time zone: UTC."))
    product.press(admin, screen, "Asia/Tokyo")
    await product.reply(admin.id, lambda m: (m.text or "").startswith("Time zone set to Asia/Tokyo"))
    _check_dates(world, await _bot_export(product, admin.id, 1), "Asia/Tokyo")


async def test_utc_until_a_typed_zone_is_set(product: Product, world: World) -> None:
    admin = product.admin
    _check_dates(world, await _bot_export(product, admin.id, 1), "UTC")
    product.say(admin, "/settings Nowhere/Land")
    await product.reply(admin.id, lambda m: (m.text or "").startswith("Unknown time zone 'Nowhere/Land'"))
    product.say(admin, "/settings America/Sao_Paulo")
    await product.reply(admin.id, lambda m: (m.text or "").startswith("Time zone set to America/Sao_Paulo"))
    _check_dates(world, await _bot_export(product, admin.id, 2), "America/Sao_Paulo")
