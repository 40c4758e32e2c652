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
* Layout: two spaces of indentation per level, every value on its own line,
  ``": "`` after keys, non-ASCII written as UTF-8, U+2028 and U+2029 escaped (as
  Desktop does, so the file is also valid JavaScript), no newline at the end: the
  file is byte for byte ``json.dumps(document, indent=2, ensure_ascii=False)``
  (floats aside, which Python and orjson spell differently; and a record orjson
  cannot encode, such as text with a lone surrogate, has its non-ASCII escaped).  Desktop indents by
  one space; JSON readers do not care, and re-indenting costs more than the rest
  of writing the file (see ``_indent``).
* Top-level keys are Desktop's: ``name`` (left out for saved messages, as Desktop
  does), ``type``, ``id`` (the bare id: no ``-100`` prefix), then ``messages``.
* Forums get one extra top-level key, ``topics`` (before ``messages``, so a
  streaming reader has them first): ``id``, ``title``, ``closed``, ``hidden``,
  ``icon_color``, ``message_count`` per topic; and every message keeps the
  ``topic_id`` its record carries.  Desktop tools ignore both.
* A channel exported with its comments: each post with a comment section carries ``comments``
  (:mod:`exporter.render.comments`: the group's ``chat_id``, ``count``, ``max_id`` and the comments
  as ``messages``), which Desktop tools ignore too.

``json.load`` of the file gives back exactly the records passed in, less the one
key that is not Desktop's JSON (:data:`exporter.records.FORWARDED_DATE`, which the
HTML and Markdown show), left out of the records that have it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from exporter.records import FORWARDED_DATE
from exporter.render.model import ChatInfo, TopicInfo, bare_id, write_records

RESULT_FILE = "result.json"

_NO_NAME_TYPES = frozenset({"saved_messages", "replies", "verification_codes"})

# Records encoded per orjson call: enough that the per-call costs vanish, few enough to stay small.
_BATCH = 256


def render_json(
    out_dir: Path,
    chat: ChatInfo,
    topics: Sequence[TopicInfo] | None,
    records: Iterable[dict[str, Any]],
) -> list[Path]:
    return write_records([JsonWriter(out_dir, chat, topics)], records)


class JsonWriter:
    """``result.json`` written as records are added (see the module's contract)."""

    def __init__(self, out_dir: Path, chat: ChatInfo, topics: Sequence[TopicInfo] | None) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / RESULT_FILE
        self._batch: list[dict[str, Any]] = []
        self._separator = b""
        head: dict[str, Any] = {}
        if chat.type not in _NO_NAME_TYPES:
            head["name"] = chat.name
        head["type"] = chat.type
        head["id"] = bare_id(chat.id)
        if topics is not None:
            head["topics"] = [_topic(t) for t in topics]
        # The head as a document of its own, its closing brace replaced by the messages' opening.
        self._out: IO[bytes] | None = self.path.open("wb")
        self._out.write(_js_safe(_encode(head)[:-2] + b',\n  "messages": ['))

    def add(self, record: dict[str, Any]) -> None:
        if FORWARDED_DATE in record:
            # A copy: the other formats read the same record after this one.
            record = {key: value for key, value in record.items() if key != FORWARDED_DATE}
        batch = self._batch
        batch.append(record)
        if len(batch) == _BATCH:
            self._flush()

    def finish(self) -> list[Path]:
        self._flush()
        assert self._out is not None
        self._out.write(b"\n  ]\n}" if self._separator else b"]\n}")
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
        # The batch as a list without its brackets, one level deeper: it goes inside "messages".
        try:
            items = orjson.dumps(self._batch, option=orjson.OPT_INDENT_2)[1:-2]
        except orjson.JSONEncodeError:
            items = b",".join(b"\n" + _encode(record) for record in self._batch)
        self._out.write(self._separator + _js_safe(_indent(items)))
        self._separator = b","
        self._batch = []


def _encode(value: dict[str, Any]) -> bytes:
    """Indented JSON; what orjson refuses (a lone surrogate, an int past 64 bits) goes through
    the json module, with non-ASCII escaped so that the result is still valid UTF-8."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        return json.dumps(value, indent=2, ensure_ascii=True).encode()


def _indent(data: bytes) -> bytes:
    """Two more spaces on every line: one pass in C, as JSON strings hold no raw newline."""
    return data.replace(b"\n", b"\n  ")


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
