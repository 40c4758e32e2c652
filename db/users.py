"""Who may use the bot: roles and the audit trail of every change.

Admins come from the settings alone: :meth:`UserStore.sync_from_settings`
mirrors the admin list at start-up, so an admin removed there loses admin.
Plain access comes from the settings' allowed list or from an admin's
``allow``; an admin's ``deny`` sticks, even for a user the settings list as
allowed, until an admin allows them again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .backend import Connection, Database
from .errors import RoleError


class Role(StrEnum):
    ALLOWED = "allowed"
    ADMIN = "admin"


class AuditAction(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    MAKE_ADMIN = "make_admin"
    REVOKE_ADMIN = "revoke_admin"


@dataclass(frozen=True)
class UserRecord:
    user_id: int
    role: Role
    # Who made the latest change to this user (None: the settings) and when.
    changed_by: int | None
    changed_at: float


@dataclass(frozen=True)
class AuditEntry:
    user_id: int
    action: AuditAction
    by_user: int | None
    at: float


_ROLE = "CASE WHEN is_admin = 1 THEN 'admin' WHEN access = 'allowed' THEN 'allowed' END"


class UserStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def role_of(self, user_id: int) -> Role | None:
        row = await self._db.fetchone(f"SELECT {_ROLE} FROM users WHERE user_id = ?", (user_id,))
        return None if row is None or row[0] is None else Role(row[0])

    async def allow(self, user_id: int, by: int) -> bool:
        """Give access; False when the user already had it (nothing is recorded then)."""
        async with self._db.transaction() as connection:
            rows = list(
                await connection.execute_fetchall("SELECT access FROM users WHERE user_id = ?", (user_id,))
            )
            if rows and rows[0][0] == "allowed":
                return False
            # Recorded for admins too: the grant outlives a later removal from the admin list.
            await self._set_access(connection, user_id, "allowed", by)
            await self._audit(connection, user_id, AuditAction.ALLOW, by)
        return True

    async def deny(self, user_id: int, by: int) -> bool:
        """Take access away; False when it was already denied. Admins cannot be denied here."""
        async with self._db.transaction() as connection:
            rows = list(
                await connection.execute_fetchall(
                    "SELECT is_admin, access FROM users WHERE user_id = ?", (user_id,)
                )
            )
            if rows and rows[0]["is_admin"]:
                raise RoleError(
                    f"user {user_id} is an admin, and admins come from the settings: "
                    "remove them from the admin list there and restart the bot"
                )
            if rows and rows[0]["access"] == "denied":
                return False
            await self._set_access(connection, user_id, "denied", by)
            await self._audit(connection, user_id, AuditAction.DENY, by)
        return True

    async def list_users(self) -> list[UserRecord]:
        """Everyone with access: admins first, then by id."""
        rows = await self._db.fetchall(
            f"SELECT user_id, {_ROLE} AS role, changed_by, changed_at FROM users "
            "WHERE is_admin = 1 OR access = 'allowed' ORDER BY is_admin DESC, user_id"
        )
        return [
            UserRecord(row["user_id"], Role(row["role"]), row["changed_by"], row["changed_at"])
            for row in rows
        ]

    async def sync_from_settings(
        self, admin_ids: Iterable[int], allowed_ids: Iterable[int]
    ) -> list[AuditEntry]:
        """Make the admins exactly ``admin_ids``, and give access to each of ``allowed_ids`` nobody has
        decided about yet. Returns the changes made, as recorded in the audit trail."""
        admins = set(admin_ids)
        allowed = set(allowed_ids)
        now = self._db.now()
        changes: list[AuditEntry] = []
        async with self._db.transaction() as connection:
            rows = await connection.execute_fetchall("SELECT user_id, is_admin, access FROM users")
            known = {row["user_id"]: row for row in rows}
            current_admins = {user_id for user_id, row in known.items() if row["is_admin"]}
            for user_id in sorted(admins - current_admins):
                await connection.execute(
                    "INSERT INTO users (user_id, is_admin, changed_by, changed_at) VALUES (?, 1, NULL, ?) "
                    "ON CONFLICT (user_id) DO UPDATE SET is_admin = 1, changed_by = NULL, "
                    "changed_at = excluded.changed_at",
                    (user_id, now),
                )
                changes.append(await self._audit(connection, user_id, AuditAction.MAKE_ADMIN, None))
            for user_id in sorted(current_admins - admins):
                await connection.execute(
                    "UPDATE users SET is_admin = 0, changed_by = NULL, changed_at = ? WHERE user_id = ?",
                    (now, user_id),
                )
                changes.append(await self._audit(connection, user_id, AuditAction.REVOKE_ADMIN, None))
            for user_id in sorted(allowed):
                if user_id in known and known[user_id]["access"] is not None:
                    continue
                await self._set_access(connection, user_id, "allowed", None)
                changes.append(await self._audit(connection, user_id, AuditAction.ALLOW, None))
        return changes

    async def audit_trail(self, user_id: int | None = None, limit: int = 50) -> list[AuditEntry]:
        """Newest first; all users unless ``user_id`` is given."""
        rows = await self._db.fetchall(
            "SELECT user_id, action, by_user, at FROM user_audit "
            "WHERE ? IS NULL OR user_id = ? ORDER BY id DESC LIMIT ?",
            (user_id, user_id, limit),
        )
        return [
            AuditEntry(row["user_id"], AuditAction(row["action"]), row["by_user"], row["at"]) for row in rows
        ]

    async def _set_access(self, connection: Connection, user_id: int, access: str, by: int | None) -> None:
        await connection.execute(
            "INSERT INTO users (user_id, access, changed_by, changed_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET access = excluded.access, "
            "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
            (user_id, access, by, self._db.now()),
        )

    async def _audit(
        self, connection: Connection, user_id: int, action: AuditAction, by: int | None
    ) -> AuditEntry:
        entry = AuditEntry(user_id, action, by, self._db.now())
        await connection.execute(
            "INSERT INTO user_audit (user_id, action, by_user, at) VALUES (?, ?, ?, ?)",
            (entry.user_id, entry.action, entry.by_user, entry.at),
        )
        return entry
