"""An independent, simple evaluation of a filter over the sandbox's own messages (ground truth).

It reads the TL messages the world generates (never a record of exporter.records) and decides
each term from the raw fields, the plain way: the export's answer must equal this one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from telethon.tl import types as T

from exporter.filters import syntax as S
from sandbox.api.search import document_kind, text_matches
from sandbox.world import Chat, World, expected_messages


def _sender(world: World, chat: Chat, m: Any) -> int | None:
    peer = m.from_id
    if peer is None:
        # Channel posts come from the channel; in private chats the peer or (out) the account.
        if chat.kind == "channel":
            return chat.peer_id
        if isinstance(m.peer_id, T.PeerUser):
            return world.me.id if m.out else m.peer_id.user_id
        return None
    if isinstance(peer, T.PeerUser):
        return peer.user_id
    if isinstance(peer, T.PeerChannel):
        return int(f"-100{peer.channel_id}")
    return -peer.chat_id


def _kind(m: Any) -> str | None:
    media = getattr(m, "media", None)
    if isinstance(media, T.MessageMediaPhoto) and media.photo is not None:
        return "photo"
    if isinstance(media, T.MessageMediaPoll):
        return "poll"
    if isinstance(media, T.MessageMediaGeo | T.MessageMediaGeoLive | T.MessageMediaVenue):
        return "geo"
    if isinstance(media, T.MessageMediaContact):
        return "contact"
    # The sandbox's own reading of a document's attributes (what its search filters use), in has: words.
    kind = document_kind(media)
    return {"music": "audio", "document": "file"}.get(kind or "", kind)


def _size(m: Any) -> int | None:
    media = getattr(m, "media", None)
    if isinstance(media, T.MessageMediaPhoto) and media.photo is not None:
        sizes = []
        for s in media.photo.sizes:
            if isinstance(s, T.PhotoSize):
                sizes.append(s.size)
            elif isinstance(s, T.PhotoSizeProgressive):
                sizes.append(max(s.sizes))
        return max(sizes, default=0)
    if isinstance(media, T.MessageMediaDocument) and media.document is not None:
        return media.document.size
    return None


def _file_name(m: Any) -> str:
    media = getattr(m, "media", None)
    if isinstance(media, T.MessageMediaDocument) and media.document is not None:
        for a in media.document.attributes:
            if isinstance(a, T.DocumentAttributeFilename):
                return a.file_name
    return ""


class Brute:
    def __init__(self, world: World, chat: Chat, zone: str, now: float, users: dict[str, int]) -> None:
        self.world, self.chat, self.zone, self.now, self.users = world, chat, ZoneInfo(zone), now, users

    def ids(self, node: S.Node, *, pushed: bool = True) -> list[int]:
        """The ids matching ``node``; ``pushed``: its top-level words were asked of Telegram, so a
        message must also match them as Telegram's search does (the sandbox's rule)."""
        conjuncts = node.items if isinstance(node, S.And) else (node,)
        q = " ".join(n.shown for n in conjuncts if isinstance(n, S.Text)) if pushed else ""
        out = []
        for msg_id, topic in expected_messages(self.world, self.chat):
            m = self.world.message(self.chat, msg_id)
            if q and not (isinstance(m, T.Message) and text_matches(q, m.message or "")):
                continue
            if self.test(node, m, topic):
                out.append(msg_id)
        return out

    def test(self, node: S.Node, m: Any, topic: int | None) -> bool:  # one branch per term
        if isinstance(node, S.And):
            return all(self.test(n, m, topic) for n in node.items)
        if isinstance(node, S.Or):
            return any(self.test(n, m, topic) for n in node.items)
        if isinstance(node, S.Not):
            return not self.test(node.item, m, topic)
        date = m.date if isinstance(m.date, int) else int(m.date.timestamp())
        if isinstance(node, S.Text):
            return node.needle in (getattr(m, "message", "") or "").casefold()
        if isinstance(node, S.From):
            who = {"me": self.world.me.id}.get(node.who) or self.users.get(node.who) or int(node.who)
            return _sender(self.world, self.chat, m) == who
        if isinstance(node, S.Has):
            kind = _kind(m)
            links = any(isinstance(e, T.MessageEntityUrl | T.MessageEntityTextUrl) for e in m.entities or ())
            media_kinds = {"photo", "video", "gif", "voice", "round", "audio", "file", "sticker"}
            return any(
                k == kind or (k == "link" and links) or (k == "media" and kind in media_kinds)
                for k in node.kinds
            )
        if isinstance(node, S.DateTerm):
            day = dt.datetime.fromtimestamp(date, self.zone)
            stamp = (day.year, day.month, day.day)
            wanted = (node.year, node.month or 1, node.day or 1)
            cut = 1 + (node.month is not None) + (node.day is not None)
            if node.key == "after":
                return stamp >= wanted
            if node.key == "before":
                return stamp < wanted
            return stamp[:cut] == wanted[:cut]
        if isinstance(node, S.Last):
            return date >= self.now - node.seconds
        if isinstance(node, S.Ids):
            return (node.low or 0) <= m.id <= (node.high if node.high is not None else 1 << 62)
        if isinstance(node, S.TopicTerm):
            return topic == node.id or (
                node.title is not None and topic is not None and self.chat.topics[topic].title == node.title
            )
        if isinstance(node, S.Flag):
            field = {"pinned": "pinned", "mentions": "mentioned", "fwd": "fwd_from", "edited": "edit_date"}
            return bool(getattr(m, field[node.name], None))
        if isinstance(node, S.Reaction):
            results = m.reactions.results if getattr(m, "reactions", None) else ()
            return any(
                isinstance(r.reaction, T.ReactionEmoji) and r.reaction.emoticon == node.emoji for r in results
            )
        if isinstance(node, S.Compare):
            value = _size(m) if node.field == "size" else getattr(m, "views", None)
            if value is None:
                return False
            return {
                ">": value > node.number,
                ">=": value >= node.number,
                "<": value < node.number,
                "<=": value <= node.number,
                "=": value == node.number,
            }[node.op]
        assert isinstance(node, S.Ext)
        return _file_name(m).lower().endswith(tuple("." + n for n in node.names))
