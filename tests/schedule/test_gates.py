"""Freshness gates: a failing gate sends nothing to stakeholders, tells the owners once, and
leaves its reason where ``schedule status`` shows it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from briefgen import load_config
from briefgen.schedule.runs import RunStore, state_path
from briefgen.schedule.tick import tick

from ..conftest import run_cli

CONFIG = """\
[build]
formats = ["html"]

[editions]
empty = "notice"

[[schedules]]
name = "weekly"
cron = "0 7 * * MON"
timezone = "UTC"
groups = ["leadership"]
require = ["fresh", "pages"]
owners = ["editors"]

[[stakeholders]]
name = "Asha Rao"
email = "asha@example.org"
groups = ["leadership"]
format = "html"

[[stakeholders]]
name = "Eda Editor"
email = "eda@example.org"
groups = ["editors"]
"""


def test_a_stale_edition_is_held_and_the_owners_are_told_once(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "briefgen.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path)
    monday = dt.datetime(2021, 12, 13, 7, 0, 30, tzinfo=ZoneInfo("UTC"))
    (action,) = tick(config, monday).actions
    assert action.outcome is not None and action.outcome.status == "failed"
    assert "fresh: the edition 2021-W49 has no events" in action.outcome.detail
    assert "1 owner(s) told" in action.outcome.detail
    outbox = tmp_path / "output" / "outbox"
    assert not list(outbox.glob("edition-*"))  # nothing to stakeholders
    (told,) = outbox.rglob("eda@example.org.eml")
    text = told.read_text(encoding="utf-8")
    assert "Nothing was sent to stakeholders" in text and "schedule tick --force" in text
    again = tick(config, monday + dt.timedelta(minutes=5), force=True, rerun=True)
    assert "owner(s) told" not in again.actions[0].outcome.detail  # type: ignore[union-attr]
    assert len(list(outbox.rglob("*.eml"))) == 1
    with RunStore(state_path(config)) as store:
        assert any("a gate failed" in (r.detail or "") for r in store.runs("weekly"))
    status = run_cli("schedule", "status", cwd=tmp_path)
    assert "a gate failed: fresh" in status.stdout


def test_a_schedule_embargo_sends_nothing_before_its_time(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    text = CONFIG.replace('require = ["fresh", "pages"]', 'not_before = "2099-01-01T09:00:00+00:00"')
    (tmp_path / "briefgen.toml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path)
    (action,) = tick(config, dt.datetime(2021, 12, 13, 7, 0, 30, tzinfo=ZoneInfo("UTC"))).actions
    assert action.outcome is not None and action.outcome.status == "failed"
    assert action.outcome.detail == "embargoed until 2099-01-01T09:00+00:00: nothing sent"
    assert not (tmp_path / "output" / "outbox").exists()
