"""How values print in a brief: money, signed numbers, dates as precise as known.

English keeps briefgen's own compact forms (``12 May 2026``, ``US$30 billion``); other
languages get Babel's forms for the active language (see :mod:`briefgen.i18n`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from briefgen import i18n
from briefgen.facts.schema import Money, PartialDate

if TYPE_CHECKING:
    from briefgen.analysis.editions import Window

_CURRENCY_SYMBOLS = {"USD": "US$", "EUR": "€", "GBP": "£", "INR": "₹", "RUB": "₽", "JPY": "¥", "CNY": "CN¥"}


def _locale() -> str | None:
    """The Babel locale of the active language, or None for English (briefgen's own forms)."""
    lang = i18n.current()
    if i18n.base_language(lang) == i18n.SOURCE_LANGUAGE or not i18n.has_catalog(lang):
        return None
    return lang.replace("-", "_")


def format_money(money: Money) -> str:
    """``US$30 billion per year (approx.)``: readable at a glance, exact figure kept in data.

    Other languages get Babel's compact long form and currency symbol (``30 milliards $US``,
    ``US$ 300억``): Korean counts large sums in 10⁴ and 10⁸, so the number itself changes.
    """
    locale = _locale()
    amount = money.amount
    if locale is not None:
        from babel.numbers import format_compact_decimal, format_currency, get_currency_symbol

        if amount >= Decimal(10) ** 6:
            number = format_compact_decimal(amount, format_type="long", fraction_digits=2, locale=locale)
            # Translators: a large sum of money, e.g. "US$ 30 billion"; put the currency where your language does.
            out = i18n.gettext("%(currency)s %(amount)s") % {
                "currency": get_currency_symbol(money.currency, locale=locale),
                "amount": number,
            }
        else:
            out = format_currency(amount, money.currency, locale=locale)
    else:
        for size, word in (
            (Decimal(10) ** 12, "trillion"),
            (Decimal(10) ** 9, "billion"),
            (Decimal(10) ** 6, "million"),
        ):
            if amount >= size:
                text = f"{(amount / size).normalize():f} {word}"
                break
        else:
            text = f"{amount:,.0f}" if amount == amount.to_integral() else f"{amount:,.2f}"
        known = _CURRENCY_SYMBOLS.get(money.currency)
        out = f"{known}{text}" if known else f"{money.currency} {text}"
    if money.approximate:
        out = i18n.gettext("about %(amount)s") % {"amount": out}
    if money.period:
        out = f"{out} {money.period}"  # the analyst's words: facts are not translated
    return out


def format_signed(value: float) -> str:
    """``+1.50`` / ``−1.00``: contributions read as additions, with a true minus sign."""
    locale = _locale()
    if locale is None:
        return f"{value:+.2f}".replace("-", "−")
    from babel.numbers import format_decimal

    text = format_decimal(abs(value), format="0.00", locale=locale)
    return ("+" if value >= 0 else "−") + text


def format_percent(probability: float) -> str:
    """A probability as a whole percentage: ``70%`` (``70 %`` in French)."""
    # Translators: a percentage; keep %% (a literal percent sign).
    return i18n.gettext("%(number)s%%") % {"number": f"{round(probability * 100)}"}


def format_number(value: float | int | Decimal, digits: int | None = None) -> str:
    """A plain number with the language's separators (``1,234.5`` / ``1 234,5``); ``digits``
    fixes the decimals shown (``48.0``)."""
    locale = _locale()
    if locale is None:
        return f"{value:,}" if digits is None else f"{value:,.{digits}f}"
    from babel.numbers import format_decimal

    if digits is None:
        return format_decimal(value, locale=locale)
    return format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0", locale=locale)


def format_date(value: PartialDate | dt.date | None) -> str:
    """A date as precise as it is known: ``12 May 2026``, ``May 2026``, ``2026``."""
    if value is None:
        return ""
    locale = _locale()
    if isinstance(value, PartialDate):
        if locale is None:
            return value.human()
        if value.precision == "year":
            return str(value.year)
        from babel.dates import format_skeleton

        if value.precision == "month":
            return format_skeleton("yMMMM", value.first_day(), locale=locale)
        return _long_date(value.first_day(), locale)
    if locale is None:
        return f"{value.day} {value:%B %Y}"
    return _long_date(value, locale)


def _long_date(day: dt.date, locale: str) -> str:
    from babel.dates import format_date as babel_date

    text = babel_date(day, "long", locale=locale)
    # French writes the first of the month as an ordinal ("1er décembre"); CLDR's pattern has no way to say so.
    if day.day == 1 and locale.split("_")[0] == "fr" and text.startswith("1 "):
        text = "1er " + text[2:]
    return text


def format_window(window: Window) -> str:
    """An edition's window, ``4–10 May 2026`` (Babel's interval form in other languages)."""
    locale = _locale()
    if locale is None:
        return window.human()
    from babel.dates import format_interval

    return format_interval(window.start, window.last_day, "yMMMd", locale=locale)


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

    _ = i18n.gettext
    kind = str(get("kind") or "")
    parts: list[str] = []
    if kind == "delivery":
        what = ", ".join(str(v) for v in (get("item"), get("quantity")) if v)
        route = " → ".join(str(v) for v in (get("supplier") or get("by"), get("recipient")) if v)
        stage = _("%(stage)s delivery") % {"stage": _(get("stage"))} if get("stage") else ""
        parts = [what, route, stage]
    elif kind == "call":
        parts = [
            _("%(medium)s call") % {"medium": _(get("medium"))} if get("medium") else "",
            _("requested by %(who)s") % {"who": get("initiated_by")} if get("initiated_by") else "",
            get("duration") or "",
        ]
    elif kind == "statement":
        speaker = get("speaker")
        parts = [
            _(str(get("statement_type") or "")).capitalize(),
            _("by %(who)s") % {"who": speaker.name} if speaker else "",
        ]
    elif kind == "signing":
        parts = [_("signed by %(who)s") % {"who": _names(get("signatories"))} if get("signatories") else ""]
    elif kind == "exercise":
        exercise = _("%(domain)s exercise") % {"domain": _(get("domain"))} if get("domain") else ""
        parts = [exercise, get("scale") or "", get("area") or ""]
    elif kind == "election":
        winners = [c for c in get("candidates") or [] if c.elected]
        parts = [
            ", ".join(str(v) for v in (get("office"), get("jurisdiction")) if v),
            _("elected: %(who)s") % {"who": _names(winners)} if winners else "",
            _("turnout %(number)s%%") % {"number": f"{get('turnout'):.1f}"} if get("turnout") is not None else "",
        ]
    elif get("targets"):
        parts = [_names(get("targets"))]
    return "; ".join(str(p) for p in parts if p)
