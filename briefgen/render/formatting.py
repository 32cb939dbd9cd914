"""How values print in a brief: money, signed numbers, dates as precise as known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
