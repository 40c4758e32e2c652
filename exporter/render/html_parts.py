"""The parts of an HTML message besides its text and file: a poll, inline buttons, reactions."""

from __future__ import annotations

from html import escape
from typing import Any

from exporter.render.common import display_name, poll_lines, reaction_label, safe_href
from exporter.render.html_media import Href, custom_emoji
from exporter.render.html_page import count
from exporter.render.html_text import format_text


def poll_block(poll: dict[str, Any]) -> str:
    total = poll.get("total_voters") or 0
    state = "Closed poll" if poll.get("closed") else "Poll"
    out = [
        '<div class="media poll">',
        f'<div class="question">{format_text(poll.get("question", ""))}</div>',
        f'<div class="details">{state} · {count(total, "vote")}</div><ul>',
    ]
    for text, voters, chosen, percent in poll_lines(poll):
        css = ' class="chosen"' if chosen else ""
        out.append(f'<li{css}>{escape(text)} <span class="details">{voters:,} · {percent}%</span></li>')
    out.append("</ul></div>")
    return "".join(out)


def buttons_block(rows: list[list[dict[str, Any]]]) -> str:
    """Inline buttons; only URL and login buttons to a safe target are links (the rest did
    something in the chat that an archive cannot)."""
    out = ['<div class="buttons">']
    for row in rows:
        out.append('<div class="button_row">')
        for button in row:
            text = escape(button.get("text", ""))
            href = safe_href(button.get("data")) if button.get("type") in ("url", "auth") else None
            if href:
                out.append(f'<a class="button" href="{escape(href)}">{text}</a>')
            else:
                out.append(f'<span class="button">{text}</span>')
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def reactions_block(reactions: list[dict[str, Any]], files: Href) -> str:
    out = ['<div class="reactions">']
    for reaction in reactions:
        who = ", ".join(display_name(r.get("from")) for r in reaction.get("recent", ()))
        title = f' title="{escape(who)}"' if who else ""
        label = escape(reaction_label(reaction))
        if reaction.get("type") == "custom_emoji":
            # The emoji's own picture (or a link to its animation) instead of a stand-in mark.
            symbol, number = label.split(" ", 1)
            label = f"{custom_emoji(reaction.get('document_id'), symbol, files)} {number}"
        out.append(f'<span class="reaction"{title}>{label}</span>')
    out.append("</div>")
    return "".join(out)
