"""How fast `briefgen draft` is on a 1,000-word article: in-process, and as a command.

    .venv/bin/python benchmarks/bench_draft.py

The article is the test articles' paragraphs run together up to 1,000 words. Medians of
several runs; the machine is shared, so figures are noisy.
"""

from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARTICLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "articles"
KNOWN = (
    "brief: {id: k, title: K, date: 2026-03-01, author: D}\n"
    "sources: [{id: g, publisher: Harbour Gazette, title: T}]\n"
    "sanction_risk: {regime: IEEPA, authority: Treasury Department, legal_basis: L, target: Kestrel Maritime,"
    " sources: [g]}\n"
)


def article() -> str:
    """The test articles' paragraphs, in turn, until there are 1,000 words."""
    paragraphs = [line for p in sorted(ARTICLES.glob("*.txt")) for line in p.read_text(encoding="utf-8").splitlines()]
    text: list[str] = []
    while sum(len(p.split()) for p in text) < 1000:
        text.append(paragraphs[len(text) % len(paragraphs)])
    return "\n".join(text) + "\n"


def median_time(run: object, times: int = 7) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    text = article()
    words = len(text.split())
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "inputs").mkdir()
        (root / "inputs" / "known.yaml").write_text(KNOWN, encoding="utf-8")
        (root / "article.txt").write_text(text, encoding="utf-8")

        start = time.perf_counter()
        from briefgen.facts.article import read_article
        from briefgen.facts.draft import known_names_in, make_draft

        imported = time.perf_counter() - start

        def in_process() -> None:
            parsed = read_article(str(root / "article.txt"))
            known = list(known_names_in([root / "inputs" / "known.yaml"]))
            make_draft(parsed, source_id="a", brief_id="draft-a", today=dt.date(2026, 12, 1), known=known).yaml()

        work = median_time(in_process)
        command = [sys.executable, "-m", "briefgen", "draft", "article.txt", "--date", "2026-03-12", "--force"]

        def cli() -> None:
            subprocess.run(command, cwd=root, check=True, capture_output=True)

        wall = median_time(cli, 5)
        floor = median_time(
            lambda: subprocess.run(
                [sys.executable, "-m", "briefgen", "--help"], cwd=root, check=True, capture_output=True
            ),
            5,
        )
    print(f"article: {words} words")
    print(f"import of the draft modules: {imported * 1000:.0f} ms")
    print(f"draft in process (read, extract, YAML): {work * 1000:.1f} ms (median of 7)")
    print(f"`briefgen draft` as a command, start to finish: {wall * 1000:.0f} ms (median of 5)")
    print(f"`briefgen --help` on the same machine, for scale: {floor * 1000:.0f} ms")


if __name__ == "__main__":
    main()
