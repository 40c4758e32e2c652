"""python -m bench.store_backends [URL]: the per-export store's write path, SQLite against PostgreSQL.

What an export does with each page of history, measured alone: store the page's records and move
its stream's cursor in one transaction (db.store.ExportStore.put_page, the atomic page+cursor rule).
SQLite runs the real ExportStore on the local disk; PostgreSQL runs the same statements (one
multi-row INSERT … ON CONFLICT DO NOTHING and the cursor's UPDATE, one transaction per page) over
psycopg 3 to the server URL names (default: this machine's, over TCP on loopback: the best case; a
server on another machine adds its round trips per page). docs/scale.md records the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import orjson
import psycopg

from db.store import ExportStore, StreamRow

PAGE = 100  # messages.getHistory's largest page
PAGES = 300
ROUNDS = 3
_SCHEMA = """
CREATE TABLE messages (id BIGINT PRIMARY KEY, topic_id BIGINT, date BIGINT NOT NULL, record BYTEA NOT NULL);
CREATE TABLE streams (key TEXT PRIMARY KEY, cursor BIGINT NOT NULL, expected BIGINT);
INSERT INTO streams VALUES ('main', 0, NULL);
"""


def pages() -> list[list[tuple[int, int | None, int, bytes]]]:
    """History pages newest first, with records the size of a typical text message's (~420 bytes)."""
    out: list[list[tuple[int, int | None, int, bytes]]] = []
    for page in range(PAGES):
        rows: list[tuple[int, int | None, int, bytes]] = []
        for offset in range(PAGE):
            msg_id = (PAGES - page) * PAGE - offset
            record = {
                "id": msg_id,
                "type": "message",
                "date": "2026-12-07T12:00:00",
                "date_unixtime": str(1_796_000_000 + msg_id),
                "from": "Sandbox Person",
                "from_id": "user1000001",
                "text": "lorem ipsum dolor sit amet " * 8,
                "text_entities": [{"type": "plain", "text": "lorem ipsum dolor sit amet " * 8}],
            }
            rows.append((msg_id, None, 1_796_000_000 + msg_id, orjson.dumps(record)))
        out.append(rows)
    return out


def sqlite_rate(data: list[list[tuple[int, int | None, int, bytes]]], folder: Path) -> float:
    path = folder / f"store-{time.monotonic_ns()}.sqlite"
    store = ExportStore(path)
    store.add_streams([StreamRow("main", None, 1, PAGES * PAGE, "main", 0)])
    started = time.perf_counter()
    for rows in data:
        store.put_page(rows, stream="main", cursor=rows[-1][0])
    elapsed = time.perf_counter() - started
    store.close()
    return PAGES * PAGE / elapsed


async def postgres_rate(data: list[list[tuple[int, int | None, int, bytes]]], url: str) -> float:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        await connection.execute("DROP TABLE IF EXISTS messages, streams")
        await connection.execute(_SCHEMA)
        insert = (
            "INSERT INTO messages VALUES " + ",".join(["(%s, %s, %s, %s)"] * PAGE) + " ON CONFLICT DO NOTHING"
        )
        started = time.perf_counter()
        for rows in data:
            async with connection.transaction():
                await connection.execute(insert, [value for row in rows for value in row])
                await connection.execute("UPDATE streams SET cursor = %s WHERE key = 'main'", (rows[-1][0],))
        elapsed = time.perf_counter() - started
        await connection.execute("DROP TABLE messages, streams")
    return PAGES * PAGE / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store_backends", description=__doc__)
    default = os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    parser.add_argument(
        "url", nargs="?", default=default, help="a PostgreSQL database to write scratch tables in"
    )
    args = parser.parse_args()
    data = pages()
    with tempfile.TemporaryDirectory() as folder:
        sqlite = [sqlite_rate(data, Path(folder)) for _ in range(ROUNDS)]
    postgres = [asyncio.run(postgres_rate(data, args.url)) for _ in range(ROUNDS)]
    print(f"{PAGES} pages of {PAGE} messages, page and cursor in one transaction; median of {ROUNDS}:")
    print(f"  SQLite store (local disk):   {statistics.median(sqlite):>9,.0f} messages/s  {sorted(sqlite)}")
    print(
        f"  PostgreSQL (same statements): {statistics.median(postgres):>8,.0f} messages/s  {sorted(postgres)}"
    )
    print(f"  PostgreSQL / SQLite: {statistics.median(postgres) / statistics.median(sqlite):.2f}")


if __name__ == "__main__":
    main()
