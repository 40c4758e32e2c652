"""messages.search in one chat: words, one sender, one kind of content, dates, one forum topic.

core.telegram.org/method/messages.search: every condition given narrows the result (there is no
OR and no NOT); ``filter`` is one ``InputMessagesFilter…`` constructor; ``min_date``/``max_date``
keep messages "with a sending date bigger / smaller than" the value (guess: strictly, as the
words say); ``top_msg_id`` limits the search to one forum topic (or thread).  The answer pages
like a history (api/offsets: newest first, ``offset_id``, ``add_offset``, ``limit`` up to 100,
``min_id``/``max_id`` dropping ids from the sliced window) over the matching messages only, and
its ``count`` is how many messages match in all (messages.messagesSlice / channelMessages).
Flood limits are those of history requests (sandbox.netmodel.HISTORY_METHODS lists this method).

How Telegram matches words is not documented.  guess: the text (a caption for media) and the
query are cut into words (Unicode letters and digits), case-folded; a message matches when every
word of the query begins some word of the text (so ``expor`` finds "export", ``port`` does not).
Telegram also stems and transliterates; the sandbox does neither, which is the stricter case for
a client that re-checks the words itself.
"""

from __future__ import annotations

import re
import weakref
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from ..world.ids import ArrayIds, IdSet
from ..world.senders import sender_index
from . import Call, resolve_peer, rpc
from .messages import messages_result, unix
from .paging import count_before_date, page

if TYPE_CHECKING:
    from ..world import Chat, World

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def text_matches(query: str, text: str) -> bool:
    """guess (see the module): every query word begins a word of the text."""
    wanted = words(query)
    have = words(text)
    return all(any(word.startswith(w) for word in have) for w in wanted)


def document_kind(media: Any) -> str | None:
    document = getattr(media, "document", None)
    if not isinstance(media, T.MessageMediaDocument) or document is None:
        return None
    attrs = document.attributes
    if any(isinstance(a, T.DocumentAttributeSticker) for a in attrs):
        return "sticker"
    video = next((a for a in attrs if isinstance(a, T.DocumentAttributeVideo)), None)
    if video is not None and video.round_message:
        return "round"
    if any(isinstance(a, T.DocumentAttributeAnimated) for a in attrs):
        return "gif"
    if video is not None:
        return "video"
    audio = next((a for a in attrs if isinstance(a, T.DocumentAttributeAudio)), None)
    if audio is not None:
        return "voice" if audio.voice else "music"
    return "document"


def _is_photo(m: Any) -> bool:
    media = getattr(m, "media", None)
    return isinstance(media, T.MessageMediaPhoto) and media.photo is not None


def _has_url(m: Any) -> bool:
    # guess: links in the text (url and text_url entities) and link previews count as "shared links"
    entities = getattr(m, "entities", None) or ()
    return isinstance(getattr(m, "media", None), T.MessageMediaWebPage) or any(
        isinstance(e, T.MessageEntityUrl | T.MessageEntityTextUrl) for e in entities
    )


def _kind_is(*kinds: str) -> Callable[[Any], bool]:
    return lambda m: document_kind(getattr(m, "media", None)) in kinds


# The InputMessagesFilter constructors (core.telegram.org/type/MessagesFilter) a chat search takes.
# guess: Video and Document are the apps' "Videos" and "Files" tabs, so GIFs, round videos, voice,
# music and stickers are not in them (each has its own filter, or none).
FILTERS: dict[type, Callable[[Any], bool]] = {
    T.InputMessagesFilterEmpty: lambda m: True,
    T.InputMessagesFilterPhotos: _is_photo,
    T.InputMessagesFilterVideo: _kind_is("video"),
    T.InputMessagesFilterPhotoVideo: lambda m: _is_photo(m) or _kind_is("video")(m),
    T.InputMessagesFilterDocument: _kind_is("document"),
    T.InputMessagesFilterUrl: _has_url,
    T.InputMessagesFilterGif: _kind_is("gif"),
    T.InputMessagesFilterVoice: _kind_is("voice"),
    T.InputMessagesFilterMusic: _kind_is("music"),
    T.InputMessagesFilterRoundVideo: _kind_is("round"),
    T.InputMessagesFilterRoundVoice: _kind_is("round", "voice"),
    T.InputMessagesFilterGeo: lambda m: isinstance(
        getattr(m, "media", None), T.MessageMediaGeo | T.MessageMediaGeoLive | T.MessageMediaVenue
    ),
    T.InputMessagesFilterContacts: lambda m: isinstance(getattr(m, "media", None), T.MessageMediaContact),
    T.InputMessagesFilterPinned: lambda m: bool(getattr(m, "pinned", False)),
    T.InputMessagesFilterMyMentions: lambda m: bool(getattr(m, "mentioned", False)),
    T.InputMessagesFilterChatPhotos: lambda m: isinstance(
        getattr(m, "action", None), T.MessageActionChatEditPhoto
    ),
}


def _sender_asked(world: World, who: Any) -> int:
    """The marked peer id ``from_id`` names."""
    if isinstance(who, T.InputPeerSelf):
        return world.me.id
    if isinstance(who, T.InputPeerUser):
        resolve_peer(world, who)  # a wrong access hash is PEER_ID_INVALID, as anywhere
        return int(who.user_id)
    if isinstance(who, T.InputPeerChannel):
        channel = resolve_peer(world, who)
        assert channel is not None  # resolve_peer raises for unknown channels
        return channel.peer_id
    raise RpcError(400, "PEER_ID_INVALID")


def _candidates(world: World, chat: Chat, request: Any) -> IdSet:
    """The ids the search looks at, ascending: the chat's, a topic's, or one sender's."""
    ids: IdSet = chat.slots
    if request.top_msg_id:
        # guess: an id that tops no topic of this forum is refused as MSG_ID_INVALID (the error
        # Telegram gives an unknown message id); a comment thread's top is not searched here.
        if chat.kind != "forum" or request.top_msg_id not in chat.topics:
            raise RpcError(400, "MSG_ID_INVALID")
        ids = chat.topics[request.top_msg_id].ids
    if request.from_id is None:
        return ids
    own = sender_index(world, chat).get(_sender_asked(world, request.from_id), [])
    return ArrayIds(own if not request.top_msg_id else [i for i in own if i in ids])


# The matches of the latest searches: a page is one request, and an export pages one search through.
_FOUND: weakref.WeakKeyDictionary[World, OrderedDict[tuple[Any, ...], ArrayIds]] = weakref.WeakKeyDictionary()
_FOUND_KEPT = 16


def matching(world: World, chat: Chat, request: Any) -> ArrayIds:
    """Every id the search matches, ascending (restricted messages are never found)."""
    test = FILTERS.get(type(request.filter))
    if test is None:
        # guess: a filter constructor the sandbox does not model (FILTERS) is refused rather than
        # answered wrongly, under the name Telegram uses for a filter that does not fit the call.
        raise RpcError(400, "FILTER_NOT_SUPPORTED")
    low, high, q = unix(request.min_date), unix(request.max_date), request.q or ""
    sender = None if request.from_id is None else _sender_asked(world, request.from_id)
    key = (chat.peer_id, len(chat.slots), q, type(request.filter), sender, low, high, request.top_msg_id)
    kept = _FOUND.setdefault(world, OrderedDict())
    if key in kept:
        kept.move_to_end(key)
        return kept[key]
    ids = _candidates(world, chat, request)
    # Dates never decrease with ids, so the dates asked are one run of the candidates.
    date_of = partial(world.date_of, chat)
    first = count_before_date(ids, date_of, low + 1) if low else 0
    end = count_before_date(ids, date_of, high) if high else len(ids)
    empty = not q and isinstance(request.filter, T.InputMessagesFilterEmpty)
    found = []
    for k in range(first, end):
        msg_id = ids.select(k)
        if world.is_restricted(chat, msg_id):
            continue
        if not empty:
            m = world.message(chat, msg_id)
            # Service messages have no text and no media: only an empty search lists them.
            if isinstance(m, T.MessageService) and not isinstance(
                request.filter, T.InputMessagesFilterChatPhotos
            ):
                continue
            if not test(m) or (q and not text_matches(q, getattr(m, "message", "") or "")):
                continue
        found.append(msg_id)
    kept[key] = ArrayIds(found)
    while len(kept) > _FOUND_KEPT:
        kept.popitem(last=False)
    return kept[key]


@rpc(F.messages.SearchRequest)
def search(call: Call, request: F.messages.SearchRequest) -> object:
    world = call.world
    chat = call.chat_for_peer(request.peer)
    if chat is None:
        return T.messages.Messages(messages=[], topics=[], chats=[], users=[world.me.tl()])
    if request.saved_peer_id is not None or request.saved_reaction:
        raise RpcError(400, "SANDBOX_NOT_IMPLEMENTED_SAVED_SEARCH")
    found = matching(world, chat, request)
    ids = page(
        found,
        offset_id=request.offset_id,
        add_offset=request.add_offset,
        limit=request.limit,
        max_id=request.max_id,
        min_id=request.min_id,
    )
    return messages_result(world, chat, ids, len(found))
