"""When a request reached the sandbox: the kernel's receive timestamp, not when our loop read it.

The sandbox's record of a request (``RequestTiming``) is the ground truth the exporter's reported
request times are checked against, so it starts when the request's bytes arrived at the data
centre.  A sandbox process that is not scheduled (other processes keep the cores busy) reads
late, and that wait is the data centre's, as a busy Telegram's would be.  Linux stamps every
packet it receives once ``SO_TIMESTAMPNS`` is on, and for TCP each ``recvmsg`` returns "the
reception time of the last packet passed to the user in this call" (socket(7)).  asyncio's
transports read with ``sock.recv`` (Python 3.11, ``_SelectorSocketTransport.
_read_ready__data_received``) from the socket the listener's ``accept`` returned, so the
listening socket here hands out sockets whose ``recv`` is a ``recvmsg`` keeping that stamp.

Where the kernel gives none (not Linux x86-64/arm64, or no ancillary data on a read), a chunk is
stamped when it was read, as before.  The reading side (``StampedSocket``) is the exporter's
(exporter/wire.py): the sandbox may import product code, never the other way.
"""

from __future__ import annotations

import contextlib
import socket
import time
import weakref
from typing import Any

# The stamped socket and its constants are the exporter's (exporter/wire.py): one reading side.
from exporter.wire import KERNEL_STAMPS, SO_TIMESTAMPNS, StampedSocket

__all__ = ["KERNEL_STAMPS", "StampedSocket", "accepted", "arrival", "listening_socket"]


def arrival(sock: StampedSocket | None) -> float:
    """When the bytes of the last ``recv`` on ``sock`` arrived (perf_counter seconds): the kernel's
    stamp, else now (no stamps here, or none on that read)."""
    stamped = sock.take_arrival() if sock is not None else None
    return stamped if stamped is not None else time.perf_counter()


class StampingListener(socket.socket):
    """A listening socket whose accepted connections are ``StampedSocket``s with stamps on."""

    __slots__ = ("accepted",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # By file descriptor: a transport shows its socket only wrapped (get_extra_info("socket")).
        self.accepted: weakref.WeakValueDictionary[int, StampedSocket] = weakref.WeakValueDictionary()

    def accept(self) -> tuple[socket.socket, object]:
        # socket.socket.accept's own first step (CPython's socket.py), which typeshed leaves out.
        fd, address = self._accept()  # type: ignore[attr-defined]
        connection = StampedSocket(self.family, self.type, self.proto, fileno=fd)
        self.accepted[fd] = connection
        # Without stamps take_arrival falls back to the read time.
        with contextlib.suppress(OSError):
            connection.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        # As socket.socket.accept: blocking unless the listener has a timeout (asyncio sets its own).
        if socket.getdefaulttimeout() is None and self.gettimeout():
            connection.setblocking(True)
        return connection, address


def accepted(listener: socket.socket | None, fileno: int) -> StampedSocket | None:
    """The stamped socket ``listener`` accepted as ``fileno``; None when it stamps nothing."""
    kept = getattr(listener, "accepted", None)
    return kept.get(fileno) if kept is not None else None


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for ``asyncio.start_server(sock=...)``: stamped where Linux stamps."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, as getaddrinfo gives asyncio.start_server: asyncio turns Nagle's algorithm off
    # (TCP_NODELAY) only on sockets that say so, and accepted ones inherit it.  With proto 0 the
    # sandbox held small answers back until the client's delayed ACK (up to 20 ms, measured).
    kind = StampingListener if KERNEL_STAMPS else socket.socket
    listener = kind(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.setblocking(False)
    return listener
