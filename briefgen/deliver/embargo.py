"""Embargoes: ``not_before`` on a brief (or a schedule); nothing goes out earlier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from briefgen.facts.schema import Brief

__all__ = ["aware", "embargoed_until"]


def aware(when: dt.datetime) -> dt.datetime:
    """A time without an offset is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def embargoed_until(briefs: Iterable[Brief], now: dt.datetime | None = None) -> dt.datetime | None:
    """The latest embargo still in force among ``briefs``, or None if they may go out."""
    now = now or dt.datetime.now(dt.UTC)
    times = [aware(b.brief.not_before) for b in briefs if b.brief.not_before is not None]
    pending = [t for t in times if t > now]
    return max(pending) if pending else None
