"""Approval before send: the approvers are asked once per version, stakeholders get only an
approved version, a change asks again, and ``schedule status`` says who is awaited."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefgen import load_config
from briefgen.deliver.approvals import Approvals
from briefgen.deliver.archive import Archive
from briefgen.schedule.tick import tick
from briefgen.state.store import STATE_DB
from briefgen.state.url import parse_url

from ..conftest import run_cli
from ..hookserver import HookServer
from ..mailserver import MailServer, Received
from .test_schedule_e2e import _event

pytestmark = pytest.mark.usefixtures("state_store")

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


# --------------------------------------------------------------------------- deadline policies


WEBHOOK = '\n[[webhooks]]\nname = "desk"\nkind = "json"\nurl_env = "DESK_HOOK_URL"\n'

SMTP_CONFIG = """\
[build]
formats = ["html"]

[mail]
sender = "Desk <desk@example.org>"
host = "127.0.0.1"
port = {port}
security = "none"
retries = 1
retry_delay = 0.01

[[schedules]]
name = "weekly"
cron = "0 7 * * MON"
timezone = "UTC"
groups = ["leadership"]
approval = true
approvers = ["editors"]
approval_deadline_hours = 2
on_deadline = "{policy}"

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


def _deadline_workspace(root: Path, port: int, policy: str) -> Path:
    (root / "inputs").mkdir()
    (root / "inputs" / "one.yaml").write_text(_event("harbour-talks", "Harbour talks", dt.date(2021, 12, 8)))
    (root / "inputs" / "two.yaml").write_text(_event("grid-talks", "Grid talks", dt.date(2021, 12, 15)))
    (root / "briefgen.toml").write_text(SMTP_CONFIG.format(port=port, policy=policy), encoding="utf-8")
    return root


def _age_requests(root: Path, hours: float) -> None:
    """The clock fault: the approvers were asked ``hours`` ago (the deadline runs on the real clock)."""
    with Approvals(root / STATE_DB) as store, store._write() as db:
        db.execute("UPDATE approval_requests SET requested_at = requested_at - ?", (hours * 3600,))


def _bodies(message: Received) -> str:
    mail = message.message
    return mail.get_body(("plain",)).get_content() + mail.get_body(("html",)).get_content()


@pytest.mark.parametrize("policy", ["hold", "send", "skip"])
def test_each_deadline_policy_through_the_schedule(
    tmp_path: Path, policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with MailServer() as server, HookServer() as hook:
        monkeypatch.setenv("DESK_HOOK_URL", hook.url)
        root = _deadline_workspace(tmp_path, server.port, policy)
        with (root / "briefgen.toml").open("a", encoding="utf-8") as toml:
            toml.write(WEBHOOK)
        config = load_config(root)
        (asked,) = tick(config, MONDAY).actions
        assert asked.outcome is not None and asked.outcome.detail.startswith("awaiting approval by eda@example.org")
        assert [m.rcpt_tos for m in server.received] == [["eda@example.org"]]  # the approver only
        assert str(server.received[0].message["Subject"]).startswith("FOR APPROVAL: ")

        _age_requests(root, 3)  # the 2-hour deadline has passed
        (late,) = tick(config, MONDAY + dt.timedelta(minutes=1), force=True, rerun=True).actions
        assert late.outcome is not None
        again = tick(config, MONDAY + dt.timedelta(minutes=2), force=True, rerun=True).actions[0]
        stakeholders = server.handler.to("asha@example.org")
        status = run_cli("schedule", "status", cwd=root).stdout

        if policy == "hold":
            assert late.outcome.status == "failed" and "passed, held until approved" in late.outcome.detail
            assert stakeholders == []
            assert "awaiting approval by eda@example.org since " in status
            assert run_cli("approve", "2021-W49", "--by", "eda", cwd=root).returncode == 0
            (sent,) = tick(config, MONDAY + dt.timedelta(minutes=3), force=True, rerun=True).actions
            assert sent.outcome is not None and sent.outcome.status == "sent", sent.outcome
            (delivered,) = server.handler.to("asha@example.org")
            assert "NOT APPROVED" not in _bodies(delivered)
            (post,) = hook.requests
            assert "NOT APPROVED" not in post.body.decode()
        elif policy == "send":
            assert late.outcome.status == "sent" and "sent without approval at deadline" in late.outcome.detail
            assert again.outcome is not None and again.outcome.detail.startswith(
                "0 sent now, 2 already had it"
            )  # mail and hook
            (delivered,) = stakeholders  # exactly once, however often it runs
            bodies = _bodies(delivered)
            assert "NOT APPROVED: this edition was sent without approval" in bodies
            assert bodies.count("NOT APPROVED") == 2  # the plain text and the HTML
            (post,) = hook.requests  # and the webhook's post leads with it, once
            assert post.json()["bottom_line"].startswith("NOT APPROVED: this edition was sent without approval")
            assert "sent without approval at deadline" in status
            with Archive.of_workspace(root, parse_url(None, root)) as archive:  # kept as it went out
                (kept,) = [k for k in archive.entries() if k.recipient == "asha@example.org"]
                assert b"NOT APPROVED" in archive.get(kept.message)
            approved = run_cli("approve", "2021-W49", "--by", "eda", cwd=root)
            assert "it already went out unapproved at its deadline" in approved.stdout
        else:
            assert late.outcome.status == "skipped" and late.outcome.detail.startswith("skipped: not approved by")
            assert "skipped: not approved by deadline" in status
            approved = run_cli("approve", "2021-W49", "--by", "eda", cwd=root)
            assert approved.returncode == 0 and "too late: it was skipped at its deadline" in approved.stdout
            (ever,) = tick(config, MONDAY + dt.timedelta(minutes=3), force=True, rerun=True).actions
            assert ever.outcome is not None and ever.outcome.status == "skipped"
            assert server.handler.to("asha@example.org") == []  # never, even approved
            assert hook.requests == []
            # Next week's edition is its own: asked, approved, sent.
            week50 = MONDAY + dt.timedelta(days=7)
            (next_week,) = tick(config, week50).actions
            assert next_week.edition == "2021-W50" and next_week.outcome is not None
            assert next_week.outcome.detail.startswith("awaiting approval")
            assert run_cli("approve", "2021-W50", "--by", "eda", cwd=root).returncode == 0
            (sent,) = tick(config, week50 + dt.timedelta(minutes=1), force=True, rerun=True).actions
            assert sent.edition == "2021-W50" and sent.outcome is not None and sent.outcome.status == "sent"
            (delivered,) = server.handler.to("asha@example.org")
            assert "Grid talks" in _bodies(delivered)
