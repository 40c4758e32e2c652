"""photos.*: profile pictures.

photos.getUserPhotos lists a user's profile photos, the current one first
(core.telegram.org/method/photos.getUserPhotos; errors: 400 USER_ID_INVALID). A sandbox user has at
most one, the one ``user.photo`` names (sandbox.world.userpics), so the answer is that photo or
nothing; offset, max_id and limit page a list of one.
"""

from __future__ import annotations

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from ..world import userpics
from . import Call, rpc


@rpc(F.photos.GetUserPhotosRequest)
def get_user_photos(call: Call, request: F.photos.GetUserPhotosRequest) -> T.photos.Photos:
    wanted = request.user_id
    if isinstance(wanted, T.InputUserSelf):
        user = call.world.me
    else:
        named = call.world.users.get(getattr(wanted, "user_id", 0))
        if named is None or named.access_hash != getattr(wanted, "access_hash", None):
            raise RpcError(400, "USER_ID_INVALID")
        user = named
    photo_id = userpics.user_photo_id(user)
    if photo_id is None or request.offset > 0 or request.limit <= 0:
        return T.photos.Photos(photos=[], users=[])
    return T.photos.Photos(photos=[userpics.photo(photo_id, call.world)], users=[])
