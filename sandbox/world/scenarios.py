"""Building worlds: a parametric builder and the named scenarios tests and the CLI ask for."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from .content import M63, SALT_BOX, h64, world_key
from .hostile import CHAT_TITLES, make_hostile
from .ids import ArrayIds, IdSet, PeriodicIds
from .live import LiveForum
from .model import BOX_KINDS, CHANNEL_KINDS, KINDS, Chat, Topic, UserInfo, World

HISTORY_START = calendar.timegm((2023, 1, 1, 0, 0, 0))
HISTORY_END = calendar.timegm((2025, 6, 1, 0, 0, 0))

_NAMES = (
    ("Alice", "alice"), ("Борис", "boris"), ("Carmen", "carmen"), ("Dmitri", "dmitri"), ("Ева", "eva"),
    ("Fatima", "fatima"), ("يوسف", "yusuf"), ("Noa", "noa"), ("דניאל", "daniel"), ("Kenji", "kenji"),
    ("李雷", "lilei"), ("Zoë", "zoe"), ("José", "jose"), ("Ngozi", "ngozi"), ("Olaf", "olaf"),
    ("Priya", "priya"), ("Quinn", "quinn"), ("Rafael", "rafael"), ("Sofía", "sofia"), ("Tomás", "tomas"),
    ("Ульяна", "ulyana"), ("Viktor", "viktor"), ("Wen", "wen"), ("Ximena", "ximena"), ("Yara 🌸", "yara"),
)  # fmt: skip
_SURNAMES = (
    "Smith", "Иванова", "García", "Müller", "Kowalski", "Nakamura", "O’Brien", "Haddad", "Cohen", "Rossi",
    None, "Silva", "Nguyen", None, "Andersson",
)  # fmt: skip
_TOPIC_TITLES = (
    "Announcements 📢", "Off-topic", "Bugs & issues", "Релизы", "نقاش عام", "Design", "Ideas 💡", "Help",
    "Jobs", "Memes 😂", "Show & tell", "Events", "Docs", "Feedback", "Random", "Music 🎵", "Translations",
    "Security", "Hardware", "Books 📚",
)  # fmt: skip
# the six colours Telegram offers for topic icons
_TOPIC_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)


@dataclass
class ChatSpec:
    """One chat. ``messages`` counts every id the chat holds (service messages and restricted ones too).
    A private chat takes the next contact (a new non-contact user once contacts run out); its
    ``title``/``username``, when given, rename that user. ``topics`` = forum topics besides General."""

    kind: str
    title: str = ""
    username: str | None = None
    messages: int = 200
    topics: int = 0
    members: int = 6
    left: bool = False
    banned: bool = False
    general_hidden: bool = False
    # In the archive folder (folder_id 1, core.telegram.org/api/folders) instead of the main list.
    archived: bool = False
    # A supergroup upgraded from a basic group: the index in WorldSpec.chats of that group, whose
    # history stays there (core.telegram.org/constructor/channelFull: migrated_from_chat_id).
    migrated_from: int | None = None


@dataclass
class WorldSpec:
    chats: list[ChatSpec]
    contacts: int = 5
    seed: int = 1
    password: str | None = None
    login_code: str = "12345"
    phone: str = "15550100001"
    takeout_confirmed: bool = False
    account_dc: int | None = None
    start: int = HISTORY_START
    end: int = HISTORY_END


class _Builder:
    def __init__(self, spec: WorldSpec):
        self.spec = spec
        self.key = world_key(spec.seed)
        self.users: dict[int, UserInfo] = {}
        self.contacts: list[UserInfo] = []
        self.next_contact = 0
        self.taken_ids: set[int] = set()
        self.n = 0

    def _hash(self) -> int:
        self.n += 1
        return h64(self.key, self.n)

    def _new_id(self, low: int, span: int) -> int:
        while True:
            i = low + self._hash() % span
            if i not in self.taken_ids:
                self.taken_ids.add(i)
                return i

    def user(self, contact: bool = False, **fixed) -> UserInfo:
        h = self._hash()
        name, slug = _NAMES[h % len(_NAMES)]
        made: dict[str, Any] = {
            "id": self._new_id(100_000_000, 7_000_000_000),
            "access_hash": h64(h, 1) & M63,
            "first_name": name,
            "last_name": _SURNAMES[(h >> 8) % len(_SURNAMES)],
            # guess: a third of users have no username
            "username": f"{slug}_{len(self.users)}" if (h >> 16) % 3 else None,
            # phone numbers are visible for contacts only
            "phone": f"1555{h % 10_000_000:07d}" if contact else None,
            "contact": contact,
        }
        u = UserInfo(**(made | fixed))
        self.users[u.id] = u
        return u

    def build(self) -> World:
        spec = self.spec
        me = self.user(
            first_name="Sandbox", last_name="Tester", username="sandbox_me", phone=spec.phone, is_self=True
        )
        self.bot = self.user(
            first_name="Export Helper", last_name=None, username="export_helper_bot", bot=True
        )
        self.contacts = [self.user(contact=True) for _ in range(spec.contacts)]
        chats = [self.chat(i, me, cs) for i, cs in enumerate(spec.chats)]
        box_last = self.allocate_box(
            [(c, cs) for c, cs in zip(chats, spec.chats, strict=True) if c.kind in BOX_KINDS]
        )
        world = World(spec.seed, me, self.users, chats, spec.password, spec.login_code, box_last)
        world.takeout_confirmed = spec.takeout_confirmed
        world.account_dc = spec.account_dc
        for c, cs in zip(chats, spec.chats, strict=True):
            if cs.migrated_from is not None:
                link_upgrade(world, chats[cs.migrated_from], c, spec.end)
        for c, cs in zip(chats, spec.chats, strict=True):
            c.date = world.date_of(c, c.slots.select(0))
            if c.kind == "forum":
                self.fill_forum(world, c, cs)
            if c.kind in CHANNEL_KINDS and len(c.slots) >= 200:
                restrict_early(world, c)
        return world

    def chat(self, index: int, me: UserInfo, cs: ChatSpec) -> Chat:
        if cs.kind not in KINDS:
            raise ValueError(f"unknown chat kind {cs.kind!r}; valid: {sorted(KINDS)}")
        if cs.messages < 1:
            raise ValueError("every chat needs at least one message")
        key = h64(self.key, 1_000_000 + index)
        members: list[int] = []
        access_hash = h64(key, 2) & M63
        if cs.kind == "saved":
            bare, title, username, access_hash = me.id, "Saved Messages", None, me.access_hash
            members = [me.id]
        elif cs.kind == "private":
            peer = self.private_peer(cs)
            bare, title, username, access_hash = peer.id, _full_name(peer), peer.username, peer.access_hash
            members = [me.id, peer.id]
        else:
            bare = (
                self._new_id(1_000_000_000, 1_500_000_000)
                if cs.kind in CHANNEL_KINDS
                else self._new_id(100_000_000, 3_900_000_000)
            )
            title, username = cs.title or f"{cs.kind.title()} {index}", cs.username
            if cs.kind == "group":
                access_hash = 0
            if cs.kind != "channel":
                # a few contacts and a bot sit in every group, besides people only met there
                members = [me.id, *(c.id for c in self.contacts[:3]), self.bot.id][: max(cs.members, 1)]
                members += [self.user().id for _ in range(cs.members - len(members))]
        if cs.kind == "group":
            peer_id = -bare
        elif cs.kind in CHANNEL_KINDS:
            peer_id = -1_000_000_000_000 - bare  # what telethon.utils.get_peer_id gives
        else:
            peer_id = bare
        if cs.kind in CHANNEL_KINDS:
            if cs.topics and cs.kind != "forum":
                raise ValueError("only forums have topics")
            if cs.kind == "forum" and cs.messages < 2 + cs.topics:
                raise ValueError("a forum needs more messages than topics")
            # guess: deletions leave 1–2 holes in every 23–39 ids
            period = 23 + key % 17
            holes = {1 + (key >> 8) % (period - 1), 1 + (key >> 16) % (period - 1)}
            slots: IdSet = PeriodicIds(cs.messages, period, holes)
        else:
            slots = ArrayIds()
        chat = Chat(
            peer_id=peer_id,
            bare_id=bare,
            kind=cs.kind,
            title=title,
            username=username,
            access_hash=access_hash,
            date=0,
            member_ids=members,
            slots=slots,
            left=cs.left,
            banned=cs.banned,
            archived=cs.archived,
            index=index,
            key=key,
        )
        if cs.kind in CHANNEL_KINDS:
            chat.participants = (100 + key % 50_000) if cs.kind == "channel" else len(members) + key % 500
            chat.date0 = self.spec.start + (key >> 20) % (30 * 86_400)
            chat.step = max(1, (self.spec.end - chat.date0) // (slots.last + 1))
            chat.date_key = key
            chat.service[1] = "create"  # guess: supergroups and forums open with channelCreate too
            chat.restrict_above = slots.last
            chat.pts = slots.last + len(slots) // 10  # guess: edits and deletions moved pts on too
        else:
            chat.participants = len(members)
        return chat

    def private_peer(self, cs: ChatSpec) -> UserInfo:
        if self.next_contact < len(self.contacts):
            peer = self.contacts[self.next_contact]
            self.next_contact += 1
        else:
            peer = self.user()
        if cs.title:
            peer.first_name, peer.last_name = cs.title, None
        if cs.username:
            peer.username = cs.username
        return peer

    def allocate_box(self, box: list[tuple[Chat, ChatSpec]]) -> int:
        """Saved Messages, private chats and basic groups share one id sequence: lay every chat's
        messages out over the history span, merge them in time, then number them."""
        events = []
        upgraded = {cs.migrated_from for cs in self.spec.chats if cs.migrated_from is not None}
        for ci, (chat, cs) in enumerate(box):
            h = chat.key
            if chat.index in upgraded:
                # guess: the group was upgraded a quarter into the history; its messages end there
                begin, length = 0.0, 0.25
            elif cs.messages >= 20:
                begin, length = (h % 100) / 1000, 0.9
            else:
                # short chats live in a short stretch somewhere in the history
                begin, length = (h % 900) / 1000, 0.1
            for k in range(cs.messages):
                u = (h64(h, k) % 1000) / 1000
                events.append((begin + length * (k + u) / cs.messages, ci, k))
        events.sort()
        box_key = h64(self.key, SALT_BOX)
        ids: list[list[int]] = [[] for _ in box]
        msg_id = 0
        for _t, ci, _k in events:
            msg_id += 1
            while h64(box_key, msg_id) % 19 == 0:
                msg_id += 1  # guess: about 5 % of the box's ids belong to deleted messages
            ids[ci].append(msg_id)
        step = max(1, (self.spec.end - self.spec.start) // (msg_id + 1))
        for (chat, _cs), chat_ids in zip(box, ids, strict=True):
            chat.slots = ArrayIds(chat_ids)
            chat.date0, chat.step, chat.date_key = self.spec.start, step, box_key
            if chat.kind == "group":
                chat.service[chat_ids[0]] = "create"
        return msg_id

    def fill_forum(self, world: World, chat: Chat, cs: ChatSpec) -> None:
        """Create topics spread over the history (more early on), then file every message in one pass."""
        # Telegram lets only General be hidden
        chat.topics[1] = Topic(
            1, "General", _TOPIC_COLORS[0], None, chat.date, chat.member_ids[0], hidden=cs.general_hidden
        )
        n, t = len(chat.slots), cs.topics
        rank = 0
        renamed = set()
        for k in range(t):
            # guess: most topics are created early in a forum's life
            rank = max(rank + 1, 1 + int((n - 2) * 0.85 * (k / t) ** 1.6))
            tid = chat.slots.select(rank)
            h = h64(chat.key, 7_000_000 + k)
            title = _TOPIC_TITLES[k % len(_TOPIC_TITLES)]
            if k >= len(_TOPIC_TITLES):
                title += f" {k // len(_TOPIC_TITLES) + 1}"
            chat.topics[tid] = Topic(
                tid,
                title,
                _TOPIC_COLORS[h % len(_TOPIC_COLORS)],
                5_368_324_170_671_202_000 + h % 1000 if k % 4 == 2 else None,
                world.date_of(chat, tid),
                chat.member_ids[(h >> 8) % len(chat.member_ids)],
                closed=k % 5 == 3,
                pinned=k == 0,
                initial_title=title,
            )
            if k % 7 != 5:  # every seventh topic never gets a message besides its creation
                chat.busy_topics.append(tid)
            if k % 6 == 1:
                renamed.add(tid)
        per_topic: dict[int, list[int]] = {tid: [] for tid in chat.topics}
        for msg_id in chat.slots:
            per_topic[world.forum_topic_of(chat, msg_id)].append(msg_id)
        for tid, topic in chat.topics.items():
            ids = per_topic[tid]
            topic.ids = ArrayIds(ids)
            if tid == 1:
                if topic.hidden and ids:
                    chat.service[ids[len(ids) // 2]] = "general_hide"
                continue
            if tid in renamed and len(ids) >= 2:
                chat.service[ids[1]] = "topic_edit"
                topic.initial_title = f"{topic.title} (draft)"
            # guess: a topic is closed after its last message, by a topic edit in the topic itself
            if topic.closed and len(ids) >= 3:
                chat.service[ids[-1]] = "topic_close"


def link_upgrade(world: World, group: Chat, supergroup: Chat, end: int) -> None:
    """The basic group became the supergroup: the group's last message says so
    (messageActionChatMigrateTo), the supergroup's first message names the group
    (messageActionChannelMigrateFrom; TL schema, and Telegram Desktop's export_api_wrap.cpp
    requestSinglePeerMigrated reads the group through channelFull.migrated_from_chat_id), and
    the supergroup's history starts after the group's ends."""
    if group.kind != "group" or supergroup.kind not in ("supergroup", "forum"):
        raise ValueError("only a basic group can be upgraded, and only to a supergroup")
    group.migrated_to, supergroup.migrated_from = supergroup, group
    group.service[group.slots.last] = "migrate_to"
    supergroup.service[1] = "migrate_from"
    upgraded_at = world.date_of(group, group.slots.last)
    supergroup.date0 = upgraded_at
    supergroup.step = max(1, (end - upgraded_at) // (supergroup.slots.last + 1))
    # the group's members came along
    supergroup.member_ids += [m for m in group.member_ids if m not in supergroup.member_ids]


def restrict_early(world: World, chat: Chat) -> None:
    """However the hash falls, a chat of some size has a restricted run a third into its history, so
    readers always meet a short page there."""
    start = chat.slots.select(len(chat.slots) // 3 + 8) >> 3
    for block in range(start, (chat.slots.last >> 3) + 1):
        chat.forced_restricted_block = block
        if any(world.is_restricted(chat, i) for i in range(block << 3, (block + 1) << 3)):
            return
    chat.forced_restricted_block = -1


def _full_name(u: UserInfo) -> str:
    return f"{u.first_name} {u.last_name}" if u.last_name else u.first_name


def build_world(spec: WorldSpec) -> World:
    return _Builder(spec).build()


class UnknownScenario(ValueError):
    pass


class Scenario(NamedTuple):
    description: str
    build: Callable[[int], World]


def _small(seed: int) -> World:
    return build_world(
        WorldSpec(
            seed=seed,
            contacts=115,
            chats=[
                ChatSpec("saved", messages=150),
                ChatSpec("private", messages=300),
                ChatSpec("group", "Family & friends 🏡", messages=300, members=6),
                ChatSpec(
                    "supergroup",
                    "Python Meetup Berlin",
                    username="py_meetup_sandbox",
                    messages=300,
                    members=12,
                ),
                ChatSpec("channel", "Daily Digest 📰", username="daily_digest_sandbox", messages=400),
                ChatSpec(
                    "forum",
                    "Project Forum",
                    username="project_forum_sandbox",
                    messages=500,
                    topics=11,
                    members=10,
                    general_hidden=True,
                ),
                # private, so having left it means no access at all
                ChatSpec("channel", "Old News", messages=60, left=True),
                *(ChatSpec("private", messages=2 + i % 4) for i in range(110)),
                # a basic group upgraded to a supergroup: two histories, one chat
                ChatSpec("group", "Book Club", messages=90, members=7),
                ChatSpec("supergroup", "Book Club 📚", messages=120, members=9, migrated_from=117),
            ],
        )
    )


def _forum_large(seed: int) -> World:
    return build_world(
        WorldSpec(
            seed=seed,
            contacts=10,
            chats=[
                ChatSpec(
                    "forum",
                    "Big Forum",
                    username="big_forum_sandbox",
                    messages=100_000,
                    topics=149,
                    members=40,
                ),
            ],
        )
    )


def _live_forum(seed: int) -> World:
    """A forum of 130 topics (more than one page) that receives a message every other request."""
    world = build_world(
        WorldSpec(
            seed=seed,
            contacts=5,
            chats=[
                ChatSpec("forum", "Live Forum", username="live_forum_sandbox", messages=3_000, topics=129),
            ],
        )
    )
    forum = world.by_username("live_forum_sandbox")
    if not isinstance(forum, Chat):
        raise TypeError(f"@live_forum_sandbox names {forum!r}, not the scenario's forum")
    world.live = LiveForum(forum.peer_id)
    return world


def _channel_large(seed: int) -> World:
    return build_world(
        WorldSpec(
            seed=seed,
            contacts=5,
            chats=[
                ChatSpec("channel", "Large Channel", username="large_channel_sandbox", messages=100_000),
            ],
        )
    )


def _bench_forum(seed: int) -> World:
    return build_world(
        WorldSpec(
            seed=seed,
            contacts=10,
            chats=[
                ChatSpec(
                    "forum",
                    "Bench Forum",
                    username="bench_forum_sandbox",
                    messages=100_000,
                    topics=19,
                    members=30,
                ),
            ],
        )
    )


def _huge(seed: int) -> World:
    return build_world(
        WorldSpec(
            seed=seed,
            contacts=5,
            chats=[
                ChatSpec("channel", "Huge Channel", username="huge_channel_sandbox", messages=1_000_000),
            ],
        )
    )


def _hostile(seed: int) -> World:
    return make_hostile(
        build_world(
            WorldSpec(
                seed=seed,
                contacts=6,
                chats=[
                    ChatSpec("private", messages=300),
                    ChatSpec("group", CHAT_TITLES[1], messages=300, members=6),
                    ChatSpec("supergroup", CHAT_TITLES[0], username="hostile_group_sandbox", messages=300),
                    ChatSpec("channel", CHAT_TITLES[3], username="hostile_channel_sandbox", messages=300),
                    ChatSpec(
                        "forum",
                        CHAT_TITLES[4],
                        username="hostile_forum_sandbox",
                        messages=400,
                        topics=8,
                        members=8,
                    ),
                    ChatSpec("channel", CHAT_TITLES[2], username="hostile_path_sandbox", messages=30),
                ],
            )
        )
    )


SCENARIOS: dict[str, Scenario] = {
    "small": Scenario(
        "one chat of each kind with a few hundred messages, 110 tiny private chats, a left private channel, "
        "a basic group upgraded to a supergroup",
        _small,
    ),
    "forum-large": Scenario("a forum with 150 topics and 100,000 messages", _forum_large),
    "live-forum": Scenario(
        "a forum of 130 topics that keeps receiving messages (in topics and General) while it is read",
        _live_forum,
    ),
    "channel-large": Scenario("a broadcast channel with 100,000 messages", _channel_large),
    "bench-forum": Scenario("a forum with 20 topics (General included) and 100,000 messages", _bench_forum),
    "huge": Scenario("a broadcast channel with 1,000,000 messages, generated lazily", _huge),
    "hostile": Scenario(
        "chats whose titles, names, topics, texts, links and file names are adversarial", _hostile
    ),
}


# Media scenarios live in a module of their own, built with this module's builder.
from .media_scenarios import MEDIA_SCENARIOS  # noqa: E402

SCENARIOS.update(MEDIA_SCENARIOS)

# So do the service actions (every kind Telegram Desktop's export writes).
from .actions import ACTION_SCENARIOS  # noqa: E402

SCENARIOS.update(ACTION_SCENARIOS)

# And a channel with its discussion group (comments under posts).
from .discussion import DISCUSSION_SCENARIOS  # noqa: E402

SCENARIOS.update(DISCUSSION_SCENARIOS)

# And a very large group to search by sender (messages.search).
from .search_scenarios import SEARCH_SCENARIOS  # noqa: E402

SCENARIOS.update(SEARCH_SCENARIOS)


def build_scenario(name: str, seed: int = 1) -> World:
    scenario = SCENARIOS.get(name)
    if scenario is None:
        raise UnknownScenario(f"unknown scenario {name!r}; valid: {', '.join(SCENARIOS)}")
    return scenario.build(seed)
