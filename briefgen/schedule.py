"""Scheduled editions: due times from cron in a time zone, runs recorded in SQLite, never twice.

A run is keyed by (schedule, edition id). :func:`tick` does whatever is due at one
instant and returns; :func:`run` calls it whenever the next run falls due, until told to
stop. Both claim a run in the workspace's state database with ``BEGIN IMMEDIATE`` before
doing anything, so two schedulers (or a scheduler and a cron-driven tick) never both run
the same edition; a run whose process died is taken over by the next tick, and the
delivery ledger makes sure its recipients get the edition once.

Daylight-saving changes follow cron's usual rules in the schedule's zone: a time in the
skipped hour runs at the first valid time after it; a time in the repeated hour runs once.

A failed run (the mail server is down, one recipient refused) is retried with exponential
back-off and jitter, from ``retry_base`` up to ``retry_cap`` seconds between attempts, for
as long as its edition is current: until the schedule's next edition is due (or for
``retry_window`` seconds). Each retry serves only the recipients the ledger has not
recorded. Then the run is given up, with the reason. Back-off times follow the tick's
clock, so a test (or ``tick --now``) drives them like any other time.

A simulated time ahead of the real clock is refused unless it is a dry run: ticking at a
future instant would record every real run up to then as done or missed.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from .config import Config, ScheduleSpec
from .edition import Window, window_for
from .errors import UsageError
from .ledger import STATE_DB, StateStore, connect_state, make_owner, owner_alive

__all__ = [
    "Attempt", "DueRun", "RunOutcome", "RunRecord", "TickReport", "backoff", "due_runs", "next_fires", "retry_until",
    "run", "tick",
]  # fmt: skip

log = logging.getLogger("briefgen.schedule")

RunStatus = Literal["working", "sent", "built", "skipped", "failed", "missed"]
#: A ``--now`` this far ahead of the clock still counts as now (a typed time rounds up).
CLOCK_SLACK = dt.timedelta(seconds=1)
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


# --------------------------------------------------------------------------- due times


def zone_of(spec: ScheduleSpec, config: Config) -> ZoneInfo:
    return ZoneInfo(spec.timezone or config.editions.timezone)


def fire_times(spec: ScheduleSpec, zone: ZoneInfo, after: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    """Fire times in ``(after, until]``, as aware datetimes in the schedule's zone."""
    from croniter import croniter

    times: list[dt.datetime] = []
    it = croniter(spec.cron, after.astimezone(zone))
    while True:
        fire: dt.datetime = it.get_next(dt.datetime)
        if fire > until:
            return times
        # In the repeated hour of a DST change croniter yields the wall time twice.
        if times and fire.replace(tzinfo=None) == times[-1].replace(tzinfo=None):
            continue
        times.append(fire)


def next_fires(spec: ScheduleSpec, config: Config, now: dt.datetime, count: int = 3) -> list[dt.datetime]:
    from croniter import croniter

    it = croniter(spec.cron, now.astimezone(zone_of(spec, config)))
    out: list[dt.datetime] = []
    while len(out) < count:
        fire: dt.datetime = it.get_next(dt.datetime)
        if not out or fire.replace(tzinfo=None) != out[-1].replace(tzinfo=None):
            out.append(fire)
    return out


def last_fire(spec: ScheduleSpec, config: Config, now: dt.datetime) -> dt.datetime:
    """The latest fire time at or before ``now``: the run that is (or was) due."""
    # get_prev is strictly before its start; a microsecond later includes ``now`` itself.
    from croniter import croniter

    fire: dt.datetime = croniter(
        spec.cron, (now + dt.timedelta(microseconds=1)).astimezone(zone_of(spec, config))
    ).get_prev(dt.datetime)
    return fire


def next_edition_due(spec: ScheduleSpec, config: Config, fire: dt.datetime) -> dt.datetime:
    """When the schedule's next run for a later edition than the run at ``fire`` falls due."""
    zone = zone_of(spec, config)
    local = fire.astimezone(zone)
    opts = config.editions
    # The edition follows the run's local date; it changes where that date leaves its window.
    boundary_day = window_for(local.date(), week_start=opts.week_start, length_days=opts.length_days).end
    boundary = dt.datetime.combine(boundary_day, dt.time(), zone)
    return next_fires(spec, config, boundary - dt.timedelta(seconds=1), 1)[0]


def retry_until(spec: ScheduleSpec, config: Config, due: dt.datetime, first_at: float) -> float:
    """The last moment a failed run may be retried, as a timestamp on the tick's clock.

    ``retry_window`` after the first attempt if set; otherwise until the schedule's next
    edition falls due, and at least ``retry_cap`` (so a late run, say a backfilled one, is
    still retried a few times).
    """
    if spec.retry_window is not None:
        return first_at + spec.retry_window
    return max(next_edition_due(spec, config, due).timestamp(), first_at + spec.retry_cap)


def backoff(spec: ScheduleSpec, attempts: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: doubling from ``retry_base``
    up to ``retry_cap``, less up to a quarter at random so that schedulers sharing a server
    do not retry in step (and each wait still exceeds the one before, until the cap)."""
    delay: float = min(spec.retry_cap, spec.retry_base * 2.0 ** max(0, attempts - 1))
    return delay * (1 - 0.25 * rand())


def window_of(spec: ScheduleSpec, config: Config, fire: dt.datetime) -> Window:
    """The edition a run at ``fire`` reports on (by the local date of the run)."""
    opts = config.editions
    window = window_for(fire.date(), week_start=opts.week_start, length_days=opts.length_days)
    return window.previous() if spec.edition == "previous" else window


@dataclass(frozen=True)
class DueRun:
    schedule: str
    fire: dt.datetime
    window: Window
    missed: bool


def due_runs(
    spec: ScheduleSpec, config: Config, checked_until: dt.datetime | None, now: dt.datetime
) -> tuple[list[DueRun], list[DueRun]]:
    """(runs to do now, runs given up as missed) for the fire times since ``checked_until``.

    A fire time within ``grace_minutes`` of ``now`` is on time. Older ones were missed
    (the machine was off): the schedule's policy says whether to skip them, run the latest
    once, or backfill up to ``backfill`` editions, each with its own window. On the very
    first tick only an on-time run counts: installing a schedule does not replay history.
    """
    zone = zone_of(spec, config)
    grace = dt.timedelta(minutes=spec.grace_minutes)
    start = checked_until if checked_until is not None else now - grace
    fires = fire_times(spec, zone, start, now)
    runs = [DueRun(spec.name, f, window_of(spec, config, f), now - f > grace) for f in fires]
    on_time = [r for r in runs if not r.missed]
    missed = [r for r in runs if r.missed]
    if spec.missed == "skip":
        keep: list[DueRun] = []
    elif spec.missed == "run-once":
        keep = missed[-1:]
    else:
        keep = missed[-spec.backfill :]
    given_up = [r for r in missed if r not in keep]
    # One run per edition: several fire times may report on the same window.
    chosen: dict[str, DueRun] = {}
    for r in [*keep, *on_time]:
        chosen.setdefault(r.window.id, r)
    return list(chosen.values()), given_up


# --------------------------------------------------------------------------- the run store


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

    def __init__(self, path: Path, owner: str | None = None, *, scratch: bool = False) -> None:
        self.path = path
        self.owner = owner or make_owner()
        if scratch:
            self._db = sqlite3.connect(":memory:", isolation_level=None)
            self._db.row_factory = sqlite3.Row
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = connect_state(path)
        with self._write() as db:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            _add_columns(db)
        if scratch and path.is_file():
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
            row = db.execute(
                "SELECT * FROM schedule_runs WHERE schedule = ? AND edition = ?", (schedule, edition)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO schedule_runs (schedule, edition, due, status, attempts, owner, started_at,"
                    " touched_at, first_at) VALUES (?, ?, ?, 'working', 1, ?, ?, ?, ?)",
                    (schedule, edition, due, self.owner, now, now, at),
                )
                db.execute(
                    "INSERT OR REPLACE INTO schedule_attempts (schedule, edition, attempt, at) VALUES (?, ?, 1, ?)",
                    (schedule, edition, at),
                )
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
            db.execute(
                "INSERT OR REPLACE INTO schedule_attempts (schedule, edition, attempt, at) VALUES (?, ?, ?, ?)",
                (schedule, edition, record.attempts + 1, at),
            )
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
                "INSERT OR IGNORE INTO schedule_runs (schedule, edition, due, status, touched_at, finished_at, detail)"
                " VALUES (?, ?, ?, 'missed', ?, ?, 'missed while briefgen was not running; skipped by policy')",
                (schedule, edition, due, now, now),
            )

    def checked_until(self, schedule: str) -> dt.datetime | None:
        row = self._db.execute("SELECT checked_until FROM schedule_marks WHERE schedule = ?", (schedule,)).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row else None

    def set_checked_until(self, schedule: str, when: dt.datetime) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO schedule_marks (schedule, checked_until) VALUES (?, ?)"
                " ON CONFLICT (schedule) DO UPDATE SET checked_until = MAX(checked_until, excluded.checked_until)",
                (schedule, when.astimezone(dt.UTC).isoformat()),
            )


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


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class RunOutcome:
    status: Literal["sent", "built", "skipped", "failed"]
    detail: str
    sent: int = 0
    total: int = 0
    #: A failure that trying again could mend (False: e.g. only "uncertain" recipients are left).
    retryable: bool = True


#: Builds and delivers one edition; the default builds it and mails it to the schedule's groups.
Runner = Callable[[Config, ScheduleSpec, Window, Callable[[str], None]], RunOutcome]


def deliver_edition(
    config: Config, spec: ScheduleSpec, window: Window, progress: Callable[[str], None], *, resend: bool = False
) -> RunOutcome:
    """Build the window's edition and send it to the schedule's groups, once per recipient.

    A retry sends only to the recipients the ledger has not recorded (unless ``resend``).
    """
    from .pipeline import build_edition

    progress("building")
    built = build_edition(window, config)
    if built.skipped:
        return RunOutcome("skipped", f"no events in {window.human()} (editions.empty = 'skip')")
    progress("sending")
    from .deliver import send_edition

    report = send_edition(built, config, to=spec.groups, resend=resend)
    total = len(report.deliveries)
    now, before = report.count("sent"), report.count("delivered")
    served = now + before
    if report.problems:
        names = ", ".join(f"{d.recipient} ({d.outcome}: {d.detail})" for d in report.problems)
        # An "uncertain" recipient is not retried by the ledger: only a person can tell.
        retryable = any(d.outcome == "failed" for d in report.problems)
        return RunOutcome("failed", f"sent to {served} of {total}; not delivered: {names}", served, total, retryable)
    if before:
        return RunOutcome("sent", f"{now} sent now, {before} already had it, via {report.channel}", served, total)
    return RunOutcome("sent", f"sent to {served} of {total} via {report.channel}", served, total)


Action = Literal["ran", "would-run", "missed", "gave-up", "done", "busy", "waiting", "given-up"]
#: Actions that are events (something happened); the others report a run's standing.
EVENTS: tuple[Action, ...] = ("ran", "would-run", "missed", "gave-up")


def _clock(stamp: float | None, zone: ZoneInfo | None) -> str:
    if stamp is None:
        return "?"
    return f"{dt.datetime.fromtimestamp(stamp, zone or dt.UTC):%Y-%m-%d %H:%M:%S %Z}"


@dataclass
class TickAction:
    schedule: str
    edition: str
    action: Action
    outcome: RunOutcome | None = None
    reason: str = ""
    #: The run as recorded (for reports) and where a failed run stands.
    record: RunRecord | None = None
    next_retry: float | None = None
    zone: ZoneInfo | None = None
    dry: bool = False

    def __str__(self) -> str:
        what = f"{self.schedule} {self.edition}: "
        record = self.record
        if self.action == "ran" and self.outcome is not None:
            text = what + f"{self.outcome.status} ({self.reason}): {self.outcome.detail}"
            if self.next_retry is not None:
                text += f"; next try at {_clock(self.next_retry, self.zone)}"
            return text
        if self.action == "would-run":
            return what + f"would run ({self.reason}); dry run: nothing sent or recorded"
        if self.action == "done" and record is not None:
            delivered = f", {record.sent} of {record.total} delivered" if record.total else ""
            when = _clock(record.finished_at, self.zone)
            return (
                what + f"already {self.reason}; not run again (finished {when}{delivered}; "
                "`schedule tick --force` runs it again)"
            )
        if self.action == "done":
            return what + f"already {self.reason}; not run again"
        if self.action == "busy":
            return what + "another process is running it"
        if self.action == "waiting" and record is not None:
            return (
                what + f"failed {record.attempts} time(s); next try at {_clock(record.next_retry, self.zone)}"
                f" (retries until {_clock(record.retry_until, self.zone)}); last error: {record.last_error}"
            )
        if self.action in ("gave-up", "given-up"):
            detail = record.detail if record is not None else self.reason
            return what + f"{detail}; `schedule tick --force` tries again"
        if self.dry:
            return what + "would be marked missed (skipped by the schedule's policy); dry run: nothing recorded"
        return what + "missed while not running; skipped by the schedule's policy"


@dataclass
class TickReport:
    now: dt.datetime
    actions: list[TickAction] = field(default_factory=list)
    #: For schedules with nothing to do: how their latest due run stands (what the first tick did).
    recent: list[TickAction] = field(default_factory=list)
    dry_run: bool = False

    @property
    def failed(self) -> bool:
        return any(a.outcome is not None and a.outcome.status == "failed" for a in self.actions)


def state_path(config: Config) -> Path:
    return config.root / STATE_DB


def secrets_of(config: Config) -> list[str]:
    """The mail secrets to scrub from anything the scheduler stores or prints."""
    from .errors import BriefgenError
    from .mailconfig import mail_settings

    try:
        return mail_settings(config).secrets()
    except BriefgenError:  # incomplete mail settings: then no password was read either
        return []


def tick(
    config: Config,
    now: dt.datetime | None = None,
    *,
    runner: Runner | None = None,
    force: bool = False,
    rerun: bool = False,
    only: Sequence[str] = (),
    dry_run: bool = False,
) -> TickReport:
    """Do whatever is due at ``now`` (default: the current time) and return what was done.

    ``force`` runs due editions even if done (or given up); ``rerun`` adds each schedule's
    latest due run to what is due (``schedule tick --force`` sets both). ``dry_run`` decides
    the same way and writes nothing. A ``now`` ahead of the real clock is refused unless
    ``dry_run``: it would record every real run until then as done or missed.
    """
    real = dt.datetime.now(dt.UTC)
    now = (now or real).astimezone(dt.UTC)
    if now > real + CLOCK_SLACK and not dry_run:
        raise UsageError(
            f"--now {now.isoformat(timespec='seconds')} is ahead of the clock ({real.isoformat(timespec='seconds')});"
            " a tick there would use up every real run until then: add --dry-run to see what would happen"
        )
    runner = runner or deliver_edition
    report = TickReport(now, dry_run=dry_run)
    with RunStore(state_path(config), scratch=dry_run) as store:
        for spec in config.schedules:
            if only and spec.name not in only:
                continue
            zone = zone_of(spec, config)
            before = len(report.actions)
            todo, given_up = due_runs(spec, config, store.checked_until(spec.name), now)
            for missed in given_up:
                store.mark_missed(spec.name, missed.window.id, missed.fire.isoformat())
                report.actions.append(TickAction(spec.name, missed.window.id, "missed", zone=zone, dry=dry_run))
            jobs = [(r.window, r.fire.isoformat()) for r in todo]
            if rerun:
                latest = last_fire(spec, config, now)
                jobs.append((window_of(spec, config, latest), latest.isoformat()))
            known = {w.id for w, _ in jobs}
            for record in store.pending(spec.name, now.timestamp()):  # failed, or its process died
                window = window_of(spec, config, dt.datetime.fromisoformat(record.due))
                if window.id in known:
                    continue
                known.add(window.id)
                if (
                    record.status == "failed"
                    and record.retry_until is not None
                    and now.timestamp() > record.retry_until
                ):
                    detail = _gave_up_text(spec, zone, record.attempts, record.retry_until, record.last_error)
                    store.give_up(spec.name, window.id, detail)
                    report.actions.append(
                        TickAction(spec.name, window.id, "gave-up", record=store.get(spec.name, window.id), zone=zone)
                    )
                    continue
                jobs.append((window, record.due))
            for window, due in jobs:
                report.actions.append(_run_one(store, config, spec, window, due, runner, force, now, dry_run))
            if len(report.actions) == before:
                latest = last_fire(spec, config, now)
                standing = store.get(spec.name, window_of(spec, config, latest).id)
                if standing is not None and standing.status != "missed":
                    report.recent.append(_standing(spec, standing, zone))
            store.set_checked_until(spec.name, now)
    return report


def _standing(spec: ScheduleSpec, record: RunRecord, zone: ZoneInfo) -> TickAction:
    """How a run stands, as a tick that does not run it reports it."""
    action: Action = "done"
    if record.status == "working":
        action = "busy"
    elif record.status == "failed":
        action = "given-up" if record.given_up else "waiting"
    reason = f"{record.status}: {record.detail}"
    return TickAction(spec.name, record.edition, action, reason=reason, record=record, zone=zone)


def _gave_up_text(spec: ScheduleSpec, zone: ZoneInfo, attempts: int, until: float, error: str | None) -> str:
    if spec.retry_window is not None:
        why = f"the retry window ({spec.retry_window:g} s from the first attempt) ended at {_clock(until, zone)}"
    else:
        why = f"the edition stopped being current at {_clock(until, zone)}"
    return f"given up after {attempts} attempt(s): {why}; last error: {error}"


def _run_one(
    store: RunStore,
    config: Config,
    spec: ScheduleSpec,
    window: Window,
    due: str,
    runner: Runner,
    force: bool,
    now: dt.datetime,
    dry_run: bool = False,
) -> TickAction:
    zone = zone_of(spec, config)
    at = now.timestamp()
    claim = store.claim(spec.name, window.id, due, at=at, force=force)
    if not claim.granted:
        record = claim.record
        if record is not None:
            return _standing(spec, record, zone)
        return TickAction(spec.name, window.id, "busy", zone=zone)
    if dry_run:
        return TickAction(spec.name, window.id, "would-run", reason=claim.reason, zone=zone, dry=True)
    log.info("%s %s: started (%s)", spec.name, window.id, claim.reason)

    def step(what: str) -> None:
        store.touch(spec.name, window.id, what)  # also the heartbeat that keeps the claim alive
        log.info("%s %s: %s", spec.name, window.id, what)

    started = time.monotonic()
    try:
        outcome = runner(config, spec, window, step)
    except Exception as exc:  # a run must end recorded, whatever went wrong inside it
        outcome = RunOutcome("failed", f"{type(exc).__name__}: {exc}")
    from .transport import redact

    # Whatever a server echoed (an AUTH line, say) is scrubbed before it is stored or printed.
    outcome = replace(outcome, detail=redact(outcome.detail, secrets_of(config)))
    ended = at + (time.monotonic() - started)  # on the tick's clock, which may be simulated
    next_retry = until = None
    error = None
    if outcome.status == "failed":
        record = store.get(spec.name, window.id)
        attempts = record.attempts if record is not None else 1
        first = record.first_at if record is not None and record.first_at is not None else at
        until = retry_until(spec, config, dt.datetime.fromisoformat(due), first)
        error = outcome.detail
        wait = backoff(spec, attempts)
        if outcome.retryable and ended + wait <= until:
            next_retry = ended + wait
        elif outcome.retryable:
            outcome = replace(outcome, detail=_gave_up_text(spec, zone, attempts, until, error))
        else:
            outcome = replace(outcome, detail=f"given up: trying again cannot tell; {error}")
    store.finish(spec.name, window.id, outcome, next_retry=next_retry, retry_until=until, last_error=error, at=ended)
    log.info("%s %s: %s: %s", spec.name, window.id, outcome.status, outcome.detail)
    return TickAction(spec.name, window.id, "ran", outcome, claim.reason, next_retry=next_retry, zone=zone)


def run(
    config: Config,
    *,
    stop: threading.Event,
    runner: Runner | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    poll_seconds: float = 30.0,
    on_tick: Callable[[TickReport], None] | None = None,
) -> None:
    """Run until ``stop`` is set: tick at every due time and retry time (and every
    ``poll_seconds`` to pick up abandoned runs). A run in progress is finished before returning."""
    if not config.schedules:
        raise ValueError("no [[schedules]] in briefgen.toml")
    while not stop.is_set():
        report = tick(config, now(), runner=runner)
        if on_tick is not None and report.actions:
            on_tick(report)
        current = now()
        upcoming = min(next_fires(spec, config, current, 1)[0] for spec in config.schedules).timestamp()
        with RunStore(state_path(config)) as store:
            retry = store.next_retry_at()
        if retry is not None:
            upcoming = min(upcoming, retry)
        wait = max(0.0, min(poll_seconds, upcoming - current.timestamp()))
        stop.wait(wait + 0.01)
