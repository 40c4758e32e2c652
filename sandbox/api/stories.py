"""stories.*: the account's and its peers' stories.

Nobody in the sandbox world posts stories (guess: the world models chats only), so every list is
empty, as Telegram answers for a peer without stories: ``stories.stories`` with count 0
(core.telegram.org/method/stories.getPinnedStories, core.telegram.org/method/stories.getStoriesArchive;
the archive is the account's own, so it is asked about the account or a channel it runs).
"""

from __future__ import annotations

from typing import Any

from telethon import utils
from telethon.tl import functions as F
from telethon.tl import types as T

from . import Call, resolve_peer, rpc


@rpc(F.stories.GetPinnedStoriesRequest, F.stories.GetStoriesArchiveRequest)
def get_story_list(call: Call, request: Any) -> T.stories.Stories:
    if not isinstance(request.peer, T.InputPeerSelf):
        resolve_peer(call.world, request.peer)  # an unknown peer is refused
    return T.stories.Stories(count=0, stories=[], chats=[], users=[])


@rpc(F.stories.GetPeerStoriesRequest)
def get_peer_stories(call: Call, request: F.stories.GetPeerStoriesRequest) -> T.stories.PeerStories:
    asked = request.peer
    if not isinstance(asked, T.InputPeerSelf):
        resolve_peer(call.world, asked)
    peer = T.PeerUser(call.world.me.id) if isinstance(asked, T.InputPeerSelf) else utils.get_peer(asked)
    return T.stories.PeerStories(stories=T.PeerStories(peer=peer, stories=[]), chats=[], users=[])
