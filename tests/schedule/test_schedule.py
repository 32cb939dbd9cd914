"""Schedules with a controlled clock: due or not, DST, downtime policies, concurrency, crashes.

The timing tests inject a runner that records what it was asked to do; the end-to-end tests
(test_schedule_e2e.py) run the real scheduler against a real SMTP server.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from briefgen import load_config
from briefgen.analysis.editions import Window
from briefgen.config import Config, ScheduleSpec
from briefgen.errors import UsageError
from briefgen.schedule.runs import RunOutcome, RunRecord, RunStore, state_path
from briefgen.schedule.tick import tick
from briefgen.schedule.timing import backoff, due_runs, fire_times, next_fires

from ..conftest import run_cli

BERLIN = ZoneInfo("Europe/Berlin")


#: Every test here runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("state_store")


def at(text: str, zone: ZoneInfo = BERLIN) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


class Recorder:
    """A runner that records each edition it is asked to deliver."""

    def __init__(self, status: str = "sent") -> None:
        self.calls: list[str] = []
        self.status = status

    def __call__(self, config: Config, spec: ScheduleSpec, window: Window, progress: object) -> RunOutcome:
        self.calls.append(window.id)
        return RunOutcome(self.status, f"{self.status} {window.id}", 1, 1)  # type: ignore[arg-type]


def workspace(tmp_path: Path, schedules: str) -> Config:
    (tmp_path / "briefgen.toml").write_text('[editions]\ntimezone = "Europe/Berlin"\n\n' + textwrap.dedent(schedules))
    return load_config(tmp_path)


WEEKLY = """\
[[schedules]]
name = "weekly"
cron = "0 7 * * MON"
groups = ["leadership"]
"""


def test_due_and_not_due(tmp_path: Path) -> None:
    config = workspace(tmp_path, WEEKLY)
    runner = Recorder()
    assert tick(config, at("2021-12-13T06:59"), runner=runner).actions == []
    report = tick(config, at("2021-12-13T07:00:30"), runner=runner)
    assert runner.calls == ["2021-W49"]  # Monday 13 Dec reports on the week of 6–12 Dec
    assert [a.action for a in report.actions] == ["ran"]
    again = tick(config, at("2021-12-13T07:05"), runner=runner)
    assert runner.calls == ["2021-W49"] and again.actions == []
    forced = tick(config, at("2021-12-13T07:06"), runner=runner, force=False)
    assert forced.actions == []
    assert tick(config, at("2021-12-20T07:00"), runner=runner).actions[0].edition == "2021-W50"


def test_second_run_for_the_same_edition_reports_the_first(tmp_path: Path) -> None:
    config = workspace(tmp_path, WEEKLY)
    with RunStore(state_path(config)) as store:
        assert store.claim("weekly", "2021-W49", "x").granted
        store.finish("weekly", "2021-W49", RunOutcome("sent", "sent to 3 of 3", 3, 3))
    runner = Recorder()
    report = tick(config, at("2021-12-13T07:00"), runner=runner)
    assert runner.calls == []
    assert "already sent: sent to 3 of 3; not run again" in str(report.actions[0])
    assert tick(config, at("2021-12-13T07:01"), runner=runner, force=True).actions == []  # nothing new is due
    assert runner.calls == []


@pytest.mark.sqlite_only("keeps no state")
def test_duplicate_schedule_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text(WEEKLY + "\n" + WEEKLY)
    result = run_cli("schedule", "status", cwd=tmp_path)
    assert result.returncode == 2 and "schedule name 'weekly' is used twice" in result.stderr


@pytest.mark.sqlite_only("keeps no state")
def test_dst_weekly_in_berlin_keeps_local_time() -> None:
    spec = ScheduleSpec(name="w", cron="0 7 * * MON")
    fires = fire_times(spec, BERLIN, at("2021-03-20T00:00"), at("2021-04-06T00:00"))
    assert [f.astimezone(dt.UTC).hour for f in fires] == [6, 5, 5]  # CET → CEST on 28 March
    assert all(f.hour == 7 for f in fires)


@pytest.mark.sqlite_only("keeps no state")
def test_dst_skipped_and_repeated_hours() -> None:
    spec = ScheduleSpec(name="d", cron="30 2 * * *")
    spring = fire_times(spec, BERLIN, at("2021-03-27T12:00"), at("2021-03-29T12:00"))
    assert [f.isoformat() for f in spring] == ["2021-03-28T03:00:00+02:00", "2021-03-29T02:30:00+02:00"]
    autumn = fire_times(spec, BERLIN, at("2021-10-30T12:00"), at("2021-11-01T12:00"))
    assert [f.isoformat() for f in autumn] == ["2021-10-31T02:30:00+02:00", "2021-11-01T02:30:00+01:00"]


def _downtime(tmp_path: Path, policy: str) -> tuple[Recorder, list[str]]:
    config = workspace(tmp_path, WEEKLY + f'missed = "{policy}"\nbackfill = 2\n')
    runner = Recorder()
    tick(config, at("2021-11-01T07:00"), runner=runner)  # W43, on time
    # The machine is off for four Mondays, back at 07:10 on 6 Dec (on time for W48).
    report = tick(config, at("2021-12-06T07:10"), runner=runner)
    return runner, [f"{a.edition}:{a.action}" for a in report.actions]


def test_downtime_skip(tmp_path: Path) -> None:
    runner, actions = _downtime(tmp_path, "skip")
    assert runner.calls == ["2021-W43", "2021-W48"]
    assert actions == ["2021-W44:missed", "2021-W45:missed", "2021-W46:missed", "2021-W47:missed", "2021-W48:ran"]


def test_downtime_run_once(tmp_path: Path) -> None:
    runner, actions = _downtime(tmp_path, "run-once")
    assert runner.calls == ["2021-W43", "2021-W47", "2021-W48"]
    assert actions.count("2021-W47:ran") == 1 and "2021-W44:missed" in actions


def test_downtime_backfill(tmp_path: Path) -> None:
    runner, _ = _downtime(tmp_path, "backfill")
    assert runner.calls == ["2021-W43", "2021-W46", "2021-W47", "2021-W48"]  # backfill = 2, own windows
    config = load_config(tmp_path)
    with RunStore(state_path(config)) as store:
        statuses = {r.edition: r.status for r in store.runs("weekly", 10)}
    assert statuses == {
        "2021-W43": "sent", "2021-W44": "missed", "2021-W45": "missed", "2021-W46": "sent", "2021-W47": "sent",
        "2021-W48": "sent",
    }  # fmt: skip


def test_first_tick_does_not_replay_history(tmp_path: Path) -> None:
    config = workspace(tmp_path, WEEKLY)
    runs, given_up = due_runs(config.schedules[0], config, None, at("2021-12-15T12:00"))
    assert runs == [] and given_up == []


def test_failed_run_is_retried_at_the_next_tick(tmp_path: Path) -> None:
    config = workspace(tmp_path, WEEKLY)
    failing = Recorder("failed")
    report = tick(config, at("2021-12-13T07:00"), runner=failing)
    assert report.failed
    ok = Recorder()
    tick(config, at("2021-12-13T07:01"), runner=ok)
    assert ok.calls == ["2021-W49"]
    with RunStore(state_path(config)) as store:
        record = store.get("weekly", "2021-W49")
    assert record is not None and (record.status, record.attempts) == ("sent", 2)


def test_a_runner_that_raises_is_recorded_as_failed(tmp_path: Path) -> None:
    config = workspace(tmp_path, WEEKLY)

    def boom(*_args: object) -> RunOutcome:
        raise RuntimeError("disk full")

    report = tick(config, at("2021-12-13T07:00"), runner=boom)
    assert report.actions[0].outcome == RunOutcome("failed", "RuntimeError: disk full")


CHILD = """
import sys, time, datetime as dt
from pathlib import Path
from briefgen import load_config
from briefgen.schedule.runs import RunOutcome\nfrom briefgen.schedule.tick import tick

root, mode = Path(sys.argv[1]), sys.argv[2]

def runner(config, spec, window, progress):
    with open(root / "calls.txt", "a") as f:
        f.write(window.id + "\\n")
    progress("working")
    if mode == "hang":
        print("started", flush=True)
        time.sleep(600)
    time.sleep(1.5)
    return RunOutcome("sent", "ok", 1, 1)

now = dt.datetime(2021, 12, 13, 6, 0, 30, tzinfo=dt.UTC)
report = tick(load_config(root), now, runner=runner)
print("|".join(a.action for a in report.actions), flush=True)
"""


def test_two_ticks_at_once_run_the_edition_once(tmp_path: Path) -> None:
    workspace(tmp_path, WEEKLY)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    children = [
        subprocess.Popen([sys.executable, str(script), str(tmp_path), "run"], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = sorted(c.communicate(timeout=60)[0].strip() for c in children)
    assert outputs == ["busy", "ran"]
    assert (tmp_path / "calls.txt").read_text().split() == ["2021-W49"]


def test_a_killed_run_is_resumed_and_status_tells_the_truth(tmp_path: Path) -> None:
    config = workspace(tmp_path, WEEKLY)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen([sys.executable, str(script), str(tmp_path), "hang"], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "started"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)

    status = run_cli("schedule", "status", cwd=tmp_path)
    assert (
        "2021-W49  due 2021-12-13T07:00  working (stale: its process is gone; the next tick resumes it)"
        in status.stdout
    )

    runner = Recorder()
    report = tick(config, at("2021-12-13T07:30"), runner=runner)
    assert runner.calls == ["2021-W49"]
    assert report.actions[0].reason == "resumed"
    status = run_cli("schedule", "status", cwd=tmp_path)
    assert "2021-W49" in status.stdout and "sent" in status.stdout and "stale" not in status.stdout


def test_next_fires_and_status_cli(tmp_path: Path) -> None:
    config = workspace(tmp_path, WEEKLY)
    with time_machine.travel(at("2021-12-08T12:00"), tick=False):
        fires = next_fires(config.schedules[0], config, dt.datetime.now(dt.UTC), 2)
    assert [f.isoformat() for f in fires] == ["2021-12-13T07:00:00+01:00", "2021-12-20T07:00:00+01:00"]
    result = run_cli("schedule", "status", cwd=tmp_path)
    assert result.returncode == 0 and "weekly 0 7 * * MON in Europe/Berlin: next" in result.stdout
    assert "no runs yet" in result.stdout


def test_tick_cli_with_now(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text(WEEKLY)
    (tmp_path / "inputs").mkdir()
    result = run_cli("schedule", "tick", "--now", "2021-12-13T07:00:00+00:00", cwd=tmp_path)
    # No inputs fall in 2021-W49, so the edition is skipped by the default empty-window policy.
    assert result.returncode == 0, result.stderr
    assert "weekly 2021-W49: skipped (new): no events in 6–12 December 2021" in result.stdout
    again = run_cli("schedule", "tick", "--now", "2021-12-13T07:00:30+00:00", cwd=tmp_path)
    assert "nothing due" in again.stdout
    bad = run_cli("schedule", "tick", "--now", "monday", cwd=tmp_path)
    assert bad.returncode == 2


@pytest.mark.sqlite_only("keeps no state")
def test_invalid_schedule_config(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text(
        '[[schedules]]\nname = "w"\ncron = "0 25 * * *"\ntimezone = "Nowhere/City"\n'
    )
    result = run_cli("schedule", "status", cwd=tmp_path)
    assert result.returncode == 2
    assert "schedules.0.cron" in result.stderr and "not a cron expression" in result.stderr
    assert "schedules.0.timezone" in result.stderr and ":4:" in result.stderr


@pytest.mark.sqlite_only("keeps no state")
def test_install_prints_cron_and_systemd(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text(WEEKLY)
    cron = run_cli("schedule", "install", "--cron", cwd=tmp_path)
    assert cron.returncode == 0
    assert cron.stdout.startswith("* * * * * cd ") and "-m briefgen schedule tick" in cron.stdout
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    written = run_cli("schedule", "install", "--systemd", "--write", cwd=tmp_path, env=env)
    assert written.returncode == 0, written.stderr
    units = sorted((tmp_path / "xdg" / "systemd" / "user").iterdir())
    assert [u.suffix for u in units] == [".service", ".timer"]
    assert "OnCalendar=*-*-* *:*:00" in units[1].read_text() and "Persistent=true" in units[1].read_text()
    assert f"WorkingDirectory={tmp_path.resolve()}" in units[0].read_text()
    both = run_cli("schedule", "install", cwd=tmp_path)
    assert both.returncode == 2


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_local_date_decides_the_edition(tmp_path: Path, zone: str) -> None:
    """Monday 00:30 in the zone is Sunday in UTC for zones ahead of it: the local date counts."""
    config = workspace(tmp_path, f'[[schedules]]\nname = "w"\ncron = "30 0 * * MON"\ntimezone = "{zone}"\n')
    runner = Recorder()
    tick(config, dt.datetime(2021, 12, 13, 0, 30, tzinfo=ZoneInfo(zone)), runner=runner)
    assert runner.calls == ["2021-W49"]
    time.sleep(0)


# --------------------------------------------------------------------------- back-off (issue 11, class 4)

RETRYING = WEEKLY + "retry_base = 60\nretry_cap = 600\n"


@pytest.mark.sqlite_only("keeps no state")
def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    spec = ScheduleSpec(name="w", cron="0 7 * * MON", retry_base=30, retry_cap=900)
    assert [backoff(spec, n, lambda: 0.0) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]
    assert [backoff(spec, n, lambda: 1.0) for n in (1, 2, 6)] == [22.5, 45, 675]  # at most a quarter less
    waits = [backoff(spec, n) for n in range(1, 6)]
    assert all(a < b for a, b in itertools.pairwise(waits))  # growing whatever the jitter
    with pytest.raises(ValueError, match="retry_cap"):
        ScheduleSpec(name="w", cron="0 7 * * MON", retry_base=60, retry_cap=30)


def _record(config: Config, edition: str = "2021-W49") -> RunRecord:
    with RunStore(state_path(config)) as store:
        record = store.get("weekly", edition)
    assert record is not None
    return record


def test_a_failed_run_waits_its_back_off_and_is_retried_until_the_next_edition_is_due(tmp_path: Path) -> None:
    config = workspace(tmp_path, RETRYING)
    failing = Recorder("failed")
    start = at("2021-12-13T07:00")
    tick(config, start, runner=failing)
    first = _record(config)
    assert first.next_retry is not None and 45 <= first.next_retry - start.timestamp() <= 61
    assert first.retry_until == at("2021-12-20T07:00").timestamp()  # the next edition (W50) is due then
    # Polling before the retry time does nothing, and says why.
    early = tick(config, start + dt.timedelta(seconds=40), runner=failing)
    assert failing.calls == ["2021-W49"] and early.actions == []
    assert "failed 1 time(s); next try at 2021-12-13 07:0" in str(early.recent[0])
    times = [start]
    for _ in range(5):  # each retry waits about twice as long as the one before
        retry = _record(config).next_retry
        assert retry is not None
        times.append(dt.datetime.fromtimestamp(retry + 0.5, dt.UTC))
        tick(config, times[-1], runner=failing)
    assert failing.calls == ["2021-W49"] * 6
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    # Each wait exceeds the one before until the cap; at the cap, jitter may take up to a quarter off.
    assert all(a < b for a, b in itertools.pairwise(gaps[:4])) and 450 <= gaps[-1] <= 600.5
    with RunStore(state_path(config)) as store:
        attempts = store.attempts("weekly", "2021-W49")
    assert [a.attempt for a in attempts] == [1, 2, 3, 4, 5, 6]
    assert [a.at for a in attempts] == [t.timestamp() for t in times]
    # Just before the next edition is due, the last retry finds no time left: given up, with the reason.
    last = tick(config, at("2021-12-20T06:59:59"), runner=failing)
    assert failing.calls[-1] == "2021-W49" and len(failing.calls) == 7
    given_up = _record(config)
    assert given_up.given_up and given_up.attempts == 7
    assert "given up after 7 attempt(s): the edition stopped being current at 2021-12-20 07:00:00 CET" in str(
        last.actions[0]
    )
    # The next edition runs; the old one is not tried again.
    ok = Recorder()
    report = tick(config, at("2021-12-20T07:00:30"), runner=ok)
    assert ok.calls == ["2021-W50"] and [a.edition for a in report.actions] == ["2021-W50"]


def test_retry_window_ends_retries_and_a_late_scheduler_gives_up_without_trying(tmp_path: Path) -> None:
    config = workspace(tmp_path, RETRYING + "retry_window = 300\n")
    failing = Recorder("failed")
    tick(config, at("2021-12-13T07:00"), runner=failing)
    assert _record(config).retry_until == at("2021-12-13T07:05").timestamp()
    # The scheduler was not running until after the window: the run is given up, not tried.
    report = tick(config, at("2021-12-13T07:30"), runner=failing)
    assert failing.calls == ["2021-W49"]
    assert [a.action for a in report.actions] == ["gave-up"]
    assert "the retry window (300 s from the first attempt) ended at 2021-12-13 07:05:00 CET" in str(report.actions[0])
    assert _record(config).given_up
    # --force overrides, with a fresh window.
    forced = tick(config, at("2021-12-13T07:31"), runner=Recorder(), force=True, rerun=True)
    assert [(a.action, a.reason) for a in forced.actions] == [("ran", "forced")]
    assert _record(config).status == "sent"


def test_only_uncertain_recipients_are_not_retried(tmp_path: Path) -> None:
    config = workspace(tmp_path, RETRYING)

    def uncertain(*_args: object) -> RunOutcome:
        return RunOutcome("failed", "sent to 2 of 3; not delivered: c (uncertain: …)", 2, 3, retryable=False)

    report = tick(config, at("2021-12-13T07:00"), runner=uncertain)
    assert "given up: trying again cannot tell" in str(report.actions[0])
    assert _record(config).given_up


@pytest.mark.sqlite_only
def test_an_old_database_gains_the_retry_columns(tmp_path: Path) -> None:
    config = workspace(tmp_path, RETRYING)
    path = state_path(config)
    path.parent.mkdir()
    old = sqlite3.connect(path)
    old.executescript(OLD_SCHEMA)
    old.execute(
        "INSERT INTO schedule_runs (schedule, edition, due, status, attempts, touched_at)"
        " VALUES ('weekly', '2021-W49', '2021-12-13T07:00:00+01:00', 'failed', 2, 0)"
    )
    old.commit()
    old.close()
    ok = Recorder()
    tick(config, at("2021-12-13T08:00"), runner=ok)
    assert ok.calls == ["2021-W49"] and _record(config).status == "sent"


OLD_SCHEMA = """
CREATE TABLE schedule_runs (
    schedule TEXT NOT NULL, edition TEXT NOT NULL, due TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('working', 'sent', 'built', 'skipped', 'failed', 'missed')),
    attempts INTEGER NOT NULL DEFAULT 0, owner TEXT, started_at REAL, touched_at REAL NOT NULL, finished_at REAL,
    sent INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0, detail TEXT, PRIMARY KEY (schedule, edition)
);
CREATE TABLE schedule_marks (schedule TEXT PRIMARY KEY, checked_until TEXT NOT NULL);
"""


def test_a_secret_in_an_error_never_reaches_the_state_or_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = workspace(
        tmp_path,
        RETRYING + '\n[mail]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\nsender = "desk@example.org"\n'
        'username = "desk@example.org"\n',
    )
    password = "s3cret-Pa55word!with~symbols"
    env = {**os.environ, "BRIEFGEN_SMTP_PASSWORD": password}
    echoed = base64.b64encode(f"\0desk@example.org\0{password}".encode()).decode()

    def echoing(*_args: object) -> RunOutcome:
        raise RuntimeError(f"535 rejected AUTH PLAIN {echoed} ({password})")

    monkeypatch.setenv("BRIEFGEN_SMTP_PASSWORD", password)
    report = tick(config, at("2021-12-13T07:00"), runner=echoing)
    status = run_cli("schedule", "status", cwd=tmp_path, env=env)
    stored = b"".join(p.read_bytes() for p in state_path(config).parent.iterdir())
    for text in (str(report.actions[0]), status.stdout):
        assert password not in text and echoed not in text and "********" in text
    assert password.encode() not in stored and echoed.encode() not in stored
    assert "    next retry 2021-12-13 07:0" in status.stdout and "    last error: RuntimeError: 535" in status.stdout


# --------------------------------------------------------------------------- time travel (issue 11, class 7)


@pytest.mark.sqlite_only
def test_a_future_now_is_refused_unless_dry_run_and_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text(WEEKLY)
    (tmp_path / "inputs").mkdir()
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=120)).isoformat(timespec="seconds")
    refused = run_cli("schedule", "tick", "--now", future, cwd=tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "is ahead of the clock" in refused.stderr and "--dry-run" in refused.stderr
    assert not (tmp_path / ".briefgen").exists()
    planned = run_cli("schedule", "tick", "--now", future, "--dry-run", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert not (tmp_path / ".briefgen").exists()  # nothing written, not even an empty database

    # With history: a real tick, then a dry run months ahead; the real schedule is not silenced.
    assert run_cli("schedule", "tick", "--now", "2021-12-13T07:00:00+00:00", cwd=tmp_path).returncode == 0
    state = tmp_path / ".briefgen" / "state.db"
    before = _dump(state)
    ahead = run_cli("schedule", "tick", "--now", "2022-03-14T07:00:00+00:00", "--dry-run", cwd=tmp_path)
    assert ahead.returncode == 0 and "2022-W01: would be marked missed" in ahead.stdout
    assert "2022-W10: would run (new); dry run: nothing sent or recorded" in ahead.stdout
    assert _dump(state) == before
    later = run_cli("schedule", "tick", "--now", "2021-12-20T07:00:00+00:00", cwd=tmp_path)
    assert "weekly 2021-W50: skipped (new)" in later.stdout  # run, not marked missed
    # --now in the past keeps working; a run once recorded is not run again.
    assert "nothing due" in run_cli("schedule", "tick", "--now", "2021-12-20T07:10:00+00:00", cwd=tmp_path).stdout


def _dump(path: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        return [tuple(row) for row in db.execute("SELECT * FROM schedule_runs ORDER BY edition")] + [
            tuple(row) for row in db.execute("SELECT * FROM schedule_marks")
        ]
    finally:
        db.close()


@pytest.mark.sqlite_only("keeps no state")
def test_library_tick_refuses_the_future_too(tmp_path: Path) -> None:
    config = workspace(tmp_path, WEEKLY)
    with pytest.raises(UsageError, match="ahead of the clock"):
        tick(config, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), runner=Recorder())
    runner = Recorder()
    report = tick(config, dt.datetime.now(dt.UTC) + dt.timedelta(days=30), runner=runner, dry_run=True)
    assert runner.calls == [] and not state_path(config).exists()
    assert all(a.dry for a in report.actions)


# --------------------------------------------------------------------------- tick reports (issue 12, item 5)


def test_a_second_tick_reports_what_the_first_did_and_force_reruns(tmp_path: Path) -> None:
    config = workspace(tmp_path, WEEKLY)
    with RunStore(state_path(config)) as store:
        assert store.claim("weekly", "2021-W49", "2021-12-13T07:00:00+01:00").granted
        store.finish("weekly", "2021-W49", RunOutcome("sent", "sent to 12 of 12 via smtp", 12, 12))
        store.set_checked_until("weekly", at("2021-12-13T07:00"))
    again = run_cli("schedule", "tick", "--now", "2021-12-13T07:05:00+01:00", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    assert lines[0].startswith("nothing due at 2021-12-13T06:05:00")
    assert lines[1].startswith("weekly 2021-W49: already sent: sent to 12 of 12 via smtp; not run again (finished ")
    assert lines[1].endswith(", 12 of 12 delivered; `schedule tick --force` runs it again)")
    runner = Recorder()
    forced = tick(config, at("2021-12-13T07:06"), runner=runner, force=True, rerun=True)
    assert runner.calls == ["2021-W49"] and forced.actions[0].reason == "forced"
    assert _record(config).attempts == 2
