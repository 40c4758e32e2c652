"""python -m bot: run the bot (settings from .env); python -m bot --sandbox: the offline demo;
python -m bot schedules: every user's scheduled exports, at a terminal (python -m bot schedules --help).

A start that cannot work ends at once with one sentence and exit code 2, never a traceback or a
process that looks up but does nothing: every missing or wrong setting named together, a data
folder this user cannot write, a bot token Telegram refuses, a Bot API or Telegram that cannot be
reached. The settings are checked before aiogram is imported (5 s of CPU on a slow machine).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from telethon.errors import AuthKeyDuplicatedError

from db import DbError, open_database
from db.accounts import AccountStore
from exporter.errors import DemoNotInstalled, demo_imports, explain
from exporter.redaction import redact_secrets
from exporter.settings import SettingsError, check_writable, connect, open_client, read_settings

from .settings import NO_ADMIN, SESSION_DUPLICATED, BotSettings, DeployedBotSettings

if TYPE_CHECKING:
    from aiogram import Bot

# getMe's deadline at start-up; aiohttp's own is 60 s (aiogram's default request timeout).
BOT_API_DEADLINE = 20


async def check_bot_api(settings: BotSettings) -> str:
    """One getMe before anything else: a refused token or an unreachable Bot API is one sentence."""
    from aiogram.exceptions import TelegramNetworkError, TelegramNotFound, TelegramUnauthorizedError

    from .app import make_bot

    bot = make_bot(settings)
    where = settings.bot_api_url or "https://api.telegram.org"
    try:
        me = await bot.get_me(request_timeout=BOT_API_DEADLINE)
        if settings.webhook_url is None:
            await _polling_replaces_a_webhook(bot)
    except (TelegramUnauthorizedError, TelegramNotFound):
        # api.telegram.org answers 401 for a revoked token and 404 for one that never existed.
        raise SettingsError(
            f"The Bot API at {where} refused BOT_TOKEN: copy the token again from @BotFather "
            "(/mybots → your bot → API Token) into .env."
        ) from None
    except TelegramNetworkError as exc:
        raise SettingsError(
            f"The Bot API at {where} could not be reached ({exc.message}): check this machine's network"
            + (" and BOT_API_URL" if settings.bot_api_url else "")
            + ", then start the bot again."
        ) from None
    finally:
        await bot.session.close()
    return me.username or me.first_name


async def _polling_replaces_a_webhook(bot: Bot) -> None:
    """A webhook left set (a run with WEBHOOK_URL leaves it for the other front-ends) makes Telegram
    refuse getUpdates: without this, polling retried that refusal for ever and answered nobody.
    Without WEBHOOK_URL this process is the one front-end, so the webhook goes."""
    hook = await bot.get_webhook_info(request_timeout=BOT_API_DEADLINE)
    if hook.url:
        await bot.delete_webhook(request_timeout=BOT_API_DEADLINE)
        logging.warning(
            "the webhook %s was set; WEBHOOK_URL is not, so it is deleted and this process polls "
            "(front-ends still serving that webhook get no more updates)",
            hook.url,
        )


async def serve(settings: BotSettings, session_file: Path | None = None) -> None:
    from .app import running_bot

    # What is on this machine first: a damaged session or database is the user's to mend whatever
    # the network does, and its sentence must not hide behind an unreachable Bot API.
    client = open_client(settings, session_file, receive_updates=True)
    database = await open_database(settings.database_target)
    try:
        # A SESSION_KEY that does not open the stored accounts is the operator's to fix, said here.
        await AccountStore(database, settings.session_cipher).check_key()
    finally:
        await database.close()
    name = await check_bot_api(settings)
    try:
        await connect(client)
        # Only now: a start that fails above prints its one sentence alone.
        logging.info("running as @%s", name)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        accounts = None
        if session_file is not None:
            # The sandbox's accounts (/login) reach its DCs, as the workers' do.
            from .worker import sandbox_account_clients

            accounts = sandbox_account_clients(session_file)
        async with running_bot(settings, client, account_clients=accounts) as running:
            if not await client.is_user_authorized():
                logging.warning("the user client is not logged in: an admin must send /login to the bot")
            await asyncio.wait(
                {running.polling, asyncio.ensure_future(stop.wait())},
                return_when=asyncio.FIRST_COMPLETED,
            )
    finally:
        # A failed first connection was closed already (connect); Telethon would log that again.
        if client.is_connected():
            await client.disconnect()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "--sandbox", action="store_true", help="offline demo: sandbox Telegram, bot and a scripted user"
    )
    parser.add_argument(
        "--out", default="demo-output", help="demo: where the received archive parts are saved"
    )
    parser.add_argument(
        "--session-file",
        type=Path,
        help="the offline sandbox's session file (python -m sandbox serve writes one) instead of "
        "TG_SESSION_PATH; TG_API_ID and TG_API_HASH are then not needed",
    )
    if sys.argv[1:2] == ["schedules"]:
        return _schedules(sys.argv[2:])
    args = parser.parse_args()
    # Before anything logs or writes: no bot token in a log line, no file others can read.
    redact_secrets()
    os.umask(0o077)
    # The demo's terminal shows the conversation; only problems are logged there.
    level = logging.WARNING if args.sandbox else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # /stats' chart: matplotlib logs an INFO line per axis that its day labels look like numbers
    # (six a /stats, seen by hand); its warnings stay.
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    if args.sandbox:
        try:
            with demo_imports():
                from .demo import run_demo
        except DemoNotInstalled as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return asyncio.run(run_demo(args.out))
    try:
        # The sandbox's session file names its DCs and key: no app id and hash to ask for.
        settings = read_settings(BotSettings if args.session_file else DeployedBotSettings)
        api_hash = settings.tg_api_hash.get_secret_value() if settings.tg_api_hash else None
        redact_secrets(settings.bot_token.get_secret_value(), api_hash)
        if settings.database_url is not None:
            redact_secrets(settings.database_url.get_secret_value())
        check_writable(settings.data_dir, "data folder", "set DATA_DIR to another folder", ["app.sqlite"])
        if not settings.admin_ids:
            logging.warning(NO_ADMIN)
        asyncio.run(serve(settings, args.session_file))
    except (SettingsError, DbError) as exc:
        # A damaged or locked session file or application database: one sentence, not a traceback.
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AuthKeyDuplicatedError:
        where = args.session_file or settings.tg_session_path
        print(f"error: {SESSION_DUPLICATED.format(where=where)}", file=sys.stderr)
        return 2
    except PermissionError as exc:
        # A data folder this user may write but not make private (someone else's, mode 777).
        print(f"error: {explain(exc)}", file=sys.stderr)
        return 2
    return 0


def _schedules(argv: list[str]) -> int:
    """python -m bot schedules [list | pause N | resume N | run N | delete N] (bot/schedules_cli.py)."""
    from .schedules_cli import main as schedules_main

    redact_secrets()
    os.umask(0o077)
    try:
        return schedules_main(read_settings(BotSettings), argv)
    except (SettingsError, DbError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
