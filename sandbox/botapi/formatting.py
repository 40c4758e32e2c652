"""Message text as Telegram sees it: ``parse_mode`` parsing, entity offsets, visible length.

A Bot API server hands ``text`` + ``parse_mode`` to TDLib (``parse_html``,
``parse_markdown_v2``, ``parse_markdown`` in ``td/telegram/MessageEntity.cpp``),
which strips the markup, returns entities with UTF-16 offsets, and rejects bad
markup with messages that name a *UTF-8 byte* offset.  The parsers here follow
that behaviour closely enough that a bot sees the same 400s and the same
visible length (the limits count Unicode code points of the text after parsing
and trimming, as TDLib's ``utf8_length`` does).

Guesses and simplifications (not checked against a live server):

* URL normalisation is simpler than TDLib's ``LinkManager::get_checked_link``:
  a scheme-less link gets ``http://`` (plus ``/`` when it has no path); links
  with a scheme outside http(s)/tg/ton/tonsite/ftp are dropped, like TDLib does
  with links it cannot check.
* ``tg-time`` / ``tg://time`` are accepted but produce no entity.
* Trimming uses Python's notion of whitespace; TDLib's set is close but not
  guaranteed identical for exotic Unicode spaces.
* Entities are not re-detected in bot messages (Telegram adds url/mention/…
  entities there); only user messages get ``bot_command`` entities.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import bad_request

Entity = dict[str, Any]
UserResolver = Callable[[int], dict[str, Any] | None]

MAX_RAW_TEXT_BYTES = 1 << 15  # Client::get_formatted_text refuses longer input before parsing
_TD_SPACE = " \t\r\n\v\0"  # td::is_space; "\0" matters because TDLib reads past the end as NUL
_ALLOWED_SCHEMES = {"http", "https", "tg", "ton", "tonsite", "ftp"}
_USER_LINK = re.compile(r"^tg:(?://)?user\?id=(\d+)$", re.IGNORECASE)
_EMOJI_LINK = re.compile(r"^tg://emoji\?(?:.*&)?id=([1-9]\d*)(?:&.*)?$", re.IGNORECASE)
_TIME_LINK = re.compile(r"^tg://time\?", re.IGNORECASE)
_BOT_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")


class ParseError(Exception):
    """Markup TDLib refuses; the server reports it as ``can't parse entities: <message>``."""


@dataclass
class FormattedText:
    text: str
    entities: list[Entity] = field(default_factory=list)

    @property
    def length(self) -> int:
        """What Telegram's 4096/1024 limits count: code points, not UTF-16 units or bytes."""
        return len(self.text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8", "surrogatepass"))


def _char_at(source: str, index: int) -> str:
    return source[index] if index < len(source) else "\0"


class _Output:
    """The visible text being built, with its length in UTF-16 units (entity offsets use them)."""

    def __init__(self) -> None:
        self._chunks: list[str] = []
        self.utf16 = 0
        self.length = 0

    def add(self, text: str) -> None:
        self._chunks.append(text)
        self.utf16 += utf16_len(text)
        self.length += len(text)

    def ends_with(self, suffix: str) -> bool:
        return self.text().endswith(suffix)

    def text(self) -> str:
        return "".join(self._chunks)


# TDLib's sort_entities orders entities over the same text by type priority.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}


def _sort(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))


def _link_entity(url: str, offset: int, length: int, resolve_user: UserResolver) -> Entity | None:
    url = url.strip()
    if match := _USER_LINK.match(url):
        user = resolve_user(int(match.group(1)))
        return (
            None
            if user is None
            else {"type": "text_mention", "offset": offset, "length": length, "user": user}
        )
    checked = _checked_link(url)
    return (
        None if checked is None else {"type": "text_link", "offset": offset, "length": length, "url": checked}
    )


def _checked_link(url: str) -> str | None:
    if not url or any(c.isspace() for c in url):
        return None
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*):", url)
    if scheme:
        return url if scheme.group(1).lower() in _ALLOWED_SCHEMES else None
    if "." not in url.split("/", 1)[0]:
        return None
    return f"http://{url}" if "/" in url else f"http://{url}/"


# --------------------------------------------------------------------------- HTML

_HTML_TAGS = frozenset(
    "a b strong i em s strike del u ins tg-spoiler tg-emoji tg-time span pre code blockquote".split()
)
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


@dataclass
class _HtmlTag:
    name: str
    argument: str
    utf16_start: int
    text_start: int


def _html_char_reference(source: str, start: int) -> tuple[int, int] | None:
    """Decode ``&...`` at ``start``: (code point, index after it), or None to keep it literally."""
    end = start + 1
    if _char_at(source, end) == "#":
        end += 1
        if _char_at(source, end) == "x":
            end += 1
            digits_start = end
            while _char_at(source, end) in "0123456789abcdefABCDEF":
                end += 1
            code = int(source[digits_start:end], 16) if end > digits_start else 0
        else:
            digits_start = end
            while _char_at(source, end).isascii() and _char_at(source, end).isdigit():
                end += 1
            code = int(source[digits_start:end]) if end > digits_start else 0
        # TDLib gives up on zero, on U+10FFFF and above, and on references of 10+ bytes.
        if code == 0 or code >= 0x10FFFF or end - start >= 10:
            return None
    else:
        while _char_at(source, end).isascii() and _char_at(source, end).isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(source[start + 1 : end])
        if named is None:
            return None
        code = ord(named)
    if _char_at(source, end) == ";":
        end += 1
    return code, end


def parse_html(source: str, resolve_user: UserResolver) -> FormattedText:
    out = _Output()
    entities: list[Entity] = []
    open_tags: list[_HtmlTag] = []
    saw_surrogate = False
    i = 0
    while i < len(source):
        char = source[i]
        if char == "&" and (reference := _html_char_reference(source, i)) is not None:
            code, i = reference
            saw_surrogate |= 0xD800 <= code <= 0xDFFF
            out.add(chr(code))
            continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        if _char_at(source, i + 1) == "/":
            i = _html_end_tag(source, i, open_tags, out, entities, resolve_user)
        else:
            tag, i = _html_start_tag(source, i, out)
            open_tags.append(tag)
    if open_tags:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # only a <pre> keeps the language of its <code>
    if saw_surrogate:
        raise ParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    return FormattedText(out.text(), _sort(entities))


def _html_start_tag(source: str, begin: int, out: _Output) -> tuple[_HtmlTag, int]:
    at = begin + 1
    while _char_at(source, at) not in _TD_SPACE and _char_at(source, at) != ">":
        at += 1
    offset = _byte_offset(source, begin)
    if at >= len(source):
        raise ParseError(f"Unclosed start tag at byte offset {offset}")
    name = source[begin + 1 : at].lower()
    if name not in _HTML_TAGS:
        raise ParseError(f'Unsupported start tag "{name}" at byte offset {offset}')

    argument = ""
    while _char_at(source, at) != ">":
        while at < len(source) and source[at] in _TD_SPACE:
            at += 1
        if _char_at(source, at) == ">":
            break
        name_start = at
        while _char_at(source, at) not in _TD_SPACE and _char_at(source, at) not in "=>/\"'":
            at += 1
        attribute = source[name_start:at]
        if not attribute:
            raise ParseError(f'Empty attribute name in the tag "{name}" at byte offset {offset}')
        while at < len(source) and source[at] in _TD_SPACE:
            at += 1
        if _char_at(source, at) != "=":
            if at >= len(source):
                raise ParseError(f'Unclosed start tag "{name}" at byte offset {offset}')
            if name == "blockquote" and attribute == "expandable":
                argument = "1"
            continue
        at += 1
        while at < len(source) and source[at] in _TD_SPACE:
            at += 1
        if at >= len(source):
            raise ParseError(f'Unclosed start tag "{name}" at byte offset {offset}')
        value, at = _html_attribute_value(source, at)
        if at >= len(source):
            raise ParseError(f"Unclosed start tag at byte offset {offset}")
        argument = _html_tag_argument(name, attribute, value, argument)

    if name == "span" and argument != "spoiler":
        raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    return _HtmlTag(name, argument, out.utf16, out.length), at + 1


def _html_attribute_value(source: str, at: int) -> tuple[str, int]:
    quote = source[at]
    if quote not in "'\"":
        # An unquoted "name token": letters, digits, periods and hyphens, case-insensitive.
        token_start = at
        while _char_at(source, at).isascii() and (_char_at(source, at).isalnum() or source[at] in ".-"):
            at += 1
        if _char_at(source, at) not in _TD_SPACE and _char_at(source, at) != ">":
            raise ParseError(
                f"Unexpected end of name token at byte offset {_byte_offset(source, token_start)}"
            )
        return source[token_start:at].lower(), at
    at += 1
    value: list[str] = []
    while at < len(source) and source[at] != quote:
        if source[at] == "&" and (reference := _html_char_reference(source, at)) is not None:
            code, at = reference
            value.append(chr(code))
            continue
        value.append(source[at])
        at += 1
    if _char_at(source, at) == quote:
        at += 1
    return "".join(value), at


def _html_tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag == "blockquote" and attribute == "expandable":
        return "1"
    return current


def _html_end_tag(
    source: str,
    begin: int,
    open_tags: list[_HtmlTag],
    out: _Output,
    entities: list[Entity],
    resolve_user: UserResolver,
) -> int:
    offset = _byte_offset(source, begin)
    if not open_tags:
        raise ParseError(f"Unexpected end tag at byte offset {offset}")
    at = begin + 2
    while _char_at(source, at) not in _TD_SPACE and _char_at(source, at) != ">":
        at += 1
    end_name = source[begin + 2 : at].lower()
    while at < len(source) and source[at] in _TD_SPACE:
        at += 1
    if _char_at(source, at) != ">":
        raise ParseError(f"Unclosed end tag at byte offset {offset}")
    tag = open_tags.pop()
    if end_name and end_name != tag.name:
        raise ParseError(
            f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", found "</{end_name}>"'
        )
    length = out.utf16 - tag.utf16_start
    if length > 0:
        entity = _html_entity_for(tag, length, out, entities, resolve_user)
        if entity is not None:
            entities.append(entity)
    return at + 1


def _html_entity_for(
    tag: _HtmlTag, length: int, out: _Output, entities: list[Entity], resolve_user: UserResolver
) -> Entity | None:
    start = tag.utf16_start
    if tag.name in _HTML_SIMPLE:
        return {"type": _HTML_SIMPLE[tag.name], "offset": start, "length": length}
    if tag.name == "tg-emoji":
        if not tag.argument.isdigit() or int(tag.argument) == 0:
            raise ParseError("Invalid custom emoji identifier specified")
        return {"type": "custom_emoji", "offset": start, "length": length, "custom_emoji_id": tag.argument}
    if tag.name == "a":
        url = tag.argument or out.text()[tag.text_start :]
        return _link_entity(url, start, length, resolve_user)
    if tag.name == "blockquote":
        kind = "expandable_blockquote" if tag.argument else "blockquote"
        return {"type": kind, "offset": start, "length": length}
    if tag.name in ("pre", "code"):
        return _html_code_entity(tag, length, entities)
    return None  # tg-time: accepted, not modelled


def _html_code_entity(tag: _HtmlTag, length: int, entities: list[Entity]) -> Entity | None:
    # <pre><code class="language-x"> over the same text is one "pre" entity with a language.
    last = entities[-1] if entities else None
    same_range = last is not None and last["offset"] == tag.utf16_start and last["length"] == length
    if tag.name == "pre":
        if same_range and last is not None and last["type"] == "code" and last.get("language"):
            entities[-1] = {
                "type": "pre",
                "offset": tag.utf16_start,
                "length": length,
                "language": last["language"],
            }
            return None
        return {"type": "pre", "offset": tag.utf16_start, "length": length}
    if same_range and last is not None and last["type"] == "pre" and tag.argument:
        last["language"] = tag.argument
        return None
    # A lone <code class="language-x"> keeps its language only until it meets a <pre>.
    entity: Entity = {"type": "code", "offset": tag.utf16_start, "length": length}
    if tag.argument:
        entity["language"] = tag.argument
    return entity


# --------------------------------------------------------------------------- MarkdownV2

_MD2_RESERVED = "_*[]()~`>#+-=|{}.!\n"
_MD2_CODE_KINDS = ("Code", "Pre", "PreCode")
_MD2_API_TYPES = {
    "Bold": "bold",
    "Italic": "italic",
    "Underline": "underline",
    "Strikethrough": "strikethrough",
    "Spoiler": "spoiler",
    "Code": "code",
    "Pre": "pre",
    "PreCode": "pre",
    "BlockQuote": "blockquote",
    "ExpandableBlockQuote": "expandable_blockquote",
}


@dataclass
class _MdOpen:
    kind: str  # TDLib's entity type name, which its error messages quote
    argument: str
    utf16_start: int
    marker: int  # index of the opening marker in the source
    text_start: int


def _pre_header(source: str, body: int) -> tuple[str, int]:
    """After an opening triple backtick: the block's language and where its content starts."""
    language_end = body
    while _char_at(source, language_end) not in _TD_SPACE and _char_at(source, language_end) != "`":
        language_end += 1
    language, at = "", body
    if language_end != body and language_end < len(source) and source[language_end] != "`":
        language, at = source[body:language_end], language_end
    # One line break right after the marker (and the language) is not part of the block.
    if _char_at(source, at) in "\r\n":
        following = _char_at(source, at + 1)
        at += 2 if following in "\r\n" and following != source[at] else 1
    return language, at


def _md_url(source: str, start: int) -> tuple[str, int]:
    """Read a ``(...)`` URL whose body starts at ``start``; returns it and the index of ``)``."""
    at = start
    url: list[str] = []
    while at < len(source) and source[at] != ")":
        if source[at] == "\\" and "\0" < _char_at(source, at + 1) <= "~":
            url.append(source[at + 1])
            at += 2
            continue
        url.append(source[at])
        at += 1
    if at >= len(source):
        raise ParseError(f"Can't find end of a URL at byte offset {_byte_offset(source, start)}")
    return "".join(url), at


class _MarkdownV2:
    """One pass over the source, in the order TDLib's ``parse_markdown_v2`` makes its decisions."""

    def __init__(self, source: str, resolve_user: UserResolver) -> None:
        self.source = source
        self.resolve_user = resolve_user
        self.out = _Output()
        self.entities: list[Entity] = []
        self.stack: list[_MdOpen] = []
        self.in_quote = False
        self.quote_may_start = True  # ">" opens a quote only at the start of a line

    def parse(self) -> FormattedText:
        source, i = self.source, 0
        while i < len(source):
            char, following = source[i], _char_at(source, i + 1)
            if char == "\\" and "\0" < following <= "~":
                self.out.add(following)
                if following != "\r":
                    self.quote_may_start = following == "\n"
                i += 2
                continue
            reserved = "`" if self.stack and self.stack[-1].kind in _MD2_CODE_KINDS else _MD2_RESERVED
            if char not in reserved:
                self.out.add(char)
                if char != "\r":
                    self.quote_may_start = False
                i += 1
            elif self.stack and self._closes(i):
                i = self._close(i) + 1
            else:
                i = self._open(i) + 1
        self._finish_quote()
        if self.stack:
            raise self._unclosed(self.stack[-1])
        return FormattedText(self.out.text(), _sort(self.entities))

    def _unclosed(self, entity: _MdOpen) -> ParseError:
        offset = _byte_offset(self.source, entity.marker)
        return ParseError(f"Can't find end of {entity.kind} entity at byte offset {offset}")

    def _closes(self, i: int) -> bool:
        source, char, following = self.source, self.source[i], _char_at(self.source, i + 1)
        if self.in_quote and char == "\n" and following != ">":
            return True
        return {
            "Bold": char == "*",
            "Italic": char == "_" and following != "_",
            "Code": char == "`",
            "Pre": source.startswith("```", i),
            "PreCode": source.startswith("```", i),
            "TextUrl": char == "]",
            "Underline": source.startswith("__", i),
            "Strikethrough": char == "~",
            "Spoiler": source.startswith("||", i),
            "CustomEmoji": char == "]",
        }.get(self.stack[-1].kind, False)

    def _open(self, i: int) -> int:
        """A reserved character that closes nothing: open an entity or fail; returns the last index used."""
        char, following = self.source[i], _char_at(self.source, i + 1)
        marker, argument = i, ""
        if char == "_":
            kind = "Underline" if following == "_" else "Italic"
            i += 1 if following == "_" else 0
        elif char == "*":
            kind = "Bold"
        elif char == "~":
            kind = "Strikethrough"
        elif char == "|" and following == "|":
            kind, i = "Spoiler", i + 1
        elif char == "[":
            kind = "TextUrl"
        elif char == "!" and following == "[":
            kind, i = "CustomEmoji", i + 1
        elif char == "`" and self.source.startswith("```", i):
            argument, content = _pre_header(self.source, i + 3)
            kind, i = ("PreCode" if argument else "Pre"), content - 1
        elif char == "`":
            kind = "Code"
        elif char == "\n":
            self.out.add("\n")
            self.quote_may_start = True
            return i
        elif char == ">" and self.quote_may_start:
            if self.in_quote:
                return i  # a continuation line of the open quote
            kind, self.in_quote = "BlockQuote", True
        else:
            raise ParseError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        self.stack.append(_MdOpen(kind, argument, self.out.utf16, marker, self.out.length))
        return i

    def _close(self, i: int) -> int:
        """Close the innermost entity at ``i``; returns the last index its closing marker uses."""
        source, char, following = self.source, self.source[i], _char_at(self.source, i + 1)
        top = self.stack.pop()
        kind = top.kind
        if char == "\n" and kind != "BlockQuote":
            # The only entity a line end may close is the "||" marking an expandable quote.
            just_opened = top.marker == i - 2 or (top.marker == i - 3 and self.out.ends_with("\r"))
            if kind != "Spoiler" or not just_opened:
                raise self._unclosed(top)
            top = self.stack.pop()
            if top.kind != "BlockQuote":
                raise self._unclosed(top)
            kind = "ExpandableBlockQuote"
        entity: Entity | None = {"type": _MD2_API_TYPES.get(kind, "")}
        empty = self.out.utf16 == top.utf16_start
        if kind in ("Underline", "Spoiler"):
            i += 1
        elif kind in ("Pre", "PreCode"):
            i += 2
            if kind == "PreCode":
                entity = {"type": "pre", "language": top.argument}
        elif kind == "TextUrl":
            url = self.out.text()[top.text_start :]
            if following == "(":
                url, i = _md_url(source, i + 2)
            entity = _link_entity(url, top.utf16_start, self.out.utf16 - top.utf16_start, self.resolve_user)
        elif kind == "CustomEmoji":
            if following != "(":
                raise ParseError("The entity must contain a tg://emoji or tg://time URL")
            url, i = _md_url(source, i + 2)
            if match := _EMOJI_LINK.match(url):
                entity = {"type": "custom_emoji", "custom_emoji_id": match.group(1)}
            elif _TIME_LINK.match(url):
                entity = None  # tg://time: accepted, not modelled
            else:
                raise ParseError("Invalid tg://emoji or tg://time URL specified")
        elif kind in ("BlockQuote", "ExpandableBlockQuote"):
            self.in_quote = False
            self.out.add(char)  # the line break ending a quote belongs to it
            self.quote_may_start = True
            empty = False
        if entity is not None and not empty:
            entity.update(offset=top.utf16_start, length=self.out.utf16 - top.utf16_start)
            self.entities.append(entity)
        return i

    def _finish_quote(self) -> None:
        if not self.in_quote:
            return
        kind = "BlockQuote"
        if self.stack[-1].kind == "Spoiler" and self.stack[-1].marker == len(self.source) - 2:
            self.stack.pop()
            kind = "ExpandableBlockQuote"
        if self.stack[-1].kind == "BlockQuote":
            top = self.stack.pop()
            self.in_quote = False
            if self.out.utf16 > top.utf16_start:
                length = self.out.utf16 - top.utf16_start
                self.entities.append(
                    {"type": _MD2_API_TYPES[kind], "offset": top.utf16_start, "length": length}
                )


def parse_markdown_v2(source: str, resolve_user: UserResolver) -> FormattedText:
    return _MarkdownV2(source, resolve_user).parse()


# --------------------------------------------------------------------------- legacy Markdown


def parse_markdown(source: str, resolve_user: UserResolver) -> FormattedText:
    out = _Output()
    entities: list[Entity] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "\\" and _char_at(source, i + 1) in "_*`[":
            out.add(source[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            out.add(char)
            i += 1
            continue
        begin, closing = i, ("]" if char == "[" else char)
        i += 1
        pre = char == "`" and source.startswith("``", i)
        language = ""
        if pre:
            language, i = _pre_header(source, i + 2)
        start, text_start = out.utf16, out.length
        while i < len(source) and (source[i] != closing or (pre and not source.startswith("``", i + 1))):
            out.add(source[i])
            i += 1
        if i >= len(source):
            raise ParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(source, begin)}"
            )
        length = out.utf16 - start
        entity: Entity | None = None
        if length and char == "[":
            url = out.text()[text_start:]
            if _char_at(source, i + 1) == "(":
                close = source.find(")", i + 2)
                close = len(source) if close < 0 else close
                url, i = source[i + 2 : close], close
            entity = _link_entity(url, start, length, resolve_user)
        elif length:
            kind = {"_": "italic", "*": "bold"}.get(char, "pre" if pre else "code")
            entity = {"type": kind, "offset": start, "length": length}
            if language:
                entity["language"] = language
        if entity is not None:
            entities.append(entity)
        i += 3 if pre else 1
    return FormattedText(out.text(), _sort(entities))


# --------------------------------------------------------------------------- the public entry points

_PARSERS: dict[str, Callable[[str, UserResolver], FormattedText]] = {
    "html": parse_html,
    "markdownv2": parse_markdown_v2,
    "markdown": parse_markdown,
}
_ENTITY_TYPES = frozenset(
    "mention hashtag cashtag bot_command url email phone_number bold italic underline strikethrough "
    "spoiler blockquote expandable_blockquote code pre text_link text_mention custom_emoji".split()
)


def prepare_text(
    raw: str,
    parse_mode: str,
    entities_json: str,
    resolve_user: UserResolver,
) -> FormattedText:
    """What ``Client::get_formatted_text`` + TDLib's ``fix_formatted_text`` make of a text or caption.

    Raises the 400s a bot gets for bad markup; the length limits are checked by the caller.
    """
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_RAW_TEXT_BYTES:
        raise bad_request("Text is too long")
    mode = parse_mode.lower()
    if raw and mode and mode != "none":
        parser = _PARSERS.get(mode)
        if parser is None:
            raise bad_request("Unsupported parse_mode")
        try:
            parsed = parser(raw, resolve_user)
        except ParseError as error:
            raise bad_request(f"Can't parse entities: {error}") from None
    else:
        parsed = FormattedText(raw, _explicit_entities(entities_json))
    return _trimmed(parsed)


def _explicit_entities(entities_json: str) -> list[Entity]:
    # Client::get_input_entities silently ignores JSON it cannot decode.
    try:
        decoded = json.loads(entities_json) if entities_json else []
    except ValueError:
        return []
    if not isinstance(decoded, list):
        return []
    entities = []
    for item in decoded:
        if not isinstance(item, dict):
            raise bad_request("Can't parse MessageEntity: expected an Object")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise bad_request('Can\'t parse MessageEntity: field "offset" and "length" must be Numbers')
        if item.get("type") in _ENTITY_TYPES:
            entities.append(item)
    return _sort(entities)


def _trimmed(formatted: FormattedText) -> FormattedText:
    """Drop leading/trailing whitespace and clip the entities to what is left, as TDLib does."""
    text = formatted.text.strip()
    if text == formatted.text:
        return formatted
    cut = utf16_len(formatted.text[: len(formatted.text) - len(formatted.text.lstrip())])
    end = utf16_len(text)
    entities = []
    for entity in formatted.entities:
        start = max(0, entity["offset"] - cut)
        stop = min(end, entity["offset"] + entity["length"] - cut)
        if stop > start:
            entities.append({**entity, "offset": start, "length": stop - start})
    return FormattedText(text, entities)


def bot_commands(text: str) -> list[Entity]:
    """The ``bot_command`` entities Telegram attaches to a user's message."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for m in _BOT_COMMAND.finditer(text)
    ]


def check_length(formatted: FormattedText, limit: int, what: str) -> None:
    if formatted.length > limit:
        raise bad_request(f"{what} is too long")
