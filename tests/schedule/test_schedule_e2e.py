"""The real scheduler process, a per-second schedule, a real SMTP server on loopback:
exactly one edition message per recipient, and a clean stop on SIGTERM."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from briefgen import load_config
from briefgen.builds.editions import build_edition
from briefgen.deliver.send import deliveries, send_edition
from briefgen.schedule.tick import tick

from ..mailserver import MailServer, free_port, wait_for

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
    return _workspace(root, server.port, cron)


def _workspace(
    root: Path, port: int, cron: str, *, people: list[tuple[str, str]] = PEOPLE, options: str = "", retries: int = 1
) -> Path:
    today = dt.datetime.now(dt.UTC).date()
    (root / "inputs").mkdir(parents=True)
    (root / "inputs" / "one.yaml").write_text(_event("harbour-talks", "Harbour talks", today))
    (root / "inputs" / "two.yaml").write_text(_event("grid-talks", "Grid talks", today))
    people = "\n".join(
        f'[[stakeholders]]\nname = "{name}"\nemail = "{address}"\ngroups = ["leadership"]\n' for name, address in people
    )
    (root / "briefgen.toml").write_text(
        f"""\
[build]
formats = ["pdf"]

[mail]
sender = "Desk <desk@example.org>"
host = "127.0.0.1"
port = {port}
security = "none"
retries = {retries}
retry_delay = 0.01

[[schedules]]
name = "every-second"
cron = "{cron}"
timezone = "UTC"
edition = "current"
groups = ["leadership"]
{options}
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


# --------------------------------------------------------------------------- outages (issue 11, class 4)


def _runs(workspace: Path) -> list[sqlite3.Row]:
    path = workspace / ".briefgen" / "state.db"
    if not path.is_file():
        return []
    db = sqlite3.connect(path, timeout=30)
    db.row_factory = sqlite3.Row
    try:
        return list(db.execute("SELECT * FROM schedule_attempts ORDER BY attempt"))
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


def test_an_outage_spanning_several_back_off_steps_ends_with_everyone_served_once(tmp_path: Path) -> None:
    """The mail server is down (port closed) while the real scheduler fails four times with
    growing waits between attempts; then it comes up, and each recipient gets one message."""
    people = [(f"Reader {n}", f"reader{n}@example.org") for n in range(8)]
    port = free_port()
    options = "retry_base = 1.0\nretry_cap = 4.0\n"  # 30 s and 15 min in life; the steps are what count
    workspace = _workspace(tmp_path, port, "* * * * * *", people=people, options=options, retries=0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "schedule", "run", "--poll", "0.2"],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: sum(a["status"] == "failed" for a in _runs(workspace)) >= 4, timeout=120)
        status = subprocess.run(
            [sys.executable, "-m", "briefgen", "schedule", "status"], cwd=workspace, env=env, capture_output=True,
            text=True,
        )  # fmt: skip
        assert "failed, sent to 0 of 8" in status.stdout and "    next retry " in status.stdout
        assert "    last error: sent to 0 of 8; not delivered: reader0@example.org (failed:" in status.stdout
        with MailServer(port=port) as server:
            wait_for(lambda: len(server.received) >= len(people), timeout=60)
            time.sleep(3)  # more ticks, every 0.2 s: none may send again
            received = Counter(r for message in server.received for r in message.rcpt_tos)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert received == Counter(address for _, address in people)  # each exactly once: 0 lost, 0 duplicated
    attempts = _runs(workspace)
    assert [a["status"] for a in attempts][-1] == "sent"
    failures = [a for a in attempts if a["status"] == "failed"]
    assert len(failures) >= 4 and len(attempts) == len(failures) + 1
    # The wait after each failed attempt (its end to the next start) doubles, less jitter, up to the cap.
    waits = [later["at"] - earlier["finished_at"] for earlier, later in itertools.pairwise(attempts)]
    assert all(a < b for a, b in itertools.pairwise(waits[:3])), waits
    for step, wait in enumerate(waits, 1):
        assert 0.75 * min(4.0, 2.0 ** (step - 1)) - 0.05 <= wait <= min(4.0, 2.0 ** (step - 1)) + 3.0, (
            waits
        )  # + a busy machine's lag
    assert out.count("failed (") == len(failures) and "next try at" in out
    assert "sent (retry): sent to 8 of 8 via smtp" in out


def test_a_partial_run_retries_only_the_unserved_and_force_is_still_exactly_once(tmp_path: Path) -> None:
    """550 for one of 20: the run is partial; the retry serves that one only. ``tick --force``
    re-runs the edition and the ledger sends nothing; ``--force --resend`` sends to all again."""
    people = [(f"Reader {n}", f"reader{n}@example.org") for n in range(20)]
    with MailServer() as server:
        server.handler.reject = {"reader7@example.org": "550 5.1.1 no such mailbox"}
        workspace = _workspace(tmp_path, server.port, "* * * * *", people=people, options="retry_base = 0.5\n")
        config = load_config(workspace)
        first = tick(config)
        (action,) = first.actions
        assert action.outcome is not None and action.outcome.status == "failed"
        assert action.outcome.detail.startswith("sent to 19 of 20; not delivered: reader7@example.org (failed:")
        assert "550 5.1.1 no such mailbox" in action.outcome.detail
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
        status = subprocess.run(
            [sys.executable, "-m", "briefgen", "schedule", "status"], cwd=workspace, env=env, capture_output=True,
            text=True,
        )  # fmt: skip
        assert "failed (partial), sent to 19 of 20" in status.stdout
        server.handler.reject = {}
        assert action.next_retry is not None
        time.sleep(max(0.0, action.next_retry - time.time()) + 0.05)
        retried = tick(config)
        assert [str(a).split(": ", 1)[1] for a in retried.actions] == [
            "sent (retry): 1 sent now, 19 already had it, via smtp"
        ]
        assert Counter(r for m in server.received for r in m.rcpt_tos) == Counter(a for _, a in people)

        forced = subprocess.run(
            [sys.executable, "-m", "briefgen", "schedule", "tick", "--force"], cwd=workspace, env=env,
            capture_output=True, text=True,
        )  # fmt: skip
        assert forced.returncode == 0, forced.stderr
        assert "sent (forced): 0 sent now, 20 already had it, via smtp" in forced.stdout
        assert len(server.received) == 20
        again = subprocess.run(
            [sys.executable, "-m", "briefgen", "schedule", "tick", "--force", "--resend"], cwd=workspace, env=env,
            capture_output=True, text=True,
        )  # fmt: skip
        assert "sent (forced): sent to 20 of 20 via smtp" in again.stdout
        assert Counter(r for m in server.received for r in m.rcpt_tos) == Counter(a for _, a in people * 2)
