"""Vector charts as inline SVG, identical in the HTML page and the PDF.

Hand-written SVG rather than a plotting library: nothing heavy to import, text stays
text (searchable in the PDF, read by screen readers, set in the theme's fonts), and
WeasyPrint renders it natively. Each chart has a ``<title>`` and a ``<desc>``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from markupsafe import Markup, escape

from briefgen.analysis.estimative import SCALE
from briefgen.facts.schema import Brief, Event, PartialDate, Precedent
from briefgen.i18n import N_, ngettext
from briefgen.i18n import gettext as _
from briefgen.render.formatting import format_date

FONT = "Inter, 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif"
INK, MUTED, ACCENT, RULE = "#1b1f24", "#5b6470", "#1d4e89", "#d3d9e1"
RATING_FILL = {"low": "#e3efe5", "moderate": "#fbf0d0", "high": "#f6d8c3", "critical": "#efbdb8"}

#: A date field a source reports differently, as the timeline names it.
_FIELD_WORDS = {
    "term.end": N_("term end"),
    "term.start": N_("term start"),
    "signed": N_("signed"),
    "deliveries_began": N_("deliveries began"),
}

EntryKind = Literal["event", "agreement", "context", "law", "listing", "precedent", "watch", "now", "disputed"]


@dataclass(frozen=True)
class TimelineEntry:
    date: PartialDate
    label: str
    kind: EntryKind
    refs: tuple[str, ...] = ()


@dataclass
class Chart:
    id: str
    title: str
    description: str
    svg: Markup
    entries: list[TimelineEntry] = field(default_factory=list)


def _text(value: str, limit: int = 78) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _svg(chart_id: str, width: int, height: int, title: str, description: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="{FONT}" font-size="11" fill="{INK}">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 - every text node is escaped above and below


# --------------------------------------------------------------------------- timeline


def timeline_entries(brief: Brief) -> list[TimelineEntry]:
    """Every dated fact of the brief, oldest first."""
    entries: list[TimelineEntry] = []
    add = entries.append
    if brief.event:
        add(TimelineEntry(brief.event.date, brief.event.title, "event", tuple(brief.event.sources)))
    for a in brief.agreements:
        refs = tuple(a.sources)
        if a.signed:
            add(TimelineEntry(a.signed, _("%(title)s: signed") % {"title": a.title}, "agreement", refs))
        if a.term and a.term.start and a.term.start != a.signed:
            add(TimelineEntry(a.term.start, _("%(title)s: term begins") % {"title": a.title}, "agreement", refs))
        if a.term and a.term.end:
            what = _("%(title)s: target date") if a.status == "target" else _("%(title)s: term ends")
            add(TimelineEntry(a.term.end, what % {"title": a.title}, "agreement", refs))
        if a.deliveries_began:
            add(
                TimelineEntry(
                    a.deliveries_began, _("%(title)s: first deliveries") % {"title": a.title}, "agreement", refs
                )
            )
        for v in a.variants:
            if v.field in {"term.end", "term.start", "signed", "deliveries_began"}:
                try:
                    when = PartialDate.parse(v.value)
                except ValueError:
                    continue
                label = _("Per other sources, %(field)s: %(title)s") % {
                    "field": _(_FIELD_WORDS[v.field]),
                    "title": a.title,
                }
                add(TimelineEntry(when, label, "disputed", tuple(v.sources)))
    for c in brief.context:
        if c.date:
            add(TimelineEntry(c.date, c.title, "context", tuple(c.sources)))
    risk = brief.sanction_risk
    if risk:
        if risk.enacted:
            add(TimelineEntry(risk.enacted, _("%(law)s enacted") % {"law": risk.regime}, "law", tuple(risk.sources)))
        for listing in risk.listings:
            if listing.listed:
                who = risk.counterparty or _("Counterparty")
                add(
                    TimelineEntry(
                        listing.listed,
                        _("%(who)s listed: %(name)s") % {"who": who.split(" (")[0], "name": listing.name},
                        "listing",
                        tuple(listing.sources),
                    )
                )
        for p in risk.precedents:
            if brief.event and _same_action(brief.event, p):
                continue  # the event itself: one line on the timeline, not two
            add(
                TimelineEntry(p.date, _("Sanctioned: %(target)s") % {"target": p.target}, "precedent", tuple(p.sources))
            )
    for w in brief.outlook:
        if w.by:
            add(TimelineEntry(w.by, _("Watch: %(text)s") % {"text": w.text}, "watch", tuple(w.sources)))
    add(TimelineEntry(PartialDate.parse(brief.brief.date), _("This brief"), "now"))
    return sorted(entries, key=lambda e: (e.date.first_day(), e.kind != "now"))


def _same_action(event: Event, precedent: Precedent) -> bool:
    if event.action and precedent.action:
        return event.action == precedent.action
    return precedent.date == event.date and any(t.name in precedent.target for t in event.targets)


def timeline(brief: Brief, chart_id: str = "timeline-chart") -> Chart | None:
    """The brief's timeline, or None when it has fewer than three dated facts."""
    entries = timeline_entries(brief)
    return timeline_chart(entries, chart_id) if len(entries) >= 3 else None


#: A timeline figure must fit on one page (figures do not break); longer ones are split.
TIMELINE_ROWS = 36


def timeline_charts(entries: list[TimelineEntry], chart_id: str = "timeline-chart") -> list[Chart]:
    """The timeline as one figure, or as several consecutive ones when it would not fit a page
    (a big edition has hundreds of dated facts)."""
    entries = sorted(entries, key=lambda e: (e.date.first_day(), e.kind != "now"))
    if len(entries) <= TIMELINE_ROWS:
        return [timeline_chart(entries, chart_id)]
    parts = [entries[i : i + TIMELINE_ROWS] for i in range(0, len(entries), TIMELINE_ROWS)]
    return [
        timeline_chart(
            part,
            f"{chart_id}-{n}" if n > 1 else chart_id,
            _(" (part %(n)d of %(total)d)") % {"n": n, "total": len(parts)},
        )
        for n, part in enumerate(parts, 1)
    ]


class _Axis:
    """A time axis that cuts out long empty stretches.

    A gap between consecutive dates longer than ``BREAK_SHARE`` of the whole span (and more
    than two years) is drawn as a fixed short break instead of to scale.
    """

    BREAK_SHARE = 0.4
    BREAK_ROOM = 0.12  # how much of the axis a break takes, as a share of the dates kept to scale

    def __init__(self, days: list[dt.date]) -> None:
        days = sorted(set(days))
        span = max((days[-1] - days[0]).days, 1) if days else 1
        gaps = [(b - a).days for a, b in itertools.pairwise(days)]
        broken = [g > 730 and g > self.BREAK_SHARE * span for g in gaps]
        kept = sum(g for g, cut in zip(gaps, broken, strict=True) if not cut) or 1
        self.breaks: list[tuple[dt.date, dt.date]] = []
        self._stops: list[tuple[dt.date, float]] = []  # (date, effective days from the first)
        offset = 0.0
        for index, day in enumerate(days):
            if index:
                gap: float = gaps[index - 1]
                if broken[index - 1]:
                    self.breaks.append((days[index - 1], day))
                    gap = max(self.BREAK_ROOM * kept, 1.0)
                offset += gap
            self._stops.append((day, offset))
        self._total = max(offset, 1.0)

    def in_break(self, day: dt.date) -> bool:
        return any(a < day < b for a, b in self.breaks)

    def position(self, day: dt.date) -> float:
        """0 at the first date, 1 at the last; linear between neighbouring dates."""
        stops = self._stops
        if not stops or day <= stops[0][0]:
            return 0.0
        for (d0, o0), (d1, o1) in itertools.pairwise(stops):
            if day <= d1:
                share = (day - d0).days / max((d1 - d0).days, 1)
                return (o0 + share * (o1 - o0)) / self._total
        return 1.0


def timeline_chart(entries: list[TimelineEntry], chart_id: str = "timeline-chart", suffix: str = "") -> Chart:
    """A vertical timeline of ``entries`` on a true time scale."""
    entries = sorted(entries, key=lambda e: (e.date.first_day(), e.kind != "now"))
    width, top, row = 680, 14, 19
    axis_x, label_x = 118, 140
    first, last = entries[0].date.first_day(), entries[-1].date.first_day()
    axis = _Axis([e.date.first_day() for e in entries])
    scale_height = max(160, min(520, len(entries) * 14))

    def true_y(day: dt.date) -> float:
        return top + axis.position(day) * scale_height

    # Labels keep their true position unless that would overlap the previous one: crowded
    # dates push labels down, and a connector shows where each really belongs.
    placed: list[float] = []
    for entry in entries:
        y = true_y(entry.date.first_day())
        placed.append(max(y, placed[-1] + row) if placed else y)
    height = int(max(placed[-1], top + scale_height) + 18)

    body = [
        f'<line x1="{axis_x}" y1="{top}" x2="{axis_x}" y2="{top + scale_height:.1f}" stroke="{RULE}" stroke-width="2"/>'
    ]
    for start, end in axis.breaks:
        # A broken axis: a long empty stretch (one background date decades before the rest)
        # is cut out and marked, so it does not squeeze the events that matter.
        y = (true_y(start) + true_y(end)) / 2
        body.append(
            f'<rect x="{axis_x - 6}" y="{y - 5:.1f}" width="12" height="10" fill="#fff"/>'
            + "".join(
                f'<line x1="{axis_x - 7}" y1="{y + dy + 4:.1f}" x2="{axis_x + 7}" y2="{y + dy:.1f}" '
                f'stroke="{MUTED}" stroke-width="1"/>'
                for dy in (-5, 1)
            )
        )
    for year in range(first.year + 1, last.year + 1):
        if axis.in_break(dt.date(year, 1, 1)):
            continue
        y = true_y(dt.date(year, 1, 1))
        body.append(
            f'<line x1="{axis_x - 4}" y1="{y:.1f}" x2="{axis_x + 4}" y2="{y:.1f}" stroke="{MUTED}" stroke-width="0.6"/>'
        )
    for entry, y_label in zip(entries, placed, strict=True):
        y = true_y(entry.date.first_day())
        colour = {"precedent": "#9c2f1e", "law": "#9c2f1e", "listing": "#9c2f1e", "watch": MUTED, "now": INK}.get(
            entry.kind, ACCENT
        )
        hollow = entry.kind in {"watch", "disputed"}
        body.append(
            f'<polyline points="{axis_x},{y:.1f} {axis_x + 10},{y_label:.1f} {label_x - 4},{y_label:.1f}" '
            f'fill="none" stroke="{RULE}" stroke-width="0.8"/>'
        )
        if entry.kind == "now":
            body.append(f'<rect x="{axis_x - 4}" y="{y - 4:.1f}" width="8" height="8" fill="{INK}"/>')
        else:
            fill = "#fff" if hollow else colour
            body.append(
                f'<circle cx="{axis_x}" cy="{y:.1f}" r="4" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'
            )
        weight = ' font-weight="700"' if entry.kind in {"event", "now"} else ""
        body.append(
            f'<text x="{axis_x - 12}" y="{y_label + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{escape(format_date(entry.date))}</text>"
            f'<text x="{label_x}" y="{y_label + 4:.1f}"{weight}>{escape(_text(entry.label))}</text>'
        )
    title = _("Timeline: %(first)s to %(last)s") % {
        "first": format_date(entries[0].date),
        "last": format_date(entries[-1].date),
    }
    title += suffix
    if axis.breaks:
        spans = "; ".join(f"{a.year}–{b.year}" for a, b in axis.breaks)
        title += _(" (axis broken: %(spans)s omitted)") % {"spans": spans}
    description = ngettext(
        "%(num)d dated fact, oldest first: %(facts)s", "%(num)d dated facts, oldest first: %(facts)s", len(entries)
    ) % {"num": len(entries), "facts": "; ".join(f"{format_date(e.date)}, {_text(e.label, 120)}" for e in entries)}
    return Chart(chart_id, title, description, _svg(chart_id, width, height, title, description, body), entries)


# --------------------------------------------------------------------------- risk matrix

IMPACTS = ("low", "moderate", "high", "severe")


def risk_matrix(
    matrix: list[list[str]],
    model_cell: tuple[int, str],
    stated_cell: tuple[int, str] | None = None,
    chart_id: str = "risk-matrix",
) -> Chart:
    """Likelihood (rows, most likely on top) × impact (columns), the assessed cell marked."""
    cell_w, cell_h, left, top = 104, 24, 150, 8
    width, height = left + cell_w * len(IMPACTS) + 10, top + cell_h * len(SCALE) + 84
    body: list[str] = []
    labels = {  # outside the f-strings below, where extraction finds them
        "axis": _("impact if it happens →"),
        "model": _("model assessment"),
        "stated": _("stated assessment"),
        "rating": _("rating"),
    }
    for band in SCALE:
        y = top + (len(SCALE) - 1 - band.index) * cell_h
        body.append(
            f'<text x="{left - 8}" y="{y + cell_h / 2 + 4:.0f}" text-anchor="end">{escape(_(band.term))}</text>'
        )
        for col in range(len(IMPACTS)):
            rating = matrix[band.index][col]
            x = left + col * cell_w
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" fill="{RATING_FILL.get(rating, "#eee")}" '
                f'stroke="#fff" stroke-width="2"/>'
            )
    for col, impact in enumerate(IMPACTS):
        cx = left + col * cell_w + cell_w / 2
        body.append(
            f'<text x="{cx:.0f}" y="{top + cell_h * len(SCALE) + 16}" text-anchor="middle">{escape(_(impact))}</text>'
        )
    body.append(
        f'<text x="{left + cell_w * 2}" y="{top + cell_h * len(SCALE) + 32}" text-anchor="middle" fill="{MUTED}">'
        f"{escape(labels['axis'])}</text>"
    )

    def centre(cell: tuple[int, str]) -> tuple[float, float]:
        index, impact = cell
        return (
            left + IMPACTS.index(impact) * cell_w + cell_w / 2,
            top + (len(SCALE) - 1 - index) * cell_h + cell_h / 2,
        )

    mx, my = centre(model_cell)
    if stated_cell is not None and stated_cell != model_cell:
        sx, sy = centre(stated_cell)
        body.append(
            f'<rect x="{sx - 6:.1f}" y="{sy - 6:.1f}" width="12" height="12" fill="#fff" stroke="{INK}" '
            f'stroke-width="1.5" transform="rotate(45 {sx:.1f} {sy:.1f})"/>'
        )
    body.append(f'<circle cx="{mx:.1f}" cy="{my:.1f}" r="7" fill="{INK}"/>')
    legend_y = top + cell_h * len(SCALE) + 52
    body.append(f'<circle cx="{left + 6}" cy="{legend_y - 4}" r="5" fill="{INK}"/>')
    body.append(f'<text x="{left + 16}" y="{legend_y}">{escape(labels["model"])}</text>')
    x = left + 150
    if stated_cell is not None and stated_cell != model_cell:
        body.append(
            f'<rect x="{x}" y="{legend_y - 9}" width="9" height="9" fill="#fff" stroke="{INK}" stroke-width="1.5" '
            f'transform="rotate(45 {x + 4.5} {legend_y - 4.5})"/>'
        )
        body.append(f'<text x="{x + 14}" y="{legend_y}">{escape(labels["stated"])}</text>')
        x += 150
    x, legend_y = left, legend_y + 20
    body.append(f'<text x="{x - 8}" y="{legend_y}" text-anchor="end" fill="{MUTED}">{escape(labels["rating"])}</text>')
    for rating, fill in RATING_FILL.items():
        body.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{fill}"/>')
        body.append(f'<text x="{x + 16}" y="{legend_y}">{escape(_(rating))}</text>')
        x += 80
    band = SCALE[model_cell[0]]
    title = _("Risk matrix: likelihood × impact")
    description = _(
        "The model places the risk at likelihood '%(band)s' (%(range)s) and impact '%(impact)s', rated %(rating)s."
    ) % {
        "band": _(band.term),
        "range": band.range_text,
        "impact": _(model_cell[1]),
        "rating": _(matrix[band.index][IMPACTS.index(model_cell[1])]),
    }
    if stated_cell is not None and stated_cell != model_cell:
        description += " " + _("The brief's stated assessment is '%(band)s' and '%(impact)s'.") % {
            "band": _(SCALE[stated_cell[0]].term),
            "impact": _(stated_cell[1]),
        }
    return Chart(chart_id, title, description, _svg(chart_id, width, height, title, description, body))


# --------------------------------------------------------------------------- figures


def figures(brief: Brief, format_value: object, chart_id: str = "figures") -> Chart | None:
    """Bars for the agreements' stated values, in the brief's most used currency."""
    valued = [a for a in brief.agreements if a.value is not None]
    if not valued:
        return None
    currency = Counter(a.value.currency for a in valued if a.value).most_common(1)[0][0]
    rows = [a for a in valued if a.value and a.value.currency == currency]
    top_value = max(a.value.amount for a in rows if a.value)
    width, left, bar_max, row = 680, 250, 250, 26
    height = 8 + row * len(rows) + 8
    body: list[str] = []
    for i, a in enumerate(rows):
        assert a.value is not None
        y = 8 + i * row
        length = float(a.value.amount / top_value) * bar_max if top_value > Decimal(0) else 0.0
        body.append(f'<text x="{left - 10}" y="{y + 15}" text-anchor="end">{escape(_text(a.title, 40))}</text>')
        body.append(f'<rect x="{left}" y="{y + 4}" width="{max(length, 1.5):.1f}" height="15" fill="{ACCENT}"/>')
        label = format_value(a.value)  # type: ignore[operator]
        body.append(f'<text x="{left + length + 8:.1f}" y="{y + 15}" fill="{MUTED}">{escape(label)}</text>')
    title = _("Stated values (%(currency)s)") % {"currency": currency}
    description = "; ".join(f"{a.title}: {format_value(a.value)}" for a in rows)  # type: ignore[operator]
    others = len(valued) - len(rows)
    if others:
        description += ". " + _("%(num)d value(s) in other currencies are listed in the table, not charted.") % {
            "num": others
        }
    return Chart(chart_id, title, description, _svg(chart_id, width, height, title, description, body))
