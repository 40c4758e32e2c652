"""Topic counts as of a forum's snapshot: each from one answer of messages.getReplies, newer
messages skipped a page at a time, against a topic held in memory (the end-to-end tests run the
same code against the sandbox's live forum)."""

from __future__ import annotations

from telethon.tl import functions as F
from telethon.tl import types as T

from exporter.streams import PAGE_LIMIT
from exporter.topics import MAX_COUNT_STEPS, Snapshot, snapshot_counts, topic_count_below

PEER = T.InputPeerChannel(1, 2)


class Topic:
    """getReplies over a topic's ids, newest first; ``counted`` False answers as messages.messages
    (no count: the answer holds every message there is)."""

    def __init__(self, ids: range | list[int], *, counted: bool = True, empty_at: int | None = None) -> None:
        self.ids = sorted(ids, reverse=True)
        self.counted, self.empty_at = counted, empty_at
        self.skips: list[int] = []

    async def __call__(self, request: F.messages.GetRepliesRequest) -> object:
        assert isinstance(request, F.messages.GetRepliesRequest)
        assert (request.offset_id, request.limit, request.peer) == (0, PAGE_LIMIT, PEER)
        self.skips.append(request.add_offset)
        page = self.ids[request.add_offset : request.add_offset + request.limit]
        messages = [
            T.MessageEmpty(id=i, peer_id=T.PeerChannel(1))
            if i == self.empty_at
            else T.Message(id=i, peer_id=T.PeerChannel(1), date=None, message="")
            for i in page
        ]
        if not self.counted:
            return T.messages.Messages(messages, [], [], [])
        return T.messages.ChannelMessages(1, len(self.ids), messages, [], [], [])


async def test_a_topic_with_nothing_newer_is_counted_in_one_request() -> None:
    topic = Topic(range(1, 251))
    assert await topic_count_below(topic, PEER, 7, high=1_000) == (250, 0)
    assert topic.skips == [0]


async def test_a_topic_with_nothing_before_the_snapshot_counts_none() -> None:
    assert await topic_count_below(Topic([]), PEER, 7, high=1_000) == (0, 0)
    assert await topic_count_below(Topic(range(500, 520)), PEER, 7, high=400) == (0, 20)


async def test_newer_messages_within_the_first_page_are_left_out() -> None:
    topic = Topic(range(1, 251))
    assert await topic_count_below(topic, PEER, 7, high=231) == (230, 20)
    assert topic.skips == [0]


async def test_more_than_a_page_of_newer_messages_is_skipped_a_page_at_a_time() -> None:
    topic = Topic(range(1, 451))
    assert await topic_count_below(topic, PEER, 7, high=201) == (200, 250)
    assert topic.skips == [0, 100, 200]
    # Exactly a page of newer ones: the next page shows where they end.
    topic = Topic(range(1, 301))
    assert await topic_count_below(topic, PEER, 7, high=201) == (200, 100)
    assert topic.skips == [0, 100]


async def test_an_answer_without_count_holds_every_message_and_empty_slots_count_for_paging() -> None:
    assert await topic_count_below(Topic(range(1, 31), counted=False), PEER, 7, high=25) == (24, 6)
    # An empty slot (messageEmpty) in a full page of newer ones still fills the page, and the skip
    # past it counts it with the newer run, as Telegram's count counts it.
    topic = Topic(range(1, 251), empty_at=240)
    assert await topic_count_below(topic, PEER, 7, high=151) == (150, 100)
    assert topic.skips == [0, 100]


async def test_a_forum_flooded_with_new_messages_is_counted_in_at_most_fifty_steps() -> None:
    """Past the steps the count as of the snapshot is unknown, not guessed: a guess would call the
    export short (or hide a short one); the newer ones are counted as far as they were skipped."""
    topic = Topic(range(1, PAGE_LIMIT * (MAX_COUNT_STEPS + 5)))
    below, newer = await topic_count_below(topic, PEER, 7, high=1)
    assert len(topic.skips) == MAX_COUNT_STEPS
    assert (below, newer) == (None, PAGE_LIMIT * MAX_COUNT_STEPS)
    # The last step finds where the newer run ends: counted.
    topic = Topic(range(1, PAGE_LIMIT * MAX_COUNT_STEPS + 1))
    assert await topic_count_below(topic, PEER, 7, high=101) == (100, PAGE_LIMIT * (MAX_COUNT_STEPS - 1))


async def test_every_topic_is_counted() -> None:
    topics = {3: Topic(range(1, 51)), 9: Topic(range(1, 171))}

    async def send(request: F.messages.GetRepliesRequest) -> object:
        return await topics[request.msg_id](request)

    below, newer = await snapshot_counts(send, PEER, [3, 9], high=161)
    assert below == {3: 50, 9: 160} and newer == {3: 0, 9: 10}


def test_the_snapshot_is_kept_in_the_plan_and_named_in_the_manifest() -> None:
    snapshot = Snapshot(5_000, {7: 3, 9: 0})
    assert snapshot.to_dict() == {"max_id": 5_000}
    stored = {"max_id": 5_000, "newer_left_out": {"7": 3, "9": 0}}  # as JSON keeps it
    assert snapshot.to_plan() == {"max_id": 5_000, "newer_left_out": {7: 3, 9: 0}}
    assert Snapshot.from_plan(stored) == snapshot
    assert Snapshot.from_plan(None) == Snapshot(0, {})
