"""A post's comments in the Markdown export: a folded callout under the post.

Obsidian folds a callout whose type is followed by ``-`` (``> [!note]-``), as the HTML's section is
closed until clicked; other readers show a quote.  Each comment: its sender, day and time, what it
answers (another comment, by its sender and first words), its text and the kind of file it holds.
"""

from __future__ import annotations

from typing import Any

from exporter.render.common import display_name, media_label, snippet
from exporter.render.markdown_text import escape_md, format_text

Record = dict[str, Any]


def comments_callout(thread: Record) -> str:
    comments: list[Record] = thread.get("messages") or []
    count = len(comments)
    if not count:
        return "*No comments*"
    lines = [f"> [!comments]- {count:,} comment{'' if count == 1 else 's'}"]
    by_id = {c["id"]: c for c in comments}
    for c in comments:
        date = c.get("date") or ""
        head = [f"**{escape_md(display_name(c.get('from')))}**", f"{date[:10]} {date[11:16]}"]
        answered = by_id.get(c.get("reply_to_message_id") or 0)
        if answered is not None:
            quoted = f"{display_name(answered.get('from'))}: {snippet(answered)}"
            head.append(f"↩ *{escape_md(quoted)}*")
        lines += [">", "> " + " · ".join(head)]
        kind = media_label(c)
        text = format_text(c["text"]).strip("\n") if c.get("text") else ""
        for part in ([f"*{escape_md(kind)}*"] if kind else []) + ([text] if text else []):
            lines += ["> " + line if line else ">" for line in part.split("\n")]
    return "\n".join(lines)
