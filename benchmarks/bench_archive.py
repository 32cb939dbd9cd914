"""The archive site for a year of weekly editions: its size, and how long a search takes.

    .venv/bin/python benchmarks/bench_archive.py [--weeks 52]

Generates one event per week (benchmarks/generate.py), builds the 52 weekly editions as
HTML, sends each to two stakeholders through the outbox (so the archive keeps what went
out), builds the site with ``briefgen archive``'s function, and then, in Debian's Chromium
through Playwright, types queries into the search box and measures the time from the input
event to the results in the page (median of several queries).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate

from briefgen import load_config
from briefgen.builds.editions import build_editions
from briefgen.deliver.send import send_edition
from briefgen.workspace.archive_site import build_site

PEOPLE = """stakeholders:
  - {name: Asha Rao, email: asha@example.org, groups: [leadership], format: html}
  - {name: Ben Okafor, email: ben@example.org, groups: [desk], format: html}
"""
QUERIES = ["agreement", "ministry", "zzyzx", "cooperation programme", "2030"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        generate(root / "inputs", events=args.weeks, weeks=args.weeks)
        (root / "briefgen.toml").write_text('[build]\nformats = ["html"]\n', encoding="utf-8")
        (root / "stakeholders.yaml").write_text(PEOPLE, encoding="utf-8")
        config = load_config(root)
        started = time.perf_counter()
        editions = build_editions(None, config, formats=["html"])
        for edition in editions:
            send_edition(edition, config, environ={})
        prepared = time.perf_counter() - started
        started = time.perf_counter()
        report = build_site(config)
        built = time.perf_counter() - started
        index = report.folder / "all" / "index.html"
        print(f"{len(editions)} editions built and sent in {prepared:.1f} s")
        print(
            f"site: {report.documents} documents, {report.size / 1024 / 1024:.1f} MiB in all, "
            f"index page with its search index {index.stat().st_size / 1024:.0f} KiB, built in {built:.2f} s"
        )
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page()
            started = time.perf_counter()
            page.goto(index.as_uri())
            page.wait_for_selector("#q")
            loaded = time.perf_counter() - started
            times = []
            for query in QUERIES * 3:
                ms = page.evaluate(
                    """q => { const box = document.getElementById('q'); const t0 = performance.now();
                    box.value = q; box.dispatchEvent(new Event('input'));
                    return performance.now() - t0; }""",
                    query,
                )
                times.append(ms)
                page.evaluate(
                    "() => { const b = document.getElementById('q'); b.value=''; b.dispatchEvent(new Event('input')); }"
                )
            browser.close()
        print(
            f"index page loaded in {loaded * 1000:.0f} ms; search median {statistics.median(times):.1f} ms, "
            f"slowest {max(times):.1f} ms over {len(times)} queries"
        )


if __name__ == "__main__":
    main()
