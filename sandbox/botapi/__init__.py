"""An offline Telegram Bot API for end-to-end tests of the real aiogram bot (see ``server``)."""

from .errors import BotApiError
from .limits import Fault, RateLimits, Window
from .server import CLOUD_UPLOAD_LIMIT, DEFAULT_TOKEN, LOCAL_UPLOAD_LIMIT, BotAPIServer, Call
from .state import (
    CallbackQuery,
    Chat,
    ChatKind,
    MemberStatus,
    Message,
    SentDocument,
    StoredFile,
    Topic,
    User,
    Version,
)

__all__ = [
    "CLOUD_UPLOAD_LIMIT",
    "DEFAULT_TOKEN",
    "LOCAL_UPLOAD_LIMIT",
    "BotAPIServer",
    "BotApiError",
    "Call",
    "CallbackQuery",
    "Chat",
    "ChatKind",
    "Fault",
    "MemberStatus",
    "Message",
    "RateLimits",
    "SentDocument",
    "StoredFile",
    "Topic",
    "User",
    "Version",
    "Window",
]
