"""The methods that hand out files: upload.getFile, and messages.getCustomEmojiDocuments for the
documents custom emoji name.

upload.getFile follows core.telegram.org/api/files (offset/limit rules, FILE_MIGRATE_X) and
core.telegram.org/method/upload.getFile (its error names); the world's FileFaults decide on expired
references, unavailable and stalling files (sandbox.world.files), the network model on flood waits
and bandwidth (sandbox.netmodel). ``cdn_supported`` is ignored: the bytes always come from the DC
itself, never as upload.fileCdnRedirect (the sandbox has no CDN DCs; core.telegram.org/cdn).
"""

from __future__ import annotations

from telethon.tl import functions as F
from telethon.tl import types as T

from ..mtproto.tl import RpcError
from ..world import media, userpics
from . import Call, channel_peer_id, rpc

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
async def get_file(call: Call, request: F.upload.GetFileRequest) -> T.upload.File:
    location = request.location
    world = call.world
    if isinstance(location, T.InputPeerPhotoFileLocation):
        # A peer's current profile photo, by the peer (sandbox.world.userpics): no file reference.
        blob = userpics.blob(world, location, _peer_photo(call, location.peer))
        if blob is None:
            raise RpcError(400, "LOCATION_INVALID")  # guess: the photo is not the peer's current one
        file_id, reference = location.photo_id, None
    elif isinstance(location, T.InputDocumentFileLocation | T.InputPhotoFileLocation):
        thumb = location.thumb_size or ""
        blob = world.blob(location.id, thumb) or userpics.blob(world, location, None)
        if blob is None or blob.access_hash != location.access_hash:
            raise RpcError(400, "FILE_ID_INVALID")
        file_id, reference = location.id, location.file_reference
    else:
        raise RpcError(400, "LOCATION_INVALID")
    if blob.dc_id != call.ctx.dc.dc_id:
        # Telethon answers this by exporting its authorization to that DC.
        raise RpcError(303, f"FILE_MIGRATE_{blob.dc_id}")
    check_window(request.offset, request.limit, precise=bool(request.precise))
    faults = world.file_faults
    error = (
        faults.reference_error(file_id, blob.access_hash, reference) if reference is not None else None
    ) or faults.unavailable_error_for(file_id)
    if error is not None:
        raise RpcError(400, error)
    await faults.stall(file_id, request.offset)
    data = blob.read(request.offset, request.limit)
    await call.cluster.network.transfer(call.ctx.session.connection, call.user_id, len(data), blob.dc_id)
    file_type = (
        T.storage.FileJpeg()
        if isinstance(location, T.InputPhotoFileLocation | T.InputPeerPhotoFileLocation)
        else T.storage.FilePartial()
    )
    return T.upload.File(type=file_type, mtime=0, bytes=data)


def _peer_photo(call: Call, peer: object) -> int | None:
    """The photo id of the peer's current profile photo; a peer that names no one is refused as
    Telegram refuses it elsewhere (PEER_ID_INVALID, CHANNEL_INVALID)."""
    world = call.world
    if isinstance(peer, T.InputPeerSelf):
        return userpics.user_photo_id(world.me)
    if isinstance(peer, T.InputPeerUser):
        user = world.users.get(peer.user_id)
        if user is None or user.access_hash != peer.access_hash:
            raise RpcError(400, "PEER_ID_INVALID")
        return userpics.user_photo_id(user)
    if isinstance(peer, T.InputPeerChannel):
        chat = world.chats.get(channel_peer_id(peer.channel_id))
        if chat is None or chat.access_hash != peer.access_hash:
            raise RpcError(400, "CHANNEL_INVALID")
        return userpics.channel_photo_id(chat)
    return None  # guess: basic groups' photos are not modelled


@rpc(F.messages.GetCustomEmojiDocumentsRequest)
def get_custom_emoji_documents(
    call: Call, request: F.messages.GetCustomEmojiDocumentsRequest
) -> list[T.Document]:
    """The documents of the custom emoji asked for, with a fresh file reference each
    (core.telegram.org/api/custom-emoji); ids that name no custom emoji are left out."""
    world = call.world
    documents = []
    for document_id in request.document_id:
        if media.is_custom_emoji(document_id):
            plan = media.custom_emoji_plan(world, document_id)
            reference = world.file_faults.reference(plan.file_id, plan.access_hash)
            documents.append(media.custom_emoji_document(plan, reference))
    return documents
