"""``result.json``: Telegram Desktop's single-chat machine-readable export, streamed.

Contract
--------
``render_json(out_dir, chat, topics, records)`` writes ``out_dir/result.json`` and
returns ``[that path]``.

* ``records`` must come in **ascending message id over the whole chat**, forums
  included (Desktop tools expect that order); this is not the topic-grouped
  order the HTML and Markdown renderers take, so the store provides both.
* Records are written as they arrive, a few hundred at a time, so a chat of
  any length renders in constant memory.
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

import re
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from exporter.render.model import ChatInfo, TopicInfo, bare_id

RESULT_FILE = "result.json"

_NO_NAME_TYPES = frozenset({"saved_messages", "replies", "verification_codes"})

# Records written per batch: enough that the per-batch calls vanish, few enough to stay small.
_BATCH = 256
_SHAPES_KEPT = 1_000
_ENTITIES = "text_entities"
# Keys whose values records.py always makes strings, numbers, booleans or null.
_SCALAR_KEYS = frozenset(
    {
        "id",
        "type",
        "date",
        "date_unixtime",
        "edited",
        "edited_unixtime",
        "from",
        "from_id",
        "author",
        "forwarded_from",
        "saved_from",
        "reply_to_message_id",
        "reply_to_peer_id",
        "via_bot",
        "topic_id",
        "actor",
        "actor_id",
        "action",
        "title",
        "message_id",
        "photo",
        "photo_file_size",
        "file",
        "file_name",
        "file_size",
        "thumbnail",
        "thumbnail_file_size",
        "media_type",
        "mime_type",
        "duration_seconds",
        "width",
        "height",
        "sticker_emoji",
        "performer",
        "media_spoiler",
        "self_destruct_period_seconds",
    }
)
# Values of the other keys that go through _dump: lists and objects for the layout, and
# floats because orjson spells some exponents differently from Python (1e-7, 1e-07).
_DUMPED = frozenset({list, dict, float})
_PLAIN_HEAD = b'[\n    {\n     "type": "plain",\n     "text": '
_PLAIN_TAIL = b"\n    }\n   ]"


def render_json(
    out_dir: Path,
    chat: ChatInfo,
    topics: Sequence[TopicInfo] | None,
    records: Iterable[dict[str, Any]],
) -> list[Path]:
    writer = JsonWriter(out_dir, chat, topics)
    try:
        for record in records:
            writer.add(record)
    except BaseException:
        writer.close()
        raise
    return writer.finish()


class _Shape(NamedTuple):
    """How to write the records with one key order."""

    template: bytes
    """The record with a ``%s`` for each value."""
    checked: tuple[int, ...]
    """Positions of values that may be lists, objects or floats."""
    text: int
    entities: int
    """Positions of ``text`` and ``text_entities``, -1 if absent."""


def _shape(keys: tuple[str, ...]) -> _Shape:
    lines = (f"\n   {encode_basestring(key).replace('%', '%%')}: %s" for key in keys)
    return _Shape(
        ("\n  {" + ",".join(lines) + "\n  }" if keys else "\n  {}").encode(),
        tuple(i for i, key in enumerate(keys) if key not in _SCALAR_KEYS and key != _ENTITIES),
        keys.index("text") if "text" in keys else -1,
        keys.index(_ENTITIES) if _ENTITIES in keys else -1,
    )


class JsonWriter:
    """``result.json`` written as records are added (see the module's contract)."""

    def __init__(self, out_dir: Path, chat: ChatInfo, topics: Sequence[TopicInfo] | None) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / RESULT_FILE
        self._batch: list[dict[str, Any]] = []
        self._separator = b""
        self._shapes: dict[tuple[str, ...], _Shape] = {}
        head: list[str] = []
        if chat.type not in _NO_NAME_TYPES:
            head.append(f' "name": {_dump(chat.name, " ")}')
        head.append(f' "type": {encode_basestring(chat.type)}')
        head.append(f' "id": {bare_id(chat.id)}')
        if topics is not None:
            head.append(f' "topics": {_dump([_topic(t) for t in topics], " ")}')
        self._out: IO[bytes] | None = self.path.open("wb")
        self._out.write(_js_safe(("{\n" + ",\n".join(head) + ',\n "messages": [').encode()))

    def add(self, record: dict[str, Any]) -> None:
        batch = self._batch
        batch.append(record)
        if len(batch) == _BATCH:
            self._flush()

    def finish(self) -> list[Path]:
        self._flush()
        assert self._out is not None
        self._out.write(b"\n ]\n}")
        self.close()
        return [self.path]

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def _flush(self) -> None:
        if not self._batch:
            return
        assert self._out is not None
        self._out.write(self._separator + _js_safe(self._render(self._batch)))
        self._separator = b","
        self._batch = []

    def _render(self, batch: list[dict[str, Any]]) -> bytes:
        """The batch as it goes between the brackets of ``messages``, each record led by "\\n  ".

        Scalars (most values) are encoded by one orjson call for the whole batch
        and put into a template per key order, which costs a fraction of walking
        each value in Python; text entities that are the text as one plain part
        (most messages) get a fixed frame around the text.  Other lists,
        objects and floats go through :func:`_dump`.
        """
        shapes = self._shapes
        templates: list[bytes] = []
        values: list[Any] = []
        plain: list[int] = []
        nested: list[tuple[int, Any]] = []
        for record in batch:
            keys = tuple(record)
            shape = shapes.get(keys)
            if shape is None:
                shape = _shape(keys)
                if len(shapes) < _SHAPES_KEPT:
                    shapes[keys] = shape
            templates.append(shape.template)
            base = len(values)
            fields = list(record.values())
            for at in shape.checked:
                value = fields[at]
                if type(value) in _DUMPED:
                    nested.append((base + at, value))
                    fields[at] = None
            at = shape.entities
            if at >= 0 and fields[at]:
                entities = fields[at]
                text = fields[shape.text] if shape.text >= 0 else None
                if type(text) is str and entities == [{"type": "plain", "text": text}]:
                    plain.append(base + at)
                    fields[at] = text
                else:
                    nested.append((base + at, entities))
                    fields[at] = None
            values += fields
        try:
            encoded = orjson.dumps(values, option=orjson.OPT_INDENT_2)
        except orjson.JSONEncodeError:
            encoded = b""
        # One line per value means every value was a scalar (JSON strings hold no raw newline);
        # anything else, or what orjson cannot encode, is left to _dump record by record.
        if encoded.count(b"\n") != len(values) + 1:
            return ",".join("\n  " + _dump(record, "  ") for record in batch).encode()
        parts = encoded[4:-2].split(b",\n  ")
        for at in plain:
            parts[at] = _PLAIN_HEAD + parts[at] + _PLAIN_TAIL
        for at, value in nested:
            parts[at] = _dump(value, "   ").encode()
        return b",".join(templates) % tuple(parts)


def _topic(topic: TopicInfo) -> dict[str, Any]:
    return {
        "id": topic.id,
        "title": topic.title,
        "closed": topic.closed,
        "hidden": topic.hidden,
        "icon_color": topic.icon_color,
        "message_count": topic.message_count,
    }


_SEPARATORS = re.compile(b"\xe2\x80[\xa8\xa9]")


def _js_safe(data: bytes) -> bytes:
    """Desktop escapes U+2028 and U+2029 (UTF-8 E2 80 A8/A9) so the file is also valid JavaScript."""
    if _SEPARATORS.search(data) is None:
        return data
    return data.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


# Per indentation: key → '\n<indent>"key": ' and the same with a leading comma.
_KEY_PREFIXES: dict[str, dict[str, tuple[str, str]]] = {}
_int_repr = int.__repr__
_float_repr = float.__repr__


def _dump(value: Any, indent: str) -> str:
    """Pretty JSON in Desktop's layout; ``indent`` is the indentation of the line the value starts on.

    Raw U+2028/U+2029 are left for :func:`_js_safe` to escape once per batch.
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
