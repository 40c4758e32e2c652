"""Comments under channel posts, put into each post's record before any writer sees it.

A post with a comment section carries, under :data:`COMMENTS_KEY`, the discussion group's id
(``chat_id``), Telegram's count of its comments (``count``) and the newest comment covered
(``max_id``); rendering adds ``messages``, the comments oldest first, each a record as result.json
writes messages (ids and ``reply_to_message_id`` are the discussion group's; a comment on the post
itself has no ``reply_to_message_id``).  One post's comments are held at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from db.comments import CommentReader
from exporter.records import FORWARDED_DATE

from .local_time import LocalTime

COMMENTS_KEY = "comments"


def with_comments(
    records: Iterable[dict[str, Any]], reader: CommentReader, local: LocalTime
) -> Iterator[dict[str, Any]]:
    """The records, each post with a comment section holding its comments (localized)."""
    for record in records:
        thread = record.get(COMMENTS_KEY)
        if thread is not None:
            thread["messages"] = [local.localize(_desktop(c)) for c in reader.thread(record["id"])]
        yield record


def _desktop(comment: dict[str, Any]) -> dict[str, Any]:
    """A comment with only result.json's keys: the JSON writer strips the forwarded date from
    messages, not from what they nest, so a forwarded comment goes without it in every format."""
    comment.pop(FORWARDED_DATE, None)
    return comment
