"""This machine's PostgreSQL for the tests: a database of their own per test session, a schema of
its own per test, both dropped after.

The server is the one ``DATABASE_URL`` names, else 127.0.0.1:5432 as user postgres (trust). When none
answers, the tests that need it are skipped with the reason, except in CI (tests/mandatory.py).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from tests.mandatory import cannot

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_SERVER


def as_url(conninfo: str, **changes: str) -> str:
    """``conninfo`` (a URL or key=value pairs) with ``changes``, as the postgresql:// URL that
    DATABASE_URL takes (db.connect opens PostgreSQL for a URL and nothing else)."""
    parts = {**conninfo_to_dict(conninfo), **changes}
    user = quote(str(parts.pop("user", "postgres")), safe="")
    password = parts.pop("password", None)
    auth = user + (":" + quote(str(password), safe="") if password else "")
    host, port = parts.pop("host", "127.0.0.1"), parts.pop("port", "5432")
    dbname = quote(str(parts.pop("dbname", "postgres")), safe="")
    query = f"?{urlencode(parts)}" if parts else ""
    return f"postgresql://{auth}@{host}:{port}/{dbname}{query}"


@contextmanager
def session_database() -> Iterator[str]:
    """A new, empty database on the server; dropped, whoever is still connected, at the end."""
    server = server_url()
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        parts = conninfo_to_dict(server)
        where = f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}"
        cannot(f"no PostgreSQL answers at {where} (set DATABASE_URL to one): {str(exc).strip()}")
    name = f"teb_test_{os.getpid()}_{secrets.token_hex(3)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield as_url(server, dbname=name)
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def fresh_schema(database: str) -> Iterator[str]:
    """A URL whose tables land in a new, empty schema of ``database``: one test's own database."""
    schema = f"t_{secrets.token_hex(4)}"
    with psycopg.connect(database, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            yield as_url(database, options=f"-csearch_path={schema}")
        finally:
            connection.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
