"""Storage: the application database (users, the job queue, checkpoints, stats) and, in
``db.store``, the per-export message store. Imports neither ``bot`` nor ``exporter``."""

from .backend import Database
from .chats import SharedChat, SharedChats
from .checkpoints import CheckpointStore
from .connect import DEFAULT_BUSY_TIMEOUT, Migration, load_migrations, open_database
from .errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseTooNew,
    DbError,
    DiskBudgetExceeded,
    IllegalTransition,
    JobNotFound,
    MigrationError,
    RoleError,
    TooManyWaiting,
)
from .jobs import (
    TERMINAL,
    TRANSITIONS,
    Job,
    JobKind,
    JobPart,
    JobState,
    SqliteJobQueue,
)
from .retention import ArchiveStore, StoredArchive
from .stats import DayStats, Failure, FloodTotals, PhaseShares, Stats, Totals, UserLoad, collect_stats
from .users import AuditAction, AuditEntry, Role, UserRecord, UserStore

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "TERMINAL",
    "TRANSITIONS",
    "ArchiveStore",
    "AuditAction",
    "AuditEntry",
    "CheckpointStore",
    "Database",
    "DatabaseCorrupt",
    "DatabaseLocked",
    "DatabaseTooNew",
    "DayStats",
    "DbError",
    "DiskBudgetExceeded",
    "Failure",
    "FloodTotals",
    "IllegalTransition",
    "Job",
    "JobKind",
    "JobNotFound",
    "JobPart",
    "JobState",
    "Migration",
    "MigrationError",
    "PhaseShares",
    "Role",
    "RoleError",
    "SharedChat",
    "SharedChats",
    "SqliteJobQueue",
    "Stats",
    "StoredArchive",
    "TooManyWaiting",
    "Totals",
    "UserLoad",
    "UserRecord",
    "UserStore",
    "collect_stats",
    "load_migrations",
    "open_database",
]
