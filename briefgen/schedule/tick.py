"""``tick`` and ``run``: claim each due run once, build and send its edition, retry with back-off
while the edition is current, and report what happened.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal
from zoneinfo import ZoneInfo

from briefgen.analysis.editions import Window
from briefgen.config import Config, ScheduleSpec
from briefgen.errors import UsageError
from briefgen.schedule.runs import RunOutcome, RunRecord, RunStore, state_path, state_url
from briefgen.schedule.timing import backoff, due_runs, last_fire, next_fires, retry_until, window_of, zone_of

__all__ = ["TickReport", "run", "tick"]


log = logging.getLogger("briefgen.schedule")


#: A ``--now`` this far ahead of the clock still counts as now (a typed time rounds up).
CLOCK_SLACK = dt.timedelta(seconds=1)


#: Builds and delivers one edition; the default builds it and mails it to the schedule's groups.
Runner = Callable[[Config, ScheduleSpec, Window, Callable[[str], None]], RunOutcome]


def deliver_edition(
    config: Config, spec: ScheduleSpec, window: Window, progress: Callable[[str], None], *, resend: bool = False
) -> RunOutcome:
    """Build the window's edition and send it to the schedule's groups, once per recipient.

    A retry sends only to the recipients the ledger has not recorded (unless ``resend``).
    """
    from briefgen.builds.editions import build_edition

    progress("building")
    built = build_edition(window, config)
    if built.skipped:
        return RunOutcome("skipped", f"no events in {window.human()} (editions.empty = 'skip')")
    from briefgen.deliver.embargo import aware, embargoed_until

    until = embargoed_until(built.briefs)
    if spec.not_before is not None and aware(spec.not_before) > dt.datetime.now(dt.UTC):
        until = max(until or aware(spec.not_before), aware(spec.not_before))
    if until is not None:
        # Retried with the usual back-off; after the embargo the next attempt sends.
        return RunOutcome("failed", f"embargoed until {until.isoformat(timespec='minutes')}: nothing sent")
    if spec.require:
        from briefgen.schedule.gates import failed_gates, tell_owners

        problems = failed_gates(config, spec, built)
        if problems:
            told = tell_owners(config, spec, built.id, problems)
            owners = f"; {told} owner(s) told" if told else ""
            # Not retried by itself: a gate needs a person (`schedule tick --force` after the fix).
            return RunOutcome("failed", f"held, a gate failed: {'; '.join(problems)}{owners}", retryable=False)
    note, notice = "", None
    if spec.approval:
        from briefgen.schedule.approval import await_approval

        waiting, note, notice = await_approval(config, spec, built)
        if waiting is not None:
            return waiting
    progress("sending")
    from briefgen.deliver.send import send_edition

    report = send_edition(built, config, to=spec.groups, resend=resend, notice=notice)
    total = len(report.deliveries)
    now, before = report.count("sent"), report.count("delivered")
    served = now + before
    if report.problems:
        names = ", ".join(f"{d.recipient} ({d.outcome}: {d.detail})" for d in report.problems)
        # An "uncertain" recipient is not retried by the ledger: only a person can tell.
        retryable = any(d.outcome == "failed" for d in report.problems)
        return RunOutcome("failed", f"sent to {served} of {total}; not delivered: {names}", served, total, retryable)
    if before:
        return RunOutcome("sent", f"{now} sent now, {before} already had it, via {report.channel}{note}", served, total)
    return RunOutcome("sent", f"sent to {served} of {total} via {report.channel}{note}", served, total)


Action = Literal["ran", "would-run", "queued", "missed", "gave-up", "done", "busy", "waiting", "given-up"]


#: Actions that are events (something happened); the others report a run's standing.
EVENTS: tuple[Action, ...] = ("ran", "would-run", "queued", "missed", "gave-up")


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
        if self.action == "queued":
            return what + ("queued for a worker" if self.reason == "new" else "already queued for a worker")
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


def secrets_of(config: Config) -> list[str]:
    """The mail secrets to scrub from anything the scheduler stores or prints."""
    from briefgen.deliver.mail import mail_settings
    from briefgen.errors import BriefgenError
    from briefgen.schedule.runs import state_url

    try:
        state = state_url(config).secrets()
    except BriefgenError:
        state = []
    try:
        return mail_settings(config).secrets() + state
    except BriefgenError:  # incomplete mail settings: then no password was read either
        return state


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
    queue = config.state.queue and runner is None and not dry_run and not force
    runner = runner or deliver_edition
    report = TickReport(now, dry_run=dry_run)
    deferred: list[tuple[str, str, str, ZoneInfo]] = []
    with RunStore(state_path(config), scratch=dry_run, url=state_url(config)) as store:
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
            if queue:  # workers run them (schedule/tasks.py); the run's claim still makes it once
                deferred += [(spec.name, window.id, due, zone) for window, due in jobs]
                jobs = []
            for window, due in jobs:
                report.actions.append(_run_one(store, config, spec, window, due, runner, force, now, dry_run))
            if len(report.actions) == before and not any(d[0] == spec.name for d in deferred):
                latest = last_fire(spec, config, now)
                standing = store.get(spec.name, window_of(spec, config, latest).id)
                if standing is not None and standing.status != "missed":
                    report.recent.append(_standing(spec, standing, zone))
            store.set_checked_until(spec.name, now)
    if queue:  # one connection to the queue per tick, which also puts back jobs whose worker died
        from briefgen.schedule.tasks import defer_runs

        fresh = defer_runs(config, [(name, edition, due) for name, edition, due, _ in deferred])
        for (name, edition, _, zone), new in zip(deferred, fresh, strict=True):
            reason = "new" if new else "queued"
            report.actions.append(TickAction(name, edition, "queued", reason=reason, zone=zone))
    return report


def run_due(config: Config, schedule: str, due: str) -> str:
    """Run one due edition now (a worker's job): claimed like a tick's run, so a job that runs
    twice, or after a tick did it, builds and sends nothing twice. What happened, as a line."""
    spec = next((s for s in config.schedules if s.name == schedule), None)
    if spec is None:
        raise UsageError(f"no schedule named {schedule!r} in briefgen.toml")
    window = window_of(spec, config, dt.datetime.fromisoformat(due))
    with RunStore(state_path(config), url=state_url(config)) as store:
        action = _run_one(store, config, spec, window, due, deliver_edition, False, dt.datetime.now(dt.UTC))
    log.info("%s", action)
    return str(action)


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
    from briefgen.deliver.redact import redact

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
        with RunStore(state_path(config), url=state_url(config)) as store:
            retry = store.next_retry_at()
        if retry is not None:
            upcoming = min(upcoming, retry)
        wait = max(0.0, min(poll_seconds, upcoming - current.timestamp()))
        stop.wait(wait + 0.01)
