"""Recall and precision of `briefgen draft` on dates and money, against hand-made answers.

    .venv/bin/python benchmarks/draft_recall.py [SEED_ARTICLE.txt]

The test articles (tests/data/articles/*.txt) were written for the tests; each has a
``.gold.yaml`` with every date and amount in it. The seed article is the publisher's and is
not in the repository: pass its path to include it (its answers, values only, are below).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from pathlib import Path

import yaml

from briefgen.facts.article import read_article
from briefgen.facts.extract import extract

ARTICLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "articles"

#: The seed article's dates and amounts (values only; the article is dated 7 Dec 2021).
SEED_GOLD = {
    "date": "2021-12-07",
    "dates": [["", "2021-12-06"], ["", "2030"], ["", "2025"], ["", "2021-12"], ["", "2018"], ["", "2017"]],
    "money": [["", "30000000000", "USD"]],
}


def score(text: str, gold: dict[str, object]) -> dict[str, tuple[int, int, int]]:
    """(found, expected, extracted) for dates and money; a match is the same value."""
    article_date = dt.date.fromisoformat(str(gold["date"]))
    found = extract(text, article_date)
    out = {}
    for kind, key in (("dates", "date"), ("money", "money")):
        expected = Counter(
            str(item[1]) if kind == "dates" else f"{item[1]} {item[2]}"
            for item in gold[kind]  # type: ignore[attr-defined]
        )
        got = Counter(
            str(c.value.get("date")) if kind == "dates" else f"{c.value.get('amount')} {c.value.get('currency')}"
            for c in found
            if c.kind == key
        )
        hits = sum((expected & got).values())
        out[kind] = (hits, sum(expected.values()), sum(got.values()))
    return out


def main() -> None:
    rows = []
    for path in sorted(ARTICLES.glob("*.txt")):
        gold = yaml.safe_load(path.with_suffix(".gold.yaml").read_text(encoding="utf-8"))
        rows.append((path.stem, score(read_article(str(path)).text, gold)))
    if len(sys.argv) > 1:
        rows.append(("seed", score(read_article(sys.argv[1]).text, SEED_GOLD)))
    print("| article | dates found/expected | dates precision | money found/expected | money precision |")
    print("|---|---|---|---|---|")
    totals = Counter[str]()
    for name, result in rows:
        cells = []
        for kind in ("dates", "money"):
            hits, expected, got = result[kind]
            totals.update({f"{kind}h": hits, f"{kind}e": expected, f"{kind}g": got})
            cells += [f"{hits}/{expected}", f"{hits}/{got}" if got else "–"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        f"| all | {totals['datesh']}/{totals['datese']} | {totals['datesh']}/{totals['datesg']} "
        f"| {totals['moneyh']}/{totals['moneye']} | {totals['moneyh']}/{totals['moneyg']} |"
    )


if __name__ == "__main__":
    main()
