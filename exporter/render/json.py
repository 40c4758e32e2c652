"""``result.json``: Telegram Desktop's single-chat machine-readable export, streamed.

Contract
--------
``render_json(out_dir, chat, topics, records)`` writes ``out_dir/result.json`` and
returns ``[that path]``.

* ``records`` must come in **ascending message id over the whole chat**, forums
  included (Desktop tools expect that order); this is not the topic-grouped
  order the HTML and Markdown renderers take, so the store provides both.
* Records are written one at a time as they arrive and nothing is kept, so a
  chat of any length renders in constant memory.
* Layout follows Desktop byte for byte where JSON allows: top-level ``name``
  (left out for saved messages, as Desktop does), ``type``, ``id`` (the bare
  id: no ``-100`` prefix), then ``messages``; one space of indentation per
  level, every value on its own line, ``": "`` after keys; non-ASCII written
  as UTF-8; U+2028 and U+2029 escaped; no newline at the end.  Control
  characters are escaped the JSON way (Desktop's ``\\xNN`` is not valid JSON),
  and empty arrays inside messages are written ``[]``.
* Forums get one extra top-level key, ``topics`` (before ``messages``, so a
  streaming reader has them first): ``id``, ``title``, ``closed``, ``hidden``,
  ``icon_color``, ``message_count`` per topic; and every message keeps the
  ``topic_id`` its record carries.  Desktop tools ignore both.

``json.load`` of the file gives back exactly the records passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from exporter.render.model import ChatInfo, TopicInfo, bare_id

RESULT_FILE = "result.json"

_NO_NAME_TYPES = frozenset({"saved_messages", "replies", "verification_codes"})


def render_json(
    out_dir: Path,
    chat: ChatInfo,
    topics: Sequence[TopicInfo] | None,
    records: Iterable[dict[str, Any]],
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / RESULT_FILE
    with path.open("w", encoding="utf-8", newline="") as out:
        head: list[str] = []
        if chat.type not in _NO_NAME_TYPES:
            head.append(f' "name": {_dump(chat.name, " ")}')
        head.append(f' "type": {encode_basestring(chat.type)}')
        head.append(f' "id": {bare_id(chat.id)}')
        if topics is not None:
            head.append(f' "topics": {_dump([_topic(t) for t in topics], " ")}')
        out.write(_js_safe("{\n" + ",\n".join(head) + ',\n "messages": ['))
        separator = "\n  "
        for record in records:
            out.write(separator + _js_safe(_dump(record, "  ")))
            separator = ",\n  "
        out.write("\n ]\n}")
    return [path]


def _topic(topic: TopicInfo) -> dict[str, Any]:
    return {
        "id": topic.id,
        "title": topic.title,
        "closed": topic.closed,
        "hidden": topic.hidden,
        "icon_color": topic.icon_color,
        "message_count": topic.message_count,
    }


def _js_safe(text: str) -> str:
    """Desktop escapes U+2028 and U+2029 so the file is also valid JavaScript."""
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


# Per indentation: key → '\n<indent>"key": ' and the same with a leading comma.
_KEY_PREFIXES: dict[str, dict[str, tuple[str, str]]] = {}
_int_repr = int.__repr__
_float_repr = float.__repr__


def _dump(value: Any, indent: str) -> str:
    """Pretty JSON in Desktop's layout; ``indent`` is the indentation of the line the value starts on.

    Raw U+2028/U+2029 are left for :func:`_js_safe` to escape once per chunk.
    """
    parts: list[str] = []
    _emit(value, indent, parts)
    return "".join(parts)


def _emit(value: Any, indent: str, parts: list[str]) -> None:
    """Append the pieces of ``value`` to ``parts``.

    Hand-written because ``json.dumps(indent=...)`` switches to the pure-Python
    encoder, several times slower, and every message goes through here.  Pieces
    are joined once at the end and key prefixes are cached, so a message costs
    about one allocation per value.
    """
    kind = type(value)
    if kind is str:
        parts.append(encode_basestring(value))
    elif kind is int:
        parts.append(_int_repr(value))
    elif kind is dict:
        if not value:
            parts.append("{}")
            return
        inner = indent + " "
        prefixes = _KEY_PREFIXES.get(inner)
        if prefixes is None:
            prefixes = _KEY_PREFIXES[inner] = {}
        parts.append("{")
        first = True
        for key, item in value.items():
            prefix = prefixes.get(key)
            if prefix is None:
                plain = f"\n{inner}{encode_basestring(key)}: "
                prefix = prefixes[key] = (plain, "," + plain)
            parts.append(prefix[0] if first else prefix[1])
            first = False
            # Scalars inline: most values are, and a call per value is the main cost.
            item_kind = type(item)
            if item_kind is str:
                parts.append(encode_basestring(item))
            elif item_kind is int:
                parts.append(_int_repr(item))
            else:
                _emit(item, inner, parts)
        parts.append("\n" + indent + "}")
    elif kind is list or kind is tuple:
        if not value:
            parts.append("[]")
            return
        inner = indent + " "
        opener = "[\n" + inner
        separator = ",\n" + inner
        for item in value:
            parts.append(opener)
            opener = separator
            _emit(item, inner, parts)
        parts.append("\n" + indent + "]")
    elif kind is bool:
        parts.append("true" if value else "false")
    elif value is None:
        parts.append("null")
    elif kind is float:
        parts.append(_float_repr(value))
    else:
        raise TypeError(f"not JSON-able: {value!r}")
