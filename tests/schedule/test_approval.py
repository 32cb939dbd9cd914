"""Approval before send: the approvers are asked once per version, stakeholders get only an
approved version, a change asks again, and ``schedule status`` says who is awaited."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

from briefgen import load_config
from briefgen.deliver.approvals import Approvals
from briefgen.schedule.tick import tick
from briefgen.state.store import STATE_DB

from ..conftest import run_cli
from .test_schedule_e2e import _event

CONFIG = """\
[build]
formats = ["html"]

[[schedules]]
name = "weekly"
cron = "0 7 * * MON"
timezone = "UTC"
groups = ["leadership"]
approval = true
approvers = ["editors"]

[[stakeholders]]
name = "Asha Rao"
email = "asha@example.org"
groups = ["leadership"]
format = "html"

[[stakeholders]]
name = "Eda Editor"
email = "eda@example.org"
groups = ["editors"]
format = "html"
"""
MONDAY = dt.datetime(2021, 12, 13, 7, 0, 30, tzinfo=ZoneInfo("UTC"))


def test_only_an_approved_version_goes_out(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    event = tmp_path / "inputs" / "one.yaml"
    event.write_text(_event("harbour-talks", "Harbour talks", dt.date(2021, 12, 8)), encoding="utf-8")
    (tmp_path / "briefgen.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(tmp_path)
    outbox = tmp_path / "output" / "outbox"

    (first,) = tick(config, MONDAY).actions
    assert first.outcome is not None and first.outcome.status == "failed"
    assert first.outcome.detail.startswith("awaiting approval by eda@example.org since ")
    asked = outbox / "edition-2021-w49.test-all" / "eda@example.org.eml"
    mail = message_from_bytes(asked.read_bytes(), policy=policy.default)
    assert str(mail["Subject"]).startswith("FOR APPROVAL: ")
    assert not (outbox / "edition-2021-w49").exists()  # no stakeholder has it
    asked.unlink()
    tick(config, MONDAY + dt.timedelta(minutes=1), force=True, rerun=True)
    assert not asked.exists()  # asked once per version
    assert "awaiting approval by eda@example.org" in run_cli("schedule", "status", cwd=tmp_path).stdout

    approved = run_cli("approve", "2021-W49", "--by", "eda", "--comment", "fine", cwd=tmp_path)
    assert approved.returncode == 0, approved.stderr
    assert "approved edition-2021-w49 version " in approved.stdout

    # A change after the approval voids it: the approvers are asked again, nobody else gets it.
    event.write_text(event.read_text(encoding="utf-8").replace("keep talking", "meet again"), encoding="utf-8")
    (changed,) = tick(config, MONDAY + dt.timedelta(minutes=2), force=True, rerun=True).actions
    assert changed.outcome is not None and changed.outcome.detail.startswith("awaiting approval")
    assert asked.exists() and not (outbox / "edition-2021-w49").exists()

    assert run_cli("approve", "2021-W49", "--by", "eda", cwd=tmp_path).returncode == 0
    (sent,) = tick(config, MONDAY + dt.timedelta(minutes=3), force=True, rerun=True).actions
    assert sent.outcome is not None and sent.outcome.status == "sent"
    assert "approved by eda at " in sent.outcome.detail
    assert (outbox / "edition-2021-w49" / "asha@example.org.eml").is_file()
    with Approvals(tmp_path / STATE_DB) as store:
        versions = {a.content_hash for a in store.approvals("edition-2021-w49")}
    assert len(versions) == 2


def test_approving_what_nobody_asked_for_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "briefgen.toml").write_text(CONFIG, encoding="utf-8")
    result = run_cli("approve", "2021-W49", cwd=tmp_path)
    assert result.returncode == 2
    assert "2021-W49: nothing awaits approval under this id" in result.stderr
    assert "Traceback" not in result.stderr
