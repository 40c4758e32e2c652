"""A filter bound for one export: its usernames asked of Telegram, its topics and zone taken from the run."""

from __future__ import annotations

import time

from telethon import TelegramClient, errors, utils

from ..errors import ExportError
from ..options import ExportOptions
from ..run import ExportRun
from .evaluate import Context, FilterBindError, Predicate, bind, desktop_peer_id, usernames
from .syntax import parse


async def bound_filter(client: TelegramClient, run: ExportRun, options: ExportOptions) -> Predicate:
    """The predicate of ``options.filter``; ExportError (one sentence) when it names what is not there."""
    assert options.filter is not None
    node = parse(options.filter)  # options.check() parsed it already
    users: dict[str, str] = {}
    for name in sorted(usernames(node)):
        try:
            entity = await client.get_entity(name)
        except (ValueError, errors.UsernameInvalidError, errors.UsernameNotOccupiedError):
            raise ExportError(
                f"The filter says from:{name}, but nobody on Telegram is called {name}."
            ) from None
        users[name] = desktop_peer_id(utils.get_peer_id(entity))
    assert run.names.account is not None
    context = Context(
        me=run.names.account.user_id,
        users=users,
        topics={topic.id: topic.title for topic in run.topics},
        time_zone=options.time_zone,
        now=time.time(),
    )
    try:
        return bind(node, context)
    except FilterBindError as exc:
        raise ExportError(f"The filter does not fit this chat: {exc}") from None
