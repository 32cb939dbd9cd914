"""Approvers read only what they are cleared for: each gets the variants their level may see,
and an edition with a variant no approver is cleared for is held, never sent unapproved."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefgen import load_config
from briefgen.schedule.tick import tick

from ..conftest import run_cli
from ..mailserver import MailServer, Received
from .test_schedule_e2e import _event

pytestmark = pytest.mark.usefixtures("state_store")

SECRET = "ZEBRA-CANARY"
INTERNAL = f"""  - {{text: "{SECRET}: the desk expects a quiet follow-up.", likelihood: likely, sources: [wire],
     release: internal}}
"""
CONFIG = """\
[build]
formats = ["html"]

[mail]
sender = "Desk <desk@example.org>"
host = "127.0.0.1"
port = {port}
security = "none"
retries = 0

[release]
groups = {{ leadership = "internal", editors = "internal", pressdesk = "public" }}

[[schedules]]
name = "weekly"
cron = "0 7 * * MON"
timezone = "UTC"
groups = ["leadership", "press"]
approval = true
approvers = {approvers}
owners = ["owners"]

[[stakeholders]]
name = "Asha Rao"
email = "asha@example.org"
groups = ["leadership"]
format = "html"

[[stakeholders]]
name = "Pat Public"
email = "pat@example.org"
groups = ["press"]
format = "html"

[[stakeholders]]
name = "Eda Editor"
email = "eda@example.org"
groups = ["editors"]
format = "html"

[[stakeholders]]
name = "Pia Press"
email = "pia@example.org"
groups = ["pressdesk"]
format = "both"

[[stakeholders]]
name = "Otto Owner"
email = "otto@example.org"
groups = ["owners"]
"""
MONDAY = dt.datetime(2021, 12, 13, 7, 0, 30, tzinfo=ZoneInfo("UTC"))


def _workspace(root: Path, port: int, approvers: list[str]) -> Path:
    (root / "inputs").mkdir()
    text = _event("harbour-talks", "Harbour talks", dt.date(2021, 12, 8))
    text = text.replace("sources: [wire]}\nevent:", "sources: [wire]}\n" + INTERNAL + "event:")
    assert SECRET in text
    (root / "inputs" / "one.yaml").write_text(text, encoding="utf-8")
    listed = "[" + ", ".join(f'"{a}"' for a in approvers) + "]"
    (root / "briefgen.toml").write_text(CONFIG.format(port=port, approvers=listed), encoding="utf-8")
    return root


def _everything(message: Received) -> str:
    """The message as a reader could see it: raw, and every decoded part (text, HTML, the PDF's bytes)."""
    parts = [message.data.decode("utf-8", "replace")]
    for part in message.message.walk():
        if not part.is_multipart():
            content = part.get_content()
            parts.append(content if isinstance(content, str) else content.decode("latin-1"))
    return "\n".join(parts)


def _variant(message: Received) -> str:
    return str(message.message["X-Briefgen-Test"]).split(";")[0]


def test_each_approver_gets_only_the_variants_their_level_may_see(tmp_path: Path) -> None:
    with MailServer() as server:
        root = _workspace(tmp_path, server.port, ["editors", "pressdesk", "outside@example.net"])
        config = load_config(root)
        (asked,) = tick(config, MONDAY).actions
        assert asked.outcome is not None and asked.outcome.detail.startswith("awaiting approval by ")

        eda = server.handler.to("eda@example.org")
        assert len(eda) == 2  # cleared for internal: the public and the internal variant
        assert sum(SECRET in _everything(m) for m in eda) == 1
        for public in ("pia@example.org", "outside@example.net"):  # a public group; an address in no group
            (only,) = server.handler.to(public)
            assert str(only.message["Subject"]).startswith("FOR APPROVAL: ")
            assert SECRET not in _everything(only)
            assert "internal" not in str(only.message["X-Briefgen-Test"])
        assert len(server.received) == 4
        assert server.handler.to("asha@example.org") == server.handler.to("pat@example.org") == []

        # One approval still covers every variant; the stakeholders then get their own.
        assert run_cli("approve", "2021-W49", "--by", "eda", cwd=root).returncode == 0
        (sent,) = tick(config, MONDAY + dt.timedelta(minutes=1), force=True, rerun=True).actions
        assert sent.outcome is not None and sent.outcome.status == "sent", sent.outcome
        (asha,) = server.handler.to("asha@example.org")
        (pat,) = server.handler.to("pat@example.org")
        assert SECRET in _everything(asha) and SECRET not in _everything(pat)
        assert len(server.received) == 6


def test_without_a_cleared_approver_nothing_goes_out_and_status_says_why(tmp_path: Path) -> None:
    with MailServer() as server:
        root = _workspace(tmp_path, server.port, ["pressdesk"])
        doctor = run_cli("doctor", cwd=root, env={**os.environ, "COLUMNS": "250"})
        assert "approvers of weekly" in doctor.stdout and "no approver is cleared for 'internal'" in doctor.stdout
        config = load_config(root)
        why = "no approver is cleared for 'internal': add an approver to a group at that level"

        (held,) = tick(config, MONDAY).actions
        assert held.outcome is not None and held.outcome.status == "failed"
        assert why in held.outcome.detail and "1 owner(s) told" in held.outcome.detail
        (told,) = server.received  # the owner only: no approver, no stakeholder
        assert told.rcpt_tos == ["otto@example.org"] and why in _everything(told)
        assert SECRET not in _everything(told)

        again = tick(config, MONDAY + dt.timedelta(minutes=1), force=True, rerun=True).actions[0]
        assert again.outcome is not None and again.outcome.status == "failed" and why in again.outcome.detail
        assert len(server.received) == 1  # the owners are told once
        status = run_cli("schedule", "status", cwd=root)
        assert why in status.stdout, status.stdout + status.stderr
        refused = run_cli("approve", "2021-W49", "--by", "pia", cwd=root)
        assert refused.returncode == 2  # nothing was asked, so nothing can be approved

        # A cleared approver added: asked, approved, sent as before.
        toml = root / "briefgen.toml"
        toml.write_text(toml.read_text().replace('approvers = ["pressdesk"]', 'approvers = ["pressdesk", "editors"]'))
        config = load_config(root)
        (asked,) = tick(config, MONDAY + dt.timedelta(minutes=2), force=True, rerun=True).actions
        assert asked.outcome is not None and asked.outcome.detail.startswith("awaiting approval by ")
        assert len(server.handler.to("pia@example.org")) == 1 and len(server.handler.to("eda@example.org")) == 2
        assert run_cli("approve", "2021-W49", "--by", "eda", cwd=root).returncode == 0
        (sent,) = tick(config, MONDAY + dt.timedelta(minutes=3), force=True, rerun=True).actions
        assert sent.outcome is not None and sent.outcome.status == "sent", sent.outcome
        assert len(server.handler.to("asha@example.org")) == len(server.handler.to("pat@example.org")) == 1
