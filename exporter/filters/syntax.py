"""The filter language: one line → a tree of terms (grammar in docs/filters.md).

A hand-written tokenizer and recursive-descent parser: space means AND, ``|`` or
``or`` means OR (weaker than AND), parentheses group, ``-``, ``~`` or ``not``
negates, double quotes make a phrase, a backslash takes the next character as
it is.  A mistake raises :class:`FilterSyntaxError` with the position (0-based,
in characters of the query) and what was expected there.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# The kinds of has:, in the order the words list them.
HAS_KINDS = tuple("photo video gif voice round audio file sticker link poll geo contact media".split())
FLAGS = ("pinned", "fwd", "edited")
_VALUE_KEYS = ("from", "has", "after", "before", "on", "last", "id", "topic", "mentions", "reaction", "ext")
_COMPARED = ("size", "views")
_OPS = (">=", "<=", ">", "<", "=")
_SIZE_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
_LAST_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}
_SPECIAL = ' \t()|"'
# Parentheses and negations inside one another, at most: each level is up to four frames of this
# parser (and one of the evaluator's), so 100 stays far below Python's 1000 while no hand-written
# filter comes near it; '(' * 5000 hit RecursionError.
MAX_DEPTH = 100


class FilterSyntaxError(ValueError):
    """A filter that does not parse: where, and what was expected there."""

    def __init__(self, query: str, position: int, expected: str) -> None:
        self.query = query
        self.position = position
        self.expected = expected
        super().__init__(f"expected {expected} at column {position + 1}")

    def caret(self) -> str:
        """The query and a caret under the position, on two lines."""
        return f"  {self.query}\n  {' ' * self.position}^"


# --- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    needle: str  # casefolded
    shown: str  # as typed
    phrase: bool


@dataclass(frozen=True)
class From:
    who: str  # "me", "@name" (lower case) or a decimal id (Bot API form: -100… channels, -… groups)


@dataclass(frozen=True)
class Has:
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class DateTerm:
    key: str  # after, before, on
    year: int
    month: int | None
    day: int | None


@dataclass(frozen=True)
class Last:
    seconds: int
    shown: str


@dataclass(frozen=True)
class Ids:
    low: int | None
    high: int | None


@dataclass(frozen=True)
class TopicTerm:
    id: int | None
    title: str | None


@dataclass(frozen=True)
class Flag:
    name: str  # pinned, fwd, edited, mentions


@dataclass(frozen=True)
class Reaction:
    emoji: str


@dataclass(frozen=True)
class Compare:
    field: str  # size, views
    op: str
    number: int
    shown: str


@dataclass(frozen=True)
class Ext:
    names: tuple[str, ...]  # lower case, without the dot


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


Term = Text | From | Has | DateTerm | Last | Ids | TopicTerm | Flag | Reaction | Compare | Ext
Node = Term | Not | And | Or


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # word, phrase, (, ), |, -, end
    text: str  # unescaped
    position: int
    # For words: where the first unescaped ':' or comparison sign is in ``text`` (None: nowhere),
    # and the value's text when it was quoted (topic:"Release notes").
    split: int | None = None
    quoted_value: bool = False
    # A word with a backslash in it is never a keyword (or, not) nor a flag (pinned): \or is a word.
    escaped: bool = False


def _tokens(query: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c in " \t":
            i += 1
            continue
        if c in "()|":
            token, i = _Token(c, c, i), i + 1
        elif c in "-~":
            token, i = _Token("-", c, i), i + 1
        elif c == '"':
            text, end = _quoted(query, i)
            token, i = _Token("phrase", text, i), end
        else:
            token, i = _word(query, i)
        out.append(token)
    out.append(_Token("end", "", n))
    return out


def _quoted(query: str, start: int) -> tuple[str, int]:
    """The text of a quoted string opening at ``start``, and the index after its closing quote."""
    chars: list[str] = []
    i = start + 1
    while i < len(query):
        c = query[i]
        if c == "\\":
            if i + 1 >= len(query):
                raise FilterSyntaxError(query, i + 1, "a character after the backslash")
            chars.append(query[i + 1])
            i += 2
        elif c == '"':
            return "".join(chars), i + 1
        else:
            chars.append(c)
            i += 1
    raise FilterSyntaxError(query, len(query), 'a closing quote (")')


def _word(query: str, start: int) -> tuple[_Token, int]:
    chars: list[str] = []
    split: int | None = None
    escaped = False
    i = start
    while i < len(query) and query[i] not in _SPECIAL:
        c = query[i]
        if c == "\\":
            if i + 1 >= len(query):
                raise FilterSyntaxError(query, i + 1, "a character after the backslash")
            chars.append(query[i + 1])
            escaped = True
            i += 2
            continue
        if split is None and c in ":<>=":
            split = len(chars)
            if c == ":" and i + 1 < len(query) and query[i + 1] == '"':
                # key:"quoted value"
                text, end = _quoted(query, i + 1)
                return _Token("word", "".join(chars) + ":" + text, start, split, True), end
        chars.append(c)
        i += 1
    return _Token("word", "".join(chars), start, split, escaped=escaped), i


# --- the parser -------------------------------------------------------------------------------


def parse(query: str) -> Node:
    """The tree of one filter; FilterSyntaxError on a mistake (an empty filter is one)."""
    parser = _Parser(query)
    node = parser.disjunction()
    token = parser.peek()
    if token.kind != "end":
        # Only an unmatched ")" stops a disjunction before the end.
        raise FilterSyntaxError(
            query, token.position, "something to search for, not a “)” that closes nothing"
        )
    return node


def _keyword(token: _Token, word: str) -> bool:
    return token.kind == "word" and token.text == word and not token.escaped


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokens(query)
        self.at = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def _deeper(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterSyntaxError(
                self.query,
                token.position,
                f"something to search for, not more than {MAX_DEPTH} nested parentheses or negations",
            )

    def _is_or(self, token: _Token) -> bool:
        return token.kind == "|" or _keyword(token, "or")

    def disjunction(self) -> Node:
        items = [self.conjunction()]
        while self._is_or(self.peek()):
            self.take()
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conjunction(self) -> Node:
        items = [self.unary()]
        while True:
            token = self.peek()
            if token.kind in ("end", ")") or self._is_or(token):
                break
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "-" or _keyword(token, "not"):
            self.take()
            following = self.peek()
            if following.kind in ("end", ")", "|"):
                raise FilterSyntaxError(
                    self.query, following.position, f"something to search for after “{token.text}”"
                )
            self._deeper(token)
            node = Not(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "(":
            if self.peek().kind == ")":
                raise FilterSyntaxError(
                    self.query, self.peek().position, "something to search for inside the parentheses"
                )
            self._deeper(token)
            node = self.disjunction()
            self.depth -= 1
            closing = self.take()
            if closing.kind != ")":
                raise FilterSyntaxError(self.query, closing.position, "“)”")
            return node
        if token.kind == "phrase":
            if not token.text.strip():
                raise FilterSyntaxError(self.query, token.position, "some text inside the quotes")
            return Text(token.text.casefold(), token.text, True)
        if token.kind == "word":
            return self.term(token)
        raise FilterSyntaxError(self.query, token.position, "something to search for")

    def term(self, token: _Token) -> Node:
        text, split = token.text, token.split
        if split is None:
            if text in FLAGS and not token.escaped:
                return Flag(text)
            return Text(text.casefold(), text, False)
        key = text[:split].casefold()
        sign = text[split]
        value_at = token.position + split + 1
        if key in _COMPARED and sign in "<>=":
            op = next(o for o in _OPS if text.startswith(o, split))
            return _compare(self.query, key, op, text[split + len(op) :], token.position + split + len(op))
        if sign == ":" and key in _VALUE_KEYS:
            value = text[split + 1 :]
            if not value:
                raise FilterSyntaxError(self.query, value_at, f"a value after “{key}:”")
            return _keyed(self.query, key, value, value_at, token.quoted_value)
        if sign == ":" and re.fullmatch(r"[a-z]+", key) and not text[split + 1 :].startswith("/"):
            known = ", ".join([f"{k}:" for k in _VALUE_KEYS] + [f"{k}>" for k in _COMPARED])
            raise FilterSyntaxError(
                self.query,
                token.position,
                f"a known key ({known}) or a word (write {key}\\: to search for it)",
            )
        return Text(text.casefold(), text, False)


def _keyed(query: str, key: str, value: str, at: int, quoted: bool) -> Term:
    if key == "from":
        if value.casefold() == "me":
            return From("me")
        if re.fullmatch(r"@[A-Za-z0-9_]{1,64}", value):
            return From(value.lower())
        if re.fullmatch(r"-?[0-9]{1,20}", value):
            return From(str(int(value)))
        raise FilterSyntaxError(query, at, "me, @username or a numeric id after “from:”")
    if key == "has":
        kinds = _list(query, value, at, HAS_KINDS, "a kind of content")
        return Has(kinds)
    if key == "ext":
        names = _list(query, value.lower(), at, None, "a file extension")
        return Ext(tuple(n.lstrip(".") for n in names))
    if key in ("after", "before", "on"):
        match = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", value)
        if not match:
            raise FilterSyntaxError(query, at, "a date YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(g) if g else None for g in match.groups())
        try:
            dt.date(year or 1, month or 1, day or 1)
        except ValueError:
            raise FilterSyntaxError(query, at, "a date that exists (YYYY-MM-DD)") from None
        assert year is not None
        return DateTerm(key, year, month, day)
    if key == "last":
        match = re.fullmatch(r"([0-9]{1,6})([hdw])", value)
        if not match or int(match[1]) == 0:
            raise FilterSyntaxError(query, at, "a period such as 12h, 7d or 2w after “last:”")
        return Last(int(match[1]) * _LAST_UNITS[match[2]], value)
    if key == "id":
        match = re.fullmatch(r"([0-9]{1,10})?(\.\.)?([0-9]{1,10})?", value)
        if not match or not (match[1] or match[3]) or (match[3] and not match[2]):
            raise FilterSyntaxError(query, at, "an id or a range such as 100..500")
        low = int(match[1]) if match[1] else None
        high = int(match[3]) if match[3] else (None if match[2] else low)
        if low is not None and high is not None and low > high:
            raise FilterSyntaxError(query, at, "a range whose first id is not above its last")
        return Ids(low, high)
    if key == "topic":
        if not quoted and re.fullmatch(r"[0-9]{1,10}", value):
            return TopicTerm(int(value), None)
        return TopicTerm(None, value)
    if key == "mentions":
        if value.casefold() != "me":
            raise FilterSyntaxError(query, at, "“me” after “mentions:”")
        return Flag("mentions")
    assert key == "reaction"
    return Reaction(value)


def _list(query: str, value: str, at: int, allowed: tuple[str, ...] | None, what: str) -> tuple[str, ...]:
    items: list[str] = []
    offset = at
    for item in value.split(","):
        name = item.strip().casefold()
        if not name or (allowed is not None and name not in allowed):
            choices = f" ({', '.join(allowed)})" if allowed else ""
            raise FilterSyntaxError(query, offset, f"{what}{choices}")
        if name not in items:
            items.append(name)
        offset += len(item) + 1
    return tuple(items)


def _compare(query: str, key: str, op: str, value: str, at: int) -> Compare:
    if key == "views":
        if not re.fullmatch(r"[0-9]{1,12}", value):
            raise FilterSyntaxError(query, at, f"a number after “views{op}”")
        return Compare(key, op, int(value), value)
    match = re.fullmatch(r"([0-9]{1,12}(?:\.[0-9]{1,3})?)\s*([KMG]?B)?", value, re.IGNORECASE)
    if not match:
        raise FilterSyntaxError(query, at, f"a size such as 50MB after “size{op}” (B, KB, MB, GB of 1024)")
    unit = (match[2] or "").upper()
    return Compare(key, op, int(float(match[1]) * _SIZE_UNITS[unit]), value)
