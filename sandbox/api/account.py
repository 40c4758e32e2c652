"""account.*: takeout sessions (https://core.telegram.org/api/takeout)."""

from __future__ import annotations

import os

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from . import Call, rpc

OPEN = "open"


@rpc(F.account.InitTakeoutSessionRequest)
def init_takeout(call: Call, request: F.account.InitTakeoutSessionRequest) -> T.account.Takeout:
    takeouts = call.cluster.state.takeouts
    # Only one takeout at a time: a new one makes the old one TAKEOUT_INVALID.
    for takeout_id, state in takeouts.items():
        if state == OPEN:
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
