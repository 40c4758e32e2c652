"""The "service-actions" scenario: every service action Telegram Desktop's export writes.

Desktop's JSON writer (tdesktop export_output_json.cpp, SerializeMessage) has one branch per action
it knows, fed by export_data_types.cpp's ParseServiceAction, which maps the API's constructors onto
them.  This scenario holds at least one message per branch, and one more wherever a condition changes
the fields Desktop writes (a call with and without a duration, a bot allowed from a website, an app,
the attachment menu or a web app request, a suggested post approved, paid in TON or rejected, ...), so
an export can be checked kind by kind against Desktop's field list.

Each action has the shape of its constructor in the API schema (core.telegram.org/constructor/
messageAction...).  The chat each action is sent in follows the API's descriptions (calls, gifts and
bot payments in a private chat; group calls and membership in a group; giveaways in a channel); the
values themselves are guesses of the ordinary kind, and so is where a few land:
guess: one private chat holds what a real account would see spread over chats with people and with
bots (the export of an action does not depend on who the peer is), and suggested-post actions, sent
in a channel's direct messages (core.telegram.org/api/suggested-posts), are in the channel here.

Plain text messages of the ordinary builder are turned into these service messages (Chat.rewrite),
so ids, dates and senders stay the builder's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from telethon.tl import types as T
from telethon.tl.tlobject import TLObject

from .content import Composed, file_reference, h64, variant_and_rank
from .model import Chat, World
from .scenarios import ChatSpec, Scenario, WorldSpec, build_world


@dataclass(frozen=True)
class Shown:
    """One service action and what it mentions."""

    action: TLObject
    users: tuple[int, ...] = ()  # user ids it names, so that responses list them
    chats: tuple[int, ...] = ()  # chat peer ids it names
    reply_to: T.MessageReplyHeader | None = None  # the message it is about (pin, score, invoice, ...)
    # Private chats: sent by the account (True) or by the peer (False); None keeps the builder's choice.
    out: bool | None = None


@dataclass(frozen=True)
class Place:
    """What an action maker may refer to."""

    world: World
    chat: Chat
    msg_id: int
    date: int
    channel: Chat  # the scenario's channel: giveaways, boosts and requested peers point at it
    bot: int  # a bot's user id: payments and bot permissions are about it

    @property
    def peer(self) -> int:
        """The other side of a private chat; a member other than the account in a group."""
        if self.chat.kind == "private":
            return self.chat.bare_id
        return next(m for m in self.chat.member_ids if m != self.world.me.id)

    @property
    def previous(self) -> T.MessageReplyHeader:
        """A header pointing at the message before this one (what a pin or a score is about)."""
        slots = self.chat.slots
        return T.MessageReplyHeader(reply_to_msg_id=slots.select(slots.rank(self.msg_id) - 1))

    def h(self, salt: int) -> int:
        return h64(self.chat.key ^ salt, self.msg_id)


Maker = Callable[[Place], Shown]


def _photo(p: Place) -> T.Photo:
    # A chat photo as photos.uploadProfilePhoto leaves it: one 640 px square (guess: no video sizes).
    photo_id, access_hash = p.h(1) >> 1, p.h(2) >> 1
    return T.Photo(
        id=photo_id,
        access_hash=access_hash,
        file_reference=file_reference(photo_id, access_hash),
        date=p.date,
        sizes=[T.PhotoSize("c", 640, 640, 48_000 + p.h(3) % 20_000)],
        dc_id=2,
    )


def _call(p: Place) -> T.InputGroupCall:
    return T.InputGroupCall(p.h(4) >> 1, p.h(5) >> 1)


def _text(text: str, bold: int = 0) -> T.TextWithEntities:
    return T.TextWithEntities(text, [T.MessageEntityBold(0, bold)] if bold else [])


def _star_gift(p: Place, *, limited: bool) -> T.StarGift:
    # A gift's sticker is an ordinary sticker document (core.telegram.org/constructor/starGift).
    sticker = p.world.shared.sticker(p.world, p.h(6) % 4).document
    return T.StarGift(
        id=5_170_000_000_000_000_000 + p.h(7) % 1000,
        sticker=sticker,
        stars=50,
        convert_stars=40,
        limited=limited or None,
        availability_remains=1_200 if limited else None,
        availability_total=10_000 if limited else None,
    )


# ---------------------------------------------------------------- a private chat

PRIVATE: dict[str, Maker] = {
    "phone_call": lambda p: Shown(
        T.MessageActionPhoneCall(p.h(8) >> 1, reason=T.PhoneCallDiscardReasonHangup(), duration=754)
    ),
    "phone_call_missed": lambda p: Shown(
        T.MessageActionPhoneCall(p.h(8) >> 1, reason=T.PhoneCallDiscardReasonMissed()), out=False
    ),
    "phone_call_busy_video": lambda p: Shown(
        T.MessageActionPhoneCall(p.h(8) >> 1, video=True, reason=T.PhoneCallDiscardReasonBusy()), out=True
    ),
    "conference_call": lambda p: Shown(
        T.MessageActionConferenceCall(p.h(8) >> 1, duration=1_260, other_participants=[T.PeerUser(p.peer)]),
        users=(p.peer,),
    ),
    "conference_call_missed": lambda p: Shown(T.MessageActionConferenceCall(p.h(8) >> 1, missed=True)),
    "screenshot": lambda p: Shown(T.MessageActionScreenshotTaken(), out=False),
    "contact_sign_up": lambda p: Shown(T.MessageActionContactSignUp(), out=False),
    "custom_action": lambda p: Shown(T.MessageActionCustomAction("Delivery scheduled for Friday")),
    "history_clear": lambda p: Shown(T.MessageActionHistoryClear()),
    "set_ttl": lambda p: Shown(T.MessageActionSetMessagesTTL(86_400)),
    "chat_theme": lambda p: Shown(T.MessageActionSetChatTheme(T.ChatTheme("🎄"))),
    "wallpaper": lambda p: Shown(
        T.MessageActionSetChatWallPaper(
            T.WallPaperNoFile(p.h(9) >> 1, settings=T.WallPaperSettings(background_color=0x7EC4E6))
        )
    ),
    # "same": the peer applied the wallpaper the other sent, and the message points at that one.
    "wallpaper_same": lambda p: Shown(
        T.MessageActionSetChatWallPaper(T.WallPaperNoFile(p.h(9) >> 1), same=True), reply_to=p.previous
    ),
    "suggest_photo": lambda p: Shown(T.MessageActionSuggestProfilePhoto(_photo(p))),
    "geo_proximity": lambda p: Shown(
        T.MessageActionGeoProximityReached(T.PeerUser(p.peer), T.PeerUser(p.world.me.id), 120),
        users=(p.peer, p.world.me.id),
    ),
    # A game's score replies to the game message; a payment to its invoice (constructor pages).
    "game_score": lambda p: Shown(T.MessageActionGameScore(p.h(10) >> 1, 4_200), reply_to=p.previous),
    "payment_sent": lambda p: Shown(T.MessageActionPaymentSent("EUR", 1_299), reply_to=p.previous, out=True),
    "payment_sent_recurring": lambda p: Shown(
        T.MessageActionPaymentSent("EUR", 499, recurring_used=True), reply_to=p.previous, out=True
    ),
    "payment_refunded": lambda p: Shown(
        T.MessageActionPaymentRefunded(
            T.PeerUser(p.bot), "EUR", 1_299, T.PaymentCharge("ch_3PqF7d2eZvKYlo2C", "pi_sandbox_42")
        ),
        users=(p.bot,),
    ),
    "bot_allowed_domain": lambda p: Shown(T.MessageActionBotAllowed(domain="shop.example.com")),
    "bot_allowed_app": lambda p: Shown(
        T.MessageActionBotAllowed(
            app=T.BotApp(
                p.h(11) >> 1, p.h(12) >> 1, "orders", "Order Tracker", "", T.PhotoEmpty(p.h(13) >> 1), 0
            )
        )
    ),
    "bot_allowed_attach_menu": lambda p: Shown(T.MessageActionBotAllowed(attach_menu=True)),
    "bot_allowed_from_request": lambda p: Shown(T.MessageActionBotAllowed(from_request=True)),
    "secure_values": lambda p: Shown(
        T.MessageActionSecureValuesSent(
            [T.SecureValueTypePersonalDetails(), T.SecureValueTypePassport(), T.SecureValueTypeEmail()]
        ),
        out=True,
    ),
    "web_view_data": lambda p: Shown(T.MessageActionWebViewDataSent("Confirm order"), out=True),
    "requested_peer": lambda p: Shown(
        T.MessageActionRequestedPeer(1, [T.PeerUser(p.peer), T.PeerChannel(p.channel.bare_id)]),
        users=(p.peer,),
        chats=(p.channel.peer_id,),
        out=True,
    ),
    "gift_premium": lambda p: Shown(T.MessageActionGiftPremium("USD", 1_399, 90)),
    "gift_code": lambda p: Shown(
        T.MessageActionGiftCode(
            180, "GiFtCoDe42sandbox", via_giveaway=True, boost_peer=T.PeerChannel(p.channel.bare_id)
        ),
        chats=(p.channel.peer_id,),
    ),
    "gift_stars": lambda p: Shown(T.MessageActionGiftStars("USD", 199, 100)),
    "gift_ton": lambda p: Shown(T.MessageActionGiftTon("USD", 500, "TON", 1_480_000_000)),
    "prize_stars": lambda p: Shown(
        T.MessageActionPrizeStars(
            500, "stx_sandbox_7731", T.PeerChannel(p.channel.bare_id), giveaway_msg_id=p.channel.slots.last
        ),
        chats=(p.channel.peer_id,),
    ),
    "star_gift": lambda p: Shown(
        T.MessageActionStarGift(_star_gift(p, limited=True), message=_text("Happy birthday!", bold=5))
    ),
    "star_gift_anonymous": lambda p: Shown(
        T.MessageActionStarGift(_star_gift(p, limited=False), name_hidden=True)
    ),
    "star_gift_unique": lambda p: Shown(
        T.MessageActionStarGiftUnique(
            T.StarGiftUnique(
                p.h(14) >> 1, 5_170_000_000_000_000_001, "Plush Pepe", "PlushPepe-77", 77, [], 1_000, 5_000
            ),
            upgrade=True,
        )
    ),
    "paid_refund": lambda p: Shown(T.MessageActionPaidMessagesRefunded(3, 30)),
    "paid_price": lambda p: Shown(T.MessageActionPaidMessagesPrice(10)),
    # To-do list changes reply to the list they change (core.telegram.org/api/todo).
    "todo_completions": lambda p: Shown(T.MessageActionTodoCompletions([1, 2], [3]), reply_to=p.previous),
    "todo_append": lambda p: Shown(
        T.MessageActionTodoAppendTasks(
            [T.TodoItem(4, _text("Buy milk")), T.TodoItem(5, _text("Call the plumber", bold=4))]
        ),
        reply_to=p.previous,
    ),
}

# ---------------------------------------------------------------- a basic group (later upgraded)

GROUP: dict[str, Maker] = {
    "edit_title": lambda p: Shown(T.MessageActionChatEditTitle(p.chat.title)),
    "edit_photo": lambda p: Shown(T.MessageActionChatEditPhoto(_photo(p))),
    "delete_photo": lambda p: Shown(T.MessageActionChatDeletePhoto()),
    "add_user": lambda p: Shown(T.MessageActionChatAddUser([p.peer]), users=(p.peer,)),
    "delete_user": lambda p: Shown(T.MessageActionChatDeleteUser(p.peer), users=(p.peer,)),
    "joined_by_link": lambda p: Shown(T.MessageActionChatJoinedByLink(p.world.me.id), users=(p.world.me.id,)),
    "joined_by_request": lambda p: Shown(T.MessageActionChatJoinedByRequest()),
    "pin": lambda p: Shown(T.MessageActionPinMessage(), reply_to=p.previous),
    "group_call": lambda p: Shown(T.MessageActionGroupCall(_call(p), duration=1_800)),
    "group_call_started": lambda p: Shown(T.MessageActionGroupCall(_call(p))),
    "invite_to_call": lambda p: Shown(T.MessageActionInviteToGroupCall(_call(p), [p.peer]), users=(p.peer,)),
    "call_scheduled": lambda p: Shown(T.MessageActionGroupCallScheduled(_call(p), p.date + 86_400)),
}

# ---------------------------------------------------------------- the supergroup it became

SUPERGROUP: dict[str, Maker] = {
    "boost_apply": lambda p: Shown(T.MessageActionBoostApply(2)),
}

# ---------------------------------------------------------------- a broadcast channel

CHANNEL: dict[str, Maker] = {
    "giveaway_launch": lambda p: Shown(T.MessageActionGiveawayLaunch()),
    "giveaway_results": lambda p: Shown(T.MessageActionGiveawayResults(10, 2)),
    "giveaway_results_stars": lambda p: Shown(T.MessageActionGiveawayResults(5, 0, stars=True)),
    "paid_price_broadcast": lambda p: Shown(
        T.MessageActionPaidMessagesPrice(5, broadcast_messages_allowed=True)
    ),
    "post_approved": lambda p: Shown(
        T.MessageActionSuggestedPostApproval(schedule_date=p.date + 3_600, price=T.StarsAmount(100, 0))
    ),
    "post_approved_ton": lambda p: Shown(
        T.MessageActionSuggestedPostApproval(price=T.StarsTonAmount(1_500_000_000))
    ),
    "post_rejected": lambda p: Shown(
        T.MessageActionSuggestedPostApproval(rejected=True, reject_comment="Off-topic for this channel")
    ),
    "post_success": lambda p: Shown(T.MessageActionSuggestedPostSuccess(T.StarsAmount(100, 0))),
    "post_refund": lambda p: Shown(T.MessageActionSuggestedPostRefund(payer_initiated=True)),
}

# ---------------------------------------------------------------- a forum
# The builder already writes topic creation, renames, closing and General's hiding; a new icon is
# the one topic edit it leaves out (messageActionTopicEdit.icon_emoji_id).

FORUM: dict[str, Maker] = {
    "topic_icon": lambda p: Shown(
        T.MessageActionTopicEdit(icon_emoji_id=5_368_324_170_671_202_286),
        reply_to=p.world.shared.topic_header(p.chat.peer_id, p.world.forum_topic_of(p.chat, p.msg_id)),
    ),
}


def _as_service(c: Composed, chat: Chat, shown: Shown) -> None:
    """Turn a composed plain message into a service message with ``shown``'s action."""
    kw = c.kw
    kept = {k: kw[k] for k in ("id", "peer_id", "date", "out", "post", "from_id") if k in kw}
    if shown.out is not None and chat.kind == "private":
        kept.pop("out", None)
        if shown.out:
            kept["out"] = True
    kept["action"] = shown.action
    if shown.reply_to is not None:
        kept["reply_to"] = shown.reply_to
    users = {chat.bare_id} if chat.kind == "private" else set()
    sender = kept.get("from_id")
    if isinstance(sender, T.PeerUser):
        users.add(sender.user_id)
    c.kw = kept
    c.service = True
    c.users = users | set(shown.users)
    c.chats = {chat.peer_id, *shown.chats}


def _show(world: World, chat: Chat, makers: dict[str, Maker], channel: Chat, bot: int) -> dict[int, str]:
    """Put one message of each maker into the chat (plain text messages, every other one, after the
    first two); returns where each went."""
    ids = [
        i
        for i in chat.slots
        if i not in chat.service
        and i not in chat.topics
        and not world.is_restricted(chat, i)
        and variant_and_rank(chat, i)[0] == "text"
        and (chat.kind != "forum" or world.topic_of(chat, i) != 1)
    ]
    slots = ids[2::2]
    if len(slots) < len(makers):
        raise ValueError(f"{chat.title}: {len(slots)} plain messages for {len(makers)} actions")
    placed = dict(zip(slots, makers, strict=False))
    if not placed:
        return placed

    def rewrite(c: Composed, h: int) -> None:
        tag = placed.get(c.kw["id"])
        if tag is not None:
            place = Place(world, chat, c.kw["id"], c.kw["date"], channel, bot)
            _as_service(c, chat, makers[tag](place))

    chat.rewrite = rewrite
    return placed


def _service_actions(seed: int) -> World:
    world = build_world(
        WorldSpec(
            seed=seed,
            contacts=3,
            chats=[
                ChatSpec("private", messages=100),
                ChatSpec("group", "Flatmates", messages=40, members=5),
                ChatSpec("supergroup", "Flatmates", messages=20, members=5, migrated_from=1),
                ChatSpec("channel", "Sandbox Offers", username="offers_sandbox", messages=30),
                ChatSpec("forum", "Sandbox Makers", username="makers_sandbox", messages=60, topics=4,
                         general_hidden=True),
            ],
        )
    )  # fmt: skip
    private, group, supergroup, channel, forum = world.chats.values()
    bot = next(u.id for u in world.users.values() if u.bot)
    for chat, makers in (
        (private, PRIVATE),
        (group, GROUP),
        (supergroup, SUPERGROUP),
        (channel, CHANNEL),
        (forum, FORUM),
    ):
        _show(world, chat, makers, channel, bot)
    return world


ACTION_SCENARIOS: dict[str, Scenario] = {
    "service-actions": Scenario(
        "every service action Telegram Desktop's export writes (calls, gifts, payments, group changes, "
        "giveaways, suggested posts, topic edits) in a private chat, an upgraded group, a channel and "
        "a forum",
        _service_actions,
    ),
}
