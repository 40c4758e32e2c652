"""Every sentence and button label the bot shows people, in one place, so that wording is reviewed
and translated here and nowhere else.

A sentence with fields is a template for ``str.format`` with named fields (``{title}``,
``{done:,}``): a translation may move them. A sentence that has variants (one part or several,
a place in the queue or none) has one whole template per variant rather than pieces glued
together, so each variant can be translated as a sentence.

Not here: why an export stopped is exporter/errors.py's table (the CLI prints the same
sentences), and the timing lines of a summary are exporter/timing_summary.py's.

This file passes 400 lines on purpose: it is the bot's whole wording, one section per command.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

# core.telegram.org/bots/api#sendmessage: a message text holds 1-4096 characters after entities parsing.
MESSAGE_MAX = 4096


class _Agreement(string.Formatter):
    """A field written ``{count:chat|chats}`` says the word that agrees with the number: the first
    for exactly one, the second otherwise (English has two forms; a translation may need more)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec and isinstance(value, int):
            one, many = format_spec.split("|", 1)
            return one if value == 1 else many
        return str(super().format_field(value, format_spec))


_AGREEMENT = _Agreement()


class Agreeing(str):
    """A template whose words agree with its numbers ("1 chat", "2 chats"); used as any other."""

    __slots__ = ()

    def format(self, *args: object, **kwargs: object) -> str:
        return _AGREEMENT.vformat(self, args, kwargs)


# ---------------------------------------------------------------- everywhere

MORE_LINES = "…and {count} more."
NO_NAME = "(no name)"
CANCEL = "Cancel"
PRIVATE_ONLY = "Send /{command} to me in a private chat."
STALE_BUTTON = "This button is not yours, or it has expired. Send the command again."

# ---------------------------------------------------------------- who may use the bot

REFUSAL = (
    "Sorry, this bot exports chats for its owner's team only. "
    "If you should have access, send your id to its admin: {user_id}."
)
PRIVATE_BOT = "This bot is private."
# A refused person's later messages (at most one answer per bot.cooldown.PERIOD).
STILL_PRIVATE = "This bot is still private to you. Your id, for its admin: {user_id}."
# A member's admin command (at most one answer per bot.cooldown.PERIOD).
ADMINS_ONLY_COMMAND = "/{command} is for the bot's admins; /help lists what you can do."

# ---------------------------------------------------------------- what escapes a handler

SOMETHING_WENT_WRONG = (
    "Something went wrong on my side and I could not do that; try again, and if it happens again, "
    "tell the admin: the details are in the bot's log."
)
SLOW_DOWN = "Telegram asked me to slow down: send that again in {duration}."
TELEGRAM_UNREACHABLE = "I could not reach Telegram just now: send that again in a minute."

# ---------------------------------------------------------------- /start and /help

HELP = """I export Telegram chats — channels, groups, private chats, and forums topic by topic — into an archive \
with result.json (Telegram Desktop's format, plus topics), HTML pages and, if you like, Markdown.

/export — pick a chat, or /export @name, /export t.me/… or a numeric id
/export in a group — exports that group
/shared — the chats you may export (an admin shares them)
/status — your exports in progress and your place in the queue
/cancel — stop your export (/cancel #ID stops one of several)
/history — your recent exports; send an archive again
/settings — the time zone your archives' dates are written in (UTC until you pick one)
/schedule @name daily 03:00 (or weekly mon 08:00, every 6h) — the same export again and again, \
each with only what is new; /schedules lists yours

Big chats come in parts of up to 50 MB (2000 MB with a local Bot API server); each part says how to join them."""

ADMIN_HELP = (
    "\n\nAdmins: /stats, /allow ID, /deny ID, /login, /logout\n"
    "/share (a picker, or /share @chat, or /share in a group) lets everyone allowed export a chat; "
    "/unshare ID; "
    "/status all and /cancel #ID for anyone's export"
)
YOUR_ID = "\n\nYour Telegram user id: {user_id}"

# ---------------------------------------------------------------- the chat picker

PICKER_PAGE = "{question} (page {page} of {pages})\n{legend}"
# The picker's icon for each kind of chat (KIND_LABELS below names them in words).
KIND_ICONS = {
    "personal_chat": "👤",
    "bot_chat": "🤖",
    "saved_messages": "🔖",
    "private_group": "👥",
    "private_supergroup": "👥",
    "public_supergroup": "👥",
    "forum": "🗂",
    "private_channel": "📢",
    "public_channel": "📢",
}
KIND_ICON_OTHER = "💬"
PICKER_LEGEND = "👤 person · 🤖 bot · 👥 group · 🗂 forum · 📢 channel · 🔖 saved messages"
PICKER_NEWER = "◀ Newer"
PICKER_OLDER = "Older ▶"

# ---------------------------------------------------------------- /export

NOT_A_MEMBER = (
    "My exporting account is not a member of this group, so it cannot read it. "
    "Add that account to the group, then send /export again."
)
NO_CHATS_YET = "The exporting account has no chats yet. Send /export @name or a t.me link."
NOTHING_SHARED_WITH_YOU = "No chat is shared with you yet: ask an admin to /share one."
WHICH_CHAT = "Which chat?"
RANGE_LABELS = {
    "all": "everything",
    "new": "only new since my last export",
    "7d": "last 7 days",
    "30d": "last 30 days",
}
KIND_LABELS = {
    "personal_chat": "private chat",
    "bot_chat": "chat with a bot",
    "private_group": "group",
    "private_supergroup": "supergroup",
    "public_supergroup": "public supergroup",
    "private_channel": "channel",
    "public_channel": "public channel",
    "saved_messages": "saved messages",
}
OPTIONS_TITLE = "Export {title} ({kind})"
OPTIONS_UNNAMED = "chat"
OPTIONS_FORMATS = "Formats: {formats}"
OPTIONS_RANGE = "Range: {range}"
RANGE_DATES = "{since} to {until}"
RANGE_FROM = "from {since} on"
RANGE_UNTIL = "up to {until}"
BAD_DATE_RANGE = (
    "{typed} is not a date range: write it as 2024-01-01..2024-03-31 (either side may be left out)."
)
DATE_RANGE_BACKWARDS = "{typed} ends before it starts: write the earlier date first."
# A filter after the chat (/export @chat from:@alice has:photo), read back in words (docs/filters.md).
OPTIONS_FILTER = "Only: {words}"
FILTER_MISTAKE = "The filter has a mistake at character {column} (“{near}”): expected {expected}."
FILTER_MISTAKE_AT_END = "The filter ends too early: expected {expected}."
RANGE_CUSTOM_BUTTON = "Custom dates…"
CUSTOM_RANGE_ASK = (
    "Which days of {title}? Send them as 2024-01-01..2024-03-31 (UTC, both days included). "
    "Either side may be left out: 2024-01-01.. is from that day on, ..2024-03-31 up to that day."
)
CUSTOM_RANGE_AGAIN = "Send the dates again, or tap Back."
CUSTOM_RANGE_SET = "Range: {range} ✓"
CUSTOM_RANGE_EXPIRED = "That export screen has expired. Send /export again."
OPTIONS_ALL_TOPICS = "Topics: all {count}"
OPTIONS_TOPICS = "Topics: {count}"
OPTIONS_TAKEOUT_ON = "Takeout: on (Telegram may ask you to confirm in another app)"
OPTIONS_TAKEOUT_OFF = "Takeout: off"
EXPORT_BUTTON = "▶ Export"
RANGE_BUTTON = "Range: {range} ↻"
TOPICS_BUTTON = "Choose topics…"
TAKEOUT_ON_BUTTON = "Takeout: on ↻"
TAKEOUT_OFF_BUTTON = "Takeout: off ↻"
NAME_SAFE_BUTTON = "File name: no spaces ↻"
NAME_TITLE_BUTTON = "File name: title as is ↻"
# Channels with a discussion group: the posts' comments, under each post (exporter/comments.py).
OPTIONS_COMMENTS_ON = "Comments: with each post"
OPTIONS_COMMENTS_OFF = "Comments: left out"
COMMENTS_ON_BUTTON = "Comments: on ↻"
COMMENTS_OFF_BUTTON = "Comments: off ↻"
ALL_TOPICS_BUTTON = "All topics"
DONE_BUTTON = "Done"
TOPICS_SCREEN = "Tap topics to include or leave out."
TOPICS_SCREEN_PAGE = (
    "Tap topics to include or leave out: {chosen} of {total} chosen (page {page} of {pages})."
)
TOPICS_PREVIOUS = "◀ Previous topics"
TOPICS_NEXT = "More topics ▶"
NOTHING_EXPORTED = "Nothing exported."
NO_ROOM = "Not now: {reason} Old archives are deleted after {hours:g} h."
UNNAMED_CHAT = "the chat"
QUEUED = "Export of {title} queued."
QUEUED_AT = "Export of {title} queued (place {position} in the queue)."
TOO_MANY_WAITING = Agreeing(
    "You have {cap} {cap:export|exports} waiting; /status shows them, /cancel stops one."
)

# The media rows of the export screen (bot.handlers.media_row).
MEDIA_PRESET_BUTTONS = {"none": "No media", "photos": "Photos", "all": "All files"}
MEDIA_NONE = "Media: none, messages only"
MEDIA_ALL_FILES = "all files"
# The kinds of files (exporter.options.MEDIA_TYPES) as the media line lists them.
MEDIA_KIND_LABELS = {
    "photos": "photos",
    "videos": "videos",
    "voice": "voice",
    "round": "round",
    "stickers": "stickers",
    "gifs": "gifs",
    "files": "files",
}
MEDIA_SUMMARY = "Media: {what}, up to {size} a file"
SIZE_MB = "{mb} MB"
SIZE_BYTES = "{size:,} bytes"
SIZE_BUTTON = "≤{mb} MB"

# The warning before a big archive (bot.handlers.size_warning).
BIG_ARCHIVE = Agreeing(
    "A big archive: about {size}, in {parts} {parts:part|parts} of up to {part_size}, each a download of its own."
)
FEWER_FILES = "Fewer files make fewer parts:"
EXPORT_ANYWAY = "▶ Export anyway"
BACK = "◀ Back"
SMALLER_PHOTOS = "Photos only: about {size}, {parts} part"
SMALLER_PHOTOS_PARTS = Agreeing("Photos only: about {size}, {parts} {parts:part|parts}")
SMALLER_NONE = "No media: about {size}, {parts} part"
SMALLER_NONE_PARTS = Agreeing("No media: about {size}, {parts} {parts:part|parts}")
COUNTED_FROM_ALL = Agreeing("Counted from the files of all {messages:,} {messages:message|messages}.")
ESTIMATED_FROM_NEWEST = Agreeing(
    "Estimated from the newest {sampled:,} of {messages:,} {messages:message|messages}: their files, scaled to the rest."
)

# ---------------------------------------------------------------- while an export runs

STARTING = "Exporting {title}: starting…"
CONTINUING = "Continuing the export of {title} where it stopped."
PROGRESS_TITLE = "Exporting {title}"
PROGRESS_OF = Agreeing("{done:,} of {total:,} {total:message|messages}")
PROGRESS_DONE = Agreeing("{done:,} {done:message|messages}")
PROGRESS_SPEED = "{rate:,.0f} msg/s"
# Reading only: writing and packing the files follow, each shown as its own step.
PROGRESS_SPEED_ETA = "{rate:,.0f} msg/s, about {eta:,.0f} s of reading left"
PROGRESS_READING = "Reading: {topics}"
PROGRESS_READING_MORE = "Reading: {topics} and {more} more"
# One chat (or topic) read from several places of its history at once.
PROGRESS_TOPIC_TIMES = Agreeing("{name} ({count} {count:part|parts} at once)")
PROGRESS_LIMITED = "Telegram is the limit: it allows this account about {rate:,.0f} msg/s."
PROGRESS_FLOOD_WAIT = (
    "Waiting {seconds} s: Telegram limits how fast one account may read and asked for this pause; "
    "the export continues after it."
)
PROGRESS_PHASE = Agreeing("{done:,} {done:message|messages} read; {phase}…")
# While the files are downloaded (sizes as exporter.media.progress.human_bytes writes them).
PROGRESS_FILES = Agreeing(
    "{files_done:,} of {files_total:,} {files_total:file|files}, {bytes_done} of {bytes_total}"
)
PROGRESS_FILES_SPEED = "{speed}/s"
PROGRESS_FILES_SPEED_ETA = "{speed}/s, about {eta} of downloading left"
# The steps after reading (exporter.run's phases); a step missing here shows by its own name.
PHASE_LABELS = {
    "media": "media",
    "userpics": "the senders' profile photos",
    "rendering": "rendering",
    "packaging": "packaging",
    "done": "done",
}
SENDING = Agreeing("Exported {messages:,} {messages:message|messages} from {title}. Sending…")
SENDING_FAILED = Agreeing("Exported {messages:,} {messages:message|messages} from {title}; sending failed.")
CANCELLED = "Export cancelled."
RESTARTING = "The bot is restarting; the export of {title} continues when it is back."
RESTARTED = "The bot restarted. Your export of {title} is back in the queue and continues where it stopped."
EXPORT_FAILED = "Export failed: {reason}"
# The own session's key died under an export (bot/jobs/own_session.py): the admin's fix, not the network's.
SESSION_ENDED = (
    "Telegram ended the bot's session: it was used from two places at once (one session file in two "
    "processes). An admin must log it in again (python -m exporter login) and give the bot and each "
    "worker a session of its own; then run the export again to continue where it stopped."
)
EXPORT_STOPPED = "The export of {title} stopped."
EXPORT_WENT_WRONG = (
    "Something went wrong on our side; the export was stopped, nothing was lost; "
    "an admin can see the details."
)
# ``reason`` is a DeliveryError's sentence without its final full stop.
NOT_SENT_KEPT = "{reason}; the archive is kept and /history can send it again."

# ---------------------------------------------------------------- the summary and the archive

DONE = "Done: {title}"
INCOMPLETE = "Incomplete: {title}"
THIS_CHAT = "this chat"
TOPICS_KEPT = Agreeing("{count} {count:topic|topics}, each kept as its own topic")
WHY_INCOMPLETE = "Why it is incomplete: {reason}"
OPEN_HTML = "Open index.html; result.json works with tools made for Telegram Desktop exports."
OPEN_JSON = "result.json works with tools made for Telegram Desktop exports."
PARTIAL_ARCHIVE = "What was read is in the PARTIAL archive below; /export the same chat again to continue."
DETAILS_TITLE = "Timing of {title}"
DETAILS_BUTTON = "Details"
SUMMARY_BUTTON = "Back to the summary"
DETAILS_GONE = "Those details are gone: /history lists the export."
CAPTION = Agreeing("{title}: {messages:,} {messages:message|messages}")
CAPTION_UNNAMED = "Export"
CAPTION_PART = Agreeing(
    "{title}: {messages:,} {messages:message|messages}\n"
    "Part {index} of {count}: join with `cat NAME.zip.0* > NAME.zip`, or open .001 in 7-Zip"
)
# What a DeliveryError says; ``what`` is one of the two names below.
PART_TOO_LARGE = (
    "Telegram refused an archive part as too large; lower the part size, or use a local "
    "Bot API server (BOT_API_URL) for parts up to 2000 MB."
)
REFUSED = "Telegram refused {what}: {reason}"
GAVE_UP = "Sending {what} failed ({why}) and we stopped retrying after {bound:.0f} s"
ASKED_TO_WAIT = "Telegram asked to wait {seconds} s"
A_MESSAGE = "a message"
AN_ARCHIVE_PART = "an archive part"

# ---------------------------------------------------------------- /status, /cancel, /history

JOB_RUNNING = Agreeing("#{id} {title}: running, {done:,} {done:message|messages}")
JOB_RUNNING_OF = Agreeing(
    "#{id} {title}: running, {done:,} of {total:,} {total:message|messages} ({share:.0%})"
)
JOB_ETA = "{line}, about {eta} of reading left"
JOB_PHASE = "{line}; now {phase}"
JOB_STATE = "#{id} {title}: {state}"
# A job's state (db.JobState) as /status and /history name it.
STATE_LABELS = {
    "queued": "queued",
    "running": "running",
    "done": "done",
    "failed": "failed",
    "cancelled": "cancelled",
}
JOB_PLACE = "{line} (place {position} in the queue)"
JOB_OF_USER = "{line} (user {user_id})"
NOTHING_RUNNING = "You have no export running or queued. /history shows past ones."
NOBODY_RUNNING = "Nobody has an export running or queued."
CANCEL_ANY = "/cancel #ID stops any of them."
NOTHING_TO_CANCEL = "Nothing to cancel: you have no export running or queued (with that number)."
ALREADY_FINISHED = "#{id} has already finished."
CANCELLING = "Cancelling #{id} {title}."
CANCELLED_BY_ADMIN = "An admin (user {admin_id}) cancelled your export #{id} of {title}."
NO_HISTORY = "No finished exports yet."
HISTORY_LINE = "#{id} {when} {title}: {outcome}"
HISTORY_LINE_MESSAGES = Agreeing("#{id} {when} {title}: {outcome}, {messages:,} {messages:message|messages}")
OUTCOME_NOT_DELIVERED = "not delivered (the archive is kept)"
OUTCOME_STOPPED_EARLY = "stopped early (/export it again to continue)"
SEND_AGAIN_BUTTON = "Send #{id} again"
NOT_YOURS = "That export is not yours."
ARCHIVE_GONE = "That archive is gone: /export the chat again."
RESENDING = "Sending…"
# ``reason`` is a DeliveryError's sentence without its final full stop.
RESEND_FAILED = "{reason}; try /history again later."

# ---------------------------------------------------------------- /share, /unshare, /shared

NOT_SHARED = "Only chats an admin has shared can be exported: ask an admin to /share this one."
ADMINS_ONLY = "Only admins decide which chats are shared; /shared lists the ones you may export."
SHARE_HOW = "Send /share @name, a t.me link or a chat id; in a group, /share shares that group."
WHICH_CHAT_TO_SHARE = "Which chat to share?"
SHARE_BUTTON = "Share it"
SHARE_PRIVATE = (
    "{title} is a private chat of the exporting account: once shared, everyone "
    "allowed to use this bot can export all of it. Share it?"
)
SHARED = "Shared {title}: everyone allowed to use this bot can export it now. /unshare {peer_id} stops that."
ALREADY_SHARED = "{title} was already shared."
STAYS_PRIVATE = "{title} stays private."
UNSHARE_HOW = "Send /unshare and the chat's id from /shared (or @name, or a link)."
NOT_A_CHAT_ID = "{text} is not a Telegram chat id: /shared lists the shared ones."
UNSHARED = "{title} is no longer shared: only admins can export it now."
UNSHARED_CANCELLED = "{title} is no longer shared: only admins can export it now. {stopped} waiting exports of it were cancelled."
WAS_NOT_SHARED = "{title} was not shared; /shared lists the shared chats."
CANCELLED_UNSHARED = "An admin stopped sharing {chat}, so this was cancelled: export #{id} of {title}."
NOTHING_SHARED = "No chat is shared yet: /share @chat shares one."
SHARED_CHATS = "Shared chats (everyone allowed may export these):"
YOUR_CHATS = "Chats you may export:"
SHARED_CHAT_LINE = "• {title} ({kind}) — {peer_id}"
UNSHARE_ONE = "/unshare ID stops sharing one."

# ---------------------------------------------------------------- /settings

TIME_ZONE_SCREEN = (
    "Time zone: {zone}. Dates in your archives are written in it, as Telegram Desktop writes "
    "the computer's local time.\nPick one, or send /settings followed by a zone name such as "
    "/settings America/Mexico_City.\n{media} (the /export screen changes it)."
)
TIME_ZONE_SET = "Time zone set to {zone}: your next archives use it."

# ---------------------------------------------------------------- admins: /allow, /deny, /login, /logout

ID_TOO_BIG = "That number is too big for a Telegram user id: ask that person for the id the bot told them."
WHO_USAGE = "Usage: /{command} USER_ID (the id the bot told that person), or reply to their message."
ALLOWED = "User {user_id} may export now."
ALREADY_ALLOWED = "User {user_id} already could."
DENIED = "User {user_id} can no longer export."
DENIED_CANCELLED = "User {user_id} can no longer export. {stopped} of their waiting exports were cancelled."
HAD_NO_ACCESS = "User {user_id} had no access."
HAD_NO_ACCESS_CANCELLED = "User {user_id} had no access. {stopped} of their waiting exports were cancelled."
CANCELLED_DENIED = "An admin removed your access to this bot, so this was cancelled: export #{id} of {title}."
QR_CAPTION = (
    "Scan with Telegram on the exporting account's phone: Settings → Devices → Link Desktop Device. "
    "The code renews itself every 30 seconds for two minutes."
)
ALREADY_LOGGED_IN = "The exporting account is already logged in as {name} (id {id})."
TWO_STEP_PASSWORD = "The account has a two-step password: send it here. I delete the message at once."
QR_NOT_SCANNED = "No QR code was scanned in {minutes} minutes: send /login again when the phone is at hand."
LOGGED_IN = "Logged in as {name} (id {id})."
WRONG_PASSWORD = "That password is wrong: send it again, or /login to start over."
NOT_LOGGED_IN = "The exporting account is not logged in."
LOGGED_OUT = "The exporting account is logged out; its session is gone. /login to log in again."

# ---------------------------------------------------------------- admins: /stats

STATS_JOBS = (
    "Exports: {done} done, {failed} failed, {cancelled} cancelled; {running} running, {queued} queued"
)
STATS_VOLUME = "Messages exported: {messages:,}; archives {megabytes:,.1f} MB"
STATS_SPEED = Agreeing("Speed over the last {days} {days:day|days}: {rate:,.0f} msg/s")
STATS_PHASE = "{phase} {percent:.0f} %"
# The same split as each export's Details: every second counted once, so they add up.
STATS_PHASES = Agreeing(
    "Where the time went ({exports} {exports:export|exports}, {seconds:,.0f} s): {phases}"
)
# Two numbers, named as in each export's summary: a wait can hold several refused requests. Summed
# over finished exports, on whichever session read them (db/stats.py): not the per-account counts below.
STATS_FLOOD = Agreeing(
    "Waits for Telegram's flood limit in finished exports: {waits} in {exports} {exports:export|exports}, "
    "{waited:,.0f} s waited; refused requests: {refused} (Telegram asked for {announced:,} s)"
)
STATS_QUEUE = "Queue: {users}"
STATS_QUEUE_USER = "user {user_id}: {running} running, {queued} queued"
STATS_FAILURES = "Recent failures:"
STATS_FAILURE = "  #{id} {target}: {error}"
STATS_DISK = "Disk used by archives: {used:,.1f} MB of {budget:,} MB"
STATS_CHART_CAPTION = "Exports and speed per day"

# Several exporting accounts (/login adds one, /accounts lists them; bot/accounts, bot/handlers/accounts.py).
# An account's count is every FLOOD_WAIT answer Telegram gave it (db/accounts.py account_floods):
# refused requests, not waits, and its previews and unfinished exports too, which the line above
# (finished exports only) leaves out; so the two differ, and each says what it counts.
STATS_ACCOUNTS = Agreeing(
    "Exporting accounts, last {days} {days:day|days}: refused requests are every answer of Telegram's "
    "flood limit to the account, previews and unfinished exports included"
)
STATS_ACCOUNT = Agreeing(
    "  {name} (#{id}{paused}): {exports} {exports:export|exports}, {rate}, "
    "refused requests {waits} (Telegram asked for {waited:,} s)"
)
STATS_ACCOUNT_RATE = "{rate:,.0f} msg/s"
STATS_ACCOUNT_NO_RATE = "no rate yet"
STATS_ACCOUNT_PAUSED = ", paused"
RAN_ON_ACCOUNT = "Read by the exporting account {name}."
WAITING_FOR_ACCOUNT = "{title}: waiting for an exporting account that can read it (all are busy)."
NO_ACCOUNT = "No exporting account is active: an admin adds one with /login, or resumes one in /accounts."
NO_ACCOUNT_FREE = "The exporting accounts that can read that chat are all busy: try again in a few minutes."
NO_ACCOUNT_READS = "None of the exporting accounts can read that chat: join it with one of them first."
READER_REMOVED = (
    "That chat is the own conversation of an exporting account that was removed since: export it again."
)
WAITING_FOR_ITS_ACCOUNT = (
    "{title}: waiting for the exporting account whose conversation it is (busy or paused)."
)
ACCOUNT_ADDED = "Added the exporting account {name} (id {id}); it is #{number} in /accounts."
ACCOUNTS_NONE = "No exporting accounts yet: /login adds one."
ACCOUNTS_TITLE = "Exporting accounts:"
ACCOUNT_LINE = "#{number} {name} (id {tg_id}): {state}"
ACCOUNT_STATE_PAUSED = "paused"
ACCOUNT_STATE_BUSY = "exporting"
ACCOUNT_STATE_IDLE = "ready"
BUTTON_ACCOUNT_PAUSE = "⏸ Pause #{number}"
BUTTON_ACCOUNT_RESUME = "▶ Resume #{number}"
BUTTON_ACCOUNT_REMOVE = "🗑 Remove #{number}"
BUTTON_ACCOUNT_REMOVE_SURE = "Yes, remove #{number}"
ACCOUNT_REMOVE_SURE = (
    "Remove #{number} {name}? Its session is deleted here; log it out on the phone too (Settings → Devices)."
)
ACCOUNT_BUSY = (
    "#{number} {name} is exporting now, so it stays: pause it, and remove it once that export has ended."
)
ACCOUNT_PAUSED = "Paused #{number} {name}: no new export starts on it."
ACCOUNT_RESUMED = "Resumed #{number} {name}."
ACCOUNT_REMOVED = "Removed #{number} {name}."
ACCOUNT_GONE = "That account is gone (removed meanwhile)."
LOGIN_START_AGAIN = "That login is over (the bot restarted meanwhile): send /login to start again."
ACCOUNTS_NEED_KEY = (
    "Several exporting accounts need SESSION_KEY in the settings (their sessions are stored encrypted "
    'with it; README, "Several exporting accounts"). Until then the bot\'s own session is the one account.'
)
CHART_EXPORTS = "done"
CHART_FAILED = "failed"
CHART_CANCELLED = "cancelled"
CHART_EXPORTS_AXIS = "exports per day"
CHART_SPEED = "msg/s"
CHART_SPEED_AXIS = "messages per second"
CHART_TITLE = "Exports and speed, last days (UTC)"


def fit_lines(lines: Sequence[str], footer: str = "", limit: int = MESSAGE_MAX) -> str:
    """``lines`` joined by newlines, then ``footer``; the lines that would not fit are replaced by
    "…and N more." so the message is never refused as too long."""
    kept: list[str] = []
    # Room for the footer and the longest "…and N more." line, with their newlines.
    budget = limit - len(footer) - len(MORE_LINES.format(count=len(lines))) - 2
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            break
        kept.append(line)
        used += len(line) + 1
    if len(kept) < len(lines):
        kept.append(MORE_LINES.format(count=len(lines) - len(kept)))
    if footer:
        kept.append(footer)
    return "\n".join(kept)


# ---------------------------------------------------------------- /schedule and /schedules

SCHEDULE_USAGE = (
    "Schedule an export that repeats: /schedule @chat daily 03:00, /schedule @chat weekly mon 08:00 "
    "or /schedule @chat every 6h; then, if you like, tz:Europe/Berlin, format:json,html and a filter "
    "(from:@alice has:photo …). Each run brings only what is new since the archive before it."
)
SCHEDULE_NO_RULE = "Say when after the chat: daily 03:00, weekly mon 08:00 or every 6h."
SCHEDULE_UNKNOWN_RULE = "“{typed}” is not a schedule: say daily 03:00, weekly mon 08:00 or every 6h."
SCHEDULE_RULE_CUT = "Say when in full: daily 03:00, weekly mon 08:00 or every 6h."
SCHEDULE_BAD_TIME = "“{typed}” is not a time of day: write it as 03:00 (a 24-hour clock)."
SCHEDULE_BAD_WEEKDAY = "“{typed}” is not a day of the week: use mon, tue, wed, thu, fri, sat or sun."
SCHEDULE_BAD_EVERY = "“{typed}” is not a period: write it as 30m, 6h or 2d."
SCHEDULE_TOO_OFTEN = "At most once every {shortest}: every export spends the account's flood limits."
SCHEDULE_BAD_FORMAT = "“{typed}” is not a format: use json, html or md, separated by commas."
SCHEDULE_BAD_OPTIONS = "That schedule could not run: {reason}"
SCHEDULE_MADE = (
    "Scheduled #{id}: {title}, {rule}.\n"
    "First run {next}. Each run brings only the messages new since the archive before it "
    "(the first: {start}). /schedules lists your schedules."
)
SCHEDULE_STARTS_AFTER = "after your last export of this chat"
SCHEDULE_STARTS_ALL = "the whole chat"
# strftime: the day, the date and the time in the schedule's zone, with the zone's abbreviation.
WHEN_FORMAT = "%a %d %b %H:%M %Z"
RULE_DAILY = "daily at {at} ({zone})"
RULE_WEEKLY = "every {day} at {at} ({zone})"
RULE_EVERY = "every {period}"
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

SCHEDULES_NONE = "You have no scheduled exports. /schedule @chat daily 03:00 makes one."
SCHEDULES_TOO_MANY = "You have {most} scheduled exports, as many as one person may: /schedules deletes one."
SCHEDULES_TITLE = "Your scheduled exports:"
SCHEDULE_LINE = "#{id} {title}, {rule}\n    next: {next}\n    last: {last}"
SCHEDULE_NEXT_PAUSED = "paused"
SCHEDULE_LAST_NEVER = "not run yet"
SCHEDULE_LAST_RUNNING = "running now"
SCHEDULE_LAST_DELIVERED = Agreeing("{when}, {messages:,} new {messages:message|messages} delivered")
SCHEDULE_LAST_NOTHING = "{when}, nothing new"
SCHEDULE_LAST_FAILED = "{when}, failed: {reason}"
BUTTON_SCHEDULE_PAUSE = "⏸ Pause #{id}"
BUTTON_SCHEDULE_RESUME = "▶ Resume #{id}"
BUTTON_SCHEDULE_RUN = "⏩ Run #{id} now"
BUTTON_SCHEDULE_DELETE = "🗑 Delete #{id}"
SCHEDULE_PAUSED = "Paused #{id}."
SCHEDULE_RESUMED = "Resumed #{id}: next run {next}."
SCHEDULE_RUNS_NOW = "#{id} runs now."
SCHEDULE_BUSY = "#{id} is running already; the next run brings whatever this one leaves."
SCHEDULE_DELETED = "Deleted #{id}."
SCHEDULE_GONE = "That schedule is gone (deleted, or not yours)."

# A scheduled run's status message when there is nothing to send, instead of an empty archive.
NOTHING_NEW = "Nothing new in {title} since the last archive."
# A run that could not start (the process stopped before queueing it; no status message said why).
SCHEDULE_RUN_FAILED = (
    "The scheduled export of {title}, {rule}, did not run: {reason}\n"
    "The next try is {next}; /schedules pauses or deletes it."
)
# A run its owner may no longer make: the schedule is paused.
SCHEDULE_REFUSED = (
    "The scheduled export of {title}, {rule}, did not run: {reason}\n"
    "It is paused until you resume it in /schedules (or delete it there)."
)
# After a run's status message said why it failed.
SCHEDULE_NEXT_RUN = "This was the scheduled export of {title}, {rule}; the next run, {next}, catches up."
SCHEDULE_FAILED_UNEXPECTED = "something went wrong on my side (the details are in the bot's log)."
SCHEDULE_NO_ACCESS = "you no longer have access to this bot."
SCHEDULE_NOT_SHARED = "an admin no longer shares this chat with you."
SCHEDULE_READER_REMOVED = (
    "it is the own conversation of an exporting account that was removed since: delete this "
    "schedule and make it again."
)
SCHEDULE_RUN_LOST = "the bot stopped before the run could start."
SCHEDULE_RUN_CANCELLED = "cancelled."


# ---------------------------------------------------------------- /export all: many chats at once

MANY_TITLE = "Export many chats at once"
MANY_KINDS = "Chats: {kinds}"
MANY_NO_KIND = "none chosen yet"
# The kinds of chats (exporter.many.KINDS) as the screen and its buttons name them.
MANY_KIND_LABELS = {
    "private": "private chats",
    "groups": "groups",
    "channels": "channels",
    "forums": "forums",
    "bots": "bots",
}
MANY_ARCHIVED_ON = "Archived chats: included"
MANY_ARCHIVED_OFF = "Archived chats: left out"
MANY_LEFT_ON = "Chats the account left: included (those it can still read)"
MANY_LEFT_OFF = "Chats the account left: left out"
MANY_ARCHIVED_BUTTON_ON = "Archived: in ↻"
MANY_ARCHIVED_BUTTON_OFF = "Archived: out ↻"
MANY_LEFT_BUTTON_ON = "Left chats: in ↻"
MANY_LEFT_BUTTON_OFF = "Left chats: out ↻"
MANY_PER_CHAT = "Archives: one per chat"
MANY_COMBINED = "Archives: one for all, laid out as Telegram Desktop's full export"
MANY_PER_CHAT_BUTTON = "One archive per chat ↻"
MANY_COMBINED_BUTTON = "One archive for all ↻"
MANY_LISTING = "Listing the chats…"
MANY_NONE = "No chat of the kinds chosen: nothing exported."
MANY_QUEUED = Agreeing("Export of {count} {count:chat|chats} queued: {titles}.")
MANY_PROGRESS_TITLE = "{title} (chat {index} of {count}; {done} done, {failed} not exported)"
MANY_SENDING = Agreeing("{count:The chat is|All {count} chats are} through; sending the archive…")
MANY_FINISHED = Agreeing("The export of {count} {count:chat|chats} is over; the summary is below.")
MANY_DONE = Agreeing(
    "Done: {count} {count:chat|chats}, {messages:,} {messages:message|messages}, each exported whole."
)
MANY_PARTLY = Agreeing(
    "Done: {whole} of {count} {count:chat|chats} exported whole, {messages:,} {messages:message|messages}."
)
MANY_STOPPED = Agreeing(
    "Stopped: {whole} of {count} {count:chat|chats} exported whole, {messages:,} {messages:message|messages}."
)
MANY_LINE_COMPLETE = Agreeing("✅ {title}: {messages:,} {messages:message|messages}")
MANY_LINE_INCOMPLETE = Agreeing("⚠️ {title}: {messages:,} {messages:message|messages}, incomplete: {reason}")
# A chat read by an exporting account (bot/accounts) says which; the bot's own session says nothing.
MANY_LINE_ACCOUNT = "{line} (read by {name})"
MANY_LINE_FAILED = "❌ {title}: not exported: {reason}"
MANY_LINE_CANCELLED = "⏹ {title}: not exported: stopped."
MANY_WENT_WRONG = "something went wrong on my side (the details are in the bot's log)."
MANY_CAPTION = Agreeing("{count} {count:chat|chats}: {messages:,} {messages:message|messages}")
MANY_CAPTION_PART = Agreeing(
    "{count} {count:chat|chats}: {messages:,} {messages:message|messages}\n"
    "Part {index} of {parts}: join with `cat NAME.zip.0* > NAME.zip`, or open .001 in 7-Zip"
)
MANY_RESTARTED = Agreeing(
    "The bot restarted. Your export of {count} {count:chat|chats} continues where it stopped."
)
MANY_NOT_COMBINED = "No archive: the one for all chats could not be written: {reason}."
MANY_NOT_SENT = "{reason}; the archive for all chats was not kept: /export all again makes it anew."
MANY_SUMMARY_NOT_SENT = "{reason}; the summary of the export of many chats could not be sent."
MANY_CANCELLING = Agreeing(
    "Stopping the export of many chats: {count} not yet exported {count:is|are} cancelled; the summary follows."
)
