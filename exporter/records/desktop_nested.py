"""Objects and arrays Telegram Desktop writes into ``result.json`` as *strings* of JSON text.

Desktop's writer (``export/output/export_output_json.cpp``, ``SerializeMessage``)
builds ``invoice_information`` with ``SerializeObject`` and ``requested_peer``'s
``peers`` with ``SerializeArray``, then hands the result to ``push``, which
wraps any byte string in ``SerializeString``.  So the file holds a string whose
text is the indented object or array; a reader gets it back with
``json.loads(record["invoice_information"])``.  The text here is the same,
indentation included: one space per nesting level of the writer's context,
which inside a message of a single-chat export is 3 (the chat object, the
``messages`` array, the message object); entries sit one level deeper.

One deliberate difference, as everywhere in our writer: a control character in
a string is escaped as valid JSON (``\\u0001``) where Desktop writes ``\\x01``.
"""

from __future__ import annotations

import json

# Writer nesting at a message's fields in a single-chat export (JsonWriter::writeDialogStart pushes
# the chat object and the messages array; SerializeMessage pushes the message object).
_LEVEL = 3
_CLOSE = "\n" + " " * _LEVEL
_ENTRY = "\n" + " " * (_LEVEL + 1)


def string_text(value: str) -> str:
    """Desktop's SerializeString: quotes, escapes, UTF-8 kept, U+2028/U+2029 escaped."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def object_text(fields: list[tuple[str, str]]) -> str:
    """SerializeObject of (key, already serialized value) pairs, at a message's nesting."""
    body = ",".join(f"{_ENTRY}{string_text(key)}: {value}" for key, value in fields)
    return "{" + body + _CLOSE + "}"


def array_text(values: list[str]) -> str:
    """SerializeArray of already serialized values, at a message's nesting ("[\\n   ]" when empty)."""
    return "[" + ",".join(_ENTRY + value for value in values) + _CLOSE + "]"
