"""Telegram's error answers, worded as the real Bot API server words them.

The strings come from tdlib/telegram-bot-api (``Client.cpp``) and TDLib
(``MessagesManager.cpp``, ``MessageContent.cpp``, ``MessageEntity.cpp``).  The
server capitalises an error as ``"<Prefix>: <message>"`` and lower-cases the
message's first letter unless it is an UPPER_CASE Telegram code such as
``BUTTON_DATA_INVALID``; :func:`bad_request` and :func:`forbidden` do the same.
"""

from __future__ import annotations

from typing import Any

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"


class BotApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": status, "description": ..., "parameters": ...}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _sentence(message: str) -> str:
    # Client::fail_query_with_error keeps CODES_LIKE_THIS and lower-cases ordinary sentences.
    if len(message) >= 2 and (message[1] == "_" or message[1].isupper()):
        return message
    return message[:1].lower() + message[1:]


def bad_request(message: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {_sentence(message)}")


def forbidden(message: str) -> BotApiError:
    return BotApiError(403, f"Forbidden: {_sentence(message)}")


def too_many_requests(retry_after: int) -> BotApiError:
    return BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def unauthorized() -> BotApiError:
    return BotApiError(401, "Unauthorized")


def method_not_found() -> BotApiError:
    return BotApiError(404, "Not Found: method not found")


def entity_too_large() -> BotApiError:
    # api.telegram.org answers an oversized upload with this JSON body (the nginx in front
    # of it has also been seen answering with an HTML page; the sandbox sends JSON only).
    return BotApiError(413, "Request Entity Too Large")
