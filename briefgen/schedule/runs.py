"""Schedule runs recorded in the state database, keyed by (schedule, edition), claimed once."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from briefgen.config import Config
from briefgen.state.claims import make_owner, owner_alive
from briefgen.state.migrations import Feature, applied, migrate
from briefgen.state.store import STATE_DB, StateStore, connect_state, open_state
from briefgen.state.url import StateURL, location, parse_url

__all__ = ["Attempt", "RunOutcome", "RunRecord"]


RunStatus = Literal["working", "sent", "built", "skipped", "failed", "missed"]


DONE: tuple[RunStatus, ...] = ("sent", "built", "skipped", "missed")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS schedule_runs (
    schedule    TEXT NOT NULL,
    edition     TEXT NOT NULL,
    due         TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('working', 'sent', 'built', 'skipped', 'failed', 'missed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    owner       TEXT,
    started_at  REAL,
    touched_at  REAL NOT NULL,
    finished_at REAL,
    sent        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL DEFAULT 0,
    detail      TEXT,
    PRIMARY KEY (schedule, edition)
);
CREATE TABLE IF NOT EXISTS schedule_marks (
    schedule     TEXT PRIMARY KEY,
    checked_until TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS schedule_attempts (
    schedule    TEXT NOT NULL,
    edition     TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    at          REAL NOT NULL,
    finished_at REAL,
    status      TEXT,
    detail      TEXT,
    PRIMARY KEY (schedule, edition, attempt)
);
"""


#: Columns added to ``schedule_runs`` since its first release (times on the tick's clock).
#: A database from before gets them on open; its failed runs with tries left retry at once.
_ADDED_COLUMNS = {
    "first_at": "REAL",  # the first attempt (or the last --force): retries are counted from here
    "next_retry": "REAL",  # a failed run waits until then; NULL on a failed run: given up
    "retry_until": "REAL",  # no retry starts after this: the edition is no longer current
    "last_error": "TEXT",
}


#: The schedule's tables on PostgreSQL, version by version (SQLite keeps its own set-up above).
FEATURE = Feature(
    "schedule",
    versions=[
        [
            "CREATE TABLE IF NOT EXISTS schedule_runs (schedule TEXT NOT NULL, edition TEXT NOT NULL,"
            " due TEXT NOT NULL, status TEXT NOT NULL"
            " CHECK (status IN ('working', 'sent', 'built', 'skipped', 'failed', 'missed')),"
            " attempts INTEGER NOT NULL DEFAULT 0, owner TEXT, started_at DOUBLE PRECISION,"
            " touched_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION, sent INTEGER NOT NULL DEFAULT 0,"
            " total INTEGER NOT NULL DEFAULT 0, detail TEXT, first_at DOUBLE PRECISION,"
            " next_retry DOUBLE PRECISION, retry_until DOUBLE PRECISION, last_error TEXT,"
            " PRIMARY KEY (schedule, edition))",
            "CREATE TABLE IF NOT EXISTS schedule_marks (schedule TEXT PRIMARY KEY, checked_until TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS schedule_attempts (schedule TEXT NOT NULL, edition TEXT NOT NULL,"
            " attempt INTEGER NOT NULL, at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION, status TEXT,"
            " detail TEXT, PRIMARY KEY (schedule, edition, attempt))",
        ],
    ],
    tables=["schedule_runs", "schedule_marks", "schedule_attempts"],
)


#: The tables a dry run copies into memory.
_TABLES = ("schedule_runs", "schedule_marks", "schedule_attempts")


@dataclass(frozen=True)
class RunRecord:
    schedule: str
    edition: str
    due: str
    status: RunStatus
    attempts: int
    owner: str | None
    started_at: float | None
    touched_at: float
    finished_at: float | None
    sent: int
    total: int
    detail: str | None
    first_at: float | None = None
    next_retry: float | None = None
    retry_until: float | None = None
    last_error: str | None = None

    def stale(self, me: str, now: float) -> bool:
        return self.status == "working" and not owner_alive(self.owner, self.touched_at, me=me, now=now)

    @property
    def given_up(self) -> bool:
        return self.status == "failed" and self.next_retry is None


@dataclass(frozen=True)
class Attempt:
    """One try at a run: when it started (on the tick's clock) and how it ended."""

    attempt: int
    at: float
    finished_at: float | None
    status: str | None
    detail: str | None


@dataclass(frozen=True)
class Claim:
    granted: bool
    reason: str
    record: RunRecord | None = None


class RunStore(StateStore):
    """The schedule tables in the workspace's state database (beside the delivery ledger).

    With ``scratch`` the tables are a copy in memory of what the database holds (if it
    exists): a dry run decides exactly as a real tick would, and writes nothing.
    """

    def __init__(
        self, path: Path, owner: str | None = None, *, scratch: bool = False, url: StateURL | None = None
    ) -> None:
        self.url = location(path, url)
        self.path = path
        self.owner = owner or make_owner()
        remote = self.url.display() if self.url.postgres else None
        if scratch:
            self._db = sqlite3.connect(":memory:", isolation_level=None)
            self._db.row_factory = sqlite3.Row
        else:
            self.remote = remote
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = open_state(path, self.url.dsn, self.url.secrets(), self.where)
        if self.postgres:
            try:
                migrate(self._db, FEATURE, self.where)
            except BaseException:
                self._db.close()
                raise
        else:
            with self._write() as db:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
                _add_columns(db)
        if scratch and remote is not None:
            _copy_rows(open_state(path, self.url.dsn, self.url.secrets(), remote), self._db, remote)
        elif scratch and path.is_file():
            connect_state(path, wal=False).close()  # a damaged file is one line (StateError), not a traceback
            _copy_from(path, self._db)  # outside a transaction: DETACH cannot run inside one

    def get(self, schedule: str, edition: str) -> RunRecord | None:
        row = self._db.execute(
            "SELECT * FROM schedule_runs WHERE schedule = ? AND edition = ?", (schedule, edition)
        ).fetchone()
        return RunRecord(**dict(row)) if row else None

    def runs(self, schedule: str | None = None, limit: int = 10) -> list[RunRecord]:
        if schedule:
            rows = self._db.execute(
                "SELECT * FROM schedule_runs WHERE schedule = ? ORDER BY due DESC LIMIT ?", (schedule, limit)
            )
        else:
            rows = self._db.execute("SELECT * FROM schedule_runs ORDER BY due DESC LIMIT ?", (limit,))
        return [RunRecord(**dict(r)) for r in rows]

    def attempts(self, schedule: str, edition: str) -> list[Attempt]:
        rows = self._db.execute(
            "SELECT attempt, at, finished_at, status, detail FROM schedule_attempts"
            " WHERE schedule = ? AND edition = ? ORDER BY attempt",
            (schedule, edition),
        )
        return [Attempt(**dict(r)) for r in rows]

    def pending(self, schedule: str, at: float) -> list[RunRecord]:
        """Runs to pick up again: failed ones whose retry time has come, and ones whose process died."""
        rows = self._db.execute(
            "SELECT * FROM schedule_runs WHERE schedule = ? AND status IN ('failed', 'working') ORDER BY due",
            (schedule,),
        )
        records = [RunRecord(**dict(r)) for r in rows]
        now = time.time()
        return [
            r
            for r in records
            if (r.status == "failed" and r.next_retry is not None and r.next_retry <= at) or r.stale(self.owner, now)
        ]

    def next_retry_at(self) -> float | None:
        """The earliest time a failed run is waiting for, on the tick's clock."""
        row = self._db.execute("SELECT MIN(next_retry) FROM schedule_runs WHERE status = 'failed'").fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def claim(self, schedule: str, edition: str, due: str, *, at: float | None = None, force: bool = False) -> Claim:
        """Take the run (schedule, edition) for this process, or say who has it (or why not yet).

        ``at`` is the tick's clock (default: the real one), which back-off times are kept on.
        """
        now = time.time()
        at = now if at is None else at
        with self._write() as db:
            self._lock("schedule", schedule, edition)
            row = db.execute(
                "SELECT * FROM schedule_runs WHERE schedule = ? AND edition = ?", (schedule, edition)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO schedule_runs (schedule, edition, due, status, attempts, owner, started_at,"
                    " touched_at, first_at) VALUES (?, ?, ?, 'working', 1, ?, ?, ?, ?)",
                    (schedule, edition, due, self.owner, now, now, at),
                )
                db.execute(_ATTEMPT, (schedule, edition, 1, at))
                return Claim(True, "new")
            record = RunRecord(**dict(row))
            if record.status == "working" and not record.stale(self.owner, now):
                return Claim(False, "busy", record)
            if record.status in DONE and not force:
                return Claim(False, "done", record)
            if record.status == "failed" and not force:
                if record.next_retry is None:
                    return Claim(False, "gave-up", record)
                if record.next_retry > at:
                    return Claim(False, "waiting", record)
            reason = "forced" if force else "resumed" if record.status == "working" else "retry"
            # --force starts a fresh retry window; a retry or a resumed run keeps the first one.
            first = at if force or record.first_at is None else record.first_at
            db.execute(
                "UPDATE schedule_runs SET status = 'working', attempts = attempts + 1, owner = ?, started_at = ?,"
                " touched_at = ?, finished_at = NULL, detail = ?, first_at = ?, next_retry = NULL"
                " WHERE schedule = ? AND edition = ?",
                (self.owner, now, now, f"claimed ({reason})", first, schedule, edition),
            )
            db.execute(_ATTEMPT, (schedule, edition, record.attempts + 1, at))
            return Claim(True, reason, record)

    def touch(self, schedule: str, edition: str, detail: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE schedule_runs SET touched_at = ?, detail = ? WHERE schedule = ? AND edition = ? AND owner = ?",
                (time.time(), detail, schedule, edition, self.owner),
            )

    def finish(
        self,
        schedule: str,
        edition: str,
        outcome: RunOutcome,
        *,
        next_retry: float | None = None,
        retry_until: float | None = None,
        last_error: str | None = None,
        at: float | None = None,
    ) -> None:
        """Record how the run ended; a failed one waits for ``next_retry`` (None: given up)."""
        now = time.time()
        with self._write() as db:
            done = db.execute(
                "UPDATE schedule_runs SET status = ?, detail = ?, sent = ?, total = ?, touched_at = ?, finished_at = ?,"
                " next_retry = ?, retry_until = COALESCE(?, retry_until), last_error = COALESCE(?, last_error)"
                " WHERE schedule = ? AND edition = ? AND owner = ?",
                (
                    outcome.status, outcome.detail, outcome.sent, outcome.total, now, now,
                    next_retry, retry_until, last_error, schedule, edition, self.owner,
                ),
            )  # fmt: skip
            if done.rowcount:
                db.execute(
                    "UPDATE schedule_attempts SET finished_at = ?, status = ?, detail = ? WHERE schedule = ?"
                    " AND edition = ? AND attempt = (SELECT attempts FROM schedule_runs WHERE schedule = ?"
                    " AND edition = ?)",
                    (now if at is None else at, outcome.status, outcome.detail, schedule, edition, schedule, edition),
                )

    def give_up(self, schedule: str, edition: str, detail: str) -> None:
        """A failed run whose retry time came too late (the scheduler was not running): no more tries."""
        now = time.time()
        with self._write() as db:
            db.execute(
                "UPDATE schedule_runs SET next_retry = NULL, detail = ?, touched_at = ?"
                " WHERE schedule = ? AND edition = ? AND status = 'failed'",
                (detail, now, schedule, edition),
            )

    def mark_missed(self, schedule: str, edition: str, due: str) -> None:
        now = time.time()
        with self._write() as db:
            db.execute(
                "INSERT INTO schedule_runs (schedule, edition, due, status, touched_at, finished_at, detail)"
                " VALUES (?, ?, ?, 'missed', ?, ?, 'missed while briefgen was not running; skipped by policy')"
                " ON CONFLICT (schedule, edition) DO NOTHING",
                (schedule, edition, due, now, now),
            )

    def checked_until(self, schedule: str) -> dt.datetime | None:
        row = self._db.execute("SELECT checked_until FROM schedule_marks WHERE schedule = ?", (schedule,)).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row else None

    def set_checked_until(self, schedule: str, when: dt.datetime) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO schedule_marks (schedule, checked_until) VALUES (?, ?)"
                " ON CONFLICT (schedule) DO UPDATE SET checked_until = CASE WHEN excluded.checked_until"
                " > schedule_marks.checked_until THEN excluded.checked_until ELSE schedule_marks.checked_until END",
                (schedule, when.astimezone(dt.UTC).isoformat()),
            )


# A new attempt row replaces whatever an earlier claim of the same number left.
_ATTEMPT = (
    "INSERT INTO schedule_attempts (schedule, edition, attempt, at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (schedule, edition, attempt) DO UPDATE SET at = excluded.at, finished_at = NULL,"
    " status = NULL, detail = NULL"
)


def _copy_rows(source: sqlite3.Connection, db: sqlite3.Connection, where: str) -> None:
    """Copy the schedule tables of a PostgreSQL store into the in-memory ``db`` (a dry run), reading only."""
    try:
        if applied(source, FEATURE.name) == 0:
            return  # nothing recorded yet (and a dry run creates nothing)
        for table in _TABLES:
            rows = source.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608 (our own table names)
            for row in rows:
                keys = list(row.keys())
                names, marks = ", ".join(keys), ", ".join("?" * len(keys))
                db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", [row[k] for k in keys])  # noqa: S608
    finally:
        source.close()


def _columns(db: sqlite3.Connection, table: str, schema: str = "main") -> list[str]:
    return [str(row[1]) for row in db.execute(f"PRAGMA {schema}.table_info({table})")]  # names are literals


def _add_columns(db: sqlite3.Connection) -> None:
    have = set(_columns(db, "schedule_runs"))
    for name, kind in _ADDED_COLUMNS.items():
        if name not in have:
            db.execute(f"ALTER TABLE schedule_runs ADD COLUMN {name} {kind}")  # names are literals
    if "next_retry" not in have:
        # Runs that failed under the old rule (five tries, one per tick) retry now if they had tries left.
        db.execute("UPDATE schedule_runs SET next_retry = touched_at WHERE status = 'failed' AND attempts < 5")


def _copy_from(path: Path, db: sqlite3.Connection) -> None:
    """Copy the schedule tables of the database at ``path`` into ``db``, reading only."""
    db.execute("ATTACH DATABASE ? AS disk", (str(path),))
    try:
        for table in ("schedule_runs", "schedule_marks", "schedule_attempts"):
            shared = [c for c in _columns(db, table, "disk") if c in _columns(db, table)]
            if shared:
                names = ", ".join(shared)
                db.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM disk.{table}")  # noqa: S608 (our own column names)
    finally:
        db.execute("DETACH DATABASE disk")


@dataclass(frozen=True)
class RunOutcome:
    status: Literal["sent", "built", "skipped", "failed"]
    detail: str
    sent: int = 0
    total: int = 0
    #: A failure that trying again could mend (False: e.g. only "uncertain" recipients are left).
    retryable: bool = True


def state_path(config: Config) -> Path:
    """The SQLite file (or, with PostgreSQL, where the workspace's markers live)."""
    return state_url(config).path if not state_url(config).postgres else config.root / STATE_DB


def state_url(config: Config) -> StateURL:
    """Where the workspace's state lives: ``[state] url`` (or ``BRIEFGEN_STATE_URL``)."""
    return parse_url(config.state.url, config.root)
