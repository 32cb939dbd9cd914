"""The state store's cost: the ledger per message, and one edition to 1,000 readers through workers.

    .venv/bin/python benchmarks/bench_state.py [--recipients 1000] [--postgres URL]

1. The ledger alone: claim → committing → sent for N recipients (three commits a message),
   on the SQLite file and, with ``--postgres`` (or BRIEFGEN_TEST_POSTGRES_URL), on PostgreSQL.
2. One edition (HTML, so layout does not dominate) sent to N readers through a loopback SMTP
   server: in one process on SQLite (``send_edition``), and as a queued job run by 1 and by 2
   ``briefgen worker`` processes on PostgreSQL. Messages per second count from the first
   message to the last (the build and process start-up are excluded).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from briefgen.deliver.ledger import DeliveryKey, Ledger

REPO = Path(__file__).resolve().parent.parent


class Sink:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.times.append(time.perf_counter())
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def schema_url(base: str) -> str:
    import psycopg

    name = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{name}"


def ledger_cost(root: Path, n: int, url: str | None) -> float:
    """Seconds per message of the ledger's three steps."""
    if url:
        os.environ["BRIEFGEN_STATE_URL"] = url
    else:
        os.environ.pop("BRIEFGEN_STATE_URL", None)
    with Ledger(root / ".briefgen" / "state.db") as ledger:
        started = time.perf_counter()
        for i in range(n):
            key = DeliveryKey("edition-bench", f"reader{i:05d}@example.org", "smtp")
            claim = ledger.claim(key, content_hash="c" * 64, new_message_id=lambda: "<x@example.org>", destination="x")
            assert ledger.committing(key, claim.generation) and ledger.sent(key, claim.generation, "250 OK")
        seconds = time.perf_counter() - started
    os.environ.pop("BRIEFGEN_STATE_URL", None)
    return seconds / n


def workspace(root: Path, n: int, port: int, queue: bool) -> Path:
    today = dt.datetime.now(dt.UTC).date()
    (root / "inputs").mkdir(parents=True)
    (root / "inputs" / "one.yaml").write_text(
        f"""brief: {{id: talks, title: Talks, date: {today}, author: Desk, summary: "They met."}}
sources:
  - {{id: wire, publisher: Example Wire, title: Talks, published: {today}}}
key_judgments:
  - {{text: Talks will resume., likelihood: likely, confidence: moderate, sources: [wire]}}
event: {{kind: meeting, title: Talks, date: {today}, place: {{city: Valletta}}, sources: [wire]}}
"""
    )
    people = "".join(
        f'[[stakeholders]]\nname = "Reader {i}"\nemail = "reader{i:05d}@example.org"\nformat = "html"\n'
        for i in range(n)
    )
    (root / "briefgen.toml").write_text(
        f'[build]\nformats = ["html"]\n\n[state]\nqueue = {str(queue).lower()}\n\n'
        f'[mail]\nsender = "Desk <desk@example.org>"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n\n'
        '[[schedules]]\nname = "weekly"\ncron = "* * * * * *"\nedition = "current"\n\n' + people
    )
    return root


def rate(sink: Sink, n: int) -> float:
    return (n - 1) / (sink.times[-1] - sink.times[0])


def in_process(root: Path, n: int) -> float:
    from briefgen import load_config
    from briefgen.builds.editions import build_edition
    from briefgen.deliver.send import send_edition

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = load_config(workspace(root, n, port, queue=False))
        report = send_edition(build_edition(None, config), config, environ={})
        assert report.count("sent") == n and len(sink.times) == n, report.problems[:3]
    finally:
        controller.stop()
    return rate(sink, n)


def through_workers(root: Path, n: int, url: str, workers: int) -> float:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")} | {"BRIEFGEN_STATE_URL": url}
    ws = workspace(root, n, port, queue=True)
    briefgen = [sys.executable, "-m", "briefgen"]
    try:
        subprocess.run([*briefgen, "edition", "build"], cwd=ws, env=env, check=True, capture_output=True)
        subprocess.run([*briefgen, "schedule", "tick"], cwd=ws, env=env, check=True, capture_output=True)
        time.sleep(1.1)  # the per-second schedule's next fire: the tick after it queues the edition
        subprocess.run([*briefgen, "schedule", "tick"], cwd=ws, env=env, check=True, capture_output=True)
        procs = [
            subprocess.Popen([*briefgen, "worker", "--until-empty"], cwd=ws, env=env, stderr=subprocess.DEVNULL)
            for _ in range(workers)
        ]
        for proc in procs:
            proc.wait(timeout=900)
        assert len(sink.times) == n, len(sink.times)
    finally:
        controller.stop()
    return rate(sink, n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("BRIEFGEN_TEST_POSTGRES_URL", ""))
    parser.add_argument("--ledger-only", action="store_true")
    args = parser.parse_args()
    n = args.recipients
    with tempfile.TemporaryDirectory() as tmp:
        rows = [("ledger alone, SQLite", f"{ledger_cost(Path(tmp) / 'l1', n, None) * 1000:.2f} ms/message")]
        if args.postgres:
            cost = ledger_cost(Path(tmp) / "l2", n, schema_url(args.postgres))
            rows.append(("ledger alone, PostgreSQL", f"{cost * 1000:.2f} ms/message"))
        if not args.ledger_only:
            rows.append(("edition, SQLite, one process", f"{in_process(Path(tmp) / 's', n):.1f} msg/s"))
            if args.postgres:
                for workers in (1, 2):
                    got = through_workers(Path(tmp) / f"w{workers}", n, schema_url(args.postgres), workers)
                    rows.append((f"edition, PostgreSQL, {workers} worker(s)", f"{got:.1f} msg/s"))
    print(f"{n} recipients")
    for name, value in rows:
        print(f"{name:<36} {value:>16}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
