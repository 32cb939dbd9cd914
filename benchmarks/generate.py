"""Synthetic briefgen inputs of any size, from a fixed seed (nothing is downloaded).

    python benchmarks/generate.py OUT_DIR --events 50 --agreements 3 --sources 4 [--weeks 52] [--seed 7]

Writes one YAML file per event, spread over ``--weeks`` consecutive ISO weeks from
2030-W01; ``--weeks 1`` puts every event in one week (one big edition).
The text is plausible but invented: fictional countries, agencies and deals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

COUNTRIES = [
    "Arvenia", "Belmora", "Cadria", "Dornland", "Estavia", "Ferrosia", "Galdor", "Hestria", "Irvania", "Jorvik",
    "Kaltria", "Lunesia", "Morvath", "Nordhal", "Ostrava", "Pellan", "Quorra", "Rhosia", "Sundar", "Tavria",
]  # fmt: skip
KINDS = ["summit", "ministerial", "state visit", "trade talks", "defence dialogue"]
AGREEMENT_KINDS = ["cooperation programme", "contract", "memorandum", "trade target", "joint statement"]
STATUSES = ["signed", "in force", "delivering", "target", "under negotiation", "agreed"]
TERMS = ["almost no chance", "very unlikely", "unlikely", "roughly even chance", "likely", "very likely"]
PUBLISHERS = ["Northern Wire", "Harbour Gazette", "The Meridian", "Capital Review", "Ministry Bulletin"]


def _brief(rng: random.Random, index: int, day: dt.date, agreements: int, sources: int) -> str:
    a, b = rng.sample(COUNTRIES, 2)
    kind = rng.choice(KINDS)
    ids = [f"src{n}" for n in range(1, sources + 1)]

    def cite(k: int = 1) -> str:
        return "[" + ", ".join(rng.sample(ids, min(k, len(ids)))) + "]"

    lines = [
        "brief:",
        f"  id: synthetic-{index:04d}",
        f'  title: "{a}–{b} {kind}, {day:%d %B %Y}"',
        f"  date: {day + dt.timedelta(days=1)}",
        "  author: Benchmark desk",
        "  marking: UNCLASSIFIED",
        f"  keywords: [{a}, {b}, {kind}]",
        "  summary: >-",
        f"    Leaders of {a} and {b} met for a {kind} and agreed to deepen cooperation on trade,",
        "    energy and security. The outcomes are modest but give both sides a framework for",
        "    further talks over the coming year.",
        "sources:",
    ]
    for n, source_id in enumerate(ids, 1):
        lines += [
            f"  - id: {source_id}",
            f"    publisher: {rng.choice(PUBLISHERS)}",
            f'    title: "{a} and {b} hold {kind} (report {n})"',
            f"    url: https://news.example.org/{index}/{n}",
            f"    published: {day}",
            f"    accessed: {day + dt.timedelta(days=2)}",
            f"    kind: {rng.choice(['news', 'government', 'think-tank'])}",
        ]
    lines.append("key_judgments:")
    for n in range(3):
        lines += [
            f"  - text: {a} and {b} will implement part {n + 1} of the package within a year.",
            f"    likelihood: {rng.choice(TERMS)}",
            f"    confidence: {rng.choice(['low', 'moderate', 'high'])}",
            f"    sources: {cite(2)}",
        ]
    lines += [
        "event:",
        f"  kind: {kind}",
        f"  title: {a}–{b} {kind}",
        f"  date: {day}",
        f"  place: {{city: {a} City, country: {a}}}",
        "  participants:",
        f"    - {{name: President of {a}, role: Head of state, affiliation: {a}}}",
        f"    - {{name: Premier of {b}, role: Head of government, affiliation: {b}}}",
        "  summary: >-",
        f"    The delegations of {a} and {b} held talks over two days, covering tariffs, grid",
        "    interconnection, port access and a joint exercise programme.",
        f"  sources: {cite(2)}",
        "agreements:",
    ]
    for n in range(agreements):
        amount = rng.randrange(1, 90) * 10**8
        lines += [
            f"  - title: {a}–{b} {rng.choice(AGREEMENT_KINDS)} no. {n + 1}",
            f"    kind: {rng.choice(AGREEMENT_KINDS)}",
            f"    parties: [{a}, {b}]",
            f"    signed: {day}",
            f"    term: {{start: {day.year}, end: {day.year + rng.randrange(1, 10)}}}",
            f"    value: {{amount: {amount}, currency: USD}}",
            f"    status: {rng.choice(STATUSES)}",
            "    notes: Covers joint procurement, training and maintenance over the term.",
            f"    sources: {cite()}",
        ]
    lines += [
        "context:",
        f"  - title: Earlier ties between {a} and {b}",
        "    kind: background",
        f"    date: {day.year - 3}",
        "    text: The two countries signed a framework treaty three years earlier.",
        f"    sources: {cite()}",
        "outlook:",
        "  - text: Watch for ratification of the package by both parliaments.",
        f"    by: {day.year + 1}",
        f"    sources: {cite()}",
    ]
    return "\n".join(lines) + "\n"


def generate(
    out: Path, *, events: int, agreements: int = 2, sources: int = 3, weeks: int = 52, seed: int = 7
) -> list[Path]:
    """Write ``events`` inputs into ``out`` and return their paths (deterministic for a seed)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    first_monday = dt.date.fromisocalendar(2030, 1, 1)
    paths = []
    for index in range(events):
        week = index % weeks
        day = first_monday + dt.timedelta(weeks=week, days=rng.randrange(0, 5))
        path = out / f"synthetic-{index:04d}.yaml"
        path.write_text(_brief(rng, index, day, agreements, sources), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--agreements", type=int, default=2)
    parser.add_argument("--sources", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=52, help="spread over this many ISO weeks (1: one big edition)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    paths = generate(
        args.out, events=args.events, agreements=args.agreements, sources=args.sources, weeks=args.weeks, seed=args.seed
    )
    print(f"wrote {len(paths)} inputs to {args.out}")


if __name__ == "__main__":
    main()
