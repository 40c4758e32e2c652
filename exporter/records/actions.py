"""Service messages: one handler per action kind, writing the fields Desktop writes for it.

Over 400 lines on purpose: 51 short handlers (2 to 13 lines each) for 52 TL action
classes, and the one table from class to handler at the end.  Each handler is read
against its own case in tdesktop's ``ParseServiceAction`` (``export_data_types.cpp``);
split by topic, they would only move away from the table that lists them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from telethon.tl import types as tl

from .dates import iso_date, unix_time
from .desktop_nested import array_text
from .media import FILE_NOT_INCLUDED, push_photo
from .names import NameBook, desktop_peer_value
from .text import text_with_entities

Record = dict[str, Any]


class _Ctx:
    """What an action handler needs besides the action: the record and the message's peers."""

    __slots__ = ("msg", "names", "rec")

    def __init__(self, rec: Record, msg: Any, names: NameBook) -> None:
        self.rec = rec
        self.msg = msg
        self.names = names

    def actor(self) -> None:
        name, pid = self.names.sender(self.msg)
        self.rec["actor"] = name
        self.rec["actor_id"] = pid

    def reply_to(self, label: str) -> None:
        header = self.msg.reply_to
        if type(header) is tl.MessageReplyHeader and header.reply_to_msg_id:
            self.rec[label] = header.reply_to_msg_id
            other = header.reply_to_peer_id
            if other is not None and other != self.msg.peer_id:
                self.rec["reply_to_peer_id"] = self.names.desktop_id(other)

    def members(self, user_ids: Iterable[int], label: str = "members") -> None:
        self.rec[label] = [self.names.user_name(uid) for uid in user_ids]


def _set(rec: Record, key: str, value: Any) -> None:
    """Desktop leaves out empty strings."""
    if value:
        rec[key] = value


def _money(amount: int, currency: str | None) -> str:
    # Desktop renders a localized "$4.99"; the amount in major units and the code carry the same facts.
    return f"{amount / 100:.2f} {currency or ''}".rstrip()


def _months_from_days(days: int | None) -> int:
    # Newer layers give gift lengths in days where Desktop's layer had months.
    return round((days or 0) / 30)


def _push_price(rec: Record, price: Any) -> None:
    """A suggested post's price: Desktop writes the two amounts as JSON strings
    (export_output_json.cpp pushes NumberToString's bytes as a quoted value)."""
    whole, nano, currency = _credits(price)
    rec["price_amount_whole"] = str(whole)
    rec["price_amount_nano"] = str(nano)
    rec["price_currency"] = currency


def _credits(price: Any) -> tuple[int, int, str]:
    if type(price) is tl.StarsTonAmount:
        whole, nano = divmod(price.amount, 1_000_000_000)
        return whole, nano, "TON"
    if price is None:
        return 0, 0, "Stars"
    return price.amount, price.nanos, "Stars"


def _a_chat_create(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "create_group"
    _set(c.rec, "title", a.title)
    c.members(a.users)


def _a_edit_title(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "edit_group_title"
    _set(c.rec, "title", a.title)


def _a_edit_photo(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "edit_group_photo"
    push_photo(c.rec, a.photo, FILE_NOT_INCLUDED)


def _a_delete_photo(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "delete_group_photo"


def _a_add_user(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "invite_members"
    c.members(a.users)


def _a_delete_user(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "remove_members"
    c.members((a.user_id,))


def _a_joined_by_link(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "join_group_by_link"
    c.rec["inviter"] = c.names.user_name(a.inviter_id)


def _a_channel_create(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "create_channel"
    _set(c.rec, "title", a.title)


def _a_migrate_to(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "migrate_to_supergroup"


def _a_migrate_from(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "migrate_from_group"
    _set(c.rec, "title", a.title)


def _a_pin(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "pin_message"
    c.reply_to("message_id")


def _a_history_clear(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "clear_history"


def _a_game_score(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "score_in_game"
    c.reply_to("game_message_id")
    c.rec["score"] = a.score


def _a_payment_sent(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "send_payment"
    c.rec["amount"] = a.total_amount
    _set(c.rec, "currency", a.currency)
    c.reply_to("invoice_message_id")
    if a.recurring_used:
        c.rec["recurring"] = "used"
    elif a.recurring_init:
        c.rec["recurring"] = "init"


_DISCARD_REASON: dict[type, str] = {
    tl.PhoneCallDiscardReasonBusy: "busy",
    tl.PhoneCallDiscardReasonDisconnect: "disconnect",
    tl.PhoneCallDiscardReasonHangup: "hangup",
    tl.PhoneCallDiscardReasonMissed: "missed",
    tl.PhoneCallDiscardReasonMigrateConferenceCall: "migrate_conference_all",
}


def _a_phone_call(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "phone_call"
    if a.duration:
        c.rec["duration_seconds"] = a.duration
    _set(c.rec, "discard_reason", _DISCARD_REASON.get(type(a.reason), ""))


def _a_conference_call(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "conference_call"
    if a.duration:
        c.rec["duration_seconds"] = a.duration
    c.rec["is_active"] = bool(a.active) and not a.missed
    c.rec["is_missed"] = bool(a.missed)


def _a_screenshot(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "take_screenshot"


def _a_custom(c: _Ctx, a: Any) -> None:
    c.actor()
    _set(c.rec, "information_text", a.message)


def _a_bot_allowed(c: _Ctx, a: Any) -> None:
    app = a.app if type(a.app) is tl.BotApp else None
    if a.attach_menu:
        c.rec["action"] = "attach_menu_bot_allowed"
    elif a.from_request:
        c.rec["action"] = "web_app_bot_allowed"
    elif app is not None:
        c.rec["action"] = "allow_sending_messages"
        c.rec["reason_app_id"] = app.id
        _set(c.rec, "reason_app_name", app.title)
    else:
        c.rec["action"] = "allow_sending_messages"
        _set(c.rec, "reason_domain", a.domain)


_SECURE_VALUE: dict[type, str] = {
    tl.SecureValueTypePersonalDetails: "personal_details",
    tl.SecureValueTypePassport: "passport",
    tl.SecureValueTypeDriverLicense: "driver_license",
    tl.SecureValueTypeIdentityCard: "identity_card",
    tl.SecureValueTypeInternalPassport: "internal_passport",
    tl.SecureValueTypeAddress: "address_information",
    tl.SecureValueTypeUtilityBill: "utility_bill",
    tl.SecureValueTypeBankStatement: "bank_statement",
    tl.SecureValueTypeRentalAgreement: "rental_agreement",
    tl.SecureValueTypePassportRegistration: "passport_registration",
    tl.SecureValueTypeTemporaryRegistration: "temporary_registration",
    tl.SecureValueTypePhone: "phone_number",
    tl.SecureValueTypeEmail: "email",
}


def _a_secure_values(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "send_passport_values"
    c.rec["values"] = [_SECURE_VALUE.get(type(t), "") for t in a.types]


def _a_contact_sign_up(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "joined_telegram"


def _a_proximity(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "proximity_reached"
    c.rec["from"], c.rec["from_id"] = c.names.lookup(a.from_id)
    c.rec["to"], c.rec["to_id"] = c.names.lookup(a.to_id)
    c.rec["distance"] = a.distance


def _a_group_call(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "group_call"
    if a.duration:
        c.rec["duration"] = a.duration


def _a_invite_to_call(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "invite_to_group_call"
    c.members(a.users)


def _a_set_ttl(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "set_messages_ttl"
    c.rec["period"] = a.period


def _a_call_scheduled(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "group_call_scheduled"
    c.rec["schedule_date"] = unix_time(a.schedule_date)


def _a_chat_theme(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "edit_chat_theme"
    _set(c.rec, "emoticon", getattr(a.theme, "emoticon", ""))


def _a_joined_by_request(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "join_group_by_request"


def _a_web_view_data(c: _Ctx, a: Any) -> None:
    # Desktop writes the button text under "text" and then the (empty) message
    # text under "text" again; JSON readers keep the last one, so only that stays.
    c.rec["action"] = "send_webview_data"


def _a_gift_premium(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "send_premium_gift"
    _set(c.rec, "cost", _money(a.amount, a.currency))
    months = _months_from_days(a.days)
    if months:
        c.rec["months"] = months


def _a_topic_create(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "topic_created"
    _set(c.rec, "title", a.title)


def _a_topic_edit(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "topic_edit"
    _set(c.rec, "new_title", a.title)
    if a.icon_emoji_id is not None:
        c.rec["new_icon_emoji_id"] = a.icon_emoji_id


def _a_suggest_photo(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "suggest_profile_photo"
    push_photo(c.rec, a.photo, FILE_NOT_INCLUDED)


def _a_requested_peer(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "requested_peer"
    c.rec["button_id"] = a.button_id
    # A string holding the array's JSON text, as Desktop writes it (see exporter.records.desktop_nested).
    c.rec["peers"] = array_text([str(desktop_peer_value(p)) for p in a.peers])


def _a_gift_code(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "gift_code_prize"
    _set(c.rec, "gift_code", a.slug)
    if a.boost_peer is not None:
        c.rec["boost_peer_id"] = c.names.desktop_id(a.boost_peer)
    c.rec["months"] = _months_from_days(a.days)
    c.rec["unclaimed"] = bool(a.unclaimed)
    c.rec["via_giveaway"] = bool(a.via_giveaway)


def _a_giveaway_launch(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "giveaway_launch"


def _a_giveaway_results(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "giveaway_results"
    c.rec["winners"] = a.winners_count
    c.rec["unclaimed"] = a.unclaimed_count
    c.rec["stars"] = bool(a.stars)


def _a_wallpaper(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "set_same_chat_wallpaper" if a.same else "set_chat_wallpaper"
    c.reply_to("message_id")


def _a_boost_apply(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "boost_apply"
    c.rec["boosts"] = a.boosts


def _a_payment_refunded(c: _Ctx, a: Any) -> None:
    c.rec["action"] = "refunded_payment"
    c.rec["amount"] = a.total_amount
    _set(c.rec, "currency", a.currency)
    c.rec["peer_name"], c.rec["peer_id"] = c.names.lookup(a.peer)
    _set(c.rec, "charge_id", getattr(a.charge, "id", ""))


def _a_gift_stars(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "send_stars_gift"
    _set(c.rec, "cost", _money(a.amount, a.currency))
    if a.stars:
        c.rec["amount_whole"] = a.stars
        c.rec["amount_nano"] = 0


def _a_gift_ton(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "send_ton_gift"
    _set(c.rec, "cost", _money(a.amount, a.currency))
    if a.amount:
        # Desktop reads the TON amount from the same field as the cost, in nanotons.
        c.rec["amount_whole"], c.rec["amount_nano"] = divmod(a.amount, 1_000_000_000)


def _a_prize_stars(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "stars_prize"
    name, peer_id = c.names.lookup(a.boost_peer)
    c.rec["boost_peer_id"] = peer_id
    c.rec["boost_peer_name"] = name
    c.rec["stars"] = a.stars
    c.rec["is_unclaimed"] = bool(a.unclaimed)
    c.rec["giveaway_msg_id"] = a.giveaway_msg_id
    _set(c.rec, "transaction_id", a.transaction_id)


def _a_star_gift(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "send_star_gift"
    gift = a.gift
    c.rec["gift_id"] = gift.id
    regular = type(gift) is tl.StarGift
    c.rec["stars"] = gift.stars if regular else 0
    c.rec["is_limited"] = bool(regular and gift.limited)
    c.rec["is_anonymous"] = bool(getattr(a, "name_hidden", False))
    message = getattr(a, "message", None)
    c.rec["gift_text"] = text_with_entities(message) if message is not None else ""


def _a_paid_refund(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "paid_messages_refund"
    c.rec["messages_count"] = a.count
    c.rec["stars_count"] = a.stars


def _a_paid_price(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "paid_messages_price_change"
    c.rec["price_stars"] = a.stars
    c.rec["is_broadcast_messages_allowed"] = bool(a.broadcast_messages_allowed)


def _a_todo_completions(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "todo_completions"
    c.rec["completed"] = list(a.completed)
    c.rec["incompleted"] = list(a.incompleted)


def _a_todo_append(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "todo_append_tasks"
    c.rec["items"] = [{"text": text_with_entities(item.title), "id": item.id} for item in a.list]


def _a_post_approval(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "process_suggested_post"
    if a.rejected:
        c.rec["rejected"] = True
        _set(c.rec, "comment", a.reject_comment)
    else:
        _push_price(c.rec, a.price)
        c.rec["scheduled_date"] = unix_time(a.schedule_date) if a.schedule_date else 0


def _a_post_success(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "suggested_post_success"
    _push_price(c.rec, a.price)


def _a_post_refund(c: _Ctx, a: Any) -> None:
    c.actor()
    c.rec["action"] = "suggested_post_refund"
    c.rec["user_initiated"] = bool(a.payer_initiated)


_ActionHandler = Callable[[_Ctx, Any], None]

_ACTIONS: dict[type, _ActionHandler] = {
    tl.MessageActionChatCreate: _a_chat_create,
    tl.MessageActionChatEditTitle: _a_edit_title,
    tl.MessageActionChatEditPhoto: _a_edit_photo,
    tl.MessageActionChatDeletePhoto: _a_delete_photo,
    tl.MessageActionChatAddUser: _a_add_user,
    tl.MessageActionChatDeleteUser: _a_delete_user,
    tl.MessageActionChatJoinedByLink: _a_joined_by_link,
    tl.MessageActionChannelCreate: _a_channel_create,
    tl.MessageActionChatMigrateTo: _a_migrate_to,
    tl.MessageActionChannelMigrateFrom: _a_migrate_from,
    tl.MessageActionPinMessage: _a_pin,
    tl.MessageActionHistoryClear: _a_history_clear,
    tl.MessageActionGameScore: _a_game_score,
    tl.MessageActionPaymentSent: _a_payment_sent,
    tl.MessageActionPhoneCall: _a_phone_call,
    tl.MessageActionConferenceCall: _a_conference_call,
    tl.MessageActionScreenshotTaken: _a_screenshot,
    tl.MessageActionCustomAction: _a_custom,
    tl.MessageActionBotAllowed: _a_bot_allowed,
    tl.MessageActionSecureValuesSent: _a_secure_values,
    tl.MessageActionContactSignUp: _a_contact_sign_up,
    tl.MessageActionGeoProximityReached: _a_proximity,
    tl.MessageActionGroupCall: _a_group_call,
    tl.MessageActionInviteToGroupCall: _a_invite_to_call,
    tl.MessageActionSetMessagesTTL: _a_set_ttl,
    tl.MessageActionGroupCallScheduled: _a_call_scheduled,
    tl.MessageActionSetChatTheme: _a_chat_theme,
    tl.MessageActionChatJoinedByRequest: _a_joined_by_request,
    tl.MessageActionWebViewDataSent: _a_web_view_data,
    tl.MessageActionGiftPremium: _a_gift_premium,
    tl.MessageActionTopicCreate: _a_topic_create,
    tl.MessageActionTopicEdit: _a_topic_edit,
    tl.MessageActionSuggestProfilePhoto: _a_suggest_photo,
    tl.MessageActionRequestedPeer: _a_requested_peer,
    tl.MessageActionGiftCode: _a_gift_code,
    tl.MessageActionGiveawayLaunch: _a_giveaway_launch,
    tl.MessageActionGiveawayResults: _a_giveaway_results,
    tl.MessageActionSetChatWallPaper: _a_wallpaper,
    tl.MessageActionBoostApply: _a_boost_apply,
    tl.MessageActionPaymentRefunded: _a_payment_refunded,
    tl.MessageActionGiftStars: _a_gift_stars,
    tl.MessageActionGiftTon: _a_gift_ton,
    tl.MessageActionPrizeStars: _a_prize_stars,
    tl.MessageActionStarGift: _a_star_gift,
    tl.MessageActionStarGiftUnique: _a_star_gift,
    tl.MessageActionPaidMessagesRefunded: _a_paid_refund,
    tl.MessageActionPaidMessagesPrice: _a_paid_price,
    tl.MessageActionTodoCompletions: _a_todo_completions,
    tl.MessageActionTodoAppendTasks: _a_todo_append,
    tl.MessageActionSuggestedPostApproval: _a_post_approval,
    tl.MessageActionSuggestedPostSuccess: _a_post_success,
    tl.MessageActionSuggestedPostRefund: _a_post_refund,
}

# Actions a user's own history never holds; Desktop parses them to nothing and so
# writes a plain (empty) message, which is kept here.
_NO_ACTION = frozenset(
    {
        tl.MessageActionEmpty,
        tl.MessageActionPaymentSentMe,
        tl.MessageActionSecureValuesSentMe,
        tl.MessageActionWebViewDataSentMe,
        tl.MessageActionRequestedPeerSentMe,
    }
)


def _fallback_action_name(action: Any) -> str:
    """snake_case of the TL name for actions newer than Desktop's list, so they stay visible."""
    name = type(action).__name__.removeprefix("MessageAction")
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")


def _head(msg: Any, kind: str) -> Record:
    ts = unix_time(msg.date)
    return {"id": msg.id, "type": kind, "date": iso_date(ts), "date_unixtime": str(ts)}


def service_record(msg: Any, names: NameBook) -> Record:
    """The record of a ``messageService``: its action's fields, or a plain empty message for the
    actions Desktop parses to nothing."""
    action = msg.action
    action_cls = type(action)
    if action_cls in _NO_ACTION:
        rec = _head(msg, "message")
        rec["from"], rec["from_id"] = names.sender(msg)
    else:
        rec = _head(msg, "service")
        handler = _ACTIONS.get(action_cls)
        ctx = _Ctx(rec, msg, names)
        if handler is not None:
            handler(ctx, action)
        else:
            ctx.actor()
            rec["action"] = _fallback_action_name(action)
    rec["text"] = ""
    rec["text_entities"] = []
    return rec
