"""updates.*: the sandbox pushes no live updates, so the difference is always empty."""

from __future__ import annotations

import time

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from . import Call, resolve_peer, rpc


@rpc(F.updates.GetStateRequest)
def get_state(call: Call, request: F.updates.GetStateRequest) -> T.updates.State:
    return T.updates.State(pts=call.world.pts, qts=0, date=int(time.time()), seq=0, unread_count=0)


@rpc(F.updates.GetDifferenceRequest)
def get_difference(call: Call, request: F.updates.GetDifferenceRequest) -> T.updates.DifferenceEmpty:
    return T.updates.DifferenceEmpty(date=int(time.time()), seq=0)


@rpc(F.updates.GetChannelDifferenceRequest)
def get_channel_difference(
    call: Call, request: F.updates.GetChannelDifferenceRequest
) -> T.updates.ChannelDifferenceEmpty:
    if resolve_peer(call.world, request.channel, call.user_id) is None:
        raise RpcError(400, "CHANNEL_INVALID")
    return T.updates.ChannelDifferenceEmpty(pts=call.world.pts, final=True, timeout=30)
