"""Which chats of the exporting account non-admins may export: the list an admin shares.

The account can read every chat it is in, its private chats included, so the
safe default is that non-admins export nothing until an admin shares a chat.
Chats are keyed by the marked peer id of the resolved chat, never by what
somebody typed: a link, a username and an id of one chat are one entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from .backend import Database


@dataclass(frozen=True)
class SharedChat:
    peer_id: int
    title: str
    # Telegram Desktop's kind of chat (personal_chat, public_channel, …), as shown in the picker.
    kind: str
    shared_by: int
    shared_at: float


class SharedChats:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def share(self, peer_id: int, title: str, kind: str, by: int) -> bool:
        """Share a chat; False when it already was (its title is refreshed then)."""
        async with self._db.transaction() as connection:
            rows = list(
                await connection.execute_fetchall("SELECT 1 FROM shared_chats WHERE peer_id = ?", (peer_id,))
            )
            await connection.execute(
                "INSERT INTO shared_chats (peer_id, title, kind, shared_by, shared_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (peer_id) DO UPDATE SET title = excluded.title, kind = excluded.kind",
                (peer_id, title, kind, by, self._db.now()),
            )
        return not rows

    async def unshare(self, peer_id: int) -> bool:
        """Stop sharing; False when the chat was not shared."""
        async with self._db.transaction() as connection:
            cursor = await connection.execute("DELETE FROM shared_chats WHERE peer_id = ?", (peer_id,))
            return cursor.rowcount > 0

    async def is_shared(self, peer_id: int) -> bool:
        return await self._db.fetchone("SELECT 1 FROM shared_chats WHERE peer_id = ?", (peer_id,)) is not None

    async def list_shared(self) -> list[SharedChat]:
        """Every shared chat, by title."""
        rows = await self._db.fetchall(
            "SELECT peer_id, title, kind, shared_by, shared_at FROM shared_chats ORDER BY title, peer_id"
        )
        return [
            SharedChat(row["peer_id"], row["title"], row["kind"], row["shared_by"], row["shared_at"])
            for row in rows
        ]
