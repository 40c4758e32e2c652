"""The bot's words live in bot/text.py: no handler, job or delivery step writes a sentence of its own.

Read from the source: every call that sends or shows text to a person (answer, reply, edit_text,
send_message, a caption, a button's text, the status message, ``tell``) must not be handed a
string literal or an f-string with words in it; those belong in bot/text.py, where wording is
reviewed and translated in one place.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import bot

BOT = Path(bot.__file__).parent
# The module itself; the offline demo and the command line speak to the operator's terminal.
NOT_SPOKEN_TO_USERS = {"text.py", "demo.py", "__main__.py"}
# Calls whose text reaches a person on Telegram (aiogram's methods and shortcuts, ours).
SPEAKING = {
    "answer",
    "reply",
    "edit_text",
    "send_message",
    "answer_photo",
    "edit_media",
    "InputMediaPhoto",
    "send_document",
    "InlineKeyboardButton",
    "show",
    "tell",
    "send_text",
}
SPOKEN_KEYWORDS = {"text", "caption"}
# Words as people read them: two in a row, or one capitalised ("Cancel"); an identifier handed to a
# call ("picker", "share_picker") is neither.
WORDS = re.compile(r"[A-Za-z] +[A-Za-z]|^[A-Z][a-z]|[.:;?!] *$")


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _has_words(node: ast.expr) -> bool:
    """A literal, or an f-string whose literal parts, hold words."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORDS.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_has_words(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _has_words(node.left) or _has_words(node.right)
    if isinstance(node, ast.IfExp):
        return _has_words(node.body) or _has_words(node.orelse)
    return False


def inline_sentences(source: str) -> list[tuple[int, str]]:
    """(line, call) of every speaking call handed words written in place."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or _name(node) not in SPEAKING:
            continue
        spoken = [*node.args, *(k.value for k in node.keywords if k.arg in SPOKEN_KEYWORDS)]
        if any(_has_words(arg) for arg in spoken):
            found.append((node.lineno, _name(node)))
    return found


def test_the_check_sees_a_sentence_written_in_place() -> None:
    assert inline_sentences('await message.answer("Nothing exported.")') == [(1, "answer")]
    assert inline_sentences('InlineKeyboardButton(text=f"Send #{n} again", callback_data=d)') == [
        (1, "InlineKeyboardButton")
    ]
    assert inline_sentences('await tell(bot, where, "Cancelled")') == [(1, "tell")]
    assert inline_sentences("await message.answer(text.NOTHING_EXPORTED)") == []
    assert inline_sentences('await picker.show(message, app, "share_picker", chats, question)') == []
    # Marks and numbers are not words: a check box before a label from bot/text.py is fine.
    assert inline_sentences('button(f"{mark} {label}", choice)') == []


def test_no_bot_module_writes_a_sentence_of_its_own() -> None:
    offenders = [
        f"{path.relative_to(BOT.parent)}:{line} {call}"
        for path in sorted(BOT.rglob("*.py"))
        if path.name not in NOT_SPOKEN_TO_USERS
        for line, call in inline_sentences(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "move these sentences to bot/text.py:\n" + "\n".join(offenders)


# Nouns a count comes before in the bot's sentences; "1 chats" or "1 messages" reads as a slip.
COUNTED_NOUNS = re.compile(
    r"\b1 (?:new )?(chats|messages|comments|files|parts|accounts|topics|exports|days|waits)\b"
)


def test_a_count_of_one_takes_the_singular() -> None:
    """Every template, its fields all 1: no "1 chats", "1 messages" (text.Agreeing picks the noun)."""
    from bot import text

    wrong = {}
    for name, value in vars(text).items():
        if not isinstance(value, str) or not name.isupper():
            continue
        fields = {field for _, field, _, _ in string.Formatter().parse(value) if field}
        if not fields:
            continue
        said = value.format(**dict.fromkeys(fields, 1))
        if COUNTED_NOUNS.search(said):
            wrong[name] = said
    assert wrong == {}


def test_more_than_one_takes_the_plural() -> None:
    from bot import text

    assert text.MANY_DONE.format(count=1, messages=1) == "Done: 1 chat, 1 message, each exported whole."
    assert (
        text.MANY_DONE.format(count=2, messages=1_234)
        == "Done: 2 chats, 1,234 messages, each exported whole."
    )
    assert text.MANY_SENDING.format(count=1) == "The chat is through; sending the archive…"
    assert text.MANY_SENDING.format(count=0).startswith("All 0 chats are")
    assert " 1 not yet exported is cancelled;" in text.MANY_CANCELLING.format(count=1)
    assert " 3 not yet exported are cancelled;" in text.MANY_CANCELLING.format(count=3)
