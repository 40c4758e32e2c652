"""photos.*: profile pictures.

Every user of the sandbox world is sent with ``photo`` unset (``UserInfo.tl``), which Telegram does
for a user without a profile picture, so the consistent answer is an empty list.  Source:
core.telegram.org/method/photos.getUserPhotos (errors: 400 USER_ID_INVALID).
"""

from __future__ import annotations

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from . import Call, rpc


@rpc(F.photos.GetUserPhotosRequest)
def get_user_photos(call: Call, request: F.photos.GetUserPhotosRequest) -> T.photos.Photos:
    wanted = request.user_id
    if not isinstance(wanted, T.InputUserSelf):
        user = call.world.users.get(getattr(wanted, "user_id", 0))
        if user is None or user.access_hash != getattr(wanted, "access_hash", None):
            raise RpcError(400, "USER_ID_INVALID")
    return T.photos.Photos(photos=[], users=[])
