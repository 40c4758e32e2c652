"""Whether an export holds what Telegram said it would, said in one sentence when it does not.

Telegram's ``count`` for the chat and for each topic (``messages.getReplies``) is the
promise; the store's per-topic counts are what was written.  Any difference makes the
export incomplete, whatever the fetch said, so ``complete: true`` is never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .render.html_page import count
from .render.model import TopicInfo

# Options that narrow an export to part of the chat (see ExportOptions.bounded).
_RANGE_OPTIONS = ("since", "until", "min_id", "max_id", "last", "after")


def with_header_topics(topics: list[TopicInfo], topic_ids: Iterable[int | None]) -> list[TopicInfo]:
    """The topic list plus every topic known only from message headers, titled "Topic N".

    Telegram's topic list can miss a topic whose messages the history still holds; those
    messages must appear in every format and the manifest, not only in result.json."""
    listed = {t.id for t in topics}
    strays = sorted({i for i in topic_ids if i is not None and i not in listed})
    return topics + [TopicInfo(i, f"Topic {i}") for i in strays]


def _shortfall(expected: int, written: int, where: str) -> str:
    return f"Telegram counts {count(expected, 'message')} in {where} but the archive holds {written:,}"


def count_mismatch(manifest: dict[str, Any]) -> str | None:
    """Why the written counts disagree with Telegram's (chat, then topics), or None when they agree."""
    messages = manifest["messages"]
    found = []
    if messages["expected"] is not None and messages["expected"] != messages["written"]:
        found.append(_shortfall(messages["expected"], messages["written"], "the chat"))
    searched = manifest.get("filter") or {}
    if searched.get("telegram_count") is not None and searched["telegram_count"] != searched["read"]:
        found.append(
            f"Telegram's search counts {searched['telegram_count']:,} matches but "
            f"{searched['read']:,} were read"
        )
    for topic in manifest["topics"] or ():
        if topic["expected"] is not None and topic["expected"] != topic["written"]:
            where = f'topic "{topic["title"]}" ({topic["id"]})'
            found.append(_shortfall(topic["expected"], topic["written"], where))
    comments = manifest.get("comments")
    if comments is not None and comments["expected"] != comments["written"]:
        expected, written = comments["expected"], comments["written"]
        found.append(
            f"Telegram counts {count(expected, 'comment')} under the posts but the archive holds {written:,}"
        )
    if not found:
        return None
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return (
        f"{found[0]}{more}: export it again, and if the numbers still differ, Telegram did not send the rest."
    )


def empty_range_note(manifest: dict[str, Any]) -> str | None:
    """The sentence for a complete export of a range that holds no message, else None."""
    ranged = any(manifest["options"].get(key) for key in _RANGE_OPTIONS)
    if manifest["complete"] and ranged and manifest["messages"]["written"] == 0:
        return "No message of this chat lies in the chosen range (dates or ids), so the archive is empty."
    return None


def snapshot_note(manifest: dict[str, Any]) -> str | None:
    """The sentence for a forum that received messages while it was exported, else None.

    The count is what the plan saw; more may have arrived later, hence "at least"."""
    left_out = sum(topic.get("newer_messages_left_out") or 0 for topic in manifest.get("topics") or ())
    snapshot = manifest.get("snapshot") or {}
    if not left_out or not snapshot.get("max_id"):
        return None
    return (
        f"The chat is a snapshot up to message {snapshot['max_id']}: at least {left_out:,} newer "
        "messages arrived while it was exported and are left out; the next export picks them up."
    )


def comments_note(manifest: dict[str, Any]) -> str | None:
    """The sentence for a channel exported with its comments, else None."""
    comments = manifest.get("comments")
    if not comments:
        # Asked for, yet no section: the chat is no channel (comments.has_comments), which a person
        # who asked should hear rather than find out from the archive.
        if (manifest.get("options") or {}).get("comments"):
            return "Only a channel's posts have comments; this chat was exported without them."
        return None
    if not comments["posts"]:
        return "No post has a comment section (the channel has no discussion group, or had none then)."
    written, posts = comments["written"], comments["posts_with_comments"]
    return f"{count(written, 'comment')} under {count(posts, 'post')}, each kept under its post."
