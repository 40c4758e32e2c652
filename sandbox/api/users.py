"""users.*"""

from __future__ import annotations

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from . import Call, rpc


@rpc(F.users.GetUsersRequest)
def get_users(call: Call, request: F.users.GetUsersRequest) -> list[T.User]:
    world = call.world
    users = []
    for wanted in request.id:
        if isinstance(wanted, T.InputUserSelf):
            users.append(world.users[call.me].tl())
        elif isinstance(wanted, T.InputUser):
            user = world.users.get(wanted.user_id)
            if user is not None and user.access_hash == wanted.access_hash:
                users.append(user.tl())
    return users


@rpc(F.users.GetFullUserRequest)
def get_full_user(call: Call, request: F.users.GetFullUserRequest) -> T.users.UserFull:
    world = call.world
    wanted = request.id
    if isinstance(wanted, T.InputUserSelf):
        user = world.users[call.me]
    else:
        found = world.users.get(getattr(wanted, "user_id", 0))
        if found is None or found.access_hash != getattr(wanted, "access_hash", None):
            raise RpcError(400, "USER_ID_INVALID")
        user = found
    full = T.UserFull(
        id=user.id,
        settings=T.PeerSettings(),
        notify_settings=T.PeerNotifySettings(),
        common_chats_count=0,
        about=None,
    )
    return T.users.UserFull(full_user=full, chats=[], users=[user.tl()])
