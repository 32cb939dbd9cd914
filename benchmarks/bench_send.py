"""How fast ``briefgen send`` delivers, and how big its messages are.

    .venv/bin/python benchmarks/bench_send.py [--recipients 200]

Builds the seed brief once in a throw-away workspace, then sends it to N stakeholders
through a real SMTP server on loopback (aiosmtpd, a test dependency), and again to the
outbox. Prints messages per second (rendering, the ledger's three commits per message and
SMTP included; the one-off build excluded) and the size of a message in each format.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from briefgen import build, load_config, send

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "inputs" / "2021-12-06-india-russia-summit.yaml"


class Sink:
    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sizes.append(len(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def workspace(root: Path, recipients: int, fmt: str, smtp_port: int | None) -> Path:
    (root / "inputs").mkdir(parents=True)
    shutil.copy(SEED, root / "inputs" / SEED.name)
    smtp = f'host = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n' if smtp_port else ""
    (root / "briefgen.toml").write_text(f'[mail]\nsender = "Desk <desk@example.org>"\n{smtp}')
    people = "".join(
        f"  - name: Reader {i}\n    email: reader{i:04d}@example.org\n    format: {fmt}\n" for i in range(recipients)
    )
    (root / "stakeholders.yaml").write_text("stakeholders:\n" + people)
    return root


def reuse_build(source: Path, target: Path) -> None:
    (target / "output").mkdir(exist_ok=True)
    for built in (source / "output").glob("*.*"):
        if built.is_file():
            shutil.copy(built, target / "output" / built.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=200)
    args = parser.parse_args()
    n = args.recipients

    with tempfile.TemporaryDirectory() as tmp:
        base = workspace(Path(tmp) / "build", 1, "pdf", None)
        started = time.perf_counter()
        build(config=load_config(base))
        print(f"build of the seed brief (once, not counted below): {time.perf_counter() - started:.1f} s")

        rows = []
        for fmt in ("pdf", "html", "both"):
            sink = Sink()
            port = free_port()
            controller = Controller(sink, hostname="127.0.0.1", port=port)
            controller.start()
            try:
                ws = workspace(Path(tmp) / f"smtp-{fmt}", n, fmt, port)
                reuse_build(base, ws)
                report = send(config=load_config(ws), environ={})
                again = send(config=load_config(ws), environ={})
            finally:
                controller.stop()
            assert report.count("sent") == n and not report.problems, report.problems[:3]
            assert again.count("delivered") == n and len(sink.sizes) == n
            rows.append((f"smtp, format={fmt}", n / report.seconds, report.seconds, statistics.mean(sink.sizes)))
            rows.append((f"  re-run (all skipped), {fmt}", n / again.seconds, again.seconds, 0.0))

        ws = workspace(Path(tmp) / "outbox", n, "pdf", None)
        reuse_build(base, ws)
        report = send(config=load_config(ws), environ={})
        sizes = [p.stat().st_size for p in (ws / "output" / "outbox").rglob("*.eml")]
        rows.append(("outbox, format=pdf", n / report.seconds, report.seconds, statistics.mean(sizes)))
        pdf_size = (base / "output" / "india-russia-summit-2021-12.pdf").stat().st_size

    print(f"{n} recipients, one message each; the PDF itself is {pdf_size / 1024:.0f} KiB")
    print(f"{'run':<34} {'msg/s':>8} {'seconds':>8} {'KiB/message':>12}")
    for name, rate, seconds, size in rows:
        print(f"{name:<34} {rate:>8.1f} {seconds:>8.2f} {size / 1024 if size else 0:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
