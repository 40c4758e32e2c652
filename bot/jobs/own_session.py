"""Whether the process's own Telegram session was ended under a running export.

Telegram ends a session used from two places at once (406 AUTH_KEY_DUPLICATED, Telethon's errors
list: "used under two different IP addresses simultaneously, and can no longer be used"): the
same session file given to the bot and a worker, or to two workers. What the export then reports
depends on where it was when the key died; a stream that lost its connection around it says "the
connection to Telegram was lost", which sends the admin to the network. So after an export on the
own session stops on a fault of Telegram's, the session is asked once: when Telegram refuses it as
duplicated, that is the cause, said as such, and this process takes no more exports on it.
"""

from __future__ import annotations

import asyncio
import logging

from telethon import TelegramClient, errors
from telethon.tl.functions.updates import GetStateRequest

log = logging.getLogger(__name__)

# guess: long enough for one round trip to a slow DC, short enough not to hold the job's end.
PROBE_SECONDS = 10.0


def names_duplicated_key(exc: BaseException | None) -> bool:
    """Whether ``exc``, an exception it groups or one in its chain is AUTH_KEY_DUPLICATED."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, errors.AuthKeyDuplicatedError):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending += [current.__cause__, current.__context__]
    return False


async def session_ended(client: TelegramClient, failure: BaseException | None = None) -> bool:
    """True when Telegram ended ``client``'s session as used from two places: ``failure`` says so,
    or one cheap request (updates.getState) is refused so. Anything else (a timeout, a real network
    fault) is not this, and the export's own sentence stands."""
    if names_duplicated_key(failure):
        return True
    try:
        if not client.is_connected():
            await asyncio.wait_for(client.connect(), PROBE_SECONDS)
        await asyncio.wait_for(client(GetStateRequest()), PROBE_SECONDS)
    except errors.AuthKeyDuplicatedError:
        return True
    except (errors.RPCError, errors.AuthKeyNotFound, OSError, TimeoutError) as exc:
        log.info("could not ask Telegram about the own session: %r", exc)
    return False
