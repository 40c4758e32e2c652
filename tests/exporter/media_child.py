"""``python -m tests.exporter.media_child TRACE ARGS...``: ``python -m exporter.media ARGS`` with a
probe in Telethon's receive path, for tests that kill a download with SIGKILL.

The probe appends the offset of every upload.getFile answer to TRACE the moment its message is
decrypted and handed to the RPC layer, before anything handles it: client-side evidence of which
parts had fully reached this process. Bytes still in a socket buffer, or a packet not yet
decrypted, are not traced: they are the wire's. ``os.write`` needs no flush, so a line written
before a SIGKILL is in the file.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from telethon.network.mtprotosender import MTProtoSender
from telethon.tl import functions as F

from exporter.media.__main__ import _parser, main


def install_probe(trace: int) -> None:
    original = MTProtoSender._handle_rpc_result

    async def probed(self: Any, message: Any) -> None:
        state = self._pending_state.get(message.obj.req_msg_id)
        request = getattr(state.request, "query", state.request) if state is not None else None
        if isinstance(request, F.upload.GetFileRequest) and message.obj.error is None:
            os.write(trace, f"{request.offset}\n".encode())
        await original(self, message)

    MTProtoSender._handle_rpc_result = probed


if __name__ == "__main__":
    install_probe(os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    sys.exit(asyncio.run(main(_parser().parse_args(sys.argv[2:]))))
