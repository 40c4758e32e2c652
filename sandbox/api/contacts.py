"""contacts.*"""

from __future__ import annotations

from telethon import utils
from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from ..world import UserInfo
from . import Call, rpc


@rpc(F.contacts.ResolveUsernameRequest)
def resolve_username(call: Call, request: F.contacts.ResolveUsernameRequest) -> T.contacts.ResolvedPeer:
    found = call.world.by_username(request.username)
    if found is None:
        raise RpcError(400, "USERNAME_NOT_OCCUPIED")
    if not isinstance(found, UserInfo) and found.kind in ("private", "saved"):
        # A private chat is named after the other user: resolving gives that user.
        found = call.world.users[found.bare_id]
    if isinstance(found, UserInfo):
        return T.contacts.ResolvedPeer(peer=T.PeerUser(found.id), chats=[], users=[found.tl()])
    return T.contacts.ResolvedPeer(peer=utils.get_peer(found.peer_id), chats=[found.tl()], users=[])
