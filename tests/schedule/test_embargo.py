"""Embargo (``not_before``) on a brief and on a schedule: before its time nothing goes out,
whichever path triggers it (``send --resend``, ``schedule tick --force``, a worker's job), and
after it the same paths send."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from briefgen import load_config
from briefgen.schedule.tick import run_due

from ..conftest import run_cli
from ..mailserver import MailServer
from .test_approval import SMTP_CONFIG
from .test_schedule_e2e import _event

MONDAY = "2021-12-13T07:00:30+00:00"
DUE = "2021-12-13T07:00:00+00:00"


def _workspace(root: Path, port: int, *, brief_until: dt.datetime | None, schedule_until: dt.datetime | None) -> Path:
    event = _event("harbour-talks", "Harbour talks", dt.date(2021, 12, 8))
    if brief_until is not None:
        event = event.replace("author: Desk,", f"author: Desk, not_before: '{brief_until.isoformat()}',")
    (root / "inputs").mkdir()
    (root / "inputs" / "one.yaml").write_text(event, encoding="utf-8")
    config = SMTP_CONFIG.format(port=port, policy="hold").replace("approval = true", "approval = false")
    if schedule_until is not None:
        config = config.replace(
            'on_deadline = "hold"', f'on_deadline = "hold"\nnot_before = "{schedule_until.isoformat()}"'
        )
    (root / "briefgen.toml").write_text(config, encoding="utf-8")
    return root


@pytest.mark.parametrize("where", ["brief", "schedule"])
def test_nothing_goes_out_before_the_embargo_whatever_triggers_it(tmp_path: Path, where: str) -> None:
    later = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=2)
    with MailServer() as server:
        root = _workspace(
            tmp_path, server.port,
            brief_until=later if where == "brief" else None, schedule_until=later if where == "schedule" else None,
        )  # fmt: skip
        until = f"embargoed until {later.isoformat(timespec='minutes')}"
        if where == "brief":  # a schedule's embargo holds its editions; a brief's holds it everywhere
            sent = run_cli("send", "--resend", cwd=root)
            assert until in sent.stdout, sent.stdout + sent.stderr
        forced = run_cli("schedule", "tick", "--force", "--now", MONDAY, cwd=root)
        assert until in forced.stdout, forced.stdout + forced.stderr
        assert until in run_due(load_config(root), "weekly", DUE)  # what `briefgen worker` runs for a job
        assert server.received == []


def test_after_the_embargo_the_same_paths_send(tmp_path: Path) -> None:
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with MailServer() as server:
        root = _workspace(tmp_path, server.port, brief_until=earlier, schedule_until=earlier)
        assert "sent to 1 of 1" in run_due(load_config(root), "weekly", DUE)
        assert [m.rcpt_tos for m in server.received] == [["asha@example.org"]]
