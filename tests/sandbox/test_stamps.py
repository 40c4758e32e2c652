"""The sandbox's own clock starts when a request reached the machine (sandbox/mtproto/stamps.py)."""

from __future__ import annotations

import asyncio
import socket
import time

from sandbox.mtproto.stamps import KERNEL_STAMPS, StampedSocket, accepted, arrival, listening_socket


async def _serve_once() -> tuple[socket.socket, asyncio.Server, asyncio.Queue[tuple[bytes, float]]]:
    """A server on ``listening_socket`` that reads one chunk and says when it arrived."""
    listener = listening_socket("127.0.0.1", 0)
    chunks: asyncio.Queue[tuple[bytes, float]] = asyncio.Queue()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = accepted(listener, writer.get_extra_info("socket").fileno())
        assert isinstance(sock, StampedSocket) == KERNEL_STAMPS
        # asyncio turns Nagle's algorithm off only on sockets created as IPPROTO_TCP: without it
        # the sandbox held small answers back until the client's delayed ACK (20 ms, measured).
        assert writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        data = await reader.read(100)
        chunks.put_nowait((data, arrival(sock)))
        writer.close()

    server = await asyncio.start_server(handle, sock=listener)
    return listener, server, chunks


async def test_a_request_read_late_was_received_when_it_arrived() -> None:
    listener, server, chunks = await _serve_once()
    async with server:
        _reader, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        # Let the server accept and start reading, then keep its loop busy while the bytes arrive.
        await asyncio.sleep(0.05)
        # On loopback the kernel receives the bytes inside the sender's send call.
        before = time.perf_counter()
        writer.write(b"request")
        after = time.perf_counter()
        time.sleep(0.05)  # noqa: ASYNC251 (a busy loop is the point)
        data, received = await asyncio.wait_for(chunks.get(), 5)
        writer.close()
    assert data == b"request"
    if KERNEL_STAMPS:
        # 1 ms for the two clocks being read one after the other.
        assert before - 0.001 <= received <= after + 0.001, (
            f"received {1000 * (received - before):.1f} ms after the send began, which took "
            f"{1000 * (after - before):.1f} ms"
        )
    else:
        assert received >= after + 0.05
