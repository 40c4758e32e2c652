"""What the user typed → the chat (and optionally the topic) to export.

Accepted: ``@username``, ``username``, ``t.me/name``, ``t.me/name/123``,
``t.me/c/ID/MSG``, topic links ``t.me/name/TOPIC/MSG`` and ``t.me/c/ID/TOPIC/MSG``,
numeric ids (``-100…`` channels, ``-123`` basic groups, ``123`` users), and
``me`` / ``saved`` for Saved Messages.  Every failure is a :class:`TargetError`
with one line that says what happened and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telethon import TelegramClient, errors, utils
from telethon.tl import types as T

from .errors import ExplainedError, explain
from .render.model import ChatInfo

_USERNAME = r"[A-Za-z][A-Za-z0-9_]{3,31}"
_LINK = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/"
    r"(?:(?P<private>c/(?P<cid>\d+))|(?P<name>" + _USERNAME + r"))"
    r"(?:/(?P<first>\d+))?(?:/(?P<second>\d+))?/?(?:\?.*)?$"
)
_INVITE = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/(?:\+|joinchat/)", re.IGNORECASE)
# User, chat and channel ids fit in 40 bits (TDLib: UserId::MAX_USER_ID = (1 << 40) - 1).
_MAX_PEER_ID = (1 << 40) - 1
SHOWN_MAX = 64
_SELF = frozenset({"me", "self", "saved", "saved messages"})


class TargetError(ExplainedError):
    """The target cannot be exported; the message is for the user."""


class NotVisible(TargetError):
    """This account cannot see or read the chat; another account may (bot/accounts)."""


@dataclass(frozen=True)
class TargetSpec:
    """A parsed target, before asking Telegram."""

    username: str | None = None
    peer_id: int | None = None
    is_self: bool = False
    topic_id: int | None = None
    message_id: int | None = None


def parse_target(text: str) -> TargetSpec:
    value = text.strip()
    if not value:
        raise TargetError("No chat given: send a link, an @username or a numeric id.")
    if value.lower() in _SELF:
        return TargetSpec(is_self=True)
    if _INVITE.match(value):
        raise TargetError(
            "Invite links can't be exported directly: join the chat with the exporting account, "
            "then use its @username, link or id."
        )
    link = _LINK.match(value)
    if link:
        first = int(link["first"]) if link["first"] else None
        second = int(link["second"]) if link["second"] else None
        # /TOPIC/MSG when two numbers follow the chat, /MSG when one does.
        topic_id, message_id = (first, second) if second is not None else (None, first)
        if link["private"]:
            return TargetSpec(
                peer_id=utils.get_peer_id(T.PeerChannel(int(link["cid"]))),
                topic_id=topic_id,
                message_id=message_id,
            )
        return TargetSpec(username=link["name"], topic_id=topic_id, message_id=message_id)
    if re.fullmatch(r"-?\d{1,20}", value):
        peer_id = int(value)
        if not 0 < utils.resolve_id(peer_id)[0] <= _MAX_PEER_ID:
            raise TargetError(f"{value} is not a Telegram chat or user id: check the number.")
        return TargetSpec(peer_id=peer_id)
    name = value.removeprefix("@")
    if re.fullmatch(_USERNAME, name):
        return TargetSpec(username=name)
    # Echoed in a chat message: a long paste must not push the answer over Telegram's 4096 characters.
    shown = value if len(value) <= SHOWN_MAX else value[:SHOWN_MAX] + "…"
    raise TargetError(
        f"{shown!r} is not a chat I understand: use a t.me link, an @username, a numeric id, or 'me'."
    )


@dataclass(frozen=True)
class ResolvedTarget:
    entity: T.User | T.Chat | T.Channel
    input_peer: object
    chat: ChatInfo
    topic_id: int | None = None
    # A forum link t.me/name/N may name a topic (N = topic id) or a message; the pipeline decides.
    message_id: int | None = None

    @property
    def is_forum(self) -> bool:
        return self.chat.is_forum


def chat_info(entity: object, *, is_self: bool = False) -> ChatInfo:
    """Telegram Desktop's name for the kind of chat, and the chat's display name."""
    if isinstance(entity, T.User):
        if is_self or entity.is_self:
            return ChatInfo(entity.id, "Saved Messages", "saved_messages")
        name = " ".join(part for part in (entity.first_name, entity.last_name) if part) or None
        return ChatInfo(entity.id, name, "bot_chat" if entity.bot else "personal_chat", entity.username)
    if isinstance(entity, T.Chat | T.ChatForbidden):
        return ChatInfo(entity.id, entity.title, "private_group")
    if isinstance(entity, T.Channel):
        public = "public" if entity.username else "private"
        kind = "supergroup" if entity.megagroup else "channel"
        return ChatInfo(entity.id, entity.title, f"{public}_{kind}", entity.username, bool(entity.forum))
    raise TargetError("That is not a chat that can be exported.")


async def _entity_by_id(client: TelegramClient, peer_id: int) -> object:
    try:
        return await client.get_entity(peer_id)
    except ValueError:
        # Not in the session's cache yet: the dialog list brings access hashes.
        await client.get_dialogs(limit=None)
        return await client.get_entity(peer_id)


def _not_found(spec: TargetSpec) -> str:
    if spec.username:
        return f"No chat or user is called @{spec.username}: check the spelling."
    return (
        f"Can't find {spec.peer_id} among the chats the exporting account can see: "
        "join the chat first, or use its public @username."
    )


def _not_seen(spec: TargetSpec) -> TargetError:
    """An unknown username is unknown to every account; an id may be among another account's chats."""
    return TargetError(_not_found(spec)) if spec.username else NotVisible(_not_found(spec))


async def resolve_target(client: TelegramClient, spec: TargetSpec) -> ResolvedTarget:
    try:
        if spec.is_self:
            entity = await client.get_me()
        elif spec.username is not None:
            entity = await client.get_entity(spec.username)
        else:
            assert spec.peer_id is not None
            entity = await _entity_by_id(client, spec.peer_id)
    except (errors.UsernameNotOccupiedError, errors.UsernameInvalidError):
        raise TargetError(f"No chat or user is called @{spec.username}: check the spelling.") from None
    except (errors.ChannelPrivateError, errors.ChatForbiddenError, errors.ChannelInvalidError):
        raise NotVisible(
            "The exporting account has no access to that chat (private, left or banned): "
            "join it with that account first."
        ) from None
    except errors.PeerIdInvalidError:
        raise _not_seen(spec) from None
    except (errors.RPCError, errors.AuthKeyNotFound) as exc:
        # A flood wait on the lookup, a revoked session, Telegram's servers failing.
        raise TargetError(explain(exc)) from None
    except ValueError:
        # Telethon reports an unknown username as ValueError too.
        raise _not_seen(spec) from None
    if isinstance(entity, T.ChannelForbidden | T.ChatForbidden) or (
        getattr(entity, "left", False) and not getattr(entity, "username", None)
    ):
        raise NotVisible(
            "The exporting account is not a member of that private chat any more: join it again first."
        )
    info = chat_info(entity, is_self=spec.is_self)
    if spec.topic_id is not None and not info.is_forum:
        raise TargetError("That link points to a topic, but the chat is not a forum: send the chat's link.")
    return ResolvedTarget(entity, utils.get_input_peer(entity), info, spec.topic_id, spec.message_id)
