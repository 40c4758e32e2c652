"""The synthetic world: determinism, message variety, forums, ground truth, files and scale."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from itertools import pairwise

import pytest
from telethon.extensions import BinaryReader
from telethon.tl import types as T

from sandbox.world import (
    SCENARIOS,
    ChatSpec,
    UnknownScenario,
    World,
    WorldSpec,
    build_scenario,
    build_world,
    describe,
    expected_messages,
)
from sandbox.world.content import LONG_TEXT_LEN, u16len

MIB = 1 << 20


@pytest.fixture(scope="module")
def small() -> World:
    return build_scenario("small")


@pytest.fixture(scope="module")
def small_messages(small: World) -> list[tuple]:
    """(chat, message) for every message of `small`."""
    return [(chat, small.message(chat, i)) for chat in small.chats.values() for i in chat.slots]


@pytest.fixture(scope="module")
def forum_large() -> World:
    return build_scenario("forum-large")


def digest(world: World, per_chat: int = 300) -> str:
    h = hashlib.sha256()
    for chat in world.chats.values():
        for k in range(min(per_chat, len(chat.slots))):
            h.update(world.message_refs(chat, chat.slots.select(k))[0])
    return h.hexdigest()


# ---------------------------------------------------------------- determinism


def test_same_seed_same_bytes_other_seed_other_content(small: World) -> None:
    assert digest(build_scenario("small")) == digest(small)
    other = build_scenario("small", seed=2)
    assert digest(other) != digest(small)
    chat = next(c for c in other.chats.values() if c.kind == "channel")
    mine = next(c for c in small.chats.values() if c.kind == "channel")
    texts = {small.message(mine, i).message for i in list(mine.slots)[:50]}
    assert {other.message(chat, i).message for i in list(chat.slots)[:50]} != texts


def test_same_bytes_in_another_process(small: World) -> None:
    """No str hash() or other per-process state leaks into content."""
    code = "import hashlib\nfrom sandbox.world import World, build_scenario\n" + inspect.getsource(digest)
    code += "print(digest(build_scenario('small'), 60))"
    env = {**os.environ, "PYTHONHASHSEED": "77"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == digest(small, 60)


# ---------------------------------------------------------------- messages


def test_every_message_serializes_and_parses_back(small: World, small_messages: list[tuple]) -> None:
    for chat, message in small_messages:
        data = bytes(message)
        assert data == small.message_refs(chat, message.id)[0], (chat.kind, message.id)
        parsed = BinaryReader(data).tgread_object()
        assert type(parsed) is type(message) and bytes(parsed) == data


def test_refs_name_every_peer_a_message_mentions(small: World, small_messages: list[tuple]) -> None:
    for chat, m in small_messages:
        _, users, chats = small.message_refs(chat, m.id)
        assert chat.peer_id in chats
        assert users <= small.users.keys() and chats <= small.chats.keys()
        mentioned = {m.from_id.user_id} if isinstance(m.from_id, T.PeerUser) else set()
        if chat.kind in ("private", "saved"):
            mentioned.add(chat.bare_id)
        fwd = m.fwd_from.from_id if getattr(m, "fwd_from", None) else None
        if isinstance(fwd, T.PeerUser):
            mentioned.add(fwd.user_id)
        if isinstance(fwd, T.PeerChannel):
            assert -1_000_000_000_000 - fwd.channel_id in chats
        mentioned |= {e.user_id for e in m.entities or () if isinstance(e, T.MessageEntityMentionName)}
        mentioned |= set(getattr(m.action, "users", None) or ())
        assert mentioned <= users, (chat.kind, m.id)


def kinds_of(message) -> set[str]:
    """Names for what a message shows, to check the mix covers everything."""
    found = {type(e).__name__ for e in getattr(message, "entities", None) or ()}
    if isinstance(message, T.MessageService):
        found.add(type(message.action).__name__)
        if isinstance(message.action, T.MessageActionTopicEdit):
            found |= {f"TopicEdit.{k}" for k in ("title", "closed", "hidden") if getattr(message.action, k)}
        return found
    media = message.media
    if isinstance(media, T.MessageMediaDocument):
        attrs = {type(a).__name__: a for a in media.document.attributes}
        if "DocumentAttributeSticker" in attrs:
            found.add("sticker")
        elif "DocumentAttributeAnimated" in attrs:
            found.add("animation")
        elif "DocumentAttributeVideo" in attrs:
            found.add("round" if attrs["DocumentAttributeVideo"].round_message else "video")
        elif "DocumentAttributeAudio" in attrs:
            found.add("voice" if attrs["DocumentAttributeAudio"].voice else "audio")
        else:
            found.add("document")
    elif media is not None:
        found.add(type(media).__name__)
    if message.fwd_from:
        f = message.fwd_from
        found.add("fwd_hidden" if f.from_name else f"fwd_{type(f.from_id).__name__}")
    if message.reply_to:
        found.add(
            "reply" if not message.reply_to.forum_topic or message.reply_to.reply_to_top_id else "topic"
        )
    if message.edit_date:
        found.add("edited")
    if message.reactions:
        found.add("reactions")
    if len(message.message) == LONG_TEXT_LEN:
        found.add("long")
    text = message.message
    for script, low, high in (
        ("cyrillic", "а", "я"),
        ("arabic", "\u0600", "\u06ff"),
        ("hebrew", "\u0590", "\u05ff"),
    ):
        if any(low <= ch <= high for ch in text):
            found.add(script)
    if any(ord(ch) > 0xFFFF for ch in text):
        found.add("astral")
    return found


ENTITIES = {
    f"MessageEntity{n}"
    for n in (
        "Bold Italic Underline Strike Code Pre TextUrl MentionName Mention Hashtag Cashtag BotCommand "
        "Url Email Phone BankCard Spoiler Blockquote CustomEmoji"
    ).split()
}
MEDIA = {"MessageMediaPhoto", "document", "video", "voice", "audio", "round", "sticker", "animation"}
MEDIA |= {"MessageMediaPoll", "MessageMediaContact", "MessageMediaGeo"}
ACTIONS = {
    f"MessageAction{n}"
    for n in (
        "TopicCreate TopicEdit PinMessage ChatAddUser ChatJoinedByLink ChatEditTitle ChannelCreate ChatCreate"
    ).split()
}
ACTIONS |= {"TopicEdit.title", "TopicEdit.closed", "TopicEdit.hidden"}
OTHER = {"fwd_PeerUser", "fwd_PeerChannel", "fwd_hidden", "reply", "topic", "edited", "reactions", "long"}
OTHER |= {"cyrillic", "arabic", "hebrew", "astral"}


def test_small_shows_every_entity_media_action_and_more(small_messages: list[tuple]) -> None:
    seen = Counter(k for _, m in small_messages for k in kinds_of(m))
    assert not (ENTITIES | MEDIA | ACTIONS | OTHER) - seen.keys()
    plain = sum(1 for _, m in small_messages if isinstance(m, T.Message) and not kinds_of(m) - {"reply"})
    assert plain > 0.6 * len(small_messages)  # most messages are cheap plain text


def test_every_variant_within_a_few_hundred_messages(forum_large: World) -> None:
    chat = next(iter(forum_large.chats.values()))
    window = [forum_large.message(chat, chat.slots.select(k)) for k in range(40_000, 40_512)]
    assert all(bytes(m) == forum_large.message_refs(chat, m.id)[0] for m in window)  # fast path = slow path
    seen = {k for m in window for k in kinds_of(m)}
    assert not (ENTITIES | MEDIA | OTHER - {"fwd_PeerChannel"}) - seen  # the forum has no channel to forward


def test_entities_fit_the_text_in_utf16_units(small_messages: list[tuple]) -> None:
    checked = 0
    for _, m in small_messages:
        entities = getattr(m, "entities", None) or ()
        units = m.message.encode("utf-16-le") if entities else b""
        for e in entities:
            assert 0 <= e.offset and e.length > 0 and e.offset + e.length <= u16len(m.message)
            # a bound inside a surrogate pair would not decode
            piece = units[2 * e.offset : 2 * (e.offset + e.length)].decode("utf-16-le")
            checked += 1
            if isinstance(e, T.MessageEntityMention):
                assert piece.startswith("@")
            if isinstance(e, T.MessageEntityHashtag | T.MessageEntityCashtag | T.MessageEntityBotCommand):
                assert piece[0] in "#$/"
    assert checked > 100


def test_message_shapes_follow_the_chat_kind(small_messages: list[tuple]) -> None:
    for chat, m in small_messages:
        if chat.kind == "channel":
            assert m.post and m.from_id is None
            if isinstance(m, T.Message):
                assert m.views is not None and m.forwards is not None
        elif chat.kind in ("group", "supergroup", "forum"):
            assert isinstance(m.from_id, T.PeerUser) and m.from_id.user_id in chat.member_ids
        else:
            assert m.from_id is None and m.peer_id == T.PeerUser(chat.bare_id)
        if chat.kind == "saved":
            assert m.out


def test_long_texts_are_exactly_4096_characters(small_messages: list[tuple]) -> None:
    long = [m.message for _, m in small_messages if len(getattr(m, "message", "") or "") >= 1000]
    assert len(long) >= 3 and all(len(t) == u16len(t) == 4096 for t in long)


# ---------------------------------------------------------------- ids and dates


def test_common_box_ids_are_disjoint_interleaved_and_dated_in_order(small: World) -> None:
    box = [c for c in small.chats.values() if c.kind in ("saved", "private", "group")]
    owner = {}
    for chat in box:
        for msg_id in chat.slots:
            assert msg_id not in owner, msg_id
            owner[msg_id] = chat
    ordered = sorted(owner)
    switches = sum(1 for a, b in pairwise(ordered) if owner[a] is not owner[b])
    assert switches > len(box) * 2  # chats take turns, not one block each
    dates = [small.date_of(owner[i], i) for i in ordered]
    assert all(a <= b for a, b in pairwise(dates))
    assert ordered[-1] > len(ordered)  # deleted messages left holes


def test_dates_grow_with_ids_and_start_in_2023(small: World) -> None:
    for chat in small.chats.values():
        dates = [small.date_of(chat, i) for i in chat.slots]
        assert all(a < b for a, b in pairwise(dates)), chat.title
        assert dates[0] >= 1_672_531_200 and chat.date <= dates[0]


def test_channel_ids_have_holes_and_start_at_one(small: World) -> None:
    for chat in small.chats.values():
        if chat.kind in ("channel", "supergroup", "forum"):
            assert chat.slots.select(0) == 1 and chat.slots.last > len(chat.slots)
            # an upgraded group's supergroup opens with the group it came from instead
            opening = (
                T.MessageActionChannelMigrateFrom if chat.migrated_from else T.MessageActionChannelCreate
            )
            assert isinstance(small.message(chat, 1).action, opening)


# ---------------------------------------------------------------- restricted messages and ground truth


def test_restricted_messages_are_rare_short_and_excluded() -> None:
    world = build_scenario("channel-large")
    chat = next(iter(world.chats.values()))
    restricted = list(world.restricted_ids(chat))
    assert 0.0005 * len(chat.slots) < len(restricted) < 0.005 * len(chat.slots)
    slots = list(chat.slots)
    flags = [world.is_restricted(chat, i) for i in slots]
    assert restricted == [i for i, hidden in zip(slots, flags, strict=True) if hidden]
    longest = max(len(run) for run in "".join("x" if f else "." for f in flags).split("."))
    assert 1 <= longest <= 3
    visible = [i for i, hidden in zip(slots, flags, strict=True) if not hidden]
    assert [i for i, _ in expected_messages(world, chat)] == visible


def test_small_channels_have_a_restricted_message_inside_their_history(small: World) -> None:
    for chat in small.chats.values():
        if chat.kind in ("channel", "supergroup", "forum") and len(chat.slots) >= 200:
            hidden = list(small.restricted_ids(chat))
            # neither on the first nor on the last page of 100, whichever way one reads
            assert any(100 <= chat.slots.rank(i) < len(chat.slots) - 100 for i in hidden)
            assert not set(hidden) & (chat.service.keys() | chat.topics.keys())


def test_describe_matches_ground_truth(small: World) -> None:
    summary = json.loads(json.dumps(describe(small)))
    assert len(summary["chats"]) == len(small.chats)
    for entry in summary["chats"]:
        chat = small.chats[entry["peer_id"]]
        assert entry["message_count"] == len(list(expected_messages(small, chat)))
        for topic in entry.get("topics", ()):
            truth = list(expected_messages(small, chat, topic["id"]))
            assert topic["message_count"] == len(truth)
            assert all(t == topic["id"] for _, t in truth)


# ---------------------------------------------------------------- forums


def check_forum(world: World, chat, sample: int | None = None) -> None:
    assert 1 in chat.topics and chat.topics[1].title == "General"
    owner = {}
    for topic in chat.topics.values():
        for msg_id in topic.ids:
            assert msg_id not in owner
            owner[msg_id] = topic.id
    assert sorted(owner) == list(chat.slots)
    ids = list(chat.slots)[:: max(1, len(chat.slots) // sample)] if sample else list(chat.slots)
    for msg_id in ids:
        assert world.topic_of(chat, msg_id) == owner[msg_id]
        m = world.message(chat, msg_id)
        header = m.reply_to
        if msg_id in chat.topics and msg_id != 1:
            assert (
                isinstance(m.action, T.MessageActionTopicCreate)
                and chat.topics[msg_id].ids.select(0) == msg_id
            )
        elif owner[msg_id] == 1:
            assert header is None or not header.forum_topic
        else:
            # the rule a one-pass reader applies to file a message under its topic
            assert header.forum_topic and (header.reply_to_top_id or header.reply_to_msg_id) == owner[msg_id]


def test_small_forum_topics(small: World) -> None:
    forum = next(c for c in small.chats.values() if c.kind == "forum")
    check_forum(small, forum)
    topics = list(forum.topics.values())
    assert 10 <= len(topics) <= 14
    assert forum.topics[1].hidden and any(t.closed for t in topics)
    assert any(len(t.ids) == 1 for t in topics[1:])  # a topic with nothing besides its creation
    assert any(t.initial_title != t.title for t in topics)  # renamed, with a TopicEdit message
    cross = 0
    for topic in topics[1:]:
        for msg_id in topic.ids:
            header = small.message(forum, msg_id).reply_to
            if header and header.reply_to_top_id:
                cross += small.topic_of(forum, header.reply_to_msg_id) != topic.id
    assert cross > 0


def test_forum_large_builds_fast_and_small(forum_large: World) -> None:
    start = time.perf_counter()
    build_scenario("forum-large")
    assert time.perf_counter() - start < 2
    tracemalloc.start()
    build_scenario("forum-large")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50 * MIB
    forum = next(iter(forum_large.chats.values()))
    assert len(forum.topics) > 100 and len(forum.slots) == 100_000
    check_forum(forum_large, forum, sample=1500)


# ---------------------------------------------------------------- scale


def test_huge_builds_in_constant_memory() -> None:
    tracemalloc.start()
    start = time.perf_counter()
    world = build_scenario("huge")
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    chat = next(iter(world.chats.values()))
    for k in range(0, len(chat.slots), 997):
        world.message_refs(chat, chat.slots.select(k))
    grown, _ = tracemalloc.get_traced_memory()
    for k in range(0, len(chat.slots), 9973):
        msg_id = chat.slots.select(k)
        assert bytes(world.message(chat, msg_id)) == world.message_refs(chat, msg_id)[0]
    tracemalloc.stop()
    assert len(chat.slots) == 1_000_000 and elapsed < 0.5 and peak < 2 * MIB
    assert grown < 5 * MIB
    assert describe(world)["chats"][0]["message_count"] == len(chat.slots) - len(
        list(world.restricted_ids(chat))
    )


def test_the_message_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(World, "CACHE_SIZE", 500)
    world = build_scenario("channel-large")
    chat = next(iter(world.chats.values()))
    for msg_id in list(chat.slots)[:1500]:
        world.message_refs(chat, msg_id)
    assert world._refs.cache_info().currsize == 500
    with pytest.raises(KeyError):
        world.message_refs(chat, chat.slots.last + 1)


# ---------------------------------------------------------------- growth


def test_add_messages_continues_every_kind_of_history() -> None:
    world = build_scenario("small")
    pts = world.pts
    for chat in list(world.chats.values())[:6]:
        topic = max(chat.topics) if chat.topics else None
        before_ids = list(chat.slots)
        before_box = max(
            i for c in world.chats.values() if c.kind in ("private", "saved", "group") for i in c.slots
        )
        new = world.add_messages(chat.peer_id, 5, topic)
        assert new == sorted(new) and new[0] > before_ids[-1] and list(chat.slots) == before_ids + new
        if chat.kind in ("private", "saved", "group"):
            assert new[0] > before_box  # the common box counter moves on
        dates = [world.date_of(chat, i) for i in [before_ids[-1], *new]]
        assert all(a < b for a, b in pairwise(dates))
        truth = list(expected_messages(world, chat))
        assert truth[-5:] == [(i, world.topic_of(chat, i)) for i in new]
        if topic:
            assert list(chat.topics[topic].ids)[-5:] == new and {t for _, t in truth[-5:]} == {topic}
        for msg_id in new:
            assert BinaryReader(world.message_refs(chat, msg_id)[0]).tgread_object().id == msg_id
    assert world.pts == pts + 30
    with pytest.raises(ValueError):
        world.add_messages(next(iter(world.chats)), 1, topic_id=1)


# ---------------------------------------------------------------- files


def documents_and_photos(messages: list[tuple]):
    """(photo or document, size of what a full download fetches)."""
    for _, m in messages:
        media = getattr(m, "media", None)
        if isinstance(media, T.MessageMediaPhoto):
            largest = media.photo.sizes[-1]
            yield (
                media.photo,
                max(largest.sizes) if isinstance(largest, T.PhotoSizeProgressive) else largest.size,
            )
        elif isinstance(media, T.MessageMediaDocument):
            yield media.document, media.document.size


def test_every_file_is_served_with_its_size_and_dc(small: World, small_messages: list[tuple]) -> None:
    sizes, dcs, stickers = [], Counter(), Counter()
    for item, size in documents_and_photos(small_messages):
        blob = small.blob(item.id)
        assert blob is not None and blob.size == size and blob.dc_id == item.dc_id in (2, 4)
        assert blob.access_hash == item.access_hash
        sizes.append((type(item).__name__, size))
        dcs[item.dc_id] += 1
        if any(isinstance(a, T.DocumentAttributeSticker) for a in getattr(item, "attributes", ())):
            stickers[item.id] += 1
        for thumb in getattr(item, "thumbs", None) or ():
            if isinstance(thumb, T.PhotoSize):
                assert small.blob(item.id, thumb.type).size == thumb.size
    assert any(kind == "Photo" and size > MIB for kind, size in sizes)
    assert any(kind == "Document" and size > 2 * MIB for kind, size in sizes)
    assert max(size for _, size in sizes) < 5 * MIB and min(size for _, size in sizes) < 50_000
    assert dcs[2] > dcs[4] > 0
    assert max(stickers.values()) > 1  # one pack: the same sticker file recurs


def test_blob_reads_are_deterministic_and_bounded(small: World, small_messages: list[tuple]) -> None:
    photo = next(p for p, size in documents_and_photos(small_messages) if size > MIB)
    blob = small.blob(photo.id)
    again = build_scenario("small").blob(photo.id)
    whole = b"".join(blob.read(o, 256 * 1024) for o in range(0, blob.size, 256 * 1024))
    assert len(whole) == blob.size and whole[:3] == b"\xff\xd8\xff"
    assert again.read(0, blob.size) == whole
    assert blob.read(MIB - 10, 20) == whole[MIB - 10 : MIB + 10]
    assert blob.read(blob.size - 5, 4096) == whole[-5:] and blob.read(blob.size, 4096) == b""
    largest = photo.sizes[-1].type
    assert small.blob(photo.id, largest) == blob and small.blob(photo.id, "m").read(0, 64) != whole[:64]
    assert small.blob(photo.id, "i") is None and small.blob(photo.id ^ 1) is None
    assert small.blob(12345) is None


# ---------------------------------------------------------------- scenarios


def test_scenarios_and_lookups(small: World) -> None:
    assert {"small", "forum-large", "channel-large", "huge"} <= SCENARIOS.keys()
    with pytest.raises(UnknownScenario, match="small") as error:
        build_scenario("nope")
    assert isinstance(error.value, ValueError)
    kinds = Counter(c.kind for c in small.chats.values())
    assert kinds["private"] > 110 and all(
        kinds[k] for k in ("saved", "group", "supergroup", "channel", "forum")
    )
    tiny = [c for c in small.chats.values() if c.kind == "private" and len(c.slots) <= 5]
    assert len(tiny) >= 110 and all(len(c.slots) >= 2 for c in tiny)
    left = [c for c in small.chats.values() if c.left]
    assert len(left) == 1 and left[0].username is None and left[0].tl().left
    for chat in small.chats.values():
        if chat.username:
            assert small.by_username(chat.username.upper()) is chat
        tl = chat.tl()
        if tl is not None:
            assert bytes(tl) and (getattr(tl, "access_hash", 0) or 0) == chat.access_hash
    assert small.by_username("@" + small.me.username) is small.me and small.me.tl().is_self
    assert all(bytes(u.tl()) for u in small.users.values())


def test_custom_worlds_and_their_mistakes() -> None:
    world = build_world(
        WorldSpec(
            chats=[
                ChatSpec("forum", "F", messages=2_000, topics=20),
                ChatSpec("channel", "C", messages=50, banned=True),
            ],
            contacts=2,
            seed=9,
            password="hunter2",
        )
    )
    forum, channel = world.chats.values()
    assert len(forum.topics) == 21 and world.password == "hunter2"
    check_forum(world, forum)
    assert isinstance(channel.tl(), T.ChannelForbidden)
    for bad in (ChatSpec("planet"), ChatSpec("channel", topics=3), ChatSpec("forum", messages=5, topics=9)):
        with pytest.raises(ValueError):
            build_world(WorldSpec(chats=[bad]))
