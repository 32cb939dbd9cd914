"""Scheduled editions: due times from cron in a time zone, runs recorded in SQLite, never twice.

A run is keyed by (schedule, edition id). :func:`tick` does whatever is due at one
instant and returns; :func:`run` calls it whenever the next run falls due, until told to
stop. Both claim a run in the workspace's state database with ``BEGIN IMMEDIATE`` before
doing anything, so two schedulers (or a scheduler and a cron-driven tick) never both run
the same edition; a run whose process died is taken over by the next tick, and the
delivery ledger makes sure its recipients get the edition once.

Daylight-saving changes follow cron's usual rules in the schedule's zone: a time in the
skipped hour runs at the first valid time after it; a time in the repeated hour runs once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from .config import Config, ScheduleSpec
from .edition import Window, window_for
from .ledger import STATE_DB, StateStore, connect_state, make_owner, owner_alive

__all__ = ["DueRun", "RunOutcome", "RunRecord", "TickReport", "due_runs", "next_fires", "run", "tick"]

log = logging.getLogger("briefgen.schedule")

RunStatus = Literal["working", "sent", "built", "skipped", "failed", "missed"]
#: A failed run is tried again at later ticks, this many times in all.
MAX_ATTEMPTS = 5
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
"""


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

    def stale(self, me: str, now: float) -> bool:
        return self.status == "working" and not owner_alive(self.owner, self.touched_at, me=me, now=now)


@dataclass(frozen=True)
class Claim:
    granted: bool
    reason: str
    record: RunRecord | None = None


class RunStore(StateStore):
    """The schedule tables in the workspace's state database (beside the delivery ledger)."""

    def __init__(self, path: Path, owner: str | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.owner = owner or make_owner()
        self._db = connect_state(path)
        with self._write() as db:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)

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

    def pending(self, schedule: str, now: float) -> list[RunRecord]:
        """Runs to pick up again: failed ones with tries left, and ones whose process died."""
        rows = self._db.execute(
            "SELECT * FROM schedule_runs WHERE schedule = ? AND status IN ('failed', 'working') ORDER BY due",
            (schedule,),
        )
        records = [RunRecord(**dict(r)) for r in rows]
        return [r for r in records if (r.status == "failed" and r.attempts < MAX_ATTEMPTS) or r.stale(self.owner, now)]

    def claim(self, schedule: str, edition: str, due: str, *, force: bool = False) -> Claim:
        """Take the run (schedule, edition) for this process, or say who has it."""
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "SELECT * FROM schedule_runs WHERE schedule = ? AND edition = ?", (schedule, edition)
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO schedule_runs (schedule, edition, due, status, attempts, owner, started_at,"
                    " touched_at) VALUES (?, ?, ?, 'working', 1, ?, ?, ?)",
                    (schedule, edition, due, self.owner, now, now),
                )
                return Claim(True, "new")
            record = RunRecord(**dict(row))
            if record.status == "working" and not record.stale(self.owner, now):
                return Claim(False, "busy", record)
            if record.status in DONE and not force:
                return Claim(False, "done", record)
            if record.status == "failed" and record.attempts >= MAX_ATTEMPTS and not force:
                return Claim(False, "gave-up", record)
            reason = "forced" if force else "resumed" if record.status == "working" else "retry"
            db.execute(
                "UPDATE schedule_runs SET status = 'working', attempts = attempts + 1, owner = ?, started_at = ?,"
                " touched_at = ?, finished_at = NULL, detail = ? WHERE schedule = ? AND edition = ?",
                (self.owner, now, now, f"claimed ({reason})", schedule, edition),
            )
            return Claim(True, reason, record)

    def touch(self, schedule: str, edition: str, detail: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE schedule_runs SET touched_at = ?, detail = ? WHERE schedule = ? AND edition = ? AND owner = ?",
                (time.time(), detail, schedule, edition, self.owner),
            )

    def finish(self, schedule: str, edition: str, outcome: RunOutcome) -> None:
        now = time.time()
        with self._write() as db:
            db.execute(
                "UPDATE schedule_runs SET status = ?, detail = ?, sent = ?, total = ?, touched_at = ?, finished_at = ?"
                " WHERE schedule = ? AND edition = ? AND owner = ?",
                (outcome.status, outcome.detail, outcome.sent, outcome.total, now, now, schedule, edition, self.owner),
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


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class RunOutcome:
    status: Literal["sent", "built", "skipped", "failed"]
    detail: str
    sent: int = 0
    total: int = 0


#: Builds and delivers one edition; the default builds it and mails it to the schedule's groups.
Runner = Callable[[Config, ScheduleSpec, Window, Callable[[str], None]], RunOutcome]


def deliver_edition(config: Config, spec: ScheduleSpec, window: Window, progress: Callable[[str], None]) -> RunOutcome:
    """Build the window's edition and send it to the schedule's groups, once per recipient."""
    from .pipeline import build_edition

    progress("building")
    built = build_edition(window, config)
    if built.skipped:
        return RunOutcome("skipped", f"no events in {window.human()} (editions.empty = 'skip')")
    progress("sending")
    from .deliver import send_edition

    report = send_edition(built, config, to=spec.groups)
    total = len(report.deliveries)
    delivered = sum(d.outcome in ("sent", "delivered") for d in report.deliveries)
    if report.problems:
        names = ", ".join(f"{d.recipient} ({d.outcome}: {d.detail})" for d in report.problems)
        return RunOutcome("failed", f"sent to {delivered} of {total}; not delivered: {names}", delivered, total)
    return RunOutcome("sent", f"sent to {delivered} of {total} via {report.channel}", delivered, total)


@dataclass
class TickAction:
    schedule: str
    edition: str
    action: Literal["ran", "done", "busy", "missed", "gave-up"]
    outcome: RunOutcome | None = None
    reason: str = ""

    def __str__(self) -> str:
        what = f"{self.schedule} {self.edition}: "
        if self.action == "ran" and self.outcome is not None:
            return what + f"{self.outcome.status} ({self.reason}): {self.outcome.detail}"
        if self.action == "done":
            return what + f"already {self.reason}; not run again"
        if self.action == "busy":
            return what + "another process is running it"
        if self.action == "gave-up":
            return what + f"failed {MAX_ATTEMPTS} times; run with --force to try again"
        return what + "missed while not running; skipped by the schedule's policy"


@dataclass
class TickReport:
    now: dt.datetime
    actions: list[TickAction] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(a.outcome is not None and a.outcome.status == "failed" for a in self.actions)


def state_path(config: Config) -> Path:
    return config.root / STATE_DB


def tick(
    config: Config,
    now: dt.datetime | None = None,
    *,
    runner: Runner | None = None,
    force: bool = False,
    only: Sequence[str] = (),
) -> TickReport:
    """Do whatever is due at ``now`` (default: the current time) and return what was done."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    runner = runner or deliver_edition
    report = TickReport(now)
    with RunStore(state_path(config)) as store:
        for spec in config.schedules:
            if only and spec.name not in only:
                continue
            todo, given_up = due_runs(spec, config, store.checked_until(spec.name), now)
            for missed in given_up:
                store.mark_missed(spec.name, missed.window.id, missed.fire.isoformat())
                report.actions.append(TickAction(spec.name, missed.window.id, "missed"))
            jobs = [(r.window, r.fire.isoformat()) for r in todo]
            known = {w.id for w, _ in jobs}
            for record in store.pending(spec.name, now.timestamp()):  # failed, or its process died
                window = window_of(spec, config, dt.datetime.fromisoformat(record.due))
                if window.id not in known:
                    jobs.append((window, record.due))
                    known.add(window.id)
            for window, due in jobs:
                report.actions.append(_run_one(store, config, spec, window, due, runner, force))
            store.set_checked_until(spec.name, now)
    return report


def _run_one(
    store: RunStore, config: Config, spec: ScheduleSpec, window: Window, due: str, runner: Runner, force: bool
) -> TickAction:
    claim = store.claim(spec.name, window.id, due, force=force)
    if not claim.granted:
        record = claim.record
        if claim.reason == "done" and record is not None:
            return TickAction(spec.name, window.id, "done", reason=f"{record.status}: {record.detail}")
        return TickAction(spec.name, window.id, "busy" if claim.reason == "busy" else "gave-up")
    log.info("%s %s: started (%s)", spec.name, window.id, claim.reason)

    def step(what: str) -> None:
        store.touch(spec.name, window.id, what)  # also the heartbeat that keeps the claim alive
        log.info("%s %s: %s", spec.name, window.id, what)

    try:
        outcome = runner(config, spec, window, step)
    except Exception as exc:  # a run must end recorded, whatever went wrong inside it
        outcome = RunOutcome("failed", f"{type(exc).__name__}: {exc}")
    store.finish(spec.name, window.id, outcome)
    log.info("%s %s: %s: %s", spec.name, window.id, outcome.status, outcome.detail)
    return TickAction(spec.name, window.id, "ran", outcome, claim.reason)


def run(
    config: Config,
    *,
    stop: threading.Event,
    runner: Runner | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    poll_seconds: float = 30.0,
    on_tick: Callable[[TickReport], None] | None = None,
) -> None:
    """Run until ``stop`` is set: tick at every due time (and every ``poll_seconds`` to pick
    up failed or abandoned runs). A run in progress is finished before returning."""
    if not config.schedules:
        raise ValueError("no [[schedules]] in briefgen.toml")
    while not stop.is_set():
        report = tick(config, now(), runner=runner)
        if on_tick is not None and report.actions:
            on_tick(report)
        current = now()
        upcoming = min(next_fires(spec, config, current, 1)[0] for spec in config.schedules)
        wait = max(0.0, min(poll_seconds, (upcoming - current).total_seconds()))
        stop.wait(wait + 0.01)
