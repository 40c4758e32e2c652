"""Adversarial content for the "hostile" scenario: what members of a chat can put into it.

Telegram stores titles, names, texts, link targets and file names as the
sending client wrote them, so an exporter must treat each as data: markup,
scripts, path traversal, direction overrides and invisible characters must
come out inert. Every string stays within Telegram's limits (below), so the
world is one a real account could meet.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from telethon.tl import types as T

from .content import Composed, h64, u16len
from .model import Chat, World

# help.getConfig's Config.message_length_max (core.telegram.org/constructor/config): 4096 characters,
# what the sandbox's help.getConfig answers too.
MESSAGE_MAX = 4096
# Config.caption_length_max: 1024 characters for a media caption (Premium accounts get more).
CAPTION_MAX = 1024
# core.telegram.org/method/channels.createForumTopic: a topic title is at most 128 UTF-8 bytes.
TOPIC_TITLE_MAX_BYTES = 128
# core.telegram.org/bots/api#sendpoll: a question holds 1-300 characters, an option 1-100.
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
# guess: chat titles are capped at 128 characters, as Telegram Desktop's title field is.
CHAT_TITLE_MAX = 128
# guess: first and last names are capped at 64 characters, as Telegram Desktop's name fields are.
NAME_MAX = 64

CHAT_TITLES = (
    '<script>alert("chat")</script>',
    '"><img src=x onerror=alert(1)> Group',
    "../../etc/passwd",
    "\u202egnp.exe\u202c Channel",  # a right-to-left override makes "exe.png" read backwards
    "# Forum *bold* _it_ [x](javascript:alert(1)) `tick` | pipe |",
)
USER_NAMES = (
    ("<b>Admin</b>", "<i>Official</i>"),
    ("[Support](javascript:alert(1))", None),
    ("\u202eevil\u202c", "Zero\u200bWidth\u200d"),
    ("Robert'); DROP TABLE users;--", None),
    ("@everyone", "*_~`|>#"),
    (
        "Z\u0335\u0321\u0322\u031bal\u0334go",
        "\U0001d54f\U0001d560\U0001d55d",
    ),  # combining marks, math letters
)
TOPIC_TITLES = (
    "<script>alert('topic')</script>",
    "../../../root/.ssh/authorized_keys",
    "CON",  # a reserved device name on Windows
    "..",
    "\u202etxt.exe",
    "[[wiki]] ![[embed]] %%hidden%%",
    'a/b\\c:d*e?f"g<h>i|j',
    "\u200b\u200c\u200d\u2060\ufeff",  # nothing but invisible characters
)
TEXTS = (
    "<script>alert(document.cookie)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '"><svg onload=alert(1)>',
    "[click me](javascript:alert(1)) and ![img](x onerror=alert(1))",
    "**bold** __under__ ~~strike~~ `code` ```pre``` \n> quote\n# heading\n- list\n| a | b |\n---\n1. one",
    "{{7*7}} ${7*7} <%= 7*7 %> {% raw %}",
    "\u202eRTL override\u202c and \u2066isolate\u2069 and \u200fRLM",
    "zero\u200bwidth\u200c\u200d\u2060\ufeff joiners",
    "<!-- comment --> <![CDATA[x]]> &amp; &lt;script&gt; &#x3C;script&#x3E;",
    "[[wikilink]] ![[embed]] %%comment%% ==highlight== $$x$$ [^1] ^block",
    "line\u2028separator\u2029paragraph",
    "see javascript:alert(1) now",
    ("<script>alert(1)</script>" * (MESSAGE_MAX // 25 + 1))[:MESSAGE_MAX],
)
LINKS = (
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    'https://example.org/"><script>alert(1)</script>',
    "file:///etc/passwd",
)
# guess: Telegram keeps a document's file name as the client sent it (clients strip folders on upload,
# a modified one need not), up to 255 bytes.
FILE_NAMES = (
    "../../etc/passwd",
    "..\\..\\Windows\\System32\\drivers\\etc\\hosts",
    "/etc/shadow",
    "<img src=x onerror=alert(1)>.pdf",
    "report\u202efdp.exe",
    "CON.txt",
    ".htaccess",
    "a" * 240 + ".txt",
    "zero\u200bwidth.zip",
    '"quoted" & <tagged>.docx',
    "C:\\boot.ini",
    "~/.ssh/id_rsa",
)
# guess: Telegram passes a code block's language through as sent.
PRE_LANGUAGE = '"><script>alert(1)</script>'


def _check_limits() -> None:
    """A string Telegram would refuse makes a world no real account meets: it would prove nothing."""
    too_long = [
        *(title for title in CHAT_TITLES if len(title) > CHAT_TITLE_MAX),
        *(name for pair in USER_NAMES for name in pair if name and len(name) > NAME_MAX),
        *(title for title in TOPIC_TITLES if len((title + " (draft)").encode()) > TOPIC_TITLE_MAX_BYTES),
        *(text for text in TEXTS if len(text) > MESSAGE_MAX),
    ]
    if too_long:
        raise ValueError(f"over Telegram's limits: {too_long[0][:40]!r}")


def make_hostile(world: World) -> World:
    """Give every person, topic and message of ``world`` adversarial content (chat titles come from the
    scenario's specs, so private chats are renamed along with their people)."""
    _check_limits()
    people = [user for user in world.users.values() if not user.is_self and not user.bot]
    for k, user in enumerate(people):
        user.first_name, user.last_name = USER_NAMES[k % len(USER_NAMES)]
    for chat in world.chats.values():
        if chat.kind == "private":
            peer = world.users[chat.bare_id]
            chat.title = " ".join(part for part in (peer.first_name, peer.last_name) if part)
        _retitle_topics(chat)
        chat.rewrite = _rewrite
    return world


def _retitle_topics(chat: Chat) -> None:
    for k, topic in enumerate(t for tid, t in sorted(chat.topics.items()) if tid != 1):
        renamed = topic.initial_title != topic.title
        topic.title = TOPIC_TITLES[k % len(TOPIC_TITLES)]
        # A topic renamed later keeps a different title in its creation message.
        topic.initial_title = topic.title + " (draft)" if renamed else topic.title


def _rewrite(c: Composed, h: int) -> None:
    """Replace a composed message's text, links and file name; service messages keep their action
    (their titles are already hostile)."""
    if c.service:
        return
    kw = c.kw
    forward = kw.get("fwd_from")
    if forward is not None and forward.from_name:
        forward = kw["fwd_from"] = copy.copy(forward)
        forward.from_name = USER_NAMES[h64(h, 15) % len(USER_NAMES)][0]
    media = kw.get("media")
    limit = MESSAGE_MAX
    if isinstance(media, T.MessageMediaPoll | T.MessageMediaContact):
        kw["media"] = _poll(media, h) if isinstance(media, T.MessageMediaPoll) else _contact(media, h)
        return  # polls and contacts carry no caption
    if media is not None:
        if not isinstance(media, T.MessageMediaDocument | T.MessageMediaPhoto):
            return  # places carry no caption
        limit = CAPTION_MAX
        kw["media"] = _renamed(media, h)
    text = TEXTS[h64(h, 11) % len(TEXTS)][:limit]
    kw["message"] = text
    entities = _entities(text, h)
    if entities:
        kw["entities"] = entities
    else:
        kw.pop("entities", None)


def _poll(media: T.MessageMediaPoll, h: int) -> T.MessageMediaPoll:
    """A copy asking a hostile question with hostile answers (the polls are shared: never changed)."""
    poll = copy.copy(media.poll)
    poll.question = T.TextWithEntities(TEXTS[h64(h, 16) % len(TEXTS)][:POLL_QUESTION_MAX], [])
    poll.answers = [
        T.PollAnswer(T.TextWithEntities(TEXTS[h64(h, 17 + k) % len(TEXTS)][:POLL_OPTION_MAX], []), a.option)
        for k, a in enumerate(media.poll.answers)
    ]
    renamed = copy.copy(media)
    renamed.poll = poll
    return renamed


def _contact(media: T.MessageMediaContact, h: int) -> T.MessageMediaContact:
    first, last = USER_NAMES[h64(h, 16) % len(USER_NAMES)]
    # A vCard line break inside a value would start a new property: the card tries exactly that.
    vcard = f"BEGIN:VCARD\nVERSION:3.0\nFN:{first}\nNOTE:</pre><script>alert(1)</script>\nEND:VCARD"
    return T.MessageMediaContact(media.phone_number, first, last or "", vcard, media.user_id)


def _entities(text: str, h: int) -> list:
    """A hostile link over the first word; a code block with a hostile language over the rest; the bare
    javascript: "URL" marked as a URL, as a client would auto-link it."""
    entities: list = []
    head = text.split(" ", 1)[0]
    if head:
        entities.append(T.MessageEntityTextUrl(0, u16len(head), LINKS[h64(h, 12) % len(LINKS)]))
    rest = text[len(head) + 1 :]
    if rest and h64(h, 13) % 3 == 0:
        entities.append(T.MessageEntityPre(u16len(head) + 1, u16len(rest), PRE_LANGUAGE))
    marker = text.find("javascript:alert(1)")
    if marker > len(head) and not any(isinstance(e, T.MessageEntityPre) for e in entities):
        entities.append(T.MessageEntityUrl(u16len(text[:marker]), u16len("javascript:alert(1)")))
    return entities


def _renamed(
    media: T.MessageMediaDocument | T.MessageMediaPhoto, h: int
) -> T.MessageMediaDocument | T.MessageMediaPhoto:
    """A copy with a hostile file name: shared media objects (pack stickers) must not change."""
    if not isinstance(media, T.MessageMediaDocument):
        return media
    name = FILE_NAMES[h64(h, 14) % len(FILE_NAMES)]
    document = copy.copy(media.document)
    document.attributes = list(_with_name(document.attributes, name))
    renamed = copy.copy(media)
    renamed.document = document
    return renamed


def _with_name(attributes: Iterable, name: str) -> Iterable:
    for attribute in attributes:
        yield (
            T.DocumentAttributeFilename(name)
            if isinstance(attribute, T.DocumentAttributeFilename)
            else attribute
        )
