"""A post's comments in the HTML export: a collapsible section under the post.

Telegram Desktop shows a channel post's comments behind a "N comments" bar at the bottom of the
post (history_view_message.cpp, the replies button of a post with a linked group); here the bar is
a ``<details>`` summary, so the comments open and close without the script, and each comment is a
compact message: userpic, name, time, the comment it answers, text and the kind of file it holds
(comment files are not downloaded).  Comments answering other comments link to them; their
elements are ``id="comment<post>-<id>"`` (group ids could equal the channel's message ids).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from exporter.records import iso_date
from exporter.render.common import day_label, display_name, full_date, media_label, snippet
from exporter.render.html_search import searchable
from exporter.render.html_text import format_text

Record = dict[str, Any]
# (from_id, name) -> (name, escaped name, userpic, name colour class), the writer's cache.
Person = Callable[[Any, str | None], tuple[str, str, str, str]]
FileHref = Callable[[Any], str | None]
Found = Callable[[str, Any, str, str], None]

STYLE = """\
.comments { margin-top: 8px; border-top: 1px solid var(--line); padding-top: 4px; }
.comments > summary { cursor: pointer; color: var(--link); font-weight: 500; padding: 4px 0;
                      list-style: none; }
.comments > summary::-webkit-details-marker { display: none; }
.comments > summary::before { content: "💬 "; }
.comments[open] > summary { margin-bottom: 4px; }
.comment { display: grid; grid-template-columns: 28px minmax(0, 1fr); column-gap: 8px; margin: 6px 0 0;
           align-items: start; }
.comment .userpic { width: 28px; height: 28px; font-size: 11px; }
.comment > .body { background: var(--soft); border-radius: 10px; padding: 5px 10px; overflow-wrap: anywhere; }
.comment:target > .body { box-shadow: 0 0 0 2px var(--accent); }
"""


def comments_block(
    post_id: int, thread: Record, person: Person, file_href: FileHref, zone: str, found: Found
) -> str:
    """The section; ``found(element id, unix time, sender, text)`` puts each comment in the search."""
    comments: list[Record] = thread.get("messages") or []
    count = len(comments)
    title = "No comments" if count == 0 else f"{count:,} comment{'' if count == 1 else 's'}"
    if count == 0:
        return f'<div class="comments details">{title}</div>'
    texts = {c["id"]: c for c in comments}
    rows = [_comment(post_id, c, texts, person, file_href, zone) for c in comments]
    for c in comments:
        found(
            f"comment{post_id}-{c['id']}", c.get("date_unixtime"), display_name(c.get("from")), searchable(c)
        )
    return f'<details class="comments"><summary>{title}</summary>{"".join(rows)}</details>'


def _comment(
    post_id: int, rec: Record, others: dict[int, Record], person: Person, file_href: FileHref, zone: str
) -> str:
    _, name, picture, color = person(rec.get("from_id"), rec.get("from"))
    date = rec["date"]
    parts = [
        f'<div class="comment" id="comment{post_id}-{rec["id"]}">{picture}<div class="body">',
        # Comments run over days under one post: each says its day (the script keeps it, "full").
        f'<div class="date details"><time class="full" datetime="{iso_date(int(rec["date_unixtime"]))}Z" '
        f'title="{full_date(date, zone)}">{day_label(date)} {date[11:16]}</time></div>',
        f'<div class="from_name {color}" dir="auto">{name}</div>',
    ]
    answered = rec.get("reply_to_message_id")
    if answered is not None:
        target = others.get(answered)
        if target is None:
            parts.append('<div class="reply_to details">In reply to a comment not in this export</div>')
        else:
            href = f"#comment{post_id}-{answered}"
            label = f"<bdi>{escape(str(target.get('from') or ''))}</bdi>: {escape(snippet(target))}"
            parts.append(f'<div class="reply_to details">In reply to <a href="{href}">{label}</a></div>')
    kind = media_label(rec)
    if kind is not None:
        parts.append(f'<div class="media"><div class="media_title">{escape(kind)}</div></div>')
    text = rec.get("text")
    if text:
        body = escape(text) if isinstance(text, str) else format_text(text, file_href)
        parts.append(f'<div class="text">{body}</div>')
    parts.append("</div></div>")
    return "".join(parts)
