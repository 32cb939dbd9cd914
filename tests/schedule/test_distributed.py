"""Two schedulers and two workers, separate processes, one PostgreSQL, a loopback SMTP server:
SIGKILL one worker mid-send and one scheduler mid-tick, and still exactly one message per
recipient per edition."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from ..conftest import needs_postgres, postgres_schema_url
from ..mailserver import MailServer, wait_for

PEOPLE = [(f"Reader {n}", f"reader{n}@example.org") for n in range(10)]


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


def _workspace(root: Path, port: int) -> Path:
    """Two per-second schedules: this week's edition and last week's, to the same ten readers."""
    today = dt.datetime.now(dt.UTC).date()
    (root / "inputs").mkdir(parents=True)
    (root / "inputs" / "now.yaml").write_text(_event("harbour-talks", "Harbour talks", today))
    (root / "inputs" / "before.yaml").write_text(_event("grid-talks", "Grid talks", today - dt.timedelta(days=7)))
    people = "\n".join(
        f'[[stakeholders]]\nname = "{name}"\nemail = "{address}"\ngroups = ["desk"]\nformat = "html"\n'
        for name, address in PEOPLE
    )
    schedules = "\n".join(
        f'[[schedules]]\nname = "{edition}"\ncron = "* * * * * *"\ntimezone = "UTC"\nedition = "{edition}"\n'
        'groups = ["desk"]\n'
        for edition in ("current", "previous")
    )
    (root / "briefgen.toml").write_text(
        f"""\
[build]
formats = ["html"]  # no PDF to lay out: the test is about delivery

[state]
queue = true

[mail]
sender = "Desk <desk@example.org>"
host = "127.0.0.1"
port = {port}
security = "none"
retries = 1
retry_delay = 0.01

{schedules}
{people}
"""
    )
    return root


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return list(conn.execute(sql).fetchall())


def _sender(url: str) -> int:
    """The pid of the process that made the latest delivery claim (owners are host|pid|start|token)."""
    rows = _query(url, "SELECT owner FROM deliveries ORDER BY updated_at DESC LIMIT 1")
    return int(str(rows[0][0]).split("|")[1])


def test_two_schedulers_two_workers_sigkill_one_of_each_and_each_edition_reaches_each_reader_once(
    tmp_path: Path,
) -> None:
    needs_postgres()
    url = postgres_schema_url("t_" + uuid.uuid4().hex[:12])
    with MailServer() as server:
        server.handler.delay = 0.15  # sends take a while, so a kill lands mid-send
        workspace = _workspace(tmp_path, server.port)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
        env |= {"BRIEFGEN_STATE_URL": url, "BRIEFGEN_STALLED_SECONDS": "3"}

        def start(*args: str) -> subprocess.Popen[str]:
            return subprocess.Popen(
                [sys.executable, "-m", "briefgen", *args],
                cwd=workspace,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )

        schedulers = [start("schedule", "run", "--poll", "0.5") for _ in range(2)]
        workers = [start("worker", "--name", f"w{n}") for n in range(2)]
        try:
            wait_for(lambda: len(server.received) >= 3, timeout=120)
            sending = _sender(url)  # the worker whose claims these are: killed mid-send
            victim = next(w for w in workers if w.pid == sending)
            victim.send_signal(signal.SIGKILL)
            schedulers[0].send_signal(signal.SIGKILL)  # it ticks every second: mid-tick, or near it
            served_at_kill = len(server.received)
            expected = 2 * len(PEOPLE)
            wait_for(lambda: len({(m.rcpt_tos[0], m.message["Subject"]) for m in server.received}) >= expected, 120)
            time.sleep(4)  # several more ticks by the surviving scheduler: none may send again
            received = Counter((r, m.message["Subject"]) for m in server.received for r in m.rcpt_tos)
        finally:
            for process in schedulers + workers:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            errors = [p.communicate(timeout=60)[1] for p in schedulers + workers]
        assert schedulers[1].returncode == 0, errors[1]
        runs = _query(url, "SELECT schedule, attempts, status FROM schedule_runs")
        assert any(attempts >= 2 for _, attempts, _ in runs), runs  # the killed worker's run was taken over
        editions = {subject for _, subject in received}
        assert len(editions) == 2, editions
        assert served_at_kill < expected  # the kill came before the work was done
        assert len(received) == expected and set(received.values()) == {1}, received  # none lost, none twice

    status = subprocess.run(
        [sys.executable, "-m", "briefgen", "schedule", "status"], cwd=workspace, env=env, capture_output=True, text=True
    )
    assert status.returncode == 0, status.stderr
    assert " on " in status.stdout  # which host ran each run


def test_an_approval_given_on_one_machine_releases_the_edition_on_another(tmp_path: Path) -> None:
    """Two workspaces (two machines) share one PostgreSQL: the scheduler on one asks, an editor
    approves on the other, and the first one's next tick sends; the second one's sends nothing twice."""
    from .test_approval import _deadline_workspace

    needs_postgres()
    url = postgres_schema_url("t_" + uuid.uuid4().hex[:12])
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")} | {"BRIEFGEN_STATE_URL": url}

    def briefgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "briefgen", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
        )

    with MailServer() as server:
        scheduler, editor = tmp_path / "scheduler", tmp_path / "editor"
        for root in (scheduler, editor):
            root.mkdir()
            _deadline_workspace(root, server.port, "hold")
        monday = "2021-12-13T07:00:30+00:00"
        asked = briefgen(scheduler, "schedule", "tick", "--now", monday)
        assert "awaiting approval by eda@example.org" in asked.stdout, asked.stdout + asked.stderr
        assert "awaiting approval by eda@example.org" in briefgen(editor, "schedule", "status").stdout

        approved = briefgen(editor, "approve", "2021-W49", "--by", "eda")
        assert approved.returncode == 0, approved.stderr
        sent = briefgen(scheduler, "schedule", "tick", "--force", "--now", "2021-12-13T07:05:00+00:00")
        assert "sent to 1 of 1" in sent.stdout and "approved by eda" in sent.stdout, sent.stdout + sent.stderr
        again = briefgen(editor, "schedule", "tick", "--force", "--now", "2021-12-13T07:06:00+00:00")
        assert "0 sent now, 1 already had it" in again.stdout, again.stdout + again.stderr
    assert Counter(r for m in server.received for r in m.rcpt_tos) == {"eda@example.org": 1, "asha@example.org": 1}
