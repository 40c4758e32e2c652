"""Roles and their audit trail: admins from the settings, access from the settings or an admin."""

from __future__ import annotations

import pytest

from db import AuditAction, AuditEntry, Database, Role, RoleError, UserRecord, UserStore

from .support import FakeClock

ADMIN, OTHER_ADMIN, ANN, BEN, CAT = 1, 2, 10, 20, 30


@pytest.fixture
def users(db: Database) -> UserStore:
    return UserStore(db)


async def test_allow_and_deny(users: UserStore, clock: FakeClock) -> None:
    assert await users.role_of(ANN) is None
    assert await users.allow(ANN, by=ADMIN) is True
    assert await users.role_of(ANN) is Role.ALLOWED
    assert await users.allow(ANN, by=ADMIN) is False
    clock.advance(60)
    assert await users.deny(ANN, by=OTHER_ADMIN) is True
    assert await users.role_of(ANN) is None
    assert await users.deny(ANN, by=OTHER_ADMIN) is False
    # Denying someone never allowed is recorded too: it keeps them out of a later settings sync.
    assert await users.deny(BEN, by=ADMIN) is True

    assert await users.audit_trail(ANN) == [
        AuditEntry(ANN, AuditAction.DENY, OTHER_ADMIN, clock.now),
        AuditEntry(ANN, AuditAction.ALLOW, ADMIN, clock.now - 60),
    ]
    assert [entry.user_id for entry in await users.audit_trail()] == [BEN, ANN, ANN]
    assert len(await users.audit_trail(limit=1)) == 1


async def test_settings_decide_who_is_admin(users: UserStore, clock: FakeClock) -> None:
    changes = await users.sync_from_settings(admin_ids=[ADMIN, OTHER_ADMIN], allowed_ids=[ANN])
    assert [(entry.user_id, entry.action, entry.by_user) for entry in changes] == [
        (ADMIN, AuditAction.MAKE_ADMIN, None),
        (OTHER_ADMIN, AuditAction.MAKE_ADMIN, None),
        (ANN, AuditAction.ALLOW, None),
    ]
    assert [await users.role_of(user) for user in (ADMIN, OTHER_ADMIN, ANN)] == [
        Role.ADMIN,
        Role.ADMIN,
        Role.ALLOWED,
    ]
    # The same settings again change nothing.
    assert await users.sync_from_settings([ADMIN, OTHER_ADMIN], [ANN]) == []

    # An admin who was also allowed by another admin keeps plain access after losing admin.
    await users.allow(OTHER_ADMIN, by=ADMIN)
    clock.advance(10)
    changes = await users.sync_from_settings(admin_ids=[ANN], allowed_ids=[ANN])
    assert {(entry.user_id, entry.action) for entry in changes} == {
        (ADMIN, AuditAction.REVOKE_ADMIN),
        (OTHER_ADMIN, AuditAction.REVOKE_ADMIN),
        (ANN, AuditAction.MAKE_ADMIN),
    }
    assert [await users.role_of(user) for user in (ADMIN, OTHER_ADMIN, ANN)] == [
        None,
        Role.ALLOWED,
        Role.ADMIN,
    ]


async def test_admins_cannot_be_denied_from_the_bot(users: UserStore) -> None:
    await users.sync_from_settings([ADMIN], [])
    with pytest.raises(RoleError, match="admins come from the settings"):
        await users.deny(ADMIN, by=ADMIN)
    assert await users.role_of(ADMIN) is Role.ADMIN


async def test_a_deny_sticks_across_settings_syncs_until_allowed_again(users: UserStore) -> None:
    await users.sync_from_settings([ADMIN], [ANN, BEN])
    await users.deny(ANN, by=ADMIN)
    assert await users.sync_from_settings([ADMIN], [ANN, BEN]) == []
    assert await users.role_of(ANN) is None
    await users.allow(ANN, by=ADMIN)
    assert await users.role_of(ANN) is Role.ALLOWED


async def test_list_users_shows_who_has_access(users: UserStore, clock: FakeClock) -> None:
    await users.sync_from_settings([OTHER_ADMIN], [CAT])
    clock.advance(5)
    await users.allow(ANN, by=OTHER_ADMIN)
    await users.allow(BEN, by=OTHER_ADMIN)
    await users.deny(BEN, by=OTHER_ADMIN)
    assert await users.list_users() == [
        UserRecord(OTHER_ADMIN, Role.ADMIN, None, clock.now - 5),
        UserRecord(ANN, Role.ALLOWED, OTHER_ADMIN, clock.now),
        UserRecord(CAT, Role.ALLOWED, None, clock.now - 5),
    ]
