"""The real scheduler process, a per-second schedule, a real SMTP server on loopback:
exactly one edition message per recipient, and a clean stop on SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from briefgen import load_config
from briefgen.deliver import deliveries, send_edition
from briefgen.pipeline import build_edition

from .mailserver import MailServer, wait_for

PEOPLE = [("Asha Rao", "asha@example.org"), ("Ben Okafor", "ben@example.org"), ("Chloé Dubois", "chloe@example.org")]


def _event(brief_id: str, title: str, day: dt.date) -> str:
    return f"""\
brief: {{id: {brief_id}, title: "{title}", date: {day}, author: Desk,
        summary: "Two ministers met and agreed to keep talking."}}
sources:
  - {{id: wire, publisher: Example Wire, title: "{title} (report)", published: {day}}}
key_judgments:
  - {{text: Talks will resume within a month., likelihood: likely, confidence: moderate, sources: [wire]}}
event: {{kind: meeting, title: "{title}", date: {day}, place: {{city: Valletta}}, sources: [wire]}}
"""


def scheduled_workspace(root: Path, server: MailServer, cron: str) -> Path:
    today = dt.datetime.now(dt.UTC).date()
    (root / "inputs").mkdir(parents=True)
    (root / "inputs" / "one.yaml").write_text(_event("harbour-talks", "Harbour talks", today))
    (root / "inputs" / "two.yaml").write_text(_event("grid-talks", "Grid talks", today))
    people = "\n".join(
        f'[[stakeholders]]\nname = "{name}"\nemail = "{address}"\ngroups = ["leadership"]\n' for name, address in PEOPLE
    )
    (root / "briefgen.toml").write_text(
        f"""\
[build]
formats = ["pdf"]

[mail]
sender = "Desk <desk@example.org>"
host = "127.0.0.1"
port = {server.port}
security = "none"
retries = 1
retry_delay = 0.01

[[schedules]]
name = "every-second"
cron = "{cron}"
timezone = "UTC"
edition = "current"
groups = ["leadership"]

{people}
"""
    )
    return root


def test_real_scheduler_sends_one_edition_per_recipient_and_stops_on_sigterm(tmp_path: Path) -> None:
    with MailServer() as server:
        workspace = scheduled_workspace(tmp_path, server, "* * * * * *")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
        process = subprocess.Popen(
            [sys.executable, "-m", "briefgen", "schedule", "run", "--poll", "1"],
            cwd=workspace,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(lambda: len(server.received) >= len(PEOPLE), timeout=90)
            time.sleep(4)  # several more per-second ticks: none may send again
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert "scheduler started" in err and "received SIGTERM" in err and "scheduler stopped" in err
        recipients = sorted(r for message in server.received for r in message.rcpt_tos)
        assert recipients == sorted(address for _, address in PEOPLE)
        message = server.received[0].message
        assert message["Subject"].startswith("Weekly edition: ")
        (attachment,) = list(message.iter_attachments())
        window_id = out.split()[1].rstrip(":")
        pdf = workspace / "output" / "editions" / f"{window_id}.pdf"
        assert attachment.get_content() == pdf.read_bytes()
        assert "every-second" in out and "sent to 3 of 3" in out

    status = subprocess.run(
        [sys.executable, "-m", "briefgen", "schedule", "status"], cwd=workspace, capture_output=True, text=True
    )
    assert f"{window_id}  due" in status.stdout and "sent, sent to 3 of 3" in status.stdout


def test_send_edition_is_exactly_once_and_names_the_edition(tmp_path: Path) -> None:
    with MailServer() as server:
        workspace = scheduled_workspace(tmp_path, server, "0 7 * * MON")
        config = load_config(workspace)
        built = build_edition(None, config)
        assert sorted(built.brief_ids) == ["grid-talks", "harbour-talks"]
        first = send_edition(built, config, environ={})
        assert [d.outcome for d in first.deliveries] == ["sent"] * 3
        again = send_edition(built, config, environ={})
        assert [d.outcome for d in again.deliveries] == ["delivered"] * 3
        assert len(server.received) == 3
        text = server.received[0].message.get_body(("plain",)).get_content()
        assert "This edition covers 2 event(s)" in text and "Talks will resume within a month." in text
    ledger = deliveries(config=config)
    assert {e.key.brief_id for e in ledger} == {f"edition-{built.id.lower()}"}
