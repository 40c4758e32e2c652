"""upload.getFile with Telegram's offset/limit rules (https://core.telegram.org/api/files)."""

from __future__ import annotations

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from . import Call, rpc

MIB = 1024 * 1024


def check_window(offset: int, limit: int, *, precise: bool) -> None:
    """Non-precise: offset and limit multiples of 4 KiB and limit divides 1 MiB.
    Precise: multiples of 1 KiB up to 1 MiB.  Either way one request stays
    inside one 1 MiB window."""
    unit = 1024 if precise else 4096
    if offset < 0 or offset % unit:
        raise RpcError(400, "OFFSET_INVALID")
    if limit <= 0 or limit % unit or limit > MIB or (not precise and MIB % limit):
        raise RpcError(400, "LIMIT_INVALID")
    if offset // MIB != (offset + limit - 1) // MIB:
        raise RpcError(400, "LIMIT_INVALID")


@rpc(F.upload.GetFileRequest)
def get_file(call: Call, request: F.upload.GetFileRequest) -> T.upload.File:
    location = request.location
    if not isinstance(location, T.InputDocumentFileLocation | T.InputPhotoFileLocation):
        raise RpcError(400, "LOCATION_INVALID")
    blob = call.world.blob(location.id, location.thumb_size or "")
    if blob is None or blob.access_hash != location.access_hash:
        raise RpcError(400, "FILE_ID_INVALID")
    if blob.dc_id != call.ctx.dc.dc_id:
        # Telethon answers this by exporting its authorization to that DC.
        raise RpcError(303, f"FILE_MIGRATE_{blob.dc_id}")
    check_window(request.offset, request.limit, precise=bool(request.precise))
    file_type = (
        T.storage.FileJpeg() if isinstance(location, T.InputPhotoFileLocation) else T.storage.FilePartial()
    )
    return T.upload.File(type=file_type, mtime=0, bytes=blob.read(request.offset, request.limit))
