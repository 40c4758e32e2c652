"""messages.getDialogFilters: the account's chat folders.

Source: core.telegram.org/api/folders — the list holds ``dialogFilterDefault`` (the "All chats"
folder) where the user placed it, next to the user's own folders. guess: the sandbox account made
no folders of its own, so "All chats" is all there is; folder tags are off.
"""

from __future__ import annotations

from telethon.tl import functions as F
from telethon.tl import types as T

from . import Call, rpc


@rpc(F.messages.GetDialogFiltersRequest)
def get_dialog_filters(call: Call, request: F.messages.GetDialogFiltersRequest) -> T.messages.DialogFilters:
    return T.messages.DialogFilters(filters=[T.DialogFilterDefault()], tags_enabled=None)
