"""What each distribution option costs: the seed built untagged, PDF/UA-1, PDF/A-3b, and as Word.

    .venv/bin/python benchmarks/bench_access.py [--rounds 5]

In one process, after a warm-up build, the variants are built in turn round after round
(interleaved, because the machine is shared and noisy) with ``force=True``; each figure is
the median of its rounds, in seconds of wall time for that build alone.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from briefgen import build, load_config

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "inputs" / "2021-12-06-india-russia-summit.yaml"

#: name → (formats, build.pdf_standard)
VARIANTS: dict[str, tuple[list[Any], str]] = {
    "HTML only (the baseline every other row includes)": (["html"], "ua-1"),
    "PDF, untagged (pdf_standard none)": (["pdf"], "none"),
    "PDF, tagged PDF/UA-1 (the default)": (["pdf"], "ua-1"),
    "PDF, PDF/A-3b with the facts embedded": (["pdf"], "a-3b"),
    "Word (--format docx)": (["docx"], "ua-1"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        (workspace / "inputs").mkdir()
        shutil.copy(SEED, workspace / "inputs" / SEED.name)
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for round_ in range(args.rounds + 1):
            for name, (formats, standard) in VARIANTS.items():
                config = load_config(workspace, overrides={"build.pdf_standard": standard})
                started = time.perf_counter()
                build(config=config, formats=formats, force=True)
                if round_:  # round 0 warms up imports, fonts and the template cache
                    times[name].append(time.perf_counter() - started)
    print("| seed brief, built as | seconds (median) |")
    print("|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.2f} |")


if __name__ == "__main__":
    main()
