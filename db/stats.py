"""Figures for the admins' /stats, read from the jobs and their stored timing reports.

A stored report is ``TimingReport.to_dict()`` (db/timing_report.py, the one definition of its
shape); every JSON path below comes from ``report_path``, which checks it against that shape.
Rates and shares are ratios of sums (messages read over the exports' time, each phase's own
seconds over wall time), so a handful of tiny exports cannot outweigh one large one. A resumed
export's speed counts the messages it read itself, not those an earlier run had saved; sending
the archive is a phase with its share, not reading time. Days are UTC calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .backend import Connection, Database, Dialect, Row
from .timing_report import report_path


class _Report:
    """Expressions on the stored reports, in the database's dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.done = f"state = 'done' AND report IS NOT NULL AND {self.field('wall')} > 0"
        # Messages this run read; reports from before ``fetched`` existed count all they hold.
        self.fetched = f"COALESCE({self.field('fetched')}, {self.field('messages')})"
        # The export's time without sending the archive; reports from before delivery was timed had none.
        self.export_wall = f"COALESCE({self.field('export_wall')}, {self.field('wall')})"
        # Reports that split their wall time between the phases (older ones only had busy times).
        phases = dialect.json_text("report", report_path("accounted"))
        self.accounted = f"{self.done} AND {phases} <> '{{}}'"

    def field(self, *keys: str) -> str:
        return self.dialect.json_field("report", report_path(*keys))


def _count(state: str) -> str:
    """How many jobs are in ``state`` (SQLite sums booleans; PostgreSQL does not)."""
    return f"COALESCE(SUM(CASE WHEN state = '{state}' THEN 1 ELSE 0 END), 0)"


@dataclass(frozen=True)
class Totals:
    done: int
    failed: int
    cancelled: int
    queued: int
    running: int
    messages: int
    # Bytes of archives produced, deleted ones included.
    bytes: int


@dataclass(frozen=True)
class DayStats:
    day: date
    exports: int
    failed: int
    # Messages the day's exports read from Telegram (not those an earlier run had saved).
    messages: int
    # The exports' own time, without sending the archives.
    wall: float
    # Exports stopped by their owner or an admin that day (the /stats chart shows them).
    cancelled: int = 0

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.wall if self.wall > 0 else 0.0


@dataclass(frozen=True)
class PhaseShares:
    """Each phase's share of the wall time, each second counted once (the reports' ``accounted``
    split, "unaccounted" included): over the ``exports`` whose reports have that split, they add
    up to 1."""

    exports: int
    wall: float
    phases: dict[str, float]


@dataclass(frozen=True)
class FloodTotals:
    """Named as the summary names them: waits (times exports stood still for the flood limit) and
    refused requests (FLOOD_WAIT answers; several in flight at once are refused together)."""

    exports_hit: int
    waits: int
    refused: int
    announced_seconds: int
    waited_wall: float


@dataclass(frozen=True)
class UserLoad:
    user_id: int
    queued: int
    running: int


@dataclass(frozen=True)
class Failure:
    job_id: int
    user_id: int
    target: str
    finished_at: float | None
    error: str | None


@dataclass(frozen=True)
class Stats:
    totals: Totals
    days: list[DayStats]
    shares: PhaseShares
    flood: FloodTotals
    queue: list[UserLoad]
    failures: list[Failure]


async def collect_stats(db: Database, *, days: int = 14, failures: int = 10) -> Stats:
    """Everything /stats shows, from one consistent snapshot; ``days`` ends with today."""
    report = _Report(db.dialect)
    async with db.snapshot() as connection:
        return Stats(
            totals=await _totals(connection, report),
            days=await _days(connection, report, _today(db.now()), days),
            shares=await _shares(connection, report),
            flood=await _flood(connection, report),
            queue=await _queue(connection),
            failures=await _failures(connection, failures),
        )


def _today(now: float) -> date:
    return datetime.fromtimestamp(now, UTC).date()


async def _one(connection: Connection, sql: str, parameters: tuple[object, ...] = ()) -> Row:
    rows = list(await connection.execute_fetchall(sql, parameters))
    return rows[0]


async def _totals(connection: Connection, report: _Report) -> Totals:
    states = ", ".join(_count(state) for state in ("done", "failed", "cancelled", "queued", "running"))
    read = report.field("messages")
    counts = await _one(
        connection, f"SELECT {states}, COALESCE(SUM(CASE WHEN state = 'done' THEN {read} END), 0) FROM jobs"
    )
    size = await _one(connection, f"SELECT {archive_bytes(report.dialect)} WHERE jobs.state = 'done'")
    done, failed, cancelled, queued, running, messages = (int(value) for value in counts)
    return Totals(done, failed, cancelled, queued, running, messages, bytes=int(size[0]))


async def _days(connection: Connection, report: _Report, today: date, count: int) -> list[DayStats]:
    first = today - timedelta(days=count - 1)
    since = datetime.combine(first, datetime.min.time(), UTC).timestamp()
    rows = await connection.execute_fetchall(
        f"SELECT {report.dialect.utc_day('finished_at')} AS day, {_count('done')} AS exports, "
        f"{_count('failed')} AS failed, {_count('cancelled')} AS cancelled, "
        f"COALESCE(SUM(CASE WHEN state = 'done' THEN {report.fetched} END), 0) AS messages, "
        f"COALESCE(SUM(CASE WHEN state = 'done' THEN {report.export_wall} END), 0.0) AS wall "
        "FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND finished_at >= ? GROUP BY day",
        (since,),
    )
    found = {
        date.fromisoformat(row["day"]): DayStats(
            date.fromisoformat(row["day"]),
            row["exports"],
            row["failed"],
            int(row["messages"]),
            float(row["wall"]),
            row["cancelled"],
        )
        for row in rows
    }
    # Quiet days are listed too, so a chart of the series has no holes.
    every_day = (first + timedelta(days=offset) for offset in range(count))
    return [found.get(day, DayStats(day, 0, 0, 0, 0.0)) for day in every_day]


async def _shares(connection: Connection, report: _Report) -> PhaseShares:
    sums = await _one(
        connection,
        f"SELECT COUNT(*), COALESCE(SUM({report.field('wall')}), 0.0) FROM jobs WHERE {report.accounted}",
    )
    exports, wall = int(sums[0]), float(sums[1])
    # Phase names come from the reports, so a phase added later shows up here unchanged. Each
    # report lists them in the order the data flows, "unaccounted" last; where a phase stands in
    # its report (0 first, 1 last; a report with delivery has one more) orders them here.
    rows = await connection.execute_fetchall(
        f"SELECT key, SUM(seconds) FROM (SELECT phase.key AS key, {report.dialect.json_number('phase.value')} AS seconds, "
        "(ROW_NUMBER() OVER phases - 1.0) / "
        "CASE WHEN COUNT(*) OVER phases > 2 THEN COUNT(*) OVER phases - 1 ELSE 1 END AS position "
        f"FROM jobs, {report.dialect.json_object('jobs.report', report_path('accounted'), 'phase')} "
        f"WHERE {report.accounted} "
        "WINDOW phases AS (PARTITION BY jobs.id ORDER BY phase.id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) AS phase_rows "
        "GROUP BY key ORDER BY AVG(position), key"
    )
    return PhaseShares(
        exports=exports,
        wall=wall,
        phases={row[0]: float(row[1]) / wall if wall > 0 else 0.0 for row in rows},
    )


async def _flood(connection: Connection, report: _Report) -> FloodTotals:
    refused = report.field("flood", "count")
    # Reports from before ``waits`` existed: each refusal counted as a wait.
    waits = f"COALESCE({report.field('flood', 'waits')}, {refused})"
    row = await _one(
        connection,
        f"SELECT COALESCE(SUM(CASE WHEN {refused} > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM({waits}), 0), "
        f"COALESCE(SUM({refused}), 0), COALESCE(SUM({report.field('flood', 'announced_seconds')}), 0), "
        f"COALESCE(SUM({report.field('flood', 'waited_wall')}), 0.0) FROM jobs WHERE {report.done}",
    )
    return FloodTotals(int(row[0]), int(row[1]), int(row[2]), int(row[3]), float(row[4]))


async def _queue(connection: Connection) -> list[UserLoad]:
    rows = await connection.execute_fetchall(
        f"SELECT user_id, {_count('queued')}, {_count('running')} FROM jobs "
        "WHERE state IN ('queued', 'running') GROUP BY user_id ORDER BY user_id"
    )
    return [UserLoad(row[0], row[1], row[2]) for row in rows]


async def _failures(connection: Connection, limit: int) -> list[Failure]:
    rows = await connection.execute_fetchall(
        "SELECT id, user_id, target, finished_at, error FROM jobs WHERE state = 'failed' "
        "ORDER BY finished_at DESC, id DESC LIMIT ?",
        (limit,),
    )
    return [Failure(row[0], row[1], row[2], row[3], row[4]) for row in rows]


def archive_bytes(dialect: Dialect) -> str:
    """SELECT's list and FROM for the bytes of the archive parts jobs recorded (db.retention too);
    a WHERE on ``jobs`` follows."""
    size = dialect.json_field("part.value", "$.size")
    return f"COALESCE(SUM({size}), 0) FROM jobs, {dialect.json_array('jobs.parts', 'part')}"
