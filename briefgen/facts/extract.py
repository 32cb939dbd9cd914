"""Candidate facts in an article's text: dates, money, quantities, known names, telling sentences.

Hand-written rules rather than dateparser, quantulum3 or price-parser: those guess too freely
for facts an analyst will sign ("25%" read as the 25th, "2,000" as a year, "$30" with the
"billion" dropped), and together they cost seconds of import time. The rules below know the
few shapes news reports use, resolve relative dates against the article's date, and keep the
precision the text gives (a year stays a year). Every candidate keeps its sentence number and
character offsets in the text, so it can be checked against the source's words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

__all__ = [
    "Candidate",
    "KnownName",
    "NameMatcher",
    "Sentence",
    "extract",
    "split_sentences",
]

Kind = Literal["date", "money", "quantity", "actor", "authority", "source", "sentence"]
Belongs = Literal["event", "agreement", "context", "sanction_risk", "outlook"]

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"  # noqa: E501
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d|21\d\d)"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Order matters: the longest shapes first, so "6 December 2021" is one date, not three.
_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(rf"\b(?P<y>{_YEAR})-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")),
    ("slash", re.compile(rf"(?<![\d/])(?P<a>[0-3]?\d)/(?P<b>[0-3]?\d)/(?P<y>{_YEAR})(?![\d/])")),
    ("dmy", re.compile(rf"\b(?P<d>{_DAY})\s+(?:of\s+)?(?P<mon>{_MONTH}),?\s+(?P<y>{_YEAR})\b")),
    ("mdy", re.compile(rf"\b(?P<mon>{_MONTH})\s+(?P<d>{_DAY}),?\s+(?P<y>{_YEAR})\b")),
    ("my", re.compile(rf"\b(?P<mon>{_MONTH})\s+(?:of\s+)?(?P<y>{_YEAR})\b")),
    ("dm", re.compile(rf"\b(?P<d>{_DAY})\s+(?:of\s+)?(?P<mon>{_MONTH})(?![\w-])")),
    ("md", re.compile(rf"\b(?P<mon>{_MONTH})\s+(?P<d>{_DAY})\b(?!\s*(?:%|per\s*cent|percent))")),
    (
        "the-nth",
        re.compile(r"\b(?:on|by|since|until|from|of)\s+(?P<span>the\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th))\b", re.I),
    ),
    (
        "rel",
        re.compile(
            r"\b(?P<rel>this|last|next|earlier this|later this)\s+(?P<unit>month|year|week)\b"
            r"|\b(?P<word>today|yesterday|tomorrow)\b",
            re.I,
        ),
    ),
    (
        "weekday",
        re.compile(
            r"\b(?:(?:on|last|this|next)\s+)?(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
        ),
    ),
    (
        "month",
        re.compile(
            r"\b(?:in|by|until|since|from|before|after|during|early|late|mid-?|end of|start of)\s+"
            rf"(?P<mon>{_MONTH})(?!\s*\d)",
        ),
    ),
    ("decade", re.compile(r"\b(?:the\s+)?(?P<y>(?:19|20)\d0)s\b")),
    ("span", re.compile(rf"(?<![\w$€£₹.,/+-])(?P<y>{_YEAR})\s?[-–]\s?(?P<y2>{_YEAR})(?![\w%/-])")),
    ("fiscal", re.compile(rf"(?<![\w$€£₹.,/+-])(?P<y>{_YEAR})[-–/](?P<y2>\d\d)\b(?![-–/]\d)")),
    ("part", re.compile(rf"\b(?P<part>mid|early|late)-(?P<y>{_YEAR})\b")),
    ("year", re.compile(rf"(?<![\w$€£₹.,/+-])(?P<y>{_YEAR})(?![\w%/]|[.,]\d|-\d)")),
]

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MAGNITUDE = {
    "thousand": Decimal(10) ** 3,
    "k": Decimal(10) ** 3,
    "lakh": Decimal(10) ** 5,
    "lakhs": Decimal(10) ** 5,
    "million": Decimal(10) ** 6,
    "mn": Decimal(10) ** 6,
    "m": Decimal(10) ** 6,
    "crore": Decimal(10) ** 7,
    "crores": Decimal(10) ** 7,
    "billion": Decimal(10) ** 9,
    "bn": Decimal(10) ** 9,
    "b": Decimal(10) ** 9,
    "trillion": Decimal(10) ** 12,
    "tn": Decimal(10) ** 12,
}
_MAG = r"(?:thousand|lakhs?|million|mn|crores?|billion|bn|trillion|tn|k|m|b)\b"
_PREFIX_CURRENCY = {
    "us$": "USD",
    "$": "USD",
    "usd": "USD",
    "€": "EUR",
    "eur": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "₹": "INR",
    "rs": "INR",
    "rs.": "INR",
    "inr": "INR",
    "¥": "JPY",
    "jpy": "JPY",
    "cny": "CNY",
    "rmb": "CNY",
    "rub": "RUB",
    "₽": "RUB",
    "try": "TRY",
    "krw": "KRW",
    "₩": "KRW",
}
_SUFFIX_CURRENCY = {
    "dollars": "USD",
    "dollar": "USD",
    "us dollars": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
    "rupees": "INR",
    "rupee": "INR",
    "roubles": "RUB",
    "rubles": "RUB",
    "yuan": "CNY",
    "yen": "JPY",
    "won": "KRW",
    "usd": "USD",
    "eur": "EUR",
    "inr": "INR",
    "rub": "RUB",
}
#: ISO 4217 codes common in news; any of them before or after a number is money.
_ISO = (
    "USD|EUR|GBP|INR|JPY|CNY|RUB|KRW|TRY|CHF|NOK|SEK|DKK|PLN|CZK|HUF|RON|AUD|CAD|NZD|SGD|HKD|TWD|"
    "BRL|MXN|ARS|ZAR|NGN|EGP|SAR|AED|QAR|ILS|IRR|PKR|BDT|IDR|MYR|THB|VND|PHP|UAH|KZT"
)
ISO_CODES = frozenset(_ISO.split("|"))
_PREFIX = rf"US\$|\$|€|£|₹|¥|₽|₩|Rs\.?|(?:RMB|{_ISO})(?=\s?\d)"
_MONEY_PREFIX = re.compile(
    rf"(?P<cur>{_PREFIX})\s?(?P<num>{_NUMBER})(?:\s?(?:-|–|to)\s?\$?(?P<high>{_NUMBER}))?(?:\s?(?P<mag>{_MAG}))?",
)
_MONEY_SUFFIX = re.compile(
    rf"\b(?P<num>{_NUMBER})(?:\s?(?P<mag>{_MAG}))?\s+"
    rf"(?P<cur>US dollars|dollars?|euros?|pounds|rupees?|roubles|rubles|yuan|yen|won|lira|liras|{_ISO})\b",
)
_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
    "dozen": 12,
    "hundred": 100,
}
_QUANTITY = re.compile(
    rf"(?<![\w+.,/-])(?P<num>{_NUMBER}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"a dozen|hundreds of|thousands of)"
    rf"(?:\s?(?P<mag>thousand|million|billion|lakh|crore)\b)?"
    r"(?:\s?(?P<pct>%|per\s?cent\b|percent\b)|[\s-]+(?P<unit>(?:cubic|square)\s[a-z]+|(?:[a-z]+-)?[a-z]+))",
    re.I,
)
_UNIT_STOP = {
    "and",
    "or",
    "the",
    "to",
    "of",
    "in",
    "on",
    "at",
    "by",
    "for",
    "with",
    "from",
    "a",
    "an",
    "as",
    "is",
    "was",
    "were",
    "are",
    "that",
    "which",
    "when",
    "per",
}

#: Sentence cues: which kind of fact a sentence reads as, and where such a fact goes.
CUES: dict[str, tuple[Belongs, re.Pattern[str]]] = {
    "sanction": (
        "sanction_risk",
        re.compile(
            r"\b(sanction(s|ed|ing)?|designat(e|ed|es|ion)|blacklist(ed)?|entity list|embargo|asset freeze|"
            r"export controls?|waiver|OFAC)\b",
            re.I,
        ),
    ),
    "agreement": (
        "agreement",
        re.compile(
            r"\b(agree(d|ment|ments)?|signed|sign|deal|contract|accord|treaty|memorandum|MoU|pact|"
            r"trade target|free trade)\b",
            re.I,
        ),
    ),
    "delivery": (
        "agreement",
        re.compile(r"\b(deliver(y|ed|ies|s)?|supply|supplied|shipment|shipped|handed over|arriv(ed|al))\b", re.I),
    ),
    "meeting": (
        "event",
        re.compile(r"\b(met|meet(s|ing)?|summit|talks|visit(ed|s)?|call(ed)?|spoke|phone|video link|held)\b", re.I),
    ),
    "election": ("event", re.compile(r"\b(elect(ion|ed|s)?|vote(s|d)?|ballot|turnout|polls?)\b", re.I)),
    "statement": (
        "context",
        re.compile(r"\b(said|says|stated|announced|statement|declared|readout|told|according to)\b", re.I),
    ),
}

_ABBREVIATIONS = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Sen|Rep|Gov|St|Jr|Sr|No|vs|etc|Inc|Ltd|Co|Corp|Rs|approx|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z](?:\.[A-Z])+|\b[A-Z])\.$"
)


@dataclass(frozen=True)
class Sentence:
    number: int  # 1-based
    start: int
    end: int
    paragraph: int  # 1-based

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with offsets; a line break always ends a paragraph (and a sentence)."""
    out: list[Sentence] = []
    paragraph = 0
    for para in re.finditer(r"[^\n]+", text):
        chunk = para.group(0)
        if not chunk.strip():
            continue
        paragraph += 1
        begin = para.start()
        start = begin + (len(chunk) - len(chunk.lstrip()))
        for end_match in re.finditer(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])", chunk):
            stop = begin + end_match.end()
            if _ABBREVIATIONS.search(text[start : begin + end_match.start() + 1]):
                continue
            out.append(Sentence(len(out) + 1, start, stop, paragraph))
            rest = text[stop : para.end()]
            start = stop + (len(rest) - len(rest.lstrip()))
        stop = para.end()
        while stop > start and text[stop - 1].isspace():
            stop -= 1
        if stop > start:
            out.append(Sentence(len(out) + 1, start, stop, paragraph))
    return out


@dataclass(frozen=True)
class KnownName:
    """Something the analyst's facts already name: an actor, an authority, a source."""

    id: str
    kind: Literal["actor", "authority", "source"]
    names: tuple[str, ...]


class NameMatcher:
    """Whole-word matching of every name and alias in one compiled alternation.

    A regular expression rather than spaCy's PhraseMatcher: a few hundred names match in
    well under a millisecond per article, and it needs no pipeline or model to load.
    """

    def __init__(self, known: Iterable[KnownName]) -> None:
        self.by_name: dict[str, KnownName] = {}
        for entry in known:
            for name in entry.names:
                if len(name.strip()) >= 2:
                    self.by_name.setdefault(_fold(name), entry)
        names = sorted(self.by_name, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)", re.I) if names else None
        )

    def find(self, text: str) -> Iterator[tuple[int, int, KnownName]]:
        if self.pattern is None:
            return
        for match in self.pattern.finditer(text):
            entry = self.by_name.get(_fold(match.group(0)))
            if entry is not None:
                yield match.start(), match.end(), entry


def _fold(name: str) -> str:
    return " ".join(name.replace("’", "'").lower().split())


@dataclass
class Candidate:
    """One thing found in the text, with where it came from and where it probably goes."""

    kind: Kind
    text: str
    sentence: int
    paragraph: int
    start: int
    end: int
    belongs: Belongs
    value: dict[str, object] = field(default_factory=dict)
    cues: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "text": self.text}
        if self.value:
            out["value"] = self.value
        out.update(
            belongs=self.belongs,
            sentence=self.sentence,
            paragraph=self.paragraph,
            start=self.start,
            end=self.end,
        )
        if self.cues:
            out["cues"] = list(self.cues)
        return out


def _month(name: str) -> int:
    return MONTHS[name.lower().rstrip(".")]


def _day(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def _resolve_day(day: int, month: int | None, article: dt.date | None) -> tuple[int, int] | None:
    """The year (and month) of a day the text names without them: the nearest such date
    on or before the article's date (news reports what happened), else the next one."""
    if article is None:
        return None
    month = month or article.month
    year = article.year
    try:
        candidate = dt.date(year, month, day)
    except ValueError:
        return None
    if candidate > article + dt.timedelta(days=7) and not month:
        return None
    if (candidate - article).days > 180:
        year -= 1
    elif (article - candidate).days > 180:
        year += 1
    return year, month


def _date_value(kind: str, m: re.Match[str], article: dt.date | None) -> dict[str, object] | None:
    g = m.groupdict()
    try:
        if kind == "iso":
            d = dt.date(int(g["y"]), int(g["m"]), int(g["d"]))
            return {"date": d.isoformat(), "precision": "day"}
        if kind == "slash":
            # 03/04/2026 is 3 April in Europe and 4 March in the US: never guess between them.
            a, b, year = int(g["a"]), int(g["b"]), int(g["y"])
            readings = []
            for day, month in ((a, b), (b, a)):
                try:
                    readings.append(dt.date(year, month, day).isoformat())
                except ValueError:
                    continue
            readings = sorted(set(readings))
            if len(readings) == 1:
                return {"date": readings[0], "precision": "day"}
            if not readings:
                return None
            return {"date": None, "precision": "day", "readings": readings, "note": "day and month order unclear"}
        if kind in ("dmy", "mdy"):
            d = dt.date(int(g["y"]), _month(g["mon"]), _day(g["d"]))
            return {"date": d.isoformat(), "precision": "day"}
        if kind == "my":
            return {"date": f"{int(g['y']):04d}-{_month(g['mon']):02d}", "precision": "month"}
        if kind in ("dm", "md"):
            month, day = _month(g["mon"]), _day(g["d"])
            if not 1 <= day <= 31:
                return None
            resolved = _resolve_day(day, month, article)
            if resolved is None:
                return {"date": None, "precision": "day", "note": "no year: give the article's date"}
            return {"date": dt.date(resolved[0], month, day).isoformat(), "precision": "day", "relative": True}
        if kind == "the-nth":
            day = int(g["d"])
            if not 1 <= day <= 31 or article is None:
                return {"date": None, "precision": "day", "note": "no month: give the article's date"}
            # "on the 6th" is the 6th nearest the article's date: this month's, last month's or next.
            options = []
            for shift in (-1, 0, 1):
                month0 = article.month - 1 + shift
                year, month = article.year + month0 // 12, month0 % 12 + 1
                try:
                    options.append(dt.date(year, month, day))
                except ValueError:
                    continue
            d = min(options, key=lambda o: abs((o - article).days))
            return {"date": d.isoformat(), "precision": "day", "relative": True}
        if kind == "rel":
            if article is None:
                return {"date": None, "precision": "day", "note": "relative: give the article's date"}
            if g.get("word"):
                shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[g["word"].lower()]
                return {"date": (article + dt.timedelta(days=shift)).isoformat(), "precision": "day", "relative": True}
            rel, unit = g["rel"].lower(), g["unit"].lower()
            step = {"last": -1, "next": 1}.get(rel, 0)
            if unit == "year":
                return {"date": f"{article.year + step:04d}", "precision": "year", "relative": True}
            if unit == "month":
                month = article.month + step
                year = article.year + (month > 12) - (month < 1)
                month = (month - 1) % 12 + 1
                return {"date": f"{year:04d}-{month:02d}", "precision": "month", "relative": True}
            monday = article - dt.timedelta(days=article.weekday()) + dt.timedelta(weeks=step)
            return {"date": monday.isoformat(), "precision": "week", "relative": True}
        if kind == "weekday":
            if article is None:
                return {"date": None, "precision": "day", "note": "relative: give the article's date"}
            target = WEEKDAYS.index(g["wd"].lower())
            back = (article.weekday() - target) % 7
            text = m.group(0).lower()
            if text.startswith("next"):
                d = article + dt.timedelta(days=(target - article.weekday()) % 7 or 7)
            else:
                d = article - dt.timedelta(days=back)
            return {"date": d.isoformat(), "precision": "day", "relative": True}
        if kind == "month":
            month = _month(g["mon"])
            if article is None:
                return {"date": None, "precision": "month", "note": "no year: give the article's date"}
            year = article.year
            if month - article.month > 6:
                year -= 1
            elif article.month - month > 6:
                year += 1
            return {"date": f"{year:04d}-{month:02d}", "precision": "month", "relative": True}
        if kind == "span":
            if int(g["y2"]) <= int(g["y"]):
                return None
            return {"date": g["y"], "precision": "year", "end": g["y2"]}
        if kind == "fiscal":
            first = int(g["y"])
            if int(g["y2"]) != (first + 1) % 100:
                return None
            return {"date": g["y"], "precision": "year", "note": f"a fiscal or season year, {m.group(0)}"}
        if kind == "part":
            return {"date": g["y"], "precision": "year", "part": g["part"]}
        if kind == "decade":
            return {"date": g["y"], "precision": "decade"}
        if kind == "year":
            return {"date": g["y"], "precision": "year"}
    except (ValueError, KeyError):
        return None
    return None


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _overlaps(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def _belongs(cues: Sequence[str]) -> Belongs:
    for cue in ("sanction", "agreement", "delivery", "meeting", "election"):
        if cue in cues:
            return CUES[cue][0]
    return "context"


def extract(
    text: str,
    article_date: dt.date | None = None,
    names: NameMatcher | None = None,
) -> list[Candidate]:
    """Every candidate fact in ``text``, in reading order."""
    out: list[Candidate] = []
    named: dict[str, Candidate] = {}
    for sentence in split_sentences(text):
        body = sentence.text(text)
        cues = tuple(name for name, (_, pattern) in CUES.items() if pattern.search(body))
        belongs = _belongs(cues)
        taken: list[tuple[int, int]] = []

        def add(
            kind: Kind,
            s: int,
            e: int,
            value: dict[str, object],
            where: Belongs = belongs,
            *,
            taken: list[tuple[int, int]] = taken,
            body: str = body,
            sentence: Sentence = sentence,
        ) -> None:
            taken.append((s, e))
            start = sentence.start
            out.append(
                Candidate(kind, body[s:e], sentence.number, sentence.paragraph, start + s, start + e, where, value)
            )

        # Money first: its digits must not be read as years or quantities.
        for pattern in (_MONEY_PREFIX, _MONEY_SUFFIX):
            for m in pattern.finditer(body):
                if _overlaps(taken, m.start(), m.end()):
                    continue
                cur = m.group("cur")
                code = _PREFIX_CURRENCY.get(cur.lower()) or _SUFFIX_CURRENCY.get(cur.lower())
                if code is None and cur.upper() in ISO_CODES:
                    code = cur.upper()
                number = _number(m.group("num"))
                mag = (m.group("mag") or "").lower()
                if pattern is _MONEY_SUFFIX and not mag and code == "USD" and number < 1:
                    continue
                scale = _MAGNITUDE.get(mag, Decimal(1))
                value: dict[str, object] = {"amount": _plain(number * scale), "currency": code}
                if code is None:  # "lira" is several countries' currency: the analyst says whose
                    value["note"] = f"currency unclear: {cur}"
                if high := m.groupdict().get("high"):  # "$1.5-2 billion": the magnitude is both ends'
                    value["up_to"] = _plain(_number(high) * scale)
                if not mag:
                    value["magnitude"] = "none stated"
                period = re.match(r"\s*(a year|annually|per year|per annum|a month|per month)\b", body[m.end() :])
                if period or re.search(r"\bannual(ly)?\b", body[max(0, m.start() - 40) : m.start()]):
                    value["period"] = "per year" if not period or "month" not in period.group(1) else "per month"
                add("money", m.start(), m.end(), value, "agreement" if belongs == "context" else belongs)

        for kind, pattern in _DATE_PATTERNS:
            for m in pattern.finditer(body):
                s, e = m.start(), m.end()
                if kind == "the-nth":
                    s, e = m.span("span")
                elif kind == "month":
                    s = m.start("mon")
                if body[s:e].endswith(".") and not re.search(
                    r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.$", body[s:e]
                ):
                    e -= 1  # the sentence's full stop, not an abbreviation's
                if _overlaps(taken, s, e):
                    continue
                if kind == "year" and _looks_like_a_count(body, s, e):
                    continue
                value_d = _date_value(kind, m, article_date)
                if value_d is None:
                    continue
                add("date", s, e, value_d)

        for m in _QUANTITY.finditer(body):
            s, e = m.start(), m.end()
            if _overlaps(taken, s, e):
                continue
            if m.group("pct"):
                add("quantity", s, e, {"number": m.group("num"), "unit": "%"})
                continue
            unit = (m.group("unit") or "").lower()
            first = unit.split()[0] if unit else ""
            if not unit or first in _UNIT_STOP or first.rstrip(".") in MONTHS:
                continue
            num = m.group("num")
            value_q: dict[str, object] = {"number": _plain(_number(num)) if num[0].isdigit() else num, "unit": unit}
            if m.group("mag"):
                value_q["magnitude"] = m.group("mag").lower()
            add("quantity", s, e, value_q)

        if names is not None:
            for s, e, entry in names.find(body):
                if _overlaps(taken, s, e):
                    continue
                if entry.id in named:  # one candidate per entry: its first mention, and a count
                    named[entry.id].value["mentions"] = int(str(named[entry.id].value["mentions"])) + 1
                    continue
                where: Belongs = "sanction_risk" if entry.kind == "authority" else belongs
                add(entry.kind, s, e, {"id": entry.id, "mentions": 1}, where)
                named[entry.id] = out[-1]

        if cues:
            out.append(
                Candidate(
                    "sentence",
                    body,
                    sentence.number,
                    sentence.paragraph,
                    sentence.start,
                    sentence.end,
                    belongs,
                    cues=cues,
                )
            )
    out.sort(key=lambda c: (c.sentence, c.kind != "sentence", c.start))
    return out


def _looks_like_a_count(body: str, s: int, e: int) -> bool:
    """``2018`` is a year; ``2000 troops`` and ``1900 km`` are counts."""
    after = body[e : e + 20]
    if (word := re.match(r"\s+([a-z]+)", after)) and word.group(1) in _UNIT_STOP:
        return False  # "between 2019 and 2021": a count is followed by what it counts
    return bool(re.match(r"\s+(?!BC|AD|CE)[a-z]", after)) and not re.search(
        r"\b(the|in|by|for|until|since|from|of|before|after|to|through|during|year|early|late|mid|summer|winter|spring|autumn)\s*$",
        body[max(0, s - 12) : s],
        re.I,
    )


def _plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: ``30000000000``, ``2.5``."""
    return format(number.normalize(), "f")
