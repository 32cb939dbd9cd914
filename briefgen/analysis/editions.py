"""Editions: the briefs of one time window, and what changed since the previous edition.

Pure logic, no I/O: windows and their ids, which briefs fall in a window, a snapshot of an
edition's facts, and the difference between two snapshots. ``builds.editions.build_edition``
does the reading and writing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from briefgen.analysis.estimative import UnknownLikelihood, parse_likelihood
from briefgen.facts.library import Action
from briefgen.facts.load import LoadedBrief
from briefgen.facts.schema import Brief
from briefgen.i18n import N_
from briefgen.i18n import gettext as _

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class Window:
    """A half-open span of days ``[start, end)`` and its stable id."""

    start: dt.date
    end: dt.date
    id: str

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day < self.end

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def human(self) -> str:
        last = self.last_day
        if self.start.year != last.year:
            return f"{self.start.day} {self.start:%b %Y} – {last.day} {last:%b %Y}"
        if self.start.month != last.month:
            return f"{self.start.day} {self.start:%b} – {last.day} {last:%b %Y}"
        return f"{self.start.day}–{last.day} {last:%B %Y}"

    def previous(self) -> Window:
        length = self.end - self.start
        return _window(self.start - length, length.days)

    def following(self) -> Window:
        return _window(self.end, (self.end - self.start).days)


def _window(start: dt.date, length_days: int) -> Window:
    end = start + dt.timedelta(days=length_days)
    if length_days == 7 and start.isoweekday() == 1:
        year, week, _ = start.isocalendar()
        ident = f"{year}-W{week:02d}"
    else:
        ident = f"{start.isoformat()}+{length_days}d"
    return Window(start, end, ident)


def window_for(day: dt.date, *, week_start: Weekday = "monday", length_days: int = 7) -> Window:
    """The window holding ``day``. With the defaults, the ISO week (id ``2021-W49``)."""
    if length_days == 7:
        offset = (day.weekday() - WEEKDAYS.index(week_start)) % 7
        return _window(day - dt.timedelta(days=offset), 7)
    # Other lengths count from a fixed epoch (a Monday), so windows tile without gaps.
    epoch = dt.date(2000, 1, 3) + dt.timedelta(days=WEEKDAYS.index(week_start))
    index = (day - epoch).days // length_days
    return _window(epoch + dt.timedelta(days=index * length_days), length_days)


def parse_window(ident: str, *, week_start: Weekday = "monday", length_days: int = 7) -> Window:
    """``2021-W49`` (an ISO week) or a date inside the window, ``2021-12-08``."""
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", ident.strip()):
        try:
            monday = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError as exc:
            raise ValueError(f"{ident!r} is not an ISO week: {exc}") from None
        return window_for(monday, week_start=week_start, length_days=length_days)
    try:
        day = dt.date.fromisoformat(ident.strip())
    except ValueError:
        raise ValueError(f"{ident!r}: expected an ISO week like 2021-W49 or a date like 2021-12-08") from None
    return window_for(day, week_start=week_start, length_days=length_days)


def brief_day(brief: Brief) -> dt.date:
    """The day a brief belongs to: its event's date, else the brief's own date."""
    return brief.event.date.first_day() if brief.event else brief.brief.date


def actions_in(actions: Sequence[Action], window: Window) -> list[Action]:
    """The library's actions dated inside the window (a designation, a listing, a waiver…)."""
    inside = [a for a in actions if a.date is not None and a.date.first_day() in window]
    return sorted(inside, key=lambda a: (a.date.first_day() if a.date else window.start, a.id))


def gather(briefs: Sequence[LoadedBrief], window: Window) -> list[LoadedBrief]:
    """The briefs whose event falls in the window, in date order."""
    inside = [b for b in briefs if brief_day(b.brief) in window]
    return sorted(inside, key=lambda b: (brief_day(b.brief), b.brief.brief.id))


# --------------------------------------------------------------------------- snapshots


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _band(value: object) -> str | None:
    if value is None:
        return None
    try:
        return parse_likelihood(value).band.term  # type: ignore[arg-type]
    except UnknownLikelihood:
        return str(value)


def snapshot(window: Window, briefs: Sequence[Brief], actions: Sequence[Action] = ()) -> dict[str, Any]:
    """The facts an edition is compared on, keyed by identity so editions can be diffed."""
    events: dict[str, Any] = {}
    agreements: dict[str, Any] = {}
    judgments: dict[str, Any] = {}
    assessments: dict[str, Any] = {}
    precedents: dict[str, Any] = {}
    disagreements: dict[str, Any] = {}
    for brief in briefs:
        bid = brief.brief.id
        events[bid] = {
            "title": brief.event.title if brief.event else brief.brief.title,
            "day": brief_day(brief).isoformat(),
        }
        for a in brief.agreements:
            agreements[_norm(a.title)] = {
                "title": a.title,
                "status": a.status,
                "value": None if a.value is None else f"{a.value.amount} {a.value.currency}",
                "term_end": None if a.term is None or a.term.end is None else str(a.term.end),
                "brief": bid,
            }
        for index, kj in enumerate(brief.key_judgments):
            key = kj.id or f"{bid}#{index + 1}"
            judgments[key] = {
                "text": kj.text,
                "likelihood": _band(kj.likelihood),
                "confidence": kj.confidence,
                "brief": bid,
            }
        risk = brief.sanction_risk
        if risk is not None:
            if risk.assessment is not None:
                assessments[_norm(f"{risk.regime} | {risk.target}")] = {
                    "label": f"{risk.regime}: {risk.target}",
                    "likelihood": _band(risk.assessment.likelihood),
                    "confidence": risk.assessment.confidence,
                    "impact": risk.assessment.impact,
                    "brief": bid,
                }
            for p in risk.precedents:
                precedents[_norm(f"{p.target} | {p.date}")] = {"target": p.target, "date": str(p.date), "brief": bid}
        for loc, statement in brief.cited():
            for variant in statement.variants:
                label = getattr(statement, "title", None) or getattr(statement, "name", None) or ".".join(map(str, loc))
                disagreements[_norm(f"{label} | {variant.field}")] = {
                    "label": str(label),
                    "field": variant.field,
                    "value": variant.value,
                    "brief": bid,
                }
    return {
        "version": SNAPSHOT_VERSION,
        "edition": window.id,
        "window": [window.start.isoformat(), window.end.isoformat()],
        "events": events,
        "agreements": agreements,
        "judgments": judgments,
        "assessments": assessments,
        "precedents": precedents,
        "disagreements": disagreements,
        "actions": {a.id: {"title": a.title, "kind": a.kind, "date": str(a.date)} for a in actions},
    }


@dataclass(frozen=True)
class Change:
    kind: Literal[
        "new-event", "new-agreement", "changed-agreement", "estimate-moved", "new-precedent", "resolved", "new-action"
    ]
    text: str
    old: str | None = None
    new: str | None = None


#: The compared fields as a reader names them (msgids: the change list is worded in the
#: language that :func:`briefgen.i18n.using` has when :func:`diff` runs).
_FIELDS = {
    "status": N_("status"),
    "value": N_("value"),
    "term_end": N_("term end"),
    "likelihood": N_("likelihood"),
    "confidence": N_("confidence"),
    "impact": N_("impact"),
}


def _word(value: str | None) -> str | None:
    """A controlled-vocabulary value (a scale term, a status) in the reader's language; others as written."""
    return None if value is None else _(value)


def diff(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[Change]:
    """What changed between two snapshots, in a fixed order a reader can scan (worded in the active language)."""
    if previous is None:
        return []
    changes: list[Change] = []
    for bid, event in current["events"].items():
        if bid not in previous["events"]:
            changes.append(Change("new-event", event["title"]))
    for key, agreement in current["agreements"].items():
        before = previous["agreements"].get(key)
        if before is None:
            changes.append(Change("new-agreement", agreement["title"], None, _word(agreement["status"])))
            continue
        for field in ("status", "value", "term_end"):
            if before.get(field) != agreement.get(field):
                changes.append(
                    Change(
                        "changed-agreement",
                        _("%(title)s: %(field)s") % {"title": agreement["title"], "field": _(_FIELDS[field])},
                        _word(before.get(field)),
                        _word(agreement.get(field)),
                    )
                )
    for kind in ("judgments", "assessments"):
        for key, now in current[kind].items():
            before = previous[kind].get(key)
            if before is None:
                continue
            label = now.get("label") or now["text"]
            for field in ("likelihood", "confidence", "impact"):
                if field in now and before.get(field) != now.get(field):
                    changes.append(
                        Change(
                            "estimate-moved",
                            _("%(label)s (%(field)s)") % {"label": label, "field": _(_FIELDS[field])},
                            _word(before.get(field)),
                            _word(now.get(field)),
                        )
                    )
    for key, action in current.get("actions", {}).items():
        if key not in previous.get("actions", {}):
            changes.append(Change("new-action", f"{action['title']} ({action['date']})"))
    for key, precedent in current["precedents"].items():
        if key not in previous["precedents"]:
            changes.append(Change("new-precedent", f"{precedent['target']} ({precedent['date']})"))
    for key, disagreement in previous["disagreements"].items():
        if key not in current["disagreements"]:
            changes.append(
                Change("resolved", f"{disagreement['label']}: {disagreement['field']}", disagreement["value"], None)
            )
    return changes


def latest_before(snapshots: Sequence[dict[str, Any]], window: Window) -> dict[str, Any] | None:
    """The newest snapshot whose window starts before ``window``."""
    earlier = [
        s for s in snapshots if s.get("version") == SNAPSHOT_VERSION and s["window"][0] < window.start.isoformat()
    ]
    return max(earlier, key=lambda s: s["window"][0], default=None)
