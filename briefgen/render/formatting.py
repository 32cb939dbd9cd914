"""How values print in a brief: money, signed numbers, dates as precise as known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from briefgen.facts.schema import Money, PartialDate

_CURRENCY_SYMBOLS = {"USD": "US$", "EUR": "€", "GBP": "£", "INR": "₹", "RUB": "₽", "JPY": "¥", "CNY": "CN¥"}


def format_money(money: Money) -> str:
    """``US$30 billion per year (approx.)``: readable at a glance, exact figure kept in data."""
    amount = money.amount
    for size, word in ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
        if amount >= size:
            number = f"{(amount / size).normalize():f}"
            text = f"{number} {word}"
            break
    else:
        text = f"{amount:,.0f}" if amount == amount.to_integral() else f"{amount:,.2f}"
    symbol = _CURRENCY_SYMBOLS.get(money.currency)
    out = f"{symbol}{text}" if symbol else f"{money.currency} {text}"
    if money.approximate:
        out = f"about {out}"
    if money.period:
        out = f"{out} {money.period}"
    return out


def format_signed(value: float) -> str:
    """``+1.50`` / ``−1.00``: contributions read as additions, with a true minus sign."""
    return f"{value:+.2f}".replace("-", "−")


def format_date(value: PartialDate | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, PartialDate):
        return value.human()
    return f"{value.day} {value:%B %Y}"


def iso_date(value: PartialDate | dt.date | None) -> str:
    if value is None:
        return ""
    return value.iso() if isinstance(value, PartialDate) else value.isoformat()


def _names(people: object) -> str:
    items: list[Any] = list(people) if isinstance(people, list | tuple) else []
    return ", ".join(str(getattr(p, "name", None) or getattr(p, "actor", None) or "") for p in items)


def gist(facts: object) -> str:
    """One line of what an event or library action of a kind records beyond its title:
    a delivery's item and parties, a call's length, an election's winner, a designation's targets."""

    def get(name: str) -> Any:  # events and library actions share these field names
        return getattr(facts, name, None)

    kind = str(get("kind") or "")
    parts: list[str] = []
    if kind == "delivery":
        what = ", ".join(str(v) for v in (get("item"), get("quantity")) if v)
        route = " → ".join(str(v) for v in (get("supplier") or get("by"), get("recipient")) if v)
        stage = f"{get('stage')} delivery" if get("stage") else ""
        parts = [what, route, stage]
    elif kind == "call":
        parts = [
            f"{get('medium')} call" if get("medium") else "",
            f"requested by {get('initiated_by')}" if get("initiated_by") else "",
            get("duration") or "",
        ]
    elif kind == "statement":
        speaker = get("speaker")
        parts = [str(get("statement_type") or "").capitalize(), f"by {speaker.name}" if speaker else ""]
    elif kind == "signing":
        parts = [f"signed by {_names(get('signatories'))}" if get("signatories") else ""]
    elif kind == "exercise":
        parts = [f"{get('domain')} exercise" if get("domain") else "", get("scale") or "", get("area") or ""]
    elif kind == "election":
        winners = [c for c in get("candidates") or [] if c.elected]
        parts = [
            ", ".join(str(v) for v in (get("office"), get("jurisdiction")) if v),
            f"elected: {_names(winners)}" if winners else "",
            f"turnout {get('turnout'):.1f}%" if get("turnout") is not None else "",
        ]
    elif get("targets"):
        parts = [_names(get("targets"))]
    return "; ".join(str(p) for p in parts if p)
