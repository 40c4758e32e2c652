"""A filter bound for one export: its usernames asked of Telegram, its topics and zone taken from the run,
and the part of it Telegram can evaluate (exporter.filters.pushdown)."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

from telethon import TelegramClient, errors, utils
from telethon.tl import types as T

from ..errors import ExportError
from ..options import ExportOptions
from ..run import ExportRun
from .evaluate import Context, FilterBindError, Predicate, bind, desktop_peer_id, usernames
from .pushdown import Search, plan_search, senders
from .syntax import parse


@dataclass(frozen=True)
class BoundFilter:
    keep: Predicate  # decides every message read, whatever Telegram was asked
    search: Search | None  # what Telegram is asked instead of the whole history; None: read it all


async def bound_filter(client: TelegramClient, run: ExportRun, options: ExportOptions) -> BoundFilter:
    """``options.filter`` bound; ExportError (one sentence) when it names what is not there."""
    assert options.filter is not None
    node = parse(options.filter)  # options.check() parsed it already
    users: dict[str, str] = {}
    peers: dict[str, Any] = {"me": T.InputPeerSelf()}
    for name in sorted(usernames(node)):
        try:
            entity = await client.get_entity(name)
        except (ValueError, errors.UsernameInvalidError, errors.UsernameNotOccupiedError):
            raise ExportError(
                f"The filter says from:{name}, but nobody on Telegram is called {name}."
            ) from None
        users[name] = desktop_peer_id(utils.get_peer_id(entity))
        peers[name] = utils.get_input_peer(entity)
    for who in senders(node):
        if who not in peers:
            # An id Telethon has not met cannot be asked: that from: is evaluated on our side only.
            with contextlib.suppress(ValueError):
                peers[who] = await client.get_input_entity(int(who))
    assert run.names.account is not None
    context = Context(
        me=run.names.account.user_id,
        users=users,
        topics={topic.id: topic.title for topic in run.topics},
        time_zone=options.time_zone,
        now=time.time(),
    )
    try:
        keep = bind(node, context)
        search = plan_search(node, context, peers) if options.push_down else None
    except FilterBindError as exc:
        raise ExportError(f"The filter does not fit this chat: {exc}") from None
    return BoundFilter(keep, search)
