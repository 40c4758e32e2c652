"""messages.getDiscussionMessage: the top of a post's comment section (sandbox.world.discussion)."""

from __future__ import annotations

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from ..world.discussion import comment_thread
from . import Call, rpc
from .messages import Page


@rpc(F.messages.GetDiscussionMessageRequest)
def get_discussion_message(
    call: Call, request: F.messages.GetDiscussionMessageRequest
) -> T.messages.DiscussionMessage:
    """core.telegram.org/method/messages.getDiscussionMessage: "Get discussion message from the
    associated discussion group of a channel to show it on top of the comment section": the
    automatic forward, with the thread's newest comment id (constructor messages.discussionMessage).
    guess: everything counts as read (read_*_max_id the newest comment, unread_count 0), and a
    message that tops no comment section is MSG_ID_INVALID, as getReplies answers it."""
    chat = call.chat_for_peer(request.peer)
    thread = comment_thread(chat, request.msg_id) if chat is not None else None
    if chat is None or chat.discussion is None or thread is None:
        raise RpcError(400, "MSG_ID_INVALID")
    d = chat.discussion
    group, comments = thread
    post = request.msg_id if chat is d.channel else d.post_of[request.msg_id]
    page = Page(call.world, group)
    page.add(group, d.forward_of[post])
    page.add_chat(d.channel)
    users, chats = page.peers()
    newest = comments.last or None
    return T.messages.DiscussionMessage(
        messages=page.messages,
        unread_count=0,
        chats=chats,
        users=users,
        max_id=newest,
        read_inbox_max_id=newest,
        read_outbox_max_id=newest,
    )
