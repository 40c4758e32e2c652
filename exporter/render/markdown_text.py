"""Text as Markdown that every reader takes literally: CommonMark's, Obsidian's, GitHub's.

Message text is escaped so nothing in it is read as Markdown, HTML or Obsidian syntax; an ``&`` is
escaped only where it would start a character reference, so "Tom & Jerry" stays as written.
Formatting entities become Markdown (``**bold**``, fences for code), links only to safe targets.
"""

from __future__ import annotations

import json
import re
from typing import Any

from exporter.render.common import safe_href

# Backslash-escaping any ASCII punctuation is allowed in CommonMark; these are
# the characters that start Markdown, HTML or Obsidian syntax (%% comments,
# == highlights, $ math, ^ block ids, # tags, [[ links).
_MD_ESCAPES = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<>#|~=$%^"})
# '&' starts markup only as a character reference (&amp; &#38; &#x26;): escaped only there.
_REFERENCE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# At a line start "- ", "+ " and "1. " open lists, and four columns of
# indentation open a code block; shorter indentation is harmless and kept.
_LINE_START = re.compile(r"^([ \t]*)(?:([-+])|(\d+)(?=[.)]))", re.MULTILINE)
_INDENT = re.compile(r"^(?: {4,}| *\t[ \t]*)", re.MULTILINE)
_LANGUAGE = re.compile(r"[^\w+#.-]")
_BACKTICKS = re.compile(r"`+")


def escape_md(text: str) -> str:
    """``text`` as literal Markdown: every special character escaped, line starts defused."""
    text = text.translate(_MD_ESCAPES)
    if "&" in text:
        text = _REFERENCE.sub(r"\\&", text)
    if "\n" in text or text[:1] in "-+ \t" or text[:1].isdigit():
        text = _LINE_START.sub(_defuse_line_start, text)
        text = _INDENT.sub(lambda m: "\u00a0" * len(m.group(0).expandtabs(4)), text)
    return text


def _defuse_line_start(match: re.Match[str]) -> str:
    indent, marker, digits = match.groups()
    if marker is not None:
        return f"{indent}\\{marker}"
    return f"{indent}{digits}\\"


def _wrap(marker_open: str, marker_close: str, raw: str) -> str:
    """Emphasis markers hugging the text: CommonMark ignores ``** bold **``."""
    stripped = raw.strip()
    if not stripped:
        return escape_md(raw)
    lead = raw[: len(raw) - len(raw.lstrip())]
    trail = raw[len(raw.rstrip()) :]
    return f"{lead}{marker_open}{escape_md(stripped)}{marker_close}{trail}"


def _fence(raw: str, minimum: int) -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(raw)), default=0)
    return "`" * max(minimum, longest + 1)


def _url(href: str) -> str:
    # Inside <…> a destination may not hold '<', '>' or line breaks.
    return href.replace("<", "%3C").replace(">", "%3E").replace("\n", "").replace("\r", "")


_WRAPS = {
    "bold": ("**", "**"),
    "italic": ("*", "*"),
    "strikethrough": ("~~", "~~"),
    "underline": ("<u>", "</u>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
}


def format_text(text: str | list[Any]) -> str:
    """Markdown of a record's ``text`` (a string, or strings and entity objects)."""
    if isinstance(text, str):
        return escape_md(text)
    out: list[str] = []
    for part in text:
        if isinstance(part, str):
            out.append(escape_md(part))
            continue
        kind = part.get("type")
        raw = part.get("text", "")
        wrap = _WRAPS.get(kind)
        if wrap is not None:
            out.append(_wrap(wrap[0], wrap[1], raw))
        elif kind == "code":
            fence = _fence(raw, 1)
            pad = " " if raw.startswith("`") or raw.endswith("`") else ""
            out.append(f"{fence}{pad}{raw}{pad}{fence}")
        elif kind == "pre":
            fence = _fence(raw, 3)
            language = _LANGUAGE.sub("", part.get("language") or "")
            out.append(f"\n{fence}{language}\n{raw}\n{fence}\n")
        elif kind == "blockquote":
            quoted = "\n".join("> " + line for line in escape_md(raw).split("\n"))
            out.append(f"\n{quoted}\n")
        elif kind in ("text_link", "link", "email"):
            if kind == "text_link":
                href = safe_href(part.get("href"))
            elif kind == "link":
                href = safe_href(raw)
            else:
                href = "mailto:" + raw if "@" in raw and ":" not in raw else None
            label = escape_md(raw)
            out.append(f"[{label}](<{_url(href)}>)" if href and label else label)
        else:
            out.append(escape_md(raw))
    return "".join(out)


def link_label(text: str) -> str:
    """A link's label: one line, escaped."""
    return escape_md(" ".join(text.split()))


def anchor(msg_id: int) -> str:
    """What readers other than Obsidian jump to: an element whose id is the link's fragment."""
    return f'<a id="^msg-{msg_id}"></a>'


def yaml_scalar(value: str | int | None) -> str:
    # JSON scalars are valid YAML, and json quoting handles every odd character.
    return json.dumps(value, ensure_ascii=False)
