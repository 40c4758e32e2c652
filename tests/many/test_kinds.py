"""Which of the kinds a person chooses from each of Telegram Desktop's chat types falls under
(bots have no chat in the sandbox's worlds, so this is where their kind is checked)."""

from __future__ import annotations

import pytest

from exporter.many import KINDS, Selection, kind_group
from exporter.render.model import ChatInfo


@pytest.mark.parametrize(
    "chat_type, forum, kind",
    [
        ("personal_chat", False, "private"),
        ("saved_messages", False, "private"),
        ("bot_chat", False, "bots"),
        ("private_group", False, "groups"),
        ("private_supergroup", False, "groups"),
        ("public_supergroup", False, "groups"),
        ("public_supergroup", True, "forums"),
        ("private_supergroup", True, "forums"),
        ("private_channel", False, "channels"),
        ("public_channel", False, "channels"),
    ],
)
def test_each_desktop_type_has_its_kind(chat_type: str, forum: bool, kind: str) -> None:
    assert kind_group(ChatInfo(1, "x", chat_type, None, forum)) == kind


def test_a_selection_takes_known_kinds_only() -> None:
    assert Selection().kinds == frozenset(KINDS)
    for wrong in (frozenset(), frozenset({"stories"})):
        with pytest.raises(ValueError, match="choose kinds from"):
            Selection(wrong)
