"""A forum that keeps receiving messages while clients read it.

Real forums do not hold still while an export runs: people write, and each new
message moves its topic to the front of the topic list, which Telegram orders
by last activity (core.telegram.org/constructor/messages.forumTopics).  Requests
are this sandbox's clock: after every ``every`` requests one message arrives,
so a run is the same every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Chat, World


@dataclass
class LiveForum:
    peer_id: int
    # One new message after every `every` requests to the sandbox (any method, any client).
    every: int = 2
    # Every `general_every`-th new message goes to General, the others to the quietest topic.
    general_every: int = 3
    requests: int = 0
    arrived: list[int] = field(default_factory=list)
    paused: bool = False

    def on_request(self, world: World) -> None:
        self.requests += 1
        if self.paused or self.requests % self.every:
            return
        chat = world.chats[self.peer_id]
        topic_id = 1 if len(self.arrived) % self.general_every == 0 else self.quietest_topic(chat)
        self.arrived += world.add_messages(chat.peer_id, 1, topic_id)

    @staticmethod
    def quietest_topic(chat: Chat) -> int:
        """The topic with the oldest last message: the one a pager reaches last, so its jump to the
        front of the list is the one a naive pager misses."""
        return min(
            (topic for topic in chat.topics.values() if topic.id != 1 and not topic.closed),
            key=lambda topic: (topic.ids.last or topic.id, topic.id),
        ).id
