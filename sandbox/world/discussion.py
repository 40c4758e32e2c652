"""A channel with a linked discussion group: the comment sections of its posts.

How Telegram models comments (core.telegram.org/api/threads, /api/discussion):
* The channel and the group name each other: channelFull.linked_chat_id, on both sides
  (core.telegram.org/constructor/channelFull: "ID of the linked discussion chat for channels (and
  vice versa, the ID of the parent channel for discussion chats)"), and both carry channel.has_link.
* Every post sent after the link is forwarded automatically into the group (from_id the channel,
  fwd_from.channel_post and saved_from_peer/saved_from_msg_id naming the post); that forward is
  the top of the post's thread.
* A comment is a group message replying to the forward; a reply to a comment stays in the thread,
  its header naming the comment in reply_to_msg_id and the forward in reply_to_top_id (api/threads:
  "Replies to messages in a thread are part of the same thread, and do not spawn new threads").
* The post carries messageReplies with comments=true, the group's channel_id, the number of
  comments and the newest comment's id (constructor/messageReplies).
* messages.getReplies(peer=channel, msg_id=post) pages the comments like a history; the forward
  itself is not among them: Telegram Desktop adds the root to non-forum threads on its own
  (data/data_replies_list.cpp, injectRootMessage).  messages.getDiscussionMessage returns the forward.

The layout is fixed when the world is built (a few thousand messages: explicit tables), and the
messages themselves are still made by the ordinary builder, turned into forwards, comments or plain
group talk by ``Chat.rewrite``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telethon.tl import types as T

from .content import Composed, compose, h64, plain_text
from .ids import ArrayIds
from .model import Chat, World
from .scenarios import ChatSpec, Scenario, WorldSpec, build_world

# guess: the group's ids run this many times as fast as the channel's (comments outnumber posts)
IDS_PER_POST_ID = 8
# The post whose comment section needs several getReplies pages (more than 100 comments).
HOT_COMMENTS = 230


@dataclass
class Discussion:
    channel: Chat
    group: Chat
    # post id -> the id of its automatic forward in the group (posts with a comment section only)
    forward_of: dict[int, int] = field(default_factory=dict)
    post_of: dict[int, int] = field(default_factory=dict)
    # post id -> its comments' ids in the group, ascending
    threads: dict[int, ArrayIds] = field(default_factory=dict)
    thread_of: dict[int, int] = field(default_factory=dict)  # comment id -> post id
    reply_to: dict[int, int] = field(default_factory=dict)  # comment id -> forward or comment id


def _is_post(world: World, channel: Chat, post: int) -> bool:
    # guess: service messages (title changes, pins) and posts hidden by local laws get no
    # comment section and no forward
    if post in channel.service or world.is_restricted(channel, post):
        return False
    return not isinstance(world.message(channel, post), T.MessageService)


def _quotas(channel: Chat, posts: list[int]) -> dict[int, int]:
    """How many comments each post gets: a quarter none, most a few, one more than two pages."""
    hot = posts[len(posts) * 2 // 5]
    quotas = {}
    for post in posts:
        h = h64(channel.key ^ 0xC0, post)
        quotas[post] = HOT_COMMENTS if post == hot else (0 if h % 4 == 0 else 1 + (h >> 8) % 12)
    return quotas


def link_discussion(world: World, channel: Chat, group: Chat) -> Discussion:
    """Make ``group`` the discussion group of ``channel``: lay out forwards and comments over the
    group's ids, dated so that a forward never precedes its post nor a comment its forward."""
    if channel.kind != "channel" or group.kind != "supergroup":
        raise ValueError("only a channel links a discussion group, and only a supergroup is one")
    found = Discussion(channel, group)
    posts = [p for p in channel.slots if _is_post(world, channel, p)]
    # guess: the group was linked a fifth into the channel's life; older posts have no comments
    posts = posts[len(posts) // 5 :]
    quota = _quotas(channel, posts)
    k = IDS_PER_POST_ID
    # Group id g is dated date0 + g*step/k (+ jitter below step/k): the forward of post p at
    # (p+1)*k comes after the post, dated below date0 + (p+1)*step.
    channel.step -= channel.step % k
    group.date0, group.step, group.date_key = channel.date0, channel.step // k, group.key
    forward_at = {(p + 1) * k: p for p in posts}
    ids: list[int] = [1]
    open_threads: list[int] = []
    comments: dict[int, list[int]] = {p: [] for p in posts}
    g, last_forward = 1, max(forward_at)
    while g < last_forward or any(quota[p] > len(comments[p]) for p in open_threads):
        g += 1
        h = h64(group.key ^ 0xD1, g)
        forwarded = forward_at.get(g)
        if forwarded is not None:
            found.forward_of[forwarded], found.post_of[g] = g, forwarded
            open_threads.append(forwarded)
        else:
            open_threads = [p for p in open_threads if quota[p] > len(comments[p])]
            if h % 8 == 0:
                continue  # guess: one id in eight belongs to a message deleted since
            if not open_threads or h % 8 == 1:
                ids.append(g)  # talk in the group itself, in no thread
                continue
            # The thread with the most comments still to come is the likeliest to get this one.
            pick = (h >> 8) % sum(quota[p] - len(comments[p]) for p in open_threads)
            for post in open_threads:
                pick -= quota[post] - len(comments[post])
                if pick < 0:
                    break
            earlier = comments[post]
            # guess: a third of comments answer one of the thread's five newest comments
            answered = earlier[-1 - (h >> 40) % min(5, len(earlier))] if earlier and (h >> 32) % 3 == 0 else 0
            found.reply_to[g] = answered or found.forward_of[post]
            found.thread_of[g] = post
            earlier.append(g)
        ids.append(g)
    found.threads = {p: ArrayIds(c) for p, c in comments.items()}
    group.slots = ArrayIds(ids)
    group.restrict_above, group.forced_restricted_block = 0, -1  # guess: comments are never hidden
    group.variant_memo = (-1, 0, 0)
    group.pts = ids[-1] + len(ids) // 10
    group.service = {1: "create"}
    channel.discussion = group.discussion = found
    channel.rewrite = lambda c, h: _post(found, c)
    group.rewrite = lambda c, h: _group_message(world, found, c, h)
    return found


def _post(d: Discussion, c: Composed) -> None:
    post = c.kw["id"]
    comments = d.threads.get(post)
    if comments is None or c.service:
        return
    c.kw["replies"] = T.MessageReplies(
        comments=True,
        replies=len(comments),
        replies_pts=d.group.pts,
        channel_id=d.group.bare_id,
        max_id=comments.last or None,
    )
    c.chats.add(d.group.peer_id)


def _group_message(world: World, d: Discussion, c: Composed, h: int) -> None:
    kw = c.kw
    g = kw["id"]
    if g == 1:
        return  # the group's creation
    post = d.post_of.get(g)
    if post is not None:
        _forward(world, d, post, c)
        return
    if c.service:
        # Group talk and comments are ordinary messages here: actions (pins, joins) would need
        # targets and members of their own.
        sender = d.group.member_ids[(h >> 12) % len(d.group.member_ids)]
        c.service = False
        c.kw = kw = {"id": g, "peer_id": d.group.peer, "date": kw["date"], "message": plain_text(h)}
        kw["from_id"] = world.shared.peer_user(sender)
        c.users.add(sender)
    target = d.reply_to.get(g)
    if target is None:
        kw.pop("reply_to", None)  # a reply to a comment would put it in that comment's thread
        return
    top = d.forward_of[d.thread_of[g]]
    kw["reply_to"] = T.MessageReplyHeader(
        reply_to_msg_id=target, reply_to_top_id=top if target != top else None
    )


def _forward(world: World, d: Discussion, post: int, c: Composed) -> None:
    """The automatic forward of a post: the post's content, sent as the channel."""
    original = compose(world, d.channel, post)
    kw = dict(original.kw)
    date = c.kw["date"]
    for key in ("post", "views", "forwards", "reactions", "edit_date", "post_author", "replies"):
        kw.pop(key, None)
    channel = d.channel.peer
    kw.update(
        id=d.forward_of[post],
        peer_id=d.group.peer,
        date=date,
        from_id=channel,
        fwd_from=T.MessageFwdHeader(
            date=original.kw["date"],
            from_id=channel,
            channel_post=post,
            post_author=original.kw.get("post_author"),
            saved_from_peer=channel,
            saved_from_msg_id=post,
        ),
    )
    comments = d.threads[post]
    # guess: the forward counts its thread's replies as a group thread top does, without `comments`
    kw["replies"] = T.MessageReplies(
        replies=len(comments), replies_pts=d.group.pts, max_id=comments.last or None
    )
    c.kw, c.service = kw, False
    c.users = set(original.users)
    c.chats = {d.channel.peer_id, d.group.peer_id}


def comment_thread(chat: Chat, msg_id: int) -> tuple[Chat, ArrayIds] | None:
    """The comments messages.getReplies(chat, msg_id) pages: a post's (asked of the channel) or a
    forward's (asked of the group); None when ``msg_id`` tops no comment section here."""
    d = chat.discussion
    if d is None:
        return None
    post = msg_id if chat is d.channel else d.post_of.get(msg_id)
    thread = d.threads.get(post) if post is not None else None
    return None if thread is None else (d.group, thread)


def expected_comments(channel: Chat) -> dict[int, list[int]]:
    """Ground truth: post id -> the ids of its comments, ascending, for every post with a comment
    section (an empty list when nobody commented)."""
    d = channel.discussion
    if d is None:
        return {}
    return {post: list(ids) for post, ids in d.threads.items()}


def _discussion(seed: int) -> World:
    world = build_world(
        WorldSpec(
            seed=seed,
            contacts=8,
            chats=[
                ChatSpec("channel", "Tech Notes 💬", username="tech_notes_sandbox", messages=160),
                ChatSpec(
                    "supergroup",
                    "Tech Notes Chat",
                    username="tech_notes_chat_sandbox",
                    messages=20,
                    members=14,
                ),
                # a channel without a discussion group: nothing to comment on
                ChatSpec("channel", "Quiet Notes", username="quiet_notes_sandbox", messages=40),
            ],
        )
    )
    channel, group = (world.by_username(n) for n in ("tech_notes_sandbox", "tech_notes_chat_sandbox"))
    if not isinstance(channel, Chat) or not isinstance(group, Chat):
        raise TypeError("the discussion scenario's chats are missing")
    link_discussion(world, channel, group)
    return world


DISCUSSION_SCENARIOS: dict[str, Scenario] = {
    "discussion": Scenario(
        "a channel whose posts have comments in a linked discussion group (none on some posts, 230 on one, "
        "replies to comments), and a channel without one",
        _discussion,
    ),
}
