"""An offline Telegram Bot API server that the real, unmodified aiogram 3 long-polls.

Point a bot at it with::

    async with BotAPIServer(tmp_path / "botapi") as api:
        bot = Bot(api.token, session=AiohttpSession(api=TelegramAPIServer.from_base(api.url)))

It listens on 127.0.0.1 only.  ``POST|GET /bot<token>/<method>`` answers
``{"ok": true, "result": ...}`` or Telegram's error shape; ``GET
/file/bot<token>/<file_path>`` serves what ``getFile`` names.  Methods it does
not emulate get the answer Telegram gives to unknown ones (404 "Not Found:
method not found"); the call log shows them.

The rest of this class is the test-facing side: build users, chats and forum
topics, make users write and press buttons, inject faults, and read back every
call, message (with its edit history) and file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from .errors import BotApiError, method_not_found, unauthorized
from .formatting import bot_commands
from .limits import Fault, FloodControl, FloodKey, RateLimits, flood_key, flood_keys
from .methods import Methods, Settings
from .state import (
    GENERAL_TOPIC_ID,
    BotState,
    CallbackQuery,
    Chat,
    ChatKind,
    FileStore,
    MemberStatus,
    Message,
    SentDocument,
    Topic,
    User,
)
from .transport import Params, Upload, discard, read_params
from .updates import UpdateQueue, update_kind

log = logging.getLogger("sandbox.botapi")

MiB = 1 << 20
# https://core.telegram.org/bots/api#sending-files: "up to 50 MB". guess: decimal megabytes, the
# stricter reading (users report 50 MiB files refused), counted over the whole request body as the
# web server in front of the Bot API counts it (its 413 "Request Entity Too Large").
CLOUD_UPLOAD_LIMIT = 50_000_000
LOCAL_UPLOAD_LIMIT = 2000 * MiB  # telegram-bot-api --local
DOWNLOAD_LIMIT = 20 * MiB  # Client::MAX_DOWNLOAD_FILE_SIZE = 20 << 20
DEFAULT_TOKEN = "5500000001:AAH-sandbox-bot-api-token-00000000000"
_SIMPLE_BODY_LIMIT = 16 * MiB  # urlencoded/JSON bodies; multipart is streamed and counted separately
_T = TypeVar("_T")


@dataclass(eq=False)
class Call:
    """One HTTP request to the Bot API, as the server saw and answered it."""

    method: str  # as written in the URL
    time: float  # event-loop time of arrival
    params: dict[str, str] = field(default_factory=dict)  # as on the wire: every value a string
    files: dict[str, Upload] = field(default_factory=dict)  # file parts (paths are temporary)
    status: int | None = None  # None until answered
    response: dict[str, Any] | None = None
    finished: float | None = None
    aborted: bool = False  # the client went away first (a cancelled long poll, a dropped connection)

    @property
    def ok(self) -> bool:
        return self.status == 200

    def named(self, method: str) -> bool:
        return self.method.lower() == method.lower()


class BotAPIServer:
    def __init__(
        self,
        files_dir: Path | str,
        *,
        token: str = DEFAULT_TOKEN,
        bot_name: str = "Sandbox Export Bot",
        bot_username: str = "sandbox_export_bot",
        port: int = 0,
        local_mode: bool = False,
        upload_limit: int | None = None,
        download_limit: int = DOWNLOAD_LIMIT,
        rate_limits: RateLimits | None = None,
        conflict_delay: float = 3.0,
    ) -> None:
        """``upload_limit`` defaults to 50 MiB, or 2000 MiB with ``local_mode`` (where getFile
        names absolute paths and downloads are unlimited, like ``telegram-bot-api --local``).
        ``rate_limits`` turns on automatic flood control; injected 429s work without it."""
        self.token = token
        self.host = "127.0.0.1"
        self.port = port
        self.local_mode = local_mode
        if upload_limit is None:
            upload_limit = LOCAL_UPLOAD_LIMIT if local_mode else CLOUD_UPLOAD_LIMIT
        self.upload_limit = upload_limit
        self.url = ""
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self._changed = asyncio.Event()
        self._wait_failure: BaseException | None = None
        self._runner: web.AppRunner | None = None

        bot = User(int(token.split(":", 1)[0]), bot_name, username=bot_username, is_bot=True)
        self.files = FileStore(Path(files_dir))
        self.state = BotState(bot, self.files, self._now)
        self.updates = UpdateQueue(on_change=self._notify, conflict_delay=conflict_delay)
        self.flood = FloodControl(self._now, rate_limits)
        self._methods = Methods(self.state, self.updates, self.flood, Settings(local_mode, download_limit))

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> str:
        """Listen on 127.0.0.1 (a free port unless one was given); returns the base URL."""
        self.files.prepare()
        app = web.Application(client_max_size=_SIMPLE_BODY_LIMIT)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a client that hangs up (aiogram stopping, drop_connections)
        # cancels its parked getUpdates here instead of leaving it to time out.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{self.port}"
        return self.url

    async def stop(self) -> None:
        """Stop at once: parked polls are answered (empty) first, so nothing waits for them."""
        self.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def bot(self) -> User:
        return self.state.bot

    # ----------------------------------------------------------------- building the world

    def add_user(
        self,
        first_name: str = "User",
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> User:
        """A user, with the private chat they have started with the bot (chat id = user id)."""
        if user_id is None:
            user_id = 1_000_000 + len(self.state.users)
        user = User(user_id, first_name, last_name, username, language_code)
        return self.state.add_user(user)

    def add_chat(
        self,
        kind: ChatKind | str,
        title: str = "Sandbox group",
        *,
        chat_id: int | None = None,
        owner: User | None = None,
        admins: Iterable[User] = (),
        members: Iterable[User] = (),
        bot_status: MemberStatus | str = MemberStatus.MEMBER,
    ) -> Chat:
        """A group, supergroup or forum (``kind`` "group", "supergroup" or "forum") the bot is in."""
        return self.state.add_chat(
            ChatKind(kind),
            title,
            chat_id=chat_id,
            owner=owner,
            admins=admins,
            members=members,
            bot_status=MemberStatus(bot_status),
        )

    def add_topic(self, chat: Chat | int, title: str, *, creator: User | None = None) -> Topic:
        """A forum topic; its id is the id of its creation service message, as on Telegram.

        No update is sent for the service message (the bot would receive one if
        it may read all group messages; tests get quieter logs this way)."""
        chat = self.chat(chat)
        return self.state.add_topic(chat, title, creator or self._owner_of(chat))

    def block_bot(self, user: User, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends to their private chat get 403."""
        user.blocked_bot = blocked

    def chat(self, chat: Chat | int) -> Chat:
        return chat if isinstance(chat, Chat) else self.state.chats[chat]

    # ----------------------------------------------------------------- users acting

    def send_text(
        self,
        user: User,
        chat: Chat | int,
        text: str,
        *,
        topic: Topic | int | None = None,
        reply_to: Message | None = None,
    ) -> Message:
        """``user`` writes ``text`` in ``chat`` (in ``topic`` of a forum); the bot gets the update.

        Bot commands get their ``bot_command`` entities, as Telegram adds them."""
        chat = self.chat(chat)
        if chat.is_private and chat.user is not user:
            raise ValueError(f"{user.first_name} cannot write in the private chat of {chat.id}")
        if not chat.is_private and user.id not in chat.members:
            chat.members[user.id] = MemberStatus.MEMBER
        thread_id = self._topic_id(chat, topic)
        content: dict[str, Any] = {"text": text}
        if entities := bot_commands(text):
            content["entities"] = entities
        message = self.state.post(chat, user, content, outgoing=False, thread_id=thread_id, reply_to=reply_to)
        self.push_update({"message": message.to_api()})
        return message

    def press_button(self, user: User, message: Message, data: str) -> CallbackQuery:
        """``user`` taps the inline button carrying ``data`` under the bot's ``message``."""
        if data not in message.button_data():
            raise ValueError(f"message {message.message_id} has no button with data {data!r}")
        query = self.state.new_callback_query(user, message, data)
        self.push_update(
            {
                "callback_query": {
                    "id": query.id,
                    "from": user.to_api(),
                    "message": message.to_api(),
                    # Opaque on Telegram; any value unique to (bot, chat) will do.
                    "chat_instance": str(message.chat.id ^ self.bot.id),
                    "data": data,
                }
            }
        )
        return query

    def push_update(self, update: dict[str, Any]) -> int | None:
        """Queue ``{"message": {...}}`` or any other single-object update.

        Returns its update_id, or None when the bot's ``allowed_updates`` drop it
        (as Telegram does when the update is created)."""
        update_kind(update)
        return self.updates.push(update)

    # ----------------------------------------------------------------- faults

    def inject(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        *,
        times: int | None = 1,
        match: Callable[[dict[str, str]], bool] | None = None,
    ) -> Fault:
        """Answer the next ``times`` calls of ``method`` ("*" for any; None: forever) that
        ``match`` their wire parameters with this error.  With ``retry_after``, calls made
        before it has passed are refused again, as Telegram's flood control does."""
        fault = Fault(method.lower(), status, description, retry_after, times, match)
        self.faults.append(fault)
        return fault

    def drop_connections(self) -> int:
        """Close every open client connection now (a network blip); returns how many."""
        server = self._runner.server if self._runner is not None else None
        connections = server.connections if server is not None else []
        for connection in connections:
            connection.force_close()
        return len(connections)

    # ----------------------------------------------------------------- reading back

    @property
    def poll_parked(self) -> bool:
        """Whether a getUpdates long poll is waiting here right now."""
        return self.updates.poll_parked

    @property
    def rejected(self) -> list[Call]:
        """Every answered call that did not succeed, in arrival order."""
        return [call for call in self.calls if call.status is not None and call.status != 200]

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.named(method)]

    def messages_in(self, chat: Chat | int, *, topic: Topic | int | None = None) -> list[Message]:
        """Every message in the chat, in order, deleted ones included (``deleted``, ``versions``).

        With ``topic``, only that forum topic's (1 for General)."""
        chat = self.chat(chat)
        messages = sorted(chat.messages.values(), key=lambda m: m.message_id)
        if topic is None:
            return messages
        thread_id = self._topic_id(chat, topic)
        return [m for m in messages if m.thread_id == thread_id]

    def documents_in(self, chat: Chat | int) -> list[SentDocument]:
        """The documents the bot sent to the chat, with their files on disk."""
        return [
            SentDocument(message, message.file)
            for message in self.messages_in(chat)
            if message.outgoing and message.file is not None and message.file.kind == "document"
        ]

    # ----------------------------------------------------------------- waiting

    # A deadline argument rather than asyncio.timeout(): on expiry the error lists the calls so far.
    async def wait_for(self, predicate: Callable[[], _T | None], timeout: float = 5.0) -> _T:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy (checked on every change) and return its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._wait_failure is not None:
                raise self._wait_failure
            if value := predicate():
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                log_lines = "\n".join(f"  {c.method} -> {c.status}" for c in self.calls)
                raise TimeoutError(f"condition not met within {timeout} s; calls so far:\n{log_lines}")
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def wait_for_call(
        self,
        method: str,
        *,
        count: int = 1,
        status: int | None = 200,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Call:
        """The ``count``-th answered call of ``method`` with ``status`` (None: any status)."""

        def found() -> Call | None:
            hits = [
                c
                for c in self.calls_to(method)
                if c.status is not None and (status is None or c.status == status)
            ]
            return hits[count - 1] if len(hits) >= count else None

        return await self.wait_for(found, timeout)

    def fail_waits(self, error: BaseException) -> None:
        """Make current and future waits raise ``error`` (a harness reports a crashed handler)."""
        self._wait_failure = error
        self._notify()

    # ----------------------------------------------------------------- HTTP

    async def _handle_method(self, request: web.Request) -> web.Response:
        call = Call(request.match_info["method"], self._now())
        self.calls.append(call)
        self._notify()
        uploads: dict[str, Upload] = {}
        try:
            if request.match_info["token"] != self.token:
                raise unauthorized()
            params = await read_params(request, self.files.incoming, self.upload_limit)
            uploads = params.uploads
            call.params, call.files = dict(params.values), dict(uploads)
            handler = self._methods.find(call.method)
            if handler is None:
                raise method_not_found()
            name, chat_id = call.method.lower(), self._chat_key(params)
            self._inject_fault(name, call.params, flood_key(name, chat_id))
            self.flood.check_penalty(flood_keys(name, chat_id))
            status, body = 200, {"ok": True, "result": await handler(params)}
        except BotApiError as error:
            status, body = error.status, error.body()
        except asyncio.CancelledError:
            call.aborted = True
            self._notify()
            raise
        finally:
            discard(uploads)
        call.status, call.response, call.finished = status, body, self._now()
        self._notify()
        headers = {"Retry-After": str(body["parameters"]["retry_after"])} if "parameters" in body else None
        return web.json_response(body, status=status, headers=headers)

    def _chat_key(self, params: Params) -> str:
        """The chat a call names, by numeric id when known: a penalty earned as "@name" must
        also hold for the same chat named by its id."""
        raw = params.text("chat_id").strip()
        chat = self.state.find_chat(raw)
        return str(chat.id) if chat is not None else raw

    def _inject_fault(self, method: str, params: dict[str, str], key: FloodKey) -> None:
        for fault in self.faults:
            if fault.takes(method, params):
                fault.fired += 1
                if fault.retry_after is not None:
                    self.flood.punish([key], fault.retry_after)
                raise BotApiError(fault.status, fault.description, retry_after=fault.retry_after)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            error = unauthorized()
            return web.json_response(error.body(), status=error.status)
        stored = self.files.by_api_path(request.match_info["path"])
        if stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.FileResponse(stored.path)

    # ----------------------------------------------------------------- helpers

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _topic_id(self, chat: Chat, topic: Topic | int | None) -> int | None:
        topic_id = topic.id if isinstance(topic, Topic) else topic
        if topic_id is None or topic_id == GENERAL_TOPIC_ID:
            return None
        if topic_id not in chat.topics:
            raise ValueError(f"chat {chat.id} has no topic {topic_id}")
        return topic_id

    def _owner_of(self, chat: Chat) -> User:
        owner_id = next((uid for uid, status in chat.members.items() if status is MemberStatus.CREATOR), None)
        return self.state.users[owner_id] if owner_id is not None else self.state.bot
