"""Every service action comes out with the fields Telegram Desktop writes for it.

The sandbox's "service-actions" world (sandbox/world/actions.py) holds every action kind the converter
handles, some in several shapes; real Telethon exports each of its chats from the sandbox over TCP,
and every service record is checked against Desktop's field list for its action.

``DESKTOP`` transcribes the action branches of Desktop's JSON writer (tdesktop
Telegram/SourceFiles/export/output/export_output_json.cpp, SerializeMessage, at commit 929032d of
6 September 2025), with the values export_data_types.cpp's ParseServiceAction gives them: for each TL
action, the keys Desktop writes between the message's dates and its text, in order, each with the
value expected (a callable: a check of the value).  A kind the converter left to its fallback (a
snake_case action name and no fields) fails here, as does a field lost, added, renamed or moved.
The file is long because the table is: one entry per action kind.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from telethon import TelegramClient
from telethon.tl import types as tl

from sandbox.world import MIGRATED_ID_SHIFT, Chat, World, build_scenario, expected_sender
from tests.exporter.test_export_e2e import exported, run_export, target_of

FILE_NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
Fields = list[tuple[str, Any]]


@pytest.fixture
def world() -> World:
    return build_scenario("service-actions")


class Truth:
    """Names and Desktop ids as the world has them, for one message."""

    def __init__(self, world: World, chat: Chat, message: tl.MessageService, shift: int = 0) -> None:
        self.world, self.chat, self.message = world, chat, message
        # An upgraded group's ids in its supergroup's export, replies within it included, are shifted
        # (export_api_wrap.cpp AdjustMigrateMessageIds).
        self.shift = shift

    def name(self, peer: tl.TypePeer | int) -> str:
        if isinstance(peer, tl.PeerUser):
            peer = peer.user_id
        if isinstance(peer, int) and peer > 0:
            user = self.world.users[peer]
            return " ".join(part for part in (user.first_name, user.last_name) if part)
        chat_id = peer if isinstance(peer, int) else tl_peer_id(peer)
        return self.world.chats[chat_id].title

    def desktop_id(self, peer: tl.TypePeer | int) -> str:
        if isinstance(peer, int):
            peer = self.world.chats[peer].peer if peer < 0 else tl.PeerUser(peer)
        if isinstance(peer, tl.PeerUser):
            return f"user{peer.user_id}"
        if isinstance(peer, tl.PeerChat):
            return f"chat{peer.chat_id}"
        return f"channel{peer.channel_id}"

    def actor(self) -> Fields:
        """pushActor: the sender's name and id (a channel's posts are from the channel)."""
        sender = expected_sender(self.world, self.chat, self.message.id)
        return [("actor", self.name(sender)), ("actor_id", self.desktop_id(sender))]

    def reply(self, label: str) -> Fields:
        """pushReplyToMsgId: the message the action is about, when there is one."""
        header = self.message.reply_to
        if header is None or not header.reply_to_msg_id:
            return []
        return [(label, header.reply_to_msg_id - (0 if header.reply_to_peer_id else self.shift))]

    def members(self, user_ids: list[int]) -> Fields:
        return [("members", [self.name(uid) for uid in user_ids])]

    def photo(self, photo: tl.Photo) -> Fields:
        """pushPhoto: the largest size; the file is not downloaded."""
        size = max(photo.sizes, key=lambda s: s.w * s.h)
        return [
            ("photo", FILE_NOT_INCLUDED),
            ("photo_file_size", size.size),
            ("width", size.w),
            ("height", size.h),
        ]


def tl_peer_id(peer: tl.TypePeer) -> int:
    if isinstance(peer, tl.PeerChat):
        return -peer.chat_id
    return -1_000_000_000_000 - peer.channel_id


def _unix(date: Any) -> int:
    return int(date.timestamp()) if hasattr(date, "timestamp") else int(date)


def _cost(amount: int, currency: str) -> str:
    # Desktop writes a localized "$13.99" (Ui::FillAmountAndCurrency); the converter writes the same
    # facts as "13.99 USD" (exporter/records/actions.py says why).
    return f"{amount / 100:.2f} {currency}"


def _optional(key: str, value: Any) -> Fields:
    """Desktop's push() of a string writes nothing for an empty one; of a number, only when non-zero
    where the writer tests it first."""
    return [(key, value)] if value else []


DISCARD_REASON = {
    tl.PhoneCallDiscardReasonBusy: "busy",
    tl.PhoneCallDiscardReasonDisconnect: "disconnect",
    tl.PhoneCallDiscardReasonHangup: "hangup",
    tl.PhoneCallDiscardReasonMissed: "missed",
    tl.PhoneCallDiscardReasonMigrateConferenceCall: "migrate_conference_all",
}
SECURE_VALUE = {
    tl.SecureValueTypePersonalDetails: "personal_details",
    tl.SecureValueTypePassport: "passport",
    tl.SecureValueTypeEmail: "email",
}


def _credits(price: Any) -> Fields:
    """price_amount_whole/_nano/_currency of a suggested post (CreditsAmountFromTL).

    Desktop writes the two amounts as JSON strings (push() of NumberToString's bytes quotes them)."""
    if isinstance(price, tl.StarsTonAmount):
        whole, nano, currency = *divmod(price.amount, 1_000_000_000), "TON"
    else:
        whole, nano, currency = price.amount, price.nanos, "Stars"
    return [
        ("price_amount_whole", str(whole)),
        ("price_amount_nano", str(nano)),
        ("price_currency", currency),
    ]


def _peer_value(peer: tl.TypePeer) -> int:
    """A PeerId's raw value: the kind in bits 48 and up (tdesktop data_peer_id.h)."""
    if isinstance(peer, tl.PeerUser):
        return peer.user_id
    if isinstance(peer, tl.PeerChat):
        return peer.chat_id | 1 << 48
    return peer.channel_id | 2 << 48


def _star_gift(t: Truth, a: Any) -> Fields:
    gift, regular = a.gift, isinstance(a.gift, tl.StarGift)
    message = getattr(a, "message", None)
    return [
        *t.actor(),
        ("action", "send_star_gift"),
        ("gift_id", gift.id),
        ("stars", gift.stars if regular else 0),
        ("is_limited", bool(regular and gift.limited)),
        ("is_anonymous", bool(getattr(a, "name_hidden", False))),
        # SerializeText: "" for no text, else the parts (checked by the text tests: here, its words).
        ("gift_text", (lambda v: v == "") if message is None else (lambda v, m=message: _plain(v) == m.text)),
    ]


def _plain(parts: str | list[Any]) -> str:
    if isinstance(parts, str):
        return parts
    return "".join(p if isinstance(p, str) else p["text"] for p in parts)


def _bot_allowed(t: Truth, a: Any) -> Fields:
    if a.attach_menu:
        return [("action", "attach_menu_bot_allowed")]
    if a.from_request:
        return [("action", "web_app_bot_allowed")]
    if isinstance(a.app, tl.BotApp):
        return [
            ("action", "allow_sending_messages"),
            ("reason_app_id", a.app.id),
            *_optional("reason_app_name", a.app.title),
        ]
    return [("action", "allow_sending_messages"), *_optional("reason_domain", a.domain)]


def _conference(t: Truth, a: Any) -> Fields:
    # ParseServiceAction: missed, else active, else hung up (a duration) or an invitation.
    return [
        *t.actor(),
        ("action", "conference_call"),
        *_optional("duration_seconds", a.duration),
        ("is_active", bool(a.active) and not a.missed),
        ("is_missed", bool(a.missed)),
    ]


def _post_approval(t: Truth, a: Any) -> Fields:
    if a.rejected:
        return [
            *t.actor(),
            ("action", "process_suggested_post"),
            ("rejected", True),
            *_optional("comment", a.reject_comment),
        ]
    scheduled = _unix(a.schedule_date) if a.schedule_date else 0
    return [
        *t.actor(),
        ("action", "process_suggested_post"),
        *_credits(a.price),
        ("scheduled_date", scheduled),
    ]


DESKTOP: dict[type, Callable[[Truth, Any], Fields]] = {
    tl.MessageActionChatCreate: lambda t, a: [*t.actor(), ("action", "create_group"), ("title", a.title), *t.members(a.users)],
    tl.MessageActionChatEditTitle: lambda t, a: [*t.actor(), ("action", "edit_group_title"), ("title", a.title)],
    tl.MessageActionChatEditPhoto: lambda t, a: [*t.actor(), ("action", "edit_group_photo"), *t.photo(a.photo)],
    tl.MessageActionChatDeletePhoto: lambda t, a: [*t.actor(), ("action", "delete_group_photo")],
    tl.MessageActionChatAddUser: lambda t, a: [*t.actor(), ("action", "invite_members"), *t.members(a.users)],
    tl.MessageActionChatDeleteUser: lambda t, a: [*t.actor(), ("action", "remove_members"), *t.members([a.user_id])],
    tl.MessageActionChatJoinedByLink: lambda t, a: [*t.actor(), ("action", "join_group_by_link"), ("inviter", t.name(a.inviter_id))],
    tl.MessageActionChannelCreate: lambda t, a: [*t.actor(), ("action", "create_channel"), ("title", a.title)],
    tl.MessageActionChatMigrateTo: lambda t, a: [*t.actor(), ("action", "migrate_to_supergroup")],
    tl.MessageActionChannelMigrateFrom: lambda t, a: [*t.actor(), ("action", "migrate_from_group"), ("title", a.title)],
    tl.MessageActionPinMessage: lambda t, a: [*t.actor(), ("action", "pin_message"), *t.reply("message_id")],
    tl.MessageActionHistoryClear: lambda t, a: [*t.actor(), ("action", "clear_history")],
    tl.MessageActionGameScore: lambda t, a: [*t.actor(), ("action", "score_in_game"), *t.reply("game_message_id"), ("score", a.score)],
    tl.MessageActionPaymentSent: lambda t, a: [
        ("action", "send_payment"),
        ("amount", a.total_amount),
        *_optional("currency", a.currency),
        *t.reply("invoice_message_id"),
        *([("recurring", "used")] if a.recurring_used else [("recurring", "init")] if a.recurring_init else []),
    ],
    tl.MessageActionPhoneCall: lambda t, a: [
        *t.actor(),
        ("action", "phone_call"),
        *_optional("duration_seconds", a.duration),
        *_optional("discard_reason", DISCARD_REASON.get(type(a.reason), "")),
    ],
    tl.MessageActionConferenceCall: _conference,
    tl.MessageActionScreenshotTaken: lambda t, a: [*t.actor(), ("action", "take_screenshot")],
    # No "action" key: Desktop writes the server's text instead.
    tl.MessageActionCustomAction: lambda t, a: [*t.actor(), ("information_text", a.message)],
    tl.MessageActionBotAllowed: _bot_allowed,
    tl.MessageActionSecureValuesSent: lambda t, a: [
        ("action", "send_passport_values"),
        ("values", [SECURE_VALUE[type(v)] for v in a.types]),
    ],
    tl.MessageActionContactSignUp: lambda t, a: [*t.actor(), ("action", "joined_telegram")],
    tl.MessageActionGeoProximityReached: lambda t, a: [
        ("action", "proximity_reached"),
        ("from", t.name(a.from_id)),
        ("from_id", t.desktop_id(a.from_id)),
        ("to", t.name(a.to_id)),
        ("to_id", t.desktop_id(a.to_id)),
        ("distance", a.distance),
    ],
    tl.MessageActionGroupCall: lambda t, a: [*t.actor(), ("action", "group_call"), *_optional("duration", a.duration)],
    tl.MessageActionInviteToGroupCall: lambda t, a: [*t.actor(), ("action", "invite_to_group_call"), *t.members(a.users)],
    tl.MessageActionSetMessagesTTL: lambda t, a: [*t.actor(), ("action", "set_messages_ttl"), ("period", a.period)],
    tl.MessageActionGroupCallScheduled: lambda t, a: [
        *t.actor(),
        ("action", "group_call_scheduled"),
        ("schedule_date", _unix(a.schedule_date)),
    ],
    tl.MessageActionSetChatTheme: lambda t, a: [*t.actor(), ("action", "edit_chat_theme"), *_optional("emoticon", a.theme.emoticon)],
    tl.MessageActionChatJoinedByRequest: lambda t, a: [*t.actor(), ("action", "join_group_by_request")],
    # Desktop writes the button's text under "text" and then the message's (empty) text under "text"
    # again: a JSON reader keeps the second, so only the action is left to compare.
    tl.MessageActionWebViewDataSent: lambda t, a: [("action", "send_webview_data")],
    tl.MessageActionGiftPremium: lambda t, a: [
        *t.actor(),
        ("action", "send_premium_gift"),
        ("cost", _cost(a.amount, a.currency)),
        # Desktop's layer gave months; this one gives days (30 a month).
        *_optional("months", round(a.days / 30)),
    ],
    tl.MessageActionTopicCreate: lambda t, a: [*t.actor(), ("action", "topic_created"), ("title", a.title)],
    tl.MessageActionTopicEdit: lambda t, a: [
        *t.actor(),
        ("action", "topic_edit"),
        *_optional("new_title", a.title),
        *([("new_icon_emoji_id", a.icon_emoji_id)] if a.icon_emoji_id is not None else []),
    ],
    tl.MessageActionSuggestProfilePhoto: lambda t, a: [*t.actor(), ("action", "suggest_profile_photo"), *t.photo(a.photo)],
    tl.MessageActionRequestedPeer: lambda t, a: [
        *t.actor(),
        ("action", "requested_peer"),
        ("button_id", a.button_id),
        # push() of SerializeArray: a string holding the array's JSON text.
        ("peers", lambda v, a=a: isinstance(v, str) and [int(x) for x in v.strip("[] \n").split(",")] == [_peer_value(p) for p in a.peers]),
    ],
    tl.MessageActionGiftCode: lambda t, a: [
        ("action", "gift_code_prize"),
        *_optional("gift_code", a.slug),
        *([("boost_peer_id", t.desktop_id(a.boost_peer))] if a.boost_peer is not None else []),
        ("months", round(a.days / 30)),
        ("unclaimed", bool(a.unclaimed)),
        ("via_giveaway", bool(a.via_giveaway)),
    ],
    tl.MessageActionGiveawayLaunch: lambda t, a: [("action", "giveaway_launch")],
    tl.MessageActionGiveawayResults: lambda t, a: [
        ("action", "giveaway_results"),
        ("winners", a.winners_count),
        ("unclaimed", a.unclaimed_count),
        ("stars", bool(a.stars)),
    ],
    tl.MessageActionSetChatWallPaper: lambda t, a: [
        *t.actor(),
        ("action", "set_same_chat_wallpaper" if a.same else "set_chat_wallpaper"),
        *t.reply("message_id"),
    ],
    tl.MessageActionBoostApply: lambda t, a: [*t.actor(), ("action", "boost_apply"), ("boosts", a.boosts)],
    tl.MessageActionPaymentRefunded: lambda t, a: [
        ("action", "refunded_payment"),
        ("amount", a.total_amount),
        *_optional("currency", a.currency),
        ("peer_name", t.name(a.peer)),
        ("peer_id", t.desktop_id(a.peer)),
        *_optional("charge_id", a.charge.id),
    ],
    tl.MessageActionGiftStars: lambda t, a: [
        *t.actor(),
        ("action", "send_stars_gift"),
        ("cost", _cost(a.amount, a.currency)),
        *([("amount_whole", a.stars), ("amount_nano", 0)] if a.stars else []),
    ],
    # ParseServiceAction reads the TON amount from the price field, in nanotons.
    tl.MessageActionGiftTon: lambda t, a: [
        *t.actor(),
        ("action", "send_ton_gift"),
        ("cost", _cost(a.amount, a.currency)),
        *([("amount_whole", a.amount // 10**9), ("amount_nano", a.amount % 10**9)] if a.amount else []),
    ],
    tl.MessageActionPrizeStars: lambda t, a: [
        *t.actor(),
        ("action", "stars_prize"),
        ("boost_peer_id", t.desktop_id(a.boost_peer)),
        ("boost_peer_name", t.name(a.boost_peer)),
        ("stars", a.stars),
        ("is_unclaimed", bool(a.unclaimed)),
        ("giveaway_msg_id", a.giveaway_msg_id),
        *_optional("transaction_id", a.transaction_id),
    ],
    tl.MessageActionStarGift: _star_gift,
    tl.MessageActionStarGiftUnique: _star_gift,
    tl.MessageActionPaidMessagesRefunded: lambda t, a: [
        *t.actor(),
        ("action", "paid_messages_refund"),
        ("messages_count", a.count),
        ("stars_count", a.stars),
    ],
    tl.MessageActionPaidMessagesPrice: lambda t, a: [
        *t.actor(),
        ("action", "paid_messages_price_change"),
        ("price_stars", a.stars),
        ("is_broadcast_messages_allowed", bool(a.broadcast_messages_allowed)),
    ],
    tl.MessageActionTodoCompletions: lambda t, a: [
        *t.actor(),
        ("action", "todo_completions"),
        ("completed", list(a.completed)),
        ("incompleted", list(a.incompleted)),
    ],
    tl.MessageActionTodoAppendTasks: lambda t, a: [
        *t.actor(),
        ("action", "todo_append_tasks"),
        ("items", lambda v, a=a: [(_plain(i["text"]), i["id"]) for i in v] == [(i.title.text, i.id) for i in a.list]),
    ],
    tl.MessageActionSuggestedPostApproval: _post_approval,
    tl.MessageActionSuggestedPostSuccess: lambda t, a: [*t.actor(), ("action", "suggested_post_success"), *_credits(a.price)],
    tl.MessageActionSuggestedPostRefund: lambda t, a: [
        *t.actor(),
        ("action", "suggested_post_refund"),
        ("user_initiated", bool(a.payer_initiated)),
    ],
}  # fmt: skip


def _action_fields(record: dict[str, Any]) -> Fields:
    """What a service record holds between its dates and its text."""
    keys = list(record)
    assert keys[:4] == ["id", "type", "date", "date_unixtime"], keys
    end = keys.index("text")
    assert keys[end:] in (["text", "text_entities"], ["text", "text_entities", "topic_id"]), keys
    assert (record["text"], record["text_entities"]) == ("", [])
    return [(key, record[key]) for key in keys[4:end]]


def _matches(got: Fields, expected: Fields) -> bool:
    if [k for k, _ in got] != [k for k, _ in expected]:
        return False
    return all(
        want(value) if callable(want) else value == want
        for (_, value), (_, want) in zip(got, expected, strict=True)
    )


async def test_every_service_action_has_desktops_fields(
    client: TelegramClient, world: World, tmp_path: Path
) -> None:
    await client.get_dialogs(limit=None)
    seen: dict[type, int] = {}
    wrong: list[str] = []
    # The upgraded group's messages come with its supergroup's export (ids shifted), so the group
    # itself is not exported apart.
    chats = [chat for chat in world.chats.values() if chat.migrated_to is None]
    for n, chat in enumerate(chats):
        # The HTML and Markdown writers meet every action too (they must not fail on any). No files
        # are chosen: a chat photo's field holds Desktop's sentence for a file not included.
        result = await run_export(
            client, target_of(chat), tmp_path / str(n), formats=("json", "html", "md"), media=()
        )
        records = exported(result)
        for record in records:
            if record["type"] != "service":
                continue
            source, msg_id, shift = chat, record["id"], 0
            if msg_id < 0 and chat.migrated_from is not None:
                source, msg_id, shift = chat.migrated_from, msg_id + MIGRATED_ID_SHIFT, MIGRATED_ID_SHIFT
            message = world.message(source, msg_id)
            action = message.action
            seen[type(action)] = seen.get(type(action), 0) + 1
            expected = DESKTOP[type(action)](Truth(world, source, message, shift), action)
            got = _action_fields(record)
            if not _matches(got, expected):
                wrong.append(
                    f"{type(action).__name__} in {source.title} #{msg_id}:\n  got  {got}\n  want {expected}"
                )
    assert not wrong, "\n".join(wrong)
    # Every kind Desktop writes is in the world, and nothing else came out as a service message.
    assert set(seen) == set(DESKTOP), set(DESKTOP) ^ set(seen)
