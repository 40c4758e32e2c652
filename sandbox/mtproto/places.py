"""Where a client connects from: one auth key used from two places at once is killed.

Telethon's list of Telegram's errors (telethon_generator/data/errors.csv, AuthKeyDuplicatedError):
"406 AUTH_KEY_DUPLICATED: The authorization key (session file) was used under two different IP
addresses simultaneously, and can no longer be used. Use the same session exclusively, or use
different sessions". One client may still open several connections with its key, each its own
MTProto session (core.telegram.org/mtproto/description: the session id is the client's choice;
Telegram Desktop and TDLib download files this way, and so does exporter/media/connections.py).

Every client of the sandbox connects from this machine, so its address alone cannot tell two
places apart. guess: the sandbox takes a client's place to be its address and its process (one
process is one device); a client bound to another loopback address (127.0.0.2) is elsewhere too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psutil

Place = tuple[str, int | None]
# TCP states of a socket its own end has closed (RFC 9293 3.3.2): the client closed it or died.
_CLOSED_HERE = frozenset(
    {psutil.CONN_FIN_WAIT1, psutil.CONN_FIN_WAIT2, psutil.CONN_TIME_WAIT, psutil.CONN_CLOSING}
)


def place_of(peer: tuple[str, int], server: tuple[str, int], known: Iterable[int] = ()) -> Place | None:
    """The address and the process of the client whose socket is ``peer`` (its address and port as
    this server sees them), connected to ``server`` (this end's address and port); the process is
    None where the system does not say. The processes in ``known`` are asked first: a look at one
    process costs far less than at all of them.

    A socket is known by both ends: Linux gives one local port to connections to different servers
    (and the closed end of an earlier one lingers in TIME_WAIT), so the client's end alone may name
    another socket. Matched so, a live client whose port's TIME_WAIT end is listed first was taken
    for a gone one: the likeliest cause of a CI run in which a second place's first request with
    the key went through (tests/bot/test_own_session_ended.py).

    None when no socket on this machine has that address any more, or only its closed end (a
    process killed with -9 closes its sockets at once, and they linger in FIN_WAIT with no process),
    though this server has not yet read the end of the connection. A gone client uses the key from nowhere: Telegram's rule is about two places using
    it at once, and a rerun right after a kill is one place after another."""
    host = peer[0]
    for pid in known:
        try:
            if any(_ends(c) == (peer, server) for c in psutil.Process(pid).net_connections(kind="inet")):
                return host, pid
        except psutil.Error:
            continue
    for connection in psutil.net_connections(kind="inet"):
        if _ends(connection) == (peer, server):
            return None if connection.status in _CLOSED_HERE else (host, connection.pid)
    return None


def _ends(connection: Any) -> tuple[tuple[str, int], tuple[str, int]] | None:
    """(local, remote) address and port of a psutil connection; None without a remote end."""
    if not connection.laddr or not connection.raddr:
        return None
    return (connection.laddr.ip, connection.laddr.port), (connection.raddr.ip, connection.raddr.port)
