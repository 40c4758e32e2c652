"""python -m bot: run the bot (settings from .env); python -m bot --sandbox: the offline demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from pydantic import ValidationError

from db import DbError
from exporter.errors import DemoNotInstalled, demo_imports
from exporter.redaction import redact_secrets
from exporter.settings import SettingsError, open_client

from .app import running_bot
from .settings import BotSettings


async def serve(settings: BotSettings) -> None:
    client = open_client(settings, receive_updates=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_bot(settings, client) as running:
        if not await client.is_user_authorized():
            logging.warning("the user client is not logged in: an admin must send /login to the bot")
        await asyncio.wait(
            {running.polling, asyncio.ensure_future(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
    await client.disconnect()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "--sandbox", action="store_true", help="offline demo: sandbox Telegram, bot and a scripted user"
    )
    parser.add_argument(
        "--out", default="demo-output", help="demo: where the received archive parts are saved"
    )
    args = parser.parse_args()
    # Before anything logs or writes: no bot token in a log line, no file others can read.
    redact_secrets()
    os.umask(0o077)
    # The demo's terminal shows the conversation; only problems are logged there.
    level = logging.WARNING if args.sandbox else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.sandbox:
        try:
            with demo_imports():
                from .demo import run_demo
        except DemoNotInstalled as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return asyncio.run(run_demo(args.out))
    try:
        settings = BotSettings()
    except ValidationError as exc:
        missing = ", ".join(str(error["loc"][0]).upper() for error in exc.errors())
        print(f"error: settings missing or wrong: {missing}. See .env.example.", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(settings))
    except (SettingsError, DbError) as exc:
        # A damaged or locked session file or application database: one sentence, not a traceback.
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
