"""Message text with its formatting: Desktop's ``text`` (string or mixed list) and ``text_entities``."""

from __future__ import annotations

from typing import Any

from telethon.tl import types as tl

# Entity class → Desktop type string.  Classes missing here (newer layers) are
# left out of the entity list, so their text stays in the surrounding plain run.
_ENTITY_TYPE: dict[type, str] = {
    tl.MessageEntityUnknown: "unknown",
    tl.MessageEntityMention: "mention",
    tl.MessageEntityHashtag: "hashtag",
    tl.MessageEntityBotCommand: "bot_command",
    tl.MessageEntityUrl: "link",
    tl.MessageEntityEmail: "email",
    tl.MessageEntityBold: "bold",
    tl.MessageEntityItalic: "italic",
    tl.MessageEntityCode: "code",
    tl.MessageEntityPre: "pre",
    tl.MessageEntityTextUrl: "text_link",
    tl.MessageEntityMentionName: "mention_name",
    tl.InputMessageEntityMentionName: "mention_name",
    tl.MessageEntityPhone: "phone",
    tl.MessageEntityCashtag: "cashtag",
    tl.MessageEntityUnderline: "underline",
    tl.MessageEntityStrike: "strikethrough",
    tl.MessageEntityBlockquote: "blockquote",
    tl.MessageEntityBankCard: "bank_card",
    tl.MessageEntitySpoiler: "spoiler",
    tl.MessageEntityCustomEmoji: "custom_emoji",
}


def _entity_extra(entity: Any, kind: str, part: dict[str, Any]) -> None:
    if kind == "pre":
        part["language"] = entity.language or ""
    elif kind == "text_link":
        part["href"] = entity.url or ""
    elif kind == "mention_name":
        user = entity.user_id
        part["user_id"] = user if type(user) is int else getattr(user, "user_id", 0)
    elif kind == "custom_emoji":
        part["document_id"] = str(entity.document_id)
    elif kind == "blockquote":
        part["collapsed"] = bool(entity.collapsed)


_EXTRA_KINDS = frozenset({"pre", "text_link", "mention_name", "custom_emoji", "blockquote"})


def text_parts(text: str | None, entities: list[Any] | None) -> tuple[str | list[Any], list[dict[str, Any]]]:
    """(``text``, ``text_entities``) exactly as Desktop's ParseText + SerializeText build them.

    Offsets are UTF-16 code units.  Like Desktop, entities are taken in the order
    given and one that starts inside the previous one (nesting, overlap) is
    dropped, so parts never overlap.  Desktop bounds entities by the UTF-8 byte
    length of the text, which is why a non-ASCII text whose last entity reaches
    the end gets a trailing empty plain part; that is reproduced on purpose so
    records match real Desktop exports.
    """
    if not text:
        text = ""
    if not entities:
        if not text:
            return "", []
        return text, [{"type": "plain", "text": text}]

    if text.isascii():
        units = None
        limit = len(text)
    else:
        utf16 = text.encode("utf-16-le", "surrogatepass")
        size = len(utf16) // 2
        limit = len(text.encode("utf-8", "surrogatepass"))
        # Without astral characters, code points and UTF-16 units coincide.
        units = utf16 if size != len(text) else None

    def piece(start: int, end: int) -> str:
        if units is None:
            return text[start:end]
        return units[start * 2 : end * 2].decode("utf-16-le", "replace")

    mixed: list[Any] = []
    objects: list[dict[str, Any]] = []
    offset = 0
    for entity in entities:
        kind = _ENTITY_TYPE.get(type(entity))
        if kind is None:
            continue
        start = entity.offset
        length = entity.length
        if start < offset or length <= 0 or start + length > limit:
            continue
        if start > offset:
            plain = piece(offset, start)
            mixed.append(plain)
            objects.append({"type": "plain", "text": plain})
        part: dict[str, Any] = {"type": kind, "text": piece(start, start + length)}
        if kind in _EXTRA_KINDS:
            _entity_extra(entity, kind, part)
        mixed.append(part)
        objects.append(part)
        offset = start + length
    if limit > offset:
        plain = piece(offset, limit)
        mixed.append(plain)
        objects.append({"type": "plain", "text": plain})

    if len(objects) == 1 and objects[0]["type"] == "plain":
        return objects[0]["text"], objects
    return mixed, objects


def text_with_entities(value: Any) -> str | list[Any]:
    """SerializeText of a TextWithEntities (poll question/answers), or of a plain string."""
    if value is None:
        return ""
    if type(value) is str:
        return text_parts(value, None)[0]
    return text_parts(value.text, value.entities)[0]
