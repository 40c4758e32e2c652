"""Lists that fit in one Telegram message, however long the titles in them are."""

from __future__ import annotations

from collections.abc import Sequence

# core.telegram.org/bots/api#sendmessage: a message text holds 1-4096 characters after entities parsing.
MESSAGE_MAX = 4096


def fit_lines(lines: Sequence[str], footer: str = "", limit: int = MESSAGE_MAX) -> str:
    """``lines`` joined by newlines, then ``footer``; the lines that would not fit are replaced by
    "…and N more." so the message is never refused as too long."""
    kept: list[str] = []
    # Room for the footer and the longest "…and N more." line, with their newlines.
    budget = limit - len(footer) - len(f"\n…and {len(lines)} more.\n")
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    if len(kept) < len(lines):
        kept.append(f"…and {len(lines) - len(kept)} more.")
    if footer:
        kept.append(footer)
    return "\n".join(kept)
