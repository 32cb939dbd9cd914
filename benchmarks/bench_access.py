"""What each distribution option costs: the seed built untagged, PDF/UA-1, PDF/A-3b, as Word, in French and Korean.

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

#: name → (formats, build.pdf_standard, the brief's language)
VARIANTS: dict[str, tuple[list[Any], str, str]] = {
    "HTML only (the baseline every other row includes)": (["html"], "ua-1", "en"),
    "PDF, untagged (pdf_standard none)": (["pdf"], "none", "en"),
    "PDF, tagged PDF/UA-1 (the default)": (["pdf"], "ua-1", "en"),
    "PDF, PDF/A-3b with the facts embedded": (["pdf"], "a-3b", "en"),
    "Word (--format docx)": (["docx"], "ua-1", "en"),
    "HTML only, labels in French (language: fr)": (["html"], "ua-1", "fr"),
    "HTML only, labels in Korean (language: ko)": (["html"], "ua-1", "ko"),
    "PDF/UA-1, labels in French (language: fr)": (["pdf"], "ua-1", "fr"),
    "PDF/UA-1, labels in Korean (language: ko)": (["pdf"], "ua-1", "ko"),
}


def workspace_in(root: Path, language: str) -> Path:
    """A workspace holding the seed written for ``language`` readers (its labels, dates, money)."""
    workspace = root / language
    (workspace / "inputs").mkdir(parents=True)
    text = SEED.read_text(encoding="utf-8").replace("\n  language: en\n", f"\n  language: {language}\n", 1)
    (workspace / "inputs" / SEED.name).write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "library", workspace / "library")
    return workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workspaces = {lang: workspace_in(Path(tmp), lang) for lang in dict.fromkeys(v[2] for v in VARIANTS.values())}
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for round_ in range(args.rounds + 1):
            for name, (formats, standard, language) in VARIANTS.items():
                config = load_config(workspaces[language], overrides={"build.pdf_standard": standard})
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
