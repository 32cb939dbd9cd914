"""Candidate facts: every date and amount of the test articles, and the traps around them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
import yaml

from briefgen.facts.article import read_article
from briefgen.facts.extract import Candidate, KnownName, NameMatcher, extract, split_sentences

ARTICLES = Path(__file__).resolve().parent.parent / "data" / "articles"
DAY = dt.date(2026, 12, 7)


def found(text: str, kind: str, day: dt.date | None = DAY) -> list[Candidate]:
    return [c for c in extract(text, day) if c.kind == kind]


@pytest.mark.parametrize("name", ["sanctions", "call", "delivery", "trade", "election", "statement", "exercise"])
def test_every_date_and_amount_of_an_article_and_nothing_else(name: str) -> None:
    text = read_article(str(ARTICLES / f"{name}.txt")).text
    gold = yaml.safe_load((ARTICLES / f"{name}.gold.yaml").read_text(encoding="utf-8"))
    candidates = extract(text, dt.date.fromisoformat(str(gold["date"])))
    dates = Counter((c.text, str(c.value["date"])) for c in candidates if c.kind == "date")
    money = Counter((c.text, c.value["amount"], str(c.value["currency"])) for c in candidates if c.kind == "money")
    assert dates == Counter((str(t), str(v)) for t, v in gold["dates"])
    assert money == Counter((str(t), str(a), str(c)) for t, a, c in gold["money"])
    for candidate in candidates:  # offsets point at the words in the text
        assert text[candidate.start : candidate.end] == candidate.text


def test_relative_dates_resolve_against_the_article_date() -> None:
    text = "Talks began on the 6th. Supply began this month. The deal runs until 2030 and targets trade by 2025."
    dates = {c.text: c.value for c in found(text, "date", dt.date(2021, 12, 7))}
    assert dates["the 6th"] == {"date": "2021-12-06", "precision": "day", "relative": True}
    assert dates["this month"]["date"] == "2021-12" and dates["this month"]["precision"] == "month"
    assert dates["2030"] == {"date": "2030", "precision": "year"}
    assert dates["2025"]["precision"] == "year"
    # The nearest such day: the 16th seen from the 9th is next week; the 30th seen from the 2nd, last month.
    assert found("Talks start on the 16th.", "date", dt.date(2026, 11, 9))[0].value["date"] == "2026-11-16"
    assert found("It ended on the 30th.", "date", dt.date(2026, 4, 2))[0].value["date"] == "2026-03-30"


def test_a_relative_date_without_the_article_date_is_left_for_the_analyst() -> None:
    (date,) = found("Talks began on the 6th.", "date", None)
    assert date.value["date"] is None and "article's date" in str(date.value["note"])


@pytest.mark.parametrize(
    "text",
    [
        "Prices rose 25% in a week.",  # a percentage, not the 25th
        "About 2,000 troops took part.",  # a count, not the year 2000
        "It sent 2000 troops.",  # a count without a comma
        "The S-400 and the AK-203 were shown.",  # model numbers
        "Officials may 5 times revise it.",  # the verb, not the month
    ],
)
def test_traps_are_not_dates(text: str) -> None:
    assert found(text, "date") == []


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("a target of $30 billion annually", "30000000000", "USD"),
        ("payments of Rs 5,000 crore were made", "50000000000", "INR"),
        ("a pledge of €2.5bn over five years", "2500000000", "EUR"),
        ("worth US$750 million", "750000000", "USD"),
        ("some 4.2 trillion yen in bonds", "4200000000000", "JPY"),
        ("₹1.5 lakh per household", "150000", "INR"),
        ("£12m for the port", "12000000", "GBP"),
    ],
)
def test_money_with_currency_and_magnitude(text: str, amount: str, currency: str) -> None:
    (money,) = found(text, "money")
    assert (money.value["amount"], money.value["currency"]) == (amount, currency)
    assert "magnitude" not in money.value


def test_money_without_a_magnitude_says_so_and_its_digits_are_no_year() -> None:
    (money,) = found("Each exporter gets $2025 per shipment.", "money")
    assert money.value == {"amount": "2025", "currency": "USD", "magnitude": "none stated"}
    assert found("Each exporter gets $2025 per shipment.", "date") == []


def test_an_annual_amount_records_its_period() -> None:
    (money,) = found("to lift trade to $30 billion a year by 2030", "money")
    assert money.value["period"] == "per year"


def test_quantities_and_percentages() -> None:
    values = {c.text: c.value for c in found("It ordered 48 launchers and 300 missiles; turnout was 71%.", "quantity")}
    assert values["48 launchers"] == {"number": "48", "unit": "launchers"}
    assert values["71%"]["unit"] == "%"


def test_sentences_keep_abbreviations_and_paragraphs() -> None:
    text = "The U.S. envoy met Mr. Varga on Monday. Both spoke.\nA new paragraph."
    sentences = split_sentences(text)
    assert [s.text(text) for s in sentences] == [
        "The U.S. envoy met Mr. Varga on Monday.",
        "Both spoke.",
        "A new paragraph.",
    ]
    assert [s.paragraph for s in sentences] == [1, 1, 2]


def test_sentences_are_classified_and_placed() -> None:
    text = "Treasury designated the firm. The two sides signed a contract. The leaders met in Geneva."
    kinds = [(c.cues, c.belongs) for c in extract(text, DAY) if c.kind == "sentence"]
    assert kinds == [(("sanction",), "sanction_risk"), (("agreement",), "agreement"), (("meeting",), "event")]


def test_known_names_match_whole_words_and_aliases_once_per_entry() -> None:
    matcher = NameMatcher(
        [
            KnownName("kestrel", "actor", ("Kestrel Maritime", "Kestrel")),
            KnownName("ieepa", "authority", ("International Emergency Economic Powers Act", "IEEPA")),
            KnownName("norland", "actor", ("Norland",)),
        ]
    )
    text = "Kestrel Maritime was listed under IEEPA. Kestrel denied it. Norlanders were not named."
    names = [c for c in extract(text, DAY, matcher) if c.kind in ("actor", "authority")]
    assert [(c.kind, c.text, c.value["id"], c.value["mentions"]) for c in names] == [
        ("actor", "Kestrel Maritime", "kestrel", 2),
        ("authority", "IEEPA", "ieepa", 1),
    ]
    assert names[1].belongs == "sanction_risk"


def test_a_date_whose_day_and_month_order_is_unclear_is_not_guessed() -> None:
    (date,) = found("The vote was held on 03/04/2026.", "date")
    assert date.text == "03/04/2026" and date.value["date"] is None
    assert date.value["readings"] == ["2026-03-04", "2026-04-03"]
    (clear,) = found("The vote was held on 25/12/2026.", "date")
    assert clear.value == {"date": "2026-12-25", "precision": "day"}


@pytest.mark.parametrize(
    ("text", "found_text", "value"),
    [
        ("Between 2019 and 2021, 3,000 troops left.", "2019", {"date": "2019", "precision": "year"}),
        ("The 2019-2021 programme ended.", "2019-2021", {"date": "2019", "precision": "year", "end": "2021"}),
        ("By mid-2025 deliveries end.", "mid-2025", {"date": "2025", "precision": "year", "part": "mid"}),
        ("It was signed in May.", "May", {"date": "2026-05", "precision": "month", "relative": True}),
        ("They met on Sept. 5 in Geneva.", "Sept. 5", {"date": "2026-09-05", "precision": "day", "relative": True}),
    ],
)
def test_year_spans_parts_and_full_stops(text: str, found_text: str, value: dict[str, object]) -> None:
    dates = {c.text: c.value for c in found(text, "date", dt.date(2026, 6, 10))}
    assert dates[found_text] == value


def test_a_range_of_money_shares_its_magnitude() -> None:
    (money,) = found("It will cost $1.5-2 billion.", "money")
    assert money.value == {"amount": "1500000000", "currency": "USD", "up_to": "2000000000"}
