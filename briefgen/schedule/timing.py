"""When schedules fire: cron in a time zone, due runs, and each run's window."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from briefgen.analysis.editions import Window, window_for
from briefgen.config import Config, ScheduleSpec

__all__ = ["DueRun", "backoff", "due_runs", "next_fires", "retry_until"]


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
