"""channels.getParticipants and channels.getAdminLog: who is in a chat, as a member sees it.

The sandbox account administers none of its chats (guess: a typical personal account), so:
- a broadcast channel's subscriber list and every admin log are refused with 400
  CHAT_ADMIN_REQUIRED (core.telegram.org/method/channels.getParticipants and
  core.telegram.org/method/channels.getAdminLog both list it: "You must be an admin in this chat
  to do this");
- in a supergroup or forum a member sees the members the world knows (``Chat.member_ids``: the
  people who write there, the account first); ``count`` is the chat's ``participants_count`` as
  channels.getFullChannel reports it. guess: the others are silent members the sandbox does not
  model, so a page past the known ones is empty (Telethon's iter_participants stops there);
- the creator is the first member after the account (guess: someone invited the account), and
  kicked/banned lists need admin rights like the admin log.
"""

from __future__ import annotations

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from ..world import Chat, World
from . import Call, rpc, users_and_chats
from .channels import _channel

ADMIN_REQUIRED = RpcError(400, "CHAT_ADMIN_REQUIRED")
# Telegram returns at most 200 participants a page (core.telegram.org/method/channels.getParticipants).
MAX_PAGE = 200
_CREATOR_RIGHTS = T.ChatAdminRights(
    change_info=True,
    delete_messages=True,
    ban_users=True,
    invite_users=True,
    pin_messages=True,
    add_admins=True,
    manage_call=True,
    other=True,
    manage_topics=True,
)


def _creator_id(chat: Chat) -> int:
    return chat.member_ids[1] if len(chat.member_ids) > 1 else chat.member_ids[0]


def _participant(world: World, chat: Chat, user_id: int) -> object:
    if user_id == _creator_id(chat):
        return T.ChannelParticipantCreator(user_id=user_id, admin_rights=_CREATOR_RIGHTS)
    if user_id == world.me.id:
        return T.ChannelParticipantSelf(user_id=user_id, inviter_id=_creator_id(chat), date=chat.date)
    return T.ChannelParticipant(user_id=user_id, date=chat.date)


def _matching(world: World, chat: Chat, wanted: object) -> list[int]:
    members = list(dict.fromkeys(chat.member_ids))
    if isinstance(wanted, T.ChannelParticipantsKicked | T.ChannelParticipantsBanned):
        raise ADMIN_REQUIRED
    if isinstance(wanted, T.ChannelParticipantsAdmins):
        return [_creator_id(chat)]
    if isinstance(wanted, T.ChannelParticipantsBots):
        return [uid for uid in members if world.users[uid].bot]
    if isinstance(wanted, T.ChannelParticipantsContacts):
        return [uid for uid in members if world.users[uid].contact]
    query = getattr(wanted, "q", "") or ""
    if query:
        folded = query.casefold()
        members = [uid for uid in members if folded in _searchable(world, uid)]
    return members


def _searchable(world: World, user_id: int) -> str:
    user = world.users[user_id]
    return " ".join(filter(None, (user.first_name, user.last_name, user.username))).casefold()


@rpc(F.channels.GetParticipantsRequest)
def get_participants(
    call: Call, request: F.channels.GetParticipantsRequest
) -> T.channels.ChannelParticipants:
    world = call.world
    chat = _channel(call, request.channel)
    if chat.kind == "channel":
        raise ADMIN_REQUIRED
    matching = _matching(world, chat, request.filter)
    page = matching[max(0, request.offset) :][: max(0, min(request.limit, MAX_PAGE))]
    # guess: an unfiltered listing (recent, or a search for nothing) counts every member.
    unfiltered = isinstance(request.filter, T.ChannelParticipantsRecent) or (
        isinstance(request.filter, T.ChannelParticipantsSearch) and not request.filter.q
    )
    count = chat.participants if unfiltered else len(matching)
    users, chats = users_and_chats(world, set(page), set())
    return T.channels.ChannelParticipants(
        count=count,
        participants=[_participant(world, chat, uid) for uid in page],
        chats=chats,
        users=users,
    )


@rpc(F.channels.GetAdminLogRequest)
def get_admin_log(call: Call, request: F.channels.GetAdminLogRequest) -> T.channels.AdminLogResults:
    _channel(call, request.channel)
    raise ADMIN_REQUIRED
