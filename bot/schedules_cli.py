"""python -m bot schedules: the operator's view of every user's scheduled exports, at a terminal.

It works on the bot's database alone (the SQLite file, or PostgreSQL with DATABASE_URL; no Telegram,
no Bot API), so it runs beside a running bot:
``pause``, ``resume`` and ``delete`` take effect at the bot's next tick, and ``run`` asks for a
run that the bot's timer starts within its interval (30 s), exactly as the Run now button does.
Making a schedule needs the chat resolved by the exporting account, so that stays /schedule's.
"""

from __future__ import annotations

import argparse
import asyncio

from db import open_database
from db.schedules import Schedule, ScheduleStore
from exporter.redaction import redact_secrets

from .jobs.schedule_rules import last_words, rule_of, when_words
from .settings import BotSettings

ACTIONS = ("list", "pause", "resume", "run", "delete")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot schedules", description=__doc__)
    parser.add_argument("action", nargs="?", default="list", choices=ACTIONS)
    parser.add_argument("id", nargs="?", type=int, help="the schedule's number (#N in /schedules)")
    args = parser.parse_args(argv)
    if args.action != "list" and args.id is None:
        parser.error(
            f"{args.action} needs the schedule's number, e.g. python -m bot schedules {args.action} 3"
        )
    return args


def line(item: Schedule) -> str:
    upcoming = "paused" if item.paused else when_words(item.next_run_at, item.time_zone)
    return (
        f"#{item.id} user {item.user_id}: {item.title} ({item.target}), {rule_of(item).describe()}; "
        f"next: {upcoming}; last: {last_words(item)}"
    )


async def run(settings: BotSettings, args: argparse.Namespace) -> int:
    database = await open_database(settings.database_target)
    try:
        store = ScheduleStore(database)
        if args.action == "list":
            items = await store.list_all()
            print("\n".join(line(item) for item in items) if items else "No scheduled exports.")
            return 0
        item = await store.get(args.id)
        if item is None:
            print(f"error: there is no schedule #{args.id} (python -m bot schedules lists them)")
            return 2
        if args.action == "delete":
            await store.delete(item.id)
            print(f"Deleted #{item.id}.")
        elif args.action == "run":
            asked = await store.request_run(item.id)
            print(f"#{item.id} runs within 30 s." if asked else f"#{item.id} is running already.")
        else:
            paused = args.action == "pause"
            upcoming = item.next_run_at if paused else rule_of(item).next_after(database.now())
            await store.set_paused(item.id, paused, upcoming)
            print(
                f"#{item.id} {'paused' if paused else 'resumed: next run ' + when_words(upcoming, item.time_zone)}."
            )
        return 0
    finally:
        await database.close()


def main(settings: BotSettings, argv: list[str]) -> int:
    if settings.database_url is not None:
        # A PostgreSQL URL holds its password: never in a line this prints or logs.
        redact_secrets(settings.database_url.get_secret_value())
    return asyncio.run(run(settings, parse(argv)))
