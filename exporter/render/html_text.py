"""Message text as HTML: every character escaped, formatting as tags, links only to safe targets.

Formatting becomes ``strong``/``em``/``u``/``s``/``code``/``pre``/``blockquote`` and spoiler
spans; links are made only for http(s), mailto and tg targets (:func:`~.common.safe_href`).
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from exporter.render.common import safe_href
from exporter.render.html_media import Href, custom_emoji

_SIMPLE_TAGS = {
    "bold": ("<strong>", "</strong>"),
    "italic": ("<em>", "</em>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "code": ("<code>", "</code>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "hashtag": ('<span class="hashtag">', "</span>"),
    "cashtag": ('<span class="hashtag">', "</span>"),
    "bot_command": ('<span class="command">', "</span>"),
    "phone": ('<span class="phone">', "</span>"),
}


def format_text(text: str | list[Any], files: Href | None = None) -> str:
    """HTML of a record's ``text`` (a string, or strings and entity objects); ``files`` links the
    custom emoji the media stage saved (their ``document_id`` then holds the file's path)."""
    if isinstance(text, str):
        return escape(text)
    out: list[str] = []
    for part in text:
        if isinstance(part, str):
            out.append(escape(part))
            continue
        kind = part.get("type")
        body = escape(part.get("text", ""))
        tags = _SIMPLE_TAGS.get(kind)
        if tags is not None:
            out.append(tags[0] + body + tags[1])
        elif kind == "pre":
            language = part.get("language")
            attr = f' data-language="{escape(language)}"' if language else ""
            out.append(f"<pre{attr}>{body}</pre>")
        elif kind == "blockquote":
            css = ' class="collapsed"' if part.get("collapsed") else ""
            out.append(f"<blockquote{css}>{body}</blockquote>")
        elif kind in ("text_link", "link", "email", "mention", "mention_name"):
            out.append(_link(kind, part, body))
        elif kind == "custom_emoji":
            out.append(custom_emoji(part.get("document_id"), body, files))
        else:
            out.append(body)
    return "".join(out)


def _link(kind: str, part: dict[str, Any], body: str) -> str:
    raw = part.get("text", "")
    if kind == "text_link":
        href = safe_href(part.get("href"))
    elif kind == "link":
        href = safe_href(raw)
    elif kind == "email":
        href = "mailto:" + raw if "@" in raw and ":" not in raw else None
    elif kind == "mention":
        href = "tg://resolve?domain=" + quote(raw.lstrip("@"), safe="")
    else:
        href = f"tg://user?id={int(part.get('user_id', 0))}"
    if href is None:
        return f'<span class="link">{body}</span>'
    return f'<a href="{escape(href)}">{body}</a>'
