"""Inline keyboards under a message: Desktop's ``inline_bot_buttons``."""

from __future__ import annotations

import base64
from typing import Any

from telethon.tl import types as tl

_BUTTON_TYPE: dict[type, str] = {
    tl.InlineButtonTypeUrl: "url",
    tl.InlineButtonTypeCallback: "callback",
    tl.InlineButtonTypeSwitchInline: "switch_inline",
    tl.InlineButtonTypeGame: "game",
    tl.InlineButtonTypeBuy: "buy",
    tl.InlineButtonTypeUrlAuth: "auth",
    tl.InlineButtonTypeUserProfile: "user_profile",
    tl.InlineButtonTypeWebView: "web_view",
    tl.InlineButtonTypeCopy: "copy_text",
}


def _button(button: Any) -> dict[str, Any]:
    kind = button.type
    cls = type(kind)
    type_name = _BUTTON_TYPE.get(cls, "default")
    if cls is tl.InlineButtonTypeCallback and kind.requires_password:
        type_name = "callback_with_password"
    elif cls is tl.InlineButtonTypeSwitchInline and kind.same_peer:
        type_name = "switch_inline_same"
    out: dict[str, Any] = {"type": type_name}
    if button.text:
        out["text"] = button.text
    if cls is tl.InlineButtonTypeCallback:
        if kind.data:
            out["dataBase64"] = base64.urlsafe_b64encode(kind.data).rstrip(b"=").decode("ascii")
            out["data"] = ""
    else:
        data = ""
        if cls in (tl.InlineButtonTypeUrl, tl.InlineButtonTypeUrlAuth, tl.InlineButtonTypeWebView):
            data = kind.url
        elif cls is tl.InlineButtonTypeSwitchInline:
            data = kind.query
        elif cls is tl.InlineButtonTypeUserProfile:
            data = str(kind.user_id)
        elif cls is tl.InlineButtonTypeCopy:
            data = kind.copy_text
        if data:
            out["data"] = data
    if cls is tl.InlineButtonTypeUrlAuth:
        if kind.fwd_text:
            out["forward_text"] = kind.fwd_text
        if kind.button_id:
            out["button_id"] = kind.button_id
    return out


def inline_buttons(markup: Any) -> list[list[dict[str, Any]]] | None:
    """The rows of an inline keyboard, rows without a button left out; None for any other markup."""
    if type(markup) is not tl.ReplyInlineMarkup or not markup.rows:
        return None
    rows = [[_button(b) for b in row.buttons] for row in markup.rows]
    return [row for row in rows if row]
