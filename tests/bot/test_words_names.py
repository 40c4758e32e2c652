"""An archive's file name needs no quotes in a shell, and still says which chat it is."""

from __future__ import annotations

import re
import shlex

from bot import text
from exporter.render.model import ChatInfo
from exporter.workdir import export_name, title_name
from tests.bot.conftest import Product


async def test_the_delivered_archive_has_a_shell_safe_name(product: Product) -> None:
    admin = product.admin
    product.say(admin, "/export @daily_digest_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest 📰"))
    product.press(admin, options, "▶ Export")
    await product.archive(admin.id)
    name = product.api.documents_in(admin.id)[-1].file.file_name
    assert re.fullmatch(r"Daily_Digest-\d+-\d{8}-\d{6}\.zip", name), name
    assert shlex.quote(name) == name


def test_titles_become_words_of_any_script() -> None:
    def name(title: str | None, kind: str = "private_supergroup") -> str:
        return export_name(ChatInfo(42, title, kind)).rsplit("-", 3)[0]

    assert name("Family & friends 🏡") == "Family_friends"
    assert name("Релизы / Releases") == "Релизы_Releases"
    # Combining marks belong to the word (Devanagari vowel signs).
    assert name("नमस्ते दुनिया") == "नमस्ते_दुनिया"
    # A title that would read as an option or a glob in a shell loses those characters.
    assert name("-rf *") == "rf"
    assert name("📰📰", "public_channel") == "public_channel"
    assert name(None, "personal_chat") == "personal_chat"
    for title in ("Family & friends 🏡", "Релизы / Releases", "a'b\"c$(d)`e`;f|g"):
        whole = export_name(ChatInfo(42, title, "private_group"))
        assert shlex.quote(whole) == whole or not whole.isascii()
        assert " " not in whole and not re.search(r"[&/'\"$()`;|*]", whole)


def test_the_raw_title_keeps_spaces_and_emoji_but_nothing_a_file_system_refuses() -> None:
    def name(title: str | None, kind: str = "private_group") -> str:
        return title_name(ChatInfo(42, title, kind)).rsplit("-", 3)[0]

    assert name("Family & friends 🏡") == "Family & friends 🏡"
    assert name("Релизы / Releases") == "Релизы _ Releases"
    assert name("📰📰") == "📰📰"
    assert name(None, "personal_chat") == "personal_chat"


async def test_the_title_as_is_when_asked_on_the_export_screen(product: Product) -> None:
    admin = product.admin
    product.say(admin, "/export @daily_digest_sandbox")
    options = await product.reply(admin.id, lambda m: (m.text or "").startswith("Export Daily Digest 📰"))
    product.press(admin, options, text.NAME_SAFE_BUTTON)
    await product.api.wait_for(lambda: text.NAME_TITLE_BUTTON in str(options.reply_markup))
    product.press(admin, options, "▶ Export")
    await product.archive(admin.id)
    name = product.api.documents_in(admin.id)[-1].file.file_name
    assert re.fullmatch(r"Daily Digest 📰-\d+-\d{8}-\d{6}\.zip", name), name
