"""The Bot API methods the sandbox serves, checked in the order the real server checks them.

Each method validates its parameters the way ``Client::process_*_query`` and
TDLib do, so a bot meets the same 400s in the same order: markup and keyboard
JSON first, then the chat, topic and reply target, then the length limits,
then what Telegram's own servers decide (403 for a blocked user, 429 flood
control, ``BUTTON_DATA_INVALID``, "message is not modified").

Guesses, beyond those in the other modules:

* An unknown but well-formed file_id gets "wrong file identifier/HTTP URL
  specified"; a string that is no file_id at all gets "wrong remote file
  identifier specified: can't unserialize it"; URLs are never fetched (the
  sandbox is offline) and get the first answer.
* ``message_thread_id`` is accepted only for topics of forums (reply threads
  of ordinary supergroups are not modelled); 1 means General.
* Answering a callback query twice is refused like an unknown query; queries
  do not expire.
* ``editMessageCaption`` on a message without media answers "there is no
  caption in the message to edit".
* ``getChatMember`` for a user the server has never seen answers "user not
  found"; a known user outside the chat is "left".
* Administrators in ``getChatMember`` hold every right but promoting members;
  the answer includes ``can_send_welcome_messages``, which aiogram 3.31
  requires although the Bot API 10.0 server source does not send it.
* Photos must be PNG, GIF or JPEG ("IMAGE_PROCESS_FAILED" otherwise); the
  10 MB photo limit and aspect-ratio rules are not modelled.
* A user who blocked the bot makes every write into their chat fail with
  403: sends, edits and chat actions alike.
* Calls refused before Telegram's servers would act (bad parameters, 403,
  "message is not modified") do not count toward the flood-control windows.
* Not modelled: the 48-hour limit on deleting, replies into other chats
  (``reply_parameters.chat_id``) and quotes, inline messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import CONFLICT_WEBHOOK, NOT_MODIFIED, QUERY_TOO_OLD, bad_request, forbidden
from .formatting import FormattedText, check_length, prepare_text
from .limits import FloodControl
from .state import (
    GENERAL_TOPIC_ID,
    BotState,
    Chat,
    ChatKind,
    MemberStatus,
    Message,
    StoredFile,
    User,
    Version,
    image_size,
)
from .transport import Params, Upload
from .updates import DEFAULT_ALLOWED, MAX_POLL_TIMEOUT, UpdateQueue

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
MAX_PHOTO_SIDES = 10_000  # width + height
CHAT_ACTIONS = frozenset(
    """typing upload_photo record_video upload_video record_voice upload_voice upload_document
    choose_sticker find_location record_video_note upload_video_note""".split()
)
# What makes an inline button more than text (Client::get_inline_keyboard_button_type):
# a non-empty url or callback_data, or the mere presence of one of the other fields.
_BUTTON_VALUES = ("url", "callback_data")
_BUTTON_FIELDS = (
    "callback_game",
    "pay",
    "switch_inline_query",
    "switch_inline_query_chosen_chat",
    "switch_inline_query_current_chat",
    "login_url",
    "web_app",
    "copy_text",
)
_COMMAND = re.compile(r"^[a-z0-9_]+$")
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_change_info",
    "can_delete_messages",
    "can_invite_users",
    "can_restrict_members",
    "can_pin_messages",
    "can_manage_video_chats",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)

Handler = Callable[[Params], Awaitable[Any]]
_F = TypeVar("_F", bound=Callable[..., Awaitable[Any]])
_REGISTRY: dict[str, str] = {}  # lower-case API name -> Methods attribute


def api_method(name: str) -> Callable[[_F], _F]:
    def register(function: _F) -> _F:
        _REGISTRY[name.lower()] = function.__name__
        return function

    return register


@dataclass(frozen=True)
class Settings:
    local_mode: bool
    download_limit: int  # getFile refuses bigger files unless in local mode


class Methods:
    def __init__(
        self, state: BotState, updates: UpdateQueue, flood: FloodControl, settings: Settings
    ) -> None:
        self.state = state
        self.updates = updates
        self.flood = flood
        self.settings = settings

    def find(self, name: str) -> Handler | None:
        """The handler for a method name, matched case-insensitively as Telegram does."""
        attribute = _REGISTRY.get(name.lower())
        return None if attribute is None else getattr(self, attribute)

    # ----------------------------------------------------------------- bot and updates

    @api_method("getMe")
    async def get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.state.bot.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @api_method("getUpdates")
    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self.state.webhook_url:
            await self.updates.conflict(CONFLICT_WEBHOOK)
        self.updates.set_allowed(params.text("allowed_updates"))
        return await self.updates.get(
            offset=params.integer("offset"),
            limit=params.integer("limit", 100, low=1, high=100),
            wait=params.integer("timeout", 0, low=0, high=MAX_POLL_TIMEOUT),
        )

    @api_method("setWebhook")
    async def set_webhook(self, params: Params) -> bool:
        url = params.text("url")
        if url and not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        # The sandbox never calls a webhook; a set one only blocks getUpdates, as on Telegram.
        if url:
            self.updates.abort_poll("Conflict: terminated by setWebhook request")
        self.state.webhook_url = url
        self.updates.set_allowed(params.text("allowed_updates"))
        if params.flag("drop_pending_updates"):
            self.updates.clear()
        return True

    @api_method("deleteWebhook")
    async def delete_webhook(self, params: Params) -> bool:
        self.state.webhook_url = ""
        if params.flag("drop_pending_updates"):
            self.updates.clear()
        return True

    @api_method("getWebhookInfo")
    async def get_webhook_info(self, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.state.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates.pending),
        }
        if self.updates.allowed != DEFAULT_ALLOWED:
            info["allowed_updates"] = sorted(self.updates.allowed)
        return info

    # ----------------------------------------------------------------- sending

    @api_method("sendMessage")
    async def send_message(self, params: Params) -> dict[str, Any]:
        raw = params.text("text")
        if not raw:
            raise bad_request("Message text is empty")
        text = self._formatted(raw, params, "entities")
        markup = self._markup(params)
        chat, thread_id, reply_to = self._target(params)
        if not text.text:
            raise bad_request("Text must be non-empty")
        check_length(text, TEXT_LIMIT, "Message")
        self._may_post(chat, markup)
        content = _content("text", "entities", text)
        message = self.state.post(
            chat,
            self.state.bot,
            content,
            outgoing=True,
            thread_id=thread_id,
            reply_to=reply_to,
            reply_markup=markup,
        )
        return message.to_api()

    @api_method("sendDocument")
    async def send_document(self, params: Params) -> dict[str, Any]:
        return await self._send_file(params, "document")

    @api_method("sendPhoto")
    async def send_photo(self, params: Params) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    async def _send_file(self, params: Params, kind: str) -> dict[str, Any]:
        source = params.upload(kind)
        if source is None:
            raise bad_request(f"There is no {kind} in the request")
        caption = self._formatted(params.text("caption"), params, "caption_entities")
        markup = self._markup(params)
        chat, thread_id, reply_to = self._target(params)
        check_length(caption, CAPTION_LIMIT, "Message caption")
        stored = self._accepted_file(source, kind, lambda: self._may_post(chat, markup))
        message = self.state.post(
            chat,
            self.state.bot,
            _content("caption", "caption_entities", caption),
            outgoing=True,
            thread_id=thread_id,
            reply_to=reply_to,
            reply_markup=markup,
            file=stored,
        )
        return message.to_api()

    def _check_upload(self, upload: Upload, kind: str) -> tuple[int, int]:
        if upload.size == 0:
            raise bad_request("File must be non-empty")
        if kind != "photo":
            return 0, 0
        dimensions = image_size(upload.path)
        if dimensions is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        if sum(dimensions) > MAX_PHOTO_SIDES:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return dimensions

    def _accepted_file(self, source: Upload | str, kind: str, may_post: Callable[[], None]) -> StoredFile:
        """A known file id, or an upload within the limits; ``may_post`` (access, flood control,
        buttons) runs before an upload is kept, so a refused message keeps no file."""
        if isinstance(source, str):
            stored = self._known_file(source, kind)
            may_post()
            return stored
        dimensions = self._check_upload(source, kind)
        may_post()
        return self.state.files.add(
            kind,
            source.path,
            sha256=source.sha256,
            size=source.size,
            file_name=source.filename,
            dimensions=dimensions,
        )

    def _known_file(self, file_id: str, kind: str) -> StoredFile:
        stored = self.state.files.get(file_id.strip())
        if stored is None:
            if self.state.files.looks_like_file_id(file_id.strip()) or file_id.startswith(
                ("http://", "https://")
            ):
                raise bad_request("Wrong file identifier/HTTP URL specified")
            raise bad_request("Wrong remote file identifier specified: can't unserialize it")
        if stored.kind != kind:
            raise bad_request(f"Can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored

    @api_method("sendChatAction")
    async def send_chat_action(self, params: Params) -> bool:
        action = params.text("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("Wrong parameter action in request")
        chat = self._chat(params)
        thread_id = self._thread(chat, params)
        self._writable(chat)
        self.state.chat_actions.append((chat.id, action, thread_id))
        return True

    # ----------------------------------------------------------------- editing and deleting

    @api_method("editMessageText")
    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        raw = params.text("text")
        if not raw:
            raise bad_request("Message text is empty")
        text = self._formatted(raw, params, "entities")
        markup = self._markup(params)
        message = self._message_to_edit(params)
        if message.text is None:
            raise bad_request("There is no text in the message to edit")
        if not text.text:
            raise bad_request("Text must be non-empty")
        check_length(text, TEXT_LIMIT, "Message")
        return self._edit(message, _content("text", "entities", text), {"text", "entities"}, markup)

    @api_method("editMessageCaption")
    async def edit_message_caption(self, params: Params) -> dict[str, Any]:
        caption = self._formatted(params.text("caption"), params, "caption_entities")
        markup = self._markup(params)
        message = self._message_to_edit(params)
        if message.file is None:
            raise bad_request("There is no caption in the message to edit")
        check_length(caption, CAPTION_LIMIT, "Message caption")
        changes = _content("caption", "caption_entities", caption)
        return self._edit(message, changes, {"caption", "caption_entities"}, markup)

    @api_method("editMessageReplyMarkup")
    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        markup = self._markup(params)
        return self._edit(self._message_to_edit(params), {}, set(), markup)

    @api_method("editMessageMedia")
    async def edit_message_media(self, params: Params) -> dict[str, Any]:
        """Replace a message's photo or document (core.telegram.org/bots/api#editmessagemedia): the
        new file comes as ``attach://name`` or a file_id, with its own caption; a new file is an
        edit even when the caption stays the same."""
        media = params.json("media")
        if not isinstance(media, dict) or media.get("type") not in ("photo", "document"):
            raise bad_request("can't parse InputMedia: media type is not supported")  # guess: wording
        kind = media["type"]
        markup = self._markup(params)
        message = self._message_to_edit(params)
        if message.file is None:
            raise bad_request("there is no media in the message to edit")  # guess: wording
        reference = str(media.get("media", ""))
        source = (
            params.uploads.get(reference.removeprefix("attach://"))
            if reference.startswith("attach://")
            else reference or None
        )
        if source is None:
            raise bad_request("can't parse InputMedia: media is not specified")  # guess: wording
        caption = self._formatted(str(media.get("caption", "")), params, "caption_entities")
        check_length(caption, CAPTION_LIMIT, "Message caption")
        stored = self._accepted_file(source, kind, lambda: self._may_post(message.chat, markup))
        content = {**_content("caption", "caption_entities", caption), **stored.to_api()}
        message.versions.append(Version(content, markup, self.state.clock()))
        message.edit_date = self.state.unix_time()
        message.file = stored
        return message.to_api()

    def _message_to_edit(self, params: Params) -> Message:
        if params.text("inline_message_id") and not params.text("chat_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # inline messages are not modelled
        chat = self._chat(params)
        message = chat.messages.get(params.integer("message_id"))
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.outgoing:
            raise bad_request("Message can't be edited")
        return message

    def _edit(
        self, message: Message, changes: dict[str, Any], replaced: set[str], markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        """Apply an edit: ``changes`` take the place of the ``replaced`` fields (an empty caption
        removes the caption), and omitting reply_markup removes the keyboard, as on Telegram."""
        kept = {key: value for key, value in message.current.content.items() if key not in replaced}
        content = {**kept, **changes}
        self._writable(message.chat)
        if content == message.current.content and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self.flood.admit(str(message.chat.id), private=message.chat.is_private)
        _check_callback_data(markup)
        message.versions.append(Version(content, markup, self.state.clock()))
        message.edit_date = self.state.unix_time()
        return message.to_api()

    @api_method("deleteMessage")
    async def delete_message(self, params: Params) -> bool:
        chat = self._chat(params)
        message_id = params.integer("message_id")
        if message_id == 0:
            raise bad_request("Message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        # Bots delete their own messages anywhere, others' in private chats, and any as an admin.
        is_admin = chat.bot_status in (MemberStatus.ADMINISTRATOR, MemberStatus.CREATOR)
        if not (message.outgoing or chat.is_private or is_admin):
            raise bad_request("Message can't be deleted")
        message.deleted_at = self.state.clock()
        return True

    # ----------------------------------------------------------------- callbacks, commands, files, chats

    @api_method("answerCallbackQuery")
    async def answer_callback_query(self, params: Params) -> bool:
        query = self.state.callback_queries.get(params.text("callback_query_id"))
        if query is None or query.answer is not None:
            raise bad_request(QUERY_TOO_OLD)
        query.answer = dict(params.values)
        return True

    @api_method("setMyCommands")
    async def set_my_commands(self, params: Params) -> bool:
        commands = _bot_commands(params.text("commands"))
        key = self._commands_key(params)
        if commands:
            self.state.commands[key] = commands
        else:
            self.state.commands.pop(key, None)
        return True

    @api_method("getMyCommands")
    async def get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return self.state.commands.get(self._commands_key(params), [])

    @api_method("deleteMyCommands")
    async def delete_my_commands(self, params: Params) -> bool:
        self.state.commands.pop(self._commands_key(params), None)
        return True

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.json("scope") if params.text("scope") else {"type": "default"}
        if not isinstance(scope, dict):
            raise bad_request("Can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), params.text("language_code")

    @api_method("getFile")
    async def get_file(self, params: Params) -> dict[str, Any]:
        file_id = params.text("file_id")
        if not file_id:
            raise bad_request("file_id not specified")
        stored = self.state.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if not self.settings.local_mode and stored.size > self.settings.download_limit:
            raise bad_request("file is too big")
        # A local server names the file on its disk; the cloud a path under /file/bot<token>/.
        path = str(stored.path) if self.settings.local_mode else stored.api_path
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": path,
        }

    @api_method("getChat")
    async def get_chat(self, params: Params) -> dict[str, Any]:
        return self._chat(params).full_info()

    @api_method("getChatMember")
    async def get_chat_member(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        user = self.state.users.get(params.integer("user_id"))
        if user is None:
            raise bad_request("user not found")
        if user is self.state.bot:
            status = MemberStatus.MEMBER if chat.is_private else chat.bot_status
        elif chat.is_private:
            status = MemberStatus.MEMBER if user is chat.user else MemberStatus.LEFT
        else:
            status = chat.members.get(user.id, MemberStatus.LEFT)
        return _member(user, status, chat)

    # ----------------------------------------------------------------- shared checks

    def _chat(self, params: Params) -> Chat:
        raw = params.text("chat_id").strip()
        if not raw:
            raise bad_request("chat_id is empty")
        chat = self.state.find_chat(raw)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _thread(self, chat: Chat, params: Params) -> int | None:
        thread_id = params.integer("message_thread_id")
        if thread_id == 0 or (chat.is_forum and thread_id == GENERAL_TOPIC_ID):
            return None
        if chat.is_forum and thread_id in chat.topics:
            return thread_id
        raise bad_request("message thread not found")

    def _target(self, params: Params) -> tuple[Chat, int | None, Message | None]:
        """Where a new message goes: chat, topic and the message it replies to."""
        chat = self._chat(params)
        thread_id = self._thread(chat, params)
        reply_to = self._reply_target(chat, params)
        if thread_id is None and reply_to is not None:
            thread_id = reply_to.thread_id  # a reply lands in the topic of what it answers
        return chat, thread_id, reply_to

    @staticmethod
    def _reply_target(chat: Chat, params: Params) -> Message | None:
        if params.text("reply_parameters"):
            reply = params.json("reply_parameters")
            if not isinstance(reply, dict):
                raise bad_request("Can't parse reply parameters JSON object")
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.integer("reply_to_message_id")
            allow_missing = params.flag("allow_sending_without_reply")
        if not message_id:
            return None
        target = chat.messages.get(int(message_id))
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return target

    def _formatted(self, raw: str, params: Params, entities_field: str) -> FormattedText:
        return prepare_text(
            raw, params.text("parse_mode"), params.text(entities_field), self.state.resolve_user
        )

    @staticmethod
    def _markup(params: Params) -> dict[str, Any] | None:
        """The inline keyboard to echo in the Message (reply keyboards are accepted, not echoed)."""
        if not params.text("reply_markup"):
            return None
        markup = params.json("reply_markup")
        if markup is None:
            raise bad_request("Can't parse reply keyboard markup JSON object")
        if not isinstance(markup, dict):
            raise bad_request("Object expected as reply markup")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return None
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for button in (button for row in rows for button in row):
            if not isinstance(button, dict):
                raise bad_request(
                    "Can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            if not isinstance(button.get("text"), str):
                raise bad_request('Can\'t parse inline keyboard button: Field "text" must be of type String')
            if not any(button.get(key) for key in _BUTTON_VALUES) and not any(
                key in button for key in _BUTTON_FIELDS
            ):
                raise bad_request(
                    "Can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
        return {"inline_keyboard": rows} if any(rows) else None

    def _writable(self, chat: Chat) -> None:
        if chat.user is not None and chat.user.blocked_bot:
            raise forbidden("bot was blocked by the user")
        place = "group chat" if chat.kind is ChatKind.GROUP else "supergroup chat"
        if chat.bot_status is MemberStatus.KICKED:
            raise forbidden(f"bot was kicked from the {place}")
        if chat.bot_status is MemberStatus.LEFT:
            raise forbidden(f"bot is not a member of the {place}")

    def _may_post(self, chat: Chat, markup: dict[str, Any] | None) -> None:
        """What Telegram's servers check when a message is sent: access, flood control, buttons."""
        self._writable(chat)
        self.flood.admit(str(chat.id), private=chat.is_private)
        _check_callback_data(markup)


def _content(text_key: str, entities_key: str, text: FormattedText) -> dict[str, Any]:
    if not text.text:
        return {}
    content: dict[str, Any] = {text_key: text.text}
    if text.entities:
        content[entities_key] = text.entities
    return content


def _check_callback_data(markup: dict[str, Any] | None) -> None:
    # TDLib passes callback data through unchecked; Telegram's servers refuse more than 64 bytes.
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if len(str(button.get("callback_data", "")).encode()) > CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")


def _bot_commands(raw: str) -> list[dict[str, str]]:
    """setMyCommands' list, checked as the Bot API server, TDLib and Telegram check it."""
    if not raw:
        return []
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise bad_request("Can't parse commands JSON object") from None
    if not isinstance(decoded, list):
        raise bad_request("Expected an Array of BotCommand")
    commands = []
    for item in decoded:
        if not isinstance(item, dict):
            raise bad_request("Can't parse BotCommand: expected an Object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not isinstance(description, str):
            raise bad_request('Can\'t parse BotCommand: Field "command" must be of type String')
        command, description = command.strip().removeprefix("/"), description.strip()
        if not command:
            raise bad_request("Command must be non-empty")
        if len(command) > 32:
            raise bad_request("Command length must not exceed 32")
        if not description:
            raise bad_request("Command description must be non-empty")
        if len(description) > 256:
            raise bad_request("Command description length must not exceed 256")
        if not _COMMAND.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        commands.append({"command": command, "description": description})
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    return commands


def _member(user: User, status: MemberStatus, chat: Chat) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status.value, "user": user.to_api()}
    if status is MemberStatus.CREATOR:
        member["is_anonymous"] = False
    elif status is MemberStatus.ADMINISTRATOR:
        member.update(can_be_edited=False, is_anonymous=False, can_promote_members=False)
        member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
        if chat.kind is not ChatKind.GROUP:
            member["can_manage_topics"] = True
    elif status is MemberStatus.KICKED:
        member["until_date"] = 0
    return member
