"""An edition's template context, whole or cut into parts laid out side by side."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

from briefgen import i18n
from briefgen.__about__ import __version__
from briefgen.analysis.estimative import CONFIDENCE_LEVELS, CONFIDENCE_SENTENCES, CONFIDENCE_TITLES, SCALE
from briefgen.facts.schema import Brief
from briefgen.i18n import gettext as _
from briefgen.render import charts
from briefgen.render.brief import (
    RELIABILITY_NAMES,
    Citations,
    Document,
    EditionPart,
    Section,
    event_title,
    likelihood_of,
    preferred_row,
    stated_cell,
    summarise_sources_of,
    uses_estimates,
)
from briefgen.render.environment import render_template
from briefgen.render.formatting import format_money, format_window

if TYPE_CHECKING:
    from briefgen.analysis.editions import Change, Window
    from briefgen.analysis.risk import Assessment
    from briefgen.facts.library import Action


@dataclass(frozen=True)
class EditionInfo:
    window: Window
    label: str
    changes: list[Change]
    previous_id: str | None
    actions: Sequence[Action] = ()  # library actions dated in the window


def render_edition_html(
    edition: EditionInfo,
    briefs: Sequence[tuple[Brief, Assessment | None]],
    env: jinja2.Environment,
    *,
    title: str,
    author: str,
    marking: str,
    organisation: str | None = None,
    language: str = "en",
    page_size: str = "A4",
) -> str:
    """An edition: cover, what changed, combined key judgments, one section per event,
    a combined timeline, sources merged and numbered once, the annex."""
    with i18n.using(language):
        context = _edition_context(
            edition, briefs, title=title, author=author, marking=marking,
            organisation=organisation, language=language, page_size=page_size,
        )  # fmt: skip
        return render_template(env, "edition.html.j2", context)


@dataclass
class EditionParts:
    """An edition cut into parts for a PDF laid out piece by piece (see :mod:`briefgen.render.bind`).

    ``bodies`` are the parts after the front; the front (cover and contents) is rendered last
    with :meth:`front`, once the page of every section is known.
    """

    env: jinja2.Environment
    context: dict[str, Any]
    bodies: list[str]

    @property
    def section_ids(self) -> list[str]:
        return [s.id for s in self.context["sections"]]

    def front(self, toc_pages: Mapping[str, int]) -> str:
        """Cover and contents, the contents listing ``toc_pages`` (section id → page)."""
        context = {**self.context, "shown": [], "binding": {"front": True}, "toc_pages": toc_pages}
        with i18n.using(self.context["doc"].language):
            return render_template(self.env, "edition.html.j2", context)

    def page_numbers(self, total: int) -> str:
        """A document of ``total`` blank pages that shows only their page numbers."""
        with i18n.using(self.context["doc"].language):
            return render_template(self.env, "edition/page-numbers.html.j2", {**self.context, "total": total})


#: Roughly how much of a part each kind of item fills, in event sections (about 1.3 pages each).
_WEIGHTS = {"key-judgments": 0.35, "sources": 0.05}


def render_edition_parts(
    edition: EditionInfo,
    briefs: Sequence[tuple[Brief, Assessment | None]],
    env: jinja2.Environment,
    *,
    events_per_part: int,
    title: str,
    author: str,
    marking: str,
    organisation: str | None = None,
    language: str = "en",
    page_size: str = "A4",
) -> EditionParts:
    """The edition of :func:`render_edition_html`, for print, cut into parts of about
    ``events_per_part`` event sections each. The key judgments and the sources are split
    between items when they run long."""
    with i18n.using(language):
        return _edition_parts(
            edition, briefs, env, events_per_part=events_per_part, title=title, author=author, marking=marking,
            organisation=organisation, language=language, page_size=page_size,
        )  # fmt: skip


def _edition_parts(
    edition: EditionInfo,
    briefs: Sequence[tuple[Brief, Assessment | None]],
    env: jinja2.Environment,
    *,
    events_per_part: int,
    title: str,
    author: str,
    marking: str,
    organisation: str | None,
    language: str,
    page_size: str,
) -> EditionParts:
    context = _edition_context(
        edition, briefs, title=title, author=author, marking=marking,
        organisation=organisation, language=language, page_size=page_size,
    )  # fmt: skip
    groups: list[list[Section]] = [[]]
    room = float(events_per_part)

    def make_room(weight: float) -> None:
        nonlocal room
        if weight > room and groups[-1]:
            groups.append([])
            room = float(events_per_part)

    for section in context["sections"]:
        items = {"key-judgments": context["parts"], "sources": context["references"]}.get(section.id)
        if items is None:
            make_room(1.0)
            groups[-1].append(section)
            room -= 1.0
            continue
        weight, start = _WEIGHTS[section.id], 0
        while start < len(items):
            make_room(weight)
            piece = items[start : start + max(1, int(room / weight))]
            groups[-1].append(dataclasses.replace(section, subset=piece, continued=start > 0))
            room -= weight * len(piece)
            start += len(piece)
    bodies = [
        render_template(env, "edition.html.j2", {**context, "shown": group, "binding": {"front": False}})
        for group in groups
        if group
    ]
    return EditionParts(env, context, bodies)


def _edition_context(
    edition: EditionInfo,
    briefs: Sequence[tuple[Brief, Assessment | None]],
    *,
    title: str,
    author: str,
    marking: str,
    organisation: str | None,
    language: str,
    page_size: str,
) -> dict[str, Any]:
    citations = Citations([b for b, __ in briefs])
    parts: list[EditionPart] = []
    for index, (brief, assessment) in enumerate(briefs):
        risk_chart = None
        if assessment is not None:
            risk_chart = charts.risk_matrix(
                assessment.model.rating.matrix,
                (assessment.band.index, assessment.impact),
                stated_cell(brief),  # the text refers to the analysts' mark, so the chart must show it
                chart_id=f"risk-matrix-{brief.brief.id}",
            )
        parts.append(
            EditionPart(
                brief,
                citations.citer(index),
                assessment,
                {
                    "risk_matrix": risk_chart,
                    "figures": charts.figures(brief, format_money, f"figures-{brief.brief.id}"),
                },
                preferred_row(brief),
            )
        )
    entries = [e for b, __ in briefs for e in charts.timeline_entries(b) if e.kind != "now"]
    condensed = len(entries) > 2 * charts.TIMELINE_ROWS
    if condensed:  # hundreds of dates help nobody: keep the events and the sanctions milestones
        entries = [e for e in entries if e.kind in {"event", "law", "listing", "precedent"}]
    timelines = charts.timeline_charts(entries, "timeline-chart") if len(entries) >= 3 else []
    sections = [Section("changes", _("What changed"), "edition/changes.html.j2")]
    if not parts and not edition.actions:
        sections.append(Section("no-developments", _("No new developments"), "edition/empty.html.j2"))
    if edition.actions:
        sections.append(Section("actions", _("Actions recorded in the library"), "edition/actions.html.j2"))
    if any(p.brief.key_judgments or p.brief.brief.summary for p in parts):
        sections.append(Section("key-judgments", _("Key judgments"), "edition/judgments.html.j2"))
    sections += [Section(p.anchor, p.brief.brief.title, "edition/event.html.j2", p) for p in parts]
    if timelines:
        sections.append(Section("timeline", _("Timeline"), "partials/timeline.html.j2"))
    if parts:
        sections.append(Section("sources", _("Sources"), "partials/sources.html.j2"))
    if any(uses_estimates(p.brief) for p in parts):
        sections.append(Section("annex", _("Annex: estimative language"), "partials/annex.html.j2"))
    keywords = list(dict.fromkeys(k for b, __ in briefs for k in b.brief.keywords))
    description = _("%(edition)s for %(window)s: %(titles)s") % {
        "edition": edition.label,
        "window": format_window(edition.window),
        "titles": "; ".join(b.brief.title for b, __ in briefs) or _("no new developments"),
    }
    return {
        "doc": Document(
            "edition", title, author, description, keywords, edition.window.last_day, language, marking, organisation
        ),
        "edition": edition,
        "parts": parts,
        "sections": sections,
        "shown": sections,
        "binding": None,
        "toc_pages": None,
        "references": citations.references,
        "source_summary": summarise_sources_of([s.source for s in citations.references]),
        "charts": {"timeline": timelines[0] if timelines else None, "risk_matrix": None, "figures": None},
        "timelines": timelines,
        "timeline_condensed": condensed,
        "assessment": next((p.assessment for p in parts if p.assessment), None),
        "row": "term",
        "scale": SCALE,
        "confidence_levels": CONFIDENCE_LEVELS,
        "confidence_titles": CONFIDENCE_TITLES,
        "confidence_sentences": CONFIDENCE_SENTENCES,
        "event_title": event_title,
        "likelihood_of": likelihood_of,
        "reliability_names": RELIABILITY_NAMES,
        "page_size": page_size,
        "generator": f"briefgen {__version__}",
    }
