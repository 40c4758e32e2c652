"""account.*: takeout sessions (https://core.telegram.org/api/takeout)."""

from __future__ import annotations

import os
import time
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import Raw, RpcError
from . import Call, rpc

OPEN = "open"
# guess: the sources give no number; users of Telegram Desktop report "come back in 24 hours".
TAKEOUT_CONFIRMATION_DELAY = 86_400
# guess: how wide Telegram cuts the account's common message box; Desktop reads whatever it gets.
SPLIT_RANGE_SIZE = 10_000
OPEN_END = 2**31 - 1


@rpc(F.account.InitTakeoutSessionRequest)
def init_takeout(call: Call, request: F.account.InitTakeoutSessionRequest) -> T.account.Takeout:
    state = call.cluster.state
    if not call.world.takeout_confirmed:
        # api/takeout: a first export answers TAKEOUT_INIT_DELAY_X and asks the user, in a
        # service message on their other devices, to allow it; or it starts by itself after X s.
        asked = state.takeout_asked_at or time.time()
        state.takeout_asked_at = asked
        remaining = int(asked + TAKEOUT_CONFIRMATION_DELAY - time.time())
        if remaining > 0:
            raise RpcError(420, f"TAKEOUT_INIT_DELAY_{remaining}")
    takeouts = state.takeouts
    # api/takeout: one takeout per account; a new one makes the older one TAKEOUT_INVALID.
    for takeout_id, status in takeouts.items():
        if status == OPEN:
            takeouts[takeout_id] = "replaced"
    takeout_id = int.from_bytes(os.urandom(8), "big") >> 2
    takeouts[takeout_id] = OPEN
    return T.account.Takeout(id=takeout_id)


@rpc(F.account.FinishTakeoutSessionRequest)
def finish_takeout(call: Call, request: F.account.FinishTakeoutSessionRequest) -> bool:
    takeouts = call.cluster.state.takeouts
    if call.ctx.takeout_id is None or takeouts.get(call.ctx.takeout_id) != OPEN:
        raise RpcError(400, "TAKEOUT_INVALID")
    takeouts[call.ctx.takeout_id] = "success" if request.success else "failed"
    return True


@rpc(F.messages.GetSplitRangesRequest)
def get_split_ranges(call: Call, request: F.messages.GetSplitRangesRequest) -> list[T.MessageRange]:
    """Ranges of the account's common message box (private chats and basic groups share one id
    sequence) for saving its history (method/messages.getSplitRanges).  Telegram Desktop asks
    for them once per export, treats an empty answer as one range 1..2^31-1, reads a private
    chat or basic group once per range with each request wrapped in invokeWithMessagesRange,
    and a channel through the last range only (export_api_wrap.cpp: requestSplitRanges,
    splitRequest, useOnlyLastSplit)."""
    last = max(1, call.world.box_last)
    # guess: both ends inclusive; the newest range stays open for messages still to come, the
    # shape Desktop gives the whole box when the answer is empty (1..2^31-1).
    lows = range(1, last + 1, SPLIT_RANGE_SIZE)
    return [
        T.MessageRange(min_id=low, max_id=low + SPLIT_RANGE_SIZE - 1 if low != lows[-1] else OPEN_END)
        for low in lows
    ]


_COMMON_BOX_PEERS = (T.InputPeerUser, T.InputPeerChat, T.InputPeerSelf)


def within_range(request: object, result: Any, min_id: int, max_id: int) -> None:
    """invokeWithMessagesRange: a history of the common message box answers only messages whose
    ids lie in the range (both ends, guess: inclusive).  guess: the page is cut after the
    offset/limit slice, like min_id/max_id (api/offsets), and ``count`` stays the whole chat's;
    channels keep their own ids and ignore the range (Desktop sends channels the last range)."""
    if not isinstance(request, F.messages.GetHistoryRequest):
        return
    if not isinstance(request.peer, _COMMON_BOX_PEERS):
        return
    messages = getattr(result, "messages", None)
    if isinstance(messages, list):
        result.messages = [m for m in messages if min_id <= _message_id(m) <= max_id]


def _message_id(message: Any) -> int:
    if isinstance(message, Raw):  # history pages carry messages serialized once
        return BinaryReader(message.data).tgread_object().id
    return message.id
