"""contacts.*: usernames, the address book, top peers.

Sources: core.telegram.org/method/contacts.getContacts (``contacts.contacts`` with every contact and
its user), core.telegram.org/method/contacts.getTopPeers (``contacts.topPeers`` with one
``topPeerCategoryPeers`` per category asked for, peers by descending rating).
"""

from __future__ import annotations

from telethon import utils
from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from ..world import UserInfo
from ..world.access import unreadable_reason
from . import Call, rpc, users_and_chats


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


@rpc(F.contacts.GetContactsRequest)
def get_contacts(call: Call, request: F.contacts.GetContactsRequest) -> T.contacts.Contacts:
    world = call.world
    # guess: every contact of the sandbox account has the account saved too (UserInfo.tl says
    # mutual_contact), and the hash is ignored: the full list is always sent.
    users, _ = users_and_chats(world, set(world.contact_ids), set())
    return T.contacts.Contacts(
        contacts=[T.Contact(user_id=uid, mutual=True) for uid in sorted(world.contact_ids)],
        saved_count=0,
        users=users,
    )


# Which chats each top-peer category ranks.
_TOP_CATEGORIES = (
    ("correspondents", T.TopPeerCategoryCorrespondents, frozenset({"private"})),
    ("groups", T.TopPeerCategoryGroups, frozenset({"group", "supergroup", "forum"})),
    ("channels", T.TopPeerCategoryChannels, frozenset({"channel"})),
)


@rpc(F.contacts.GetTopPeersRequest)
def get_top_peers(call: Call, request: F.contacts.GetTopPeersRequest) -> T.contacts.TopPeers:
    """guess: the rating is the share of the account's messages in that chat (Telegram's formula is
    not public); categories the sandbox has no chats for (bots, calls, forwards) are empty."""
    world = call.world
    readable = [chat for chat in world.chats.values() if unreadable_reason(chat) is None]
    total = sum(len(chat.slots) for chat in readable) or 1
    categories: list[T.TopPeerCategoryPeers] = []
    user_ids: set[int] = set()
    chat_ids: set[int] = set()
    for flag, category, kinds in _TOP_CATEGORIES:
        if not getattr(request, flag):
            continue
        ranked = sorted((c for c in readable if c.kind in kinds), key=lambda c: (-len(c.slots), c.peer_id))
        page = ranked[max(0, request.offset) :][: max(0, request.limit)]
        for chat in page:
            (user_ids if chat.kind == "private" else chat_ids).add(chat.peer_id)
        peers = [T.TopPeer(peer=chat.peer, rating=len(chat.slots) / total) for chat in page]
        categories.append(T.TopPeerCategoryPeers(category=category(), count=len(ranked), peers=peers))
    users, chats = users_and_chats(world, user_ids, chat_ids)
    return T.contacts.TopPeers(categories=categories, chats=chats, users=users)
