"""The backend-postgres scenario of ``python -m bench``: one whole export through the bot's job path,
the application database on SQLite, then on PostgreSQL (bench/backend_run.py runs each), and the
scratch databases it makes on the PostgreSQL server.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from .model import Scenario

CONTESTANTS = ("sqlite", "postgres")
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    """The server to make scratch databases on: the bench's own DATABASE_URL names it, else this machine's."""
    return os.environ.get("DATABASE_URL") or DEFAULT_SERVER


def postgres_unreachable() -> str | None:
    """Why no scratch database can be made here (None: one can)."""
    server = server_url()
    try:
        psycopg.connect(server, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        where = urlsplit(server).netloc.rpartition("@")[2] or "localhost:5432"
        why = str(exc).strip().splitlines()[0]  # psycopg adds a hint on the next line
        return f"no PostgreSQL answers at {where} (set DATABASE_URL to one): {why}"
    return None


@contextmanager
def scratch_database() -> Iterator[str]:
    """The URL of a new, empty database on the server, dropped (whoever is still connected) after."""
    server = server_url()
    name = f"bench_backend_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True, connect_timeout=3) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urlsplit(server)._replace(path=f"/{name}").geturl()
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


BACKEND_SCENARIO = Scenario(
    "backend-postgres",
    "channel-large",
    "@large_channel_sandbox",
    "one channel of 100,000 messages through the bot's job path at 50 ms, the application database "
    "on SQLite, then on PostgreSQL (issue 17)",
    latency_ms=50,
    contestants=CONTESTANTS,
    program="bench.backend_run",
    unavailable=postgres_unreachable,
)
