"""A brief's template context: sections, citations, estimates, and its HTML."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup, escape

from briefgen import i18n
from briefgen.__about__ import __version__
from briefgen.analysis.estimative import (
    CONFIDENCE_LEVELS,
    CONFIDENCE_SENTENCES,
    CONFIDENCE_TITLES,
    SCALE,
    Likelihood,
    Row,
    UnknownLikelihood,
    parse_likelihood,
    terms_in,
)
from briefgen.facts.schema import Brief, Cited, PartialDate, Source, field_is_date
from briefgen.i18n import N_
from briefgen.i18n import gettext as _
from briefgen.render import charts
from briefgen.render.environment import render_template
from briefgen.render.formatting import format_date, format_money
from briefgen.render.markdown import markdown_to_html

if TYPE_CHECKING:
    from briefgen.analysis.risk import Assessment


@dataclass(frozen=True)
class Reference:
    number: int
    source: Source

    @property
    def anchor(self) -> str:
        return f"src-{self.number}"


def variant_value(statement: Cited, field: str, value: str) -> str:
    """A variant's value as the brief prints that field: a date as a date (``Dec 2030``)."""
    if field_is_date(type(statement), field):
        try:
            return format_date(PartialDate.parse(value))
        except ValueError:
            return value
    return value


def source_key(source: Source) -> str:
    """Identity of a cited document: the same URL, or the same publisher, title and date.

    In an edition, two briefs citing one document get one entry in the merged list.
    """
    if source.url:
        return source.url.rstrip("/").lower()
    return "|".join((source.publisher.lower(), " ".join(source.title.lower().split()), str(source.published or "")))


class Citations:
    """Numbers sources in order of first citation, so the reader meets [1] before [2].

    Works over one brief or several (an edition): key judgments come first in reading
    order, then each brief's other sections.
    """

    def __init__(self, briefs: Sequence[Brief]) -> None:
        self._keys: list[dict[str, str]] = []
        by_key: dict[str, Source] = {}
        for brief in briefs:
            mapping: dict[str, str] = {}
            for source in brief.sources:
                mapping[source.id] = key = source_key(source)
                by_key.setdefault(key, source)
            self._keys.append(mapping)
        order: dict[str, int] = {}

        def note(index: int, ids: Sequence[str]) -> None:
            for source_id in ids:
                order.setdefault(self._keys[index][source_id], len(order) + 1)

        for index, brief in enumerate(briefs):
            for kj in brief.key_judgments:
                note(index, kj.sources)
        for index, brief in enumerate(briefs):
            for __, statement in brief.cited():
                note(index, statement.sources)
                for variant in statement.variants:
                    note(index, variant.sources)
            note(index, [s.id for s in brief.sources])  # uncited sources still belong in the list
        self._numbers = order
        self.references = [Reference(n, by_key[key]) for key, n in sorted(order.items(), key=lambda kv: kv[1])]

    def number(self, source_id: str, brief_index: int = 0) -> int:
        return self._numbers[self._keys[brief_index][source_id]]

    def links(self, ids: Sequence[str], brief_index: int = 0, pinpoints: dict[str, list[str]] | None = None) -> Markup:
        """``[1,3]``, or with pinpoint locators (ICD 206) ``[1, para. 3; 3]``."""
        numbers = sorted({self.number(i, brief_index) for i in ids})
        at: dict[int, list[str]] = {}
        for source_id, where in (pinpoints or {}).items():
            at.setdefault(self.number(source_id, brief_index), []).extend(where)
        if not at:
            inner = Markup(",").join(Markup('<a href="#src-{0}">{0}</a>').format(n) for n in numbers)
        else:
            inner = Markup("; ").join(
                Markup('<a href="#src-{0}">{0}</a>{1}').format(
                    n, Markup(", {}").format(", ".join(dict.fromkeys(at[n]))) if n in at else ""
                )
                for n in numbers
            )
        return Markup('<sup class="cite">[{}]</sup>').format(inner)

    def cite(self, statement: Cited, brief_index: int = 0) -> Markup:
        """Reference marks for a statement, plus a visible note where sources disagree."""
        if not statement.sources:
            return Markup('<sup class="cite unsourced" title="{}">[{}]</sup>').format(
                _("No source given"), _("unsourced")
            )
        pinpoints: dict[str, list[str]] = {}
        if isinstance(statement.evidence, list):  # a risk factor's `evidence` is prose, not quotes
            for item in statement.evidence:
                if item.locator and item.source in statement.sources:
                    pinpoints.setdefault(item.source, []).append(item.locator)
        marks = self.links(statement.sources, brief_index, pinpoints)
        if statement.credibility is not None:
            grade = statement.credibility
            marks += Markup(' <span class="credibility" title="{}">[{}: {}]</span>').format(
                _("Information credibility (Admiralty scale)"), grade, _(CREDIBILITY_NAMES[grade])
            )
        if not statement.variants:
            return marks
        notes = Markup("; ").join(
            escape(_("%(refs)s gives %(field)s %(value)s"))
            % {
                "refs": self.links(v.sources, brief_index),
                "field": _(field_word(v.field)),
                "value": variant_value(statement, v.field, v.value),
            }
            for v in statement.variants
        )
        return marks + Markup(' <span class="variance">{}</span>').format(
            escape(_("Sources differ: %(notes)s")) % {"notes": notes}
        )

    def citer(self, brief_index: int) -> Callable[[Cited], Markup]:
        """``cite`` bound to one brief of the set, for its templates."""
        return lambda statement: self.cite(statement, brief_index)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    template: str
    part: EditionPart | None = None  # the brief an edition's event section shows
    #: A long section split over the parts of a bound PDF: the items this piece shows
    #: (event parts for the key judgments, references for the sources).
    subset: Sequence[Any] | None = None
    continued: bool = False  # a later piece: no heading, no id


#: Section titles are msgids, translated when the sections of a brief are listed (at render time).
_SECTIONS: list[tuple[str, str, Callable[[Brief], bool]]] = [
    ("key-judgments", N_("Key judgments"), lambda b: bool(b.key_judgments or b.brief.summary)),
    ("event", N_("The event"), lambda b: b.event is not None),
    ("agreements", N_("Agreements"), lambda b: bool(b.agreements)),
    ("context", N_("Context"), lambda b: bool(b.context)),
    ("timeline", N_("Timeline"), lambda b: len(charts.timeline_entries(b)) >= 3),
    ("sanction-risk", N_("Sanction-risk assessment"), lambda b: b.sanction_risk is not None),
    ("scenarios", N_("Alternative outcomes"), lambda b: b.scenarios is not None),
    ("outlook", N_("Outlook: what to watch"), lambda b: bool(b.outlook)),
    ("sources", N_("Sources"), lambda b: True),
    ("annex", N_("Annex: estimative language"), lambda b: uses_estimates(b)),
]

#: A field a source reports differently, as a reader calls it ("term end", not "term.end").
_FIELD_WORDS: dict[str, str] = {
    "term.end": N_("term end"),
    "term.start": N_("term start"),
    "signed": N_("signed"),
    "deliveries_began": N_("deliveries began"),
    "value": N_("value"),
    "value.amount": N_("value amount"),
    "status": N_("status"),
    "quantity": N_("quantity"),
    "date": N_("date"),
    "end_date": N_("end date"),
    "place": N_("place"),
    "title": N_("title"),
}


def field_word(field: str) -> str:
    """The msgid naming ``field`` (a field without one reads as its path, in English)."""
    return _FIELD_WORDS.get(field, field.replace(".", " ").replace("_", " "))


def event_title(kind: str) -> str:
    """An event section's heading: "The summit", "The designation"."""
    return _("The %(kind)s") % {"kind": _(kind)}


def uses_estimates(brief: Brief) -> bool:
    if any(kj.likelihood is not None or kj.confidence for kj in brief.key_judgments):
        return True
    risk = brief.sanction_risk
    return risk is not None and risk.assessment is not None


def sections_for(brief: Brief) -> list[Section]:
    """The sections this brief has, in reading order; absent facts get no empty heading."""
    sections = []
    for ident, title, present in _SECTIONS:
        if present(brief):
            title = event_title(brief.event.kind) if ident == "event" and brief.event is not None else _(title)
            sections.append(Section(ident, title, f"partials/{ident.replace('-', '_')}.html.j2"))
    return sections


def preferred_row(brief: Brief) -> Row:
    """The row of the ICD 203 scale the brief writes in (the primary terms unless it uses the alternatives)."""
    rows: list[Row] = []
    values = [kj.likelihood for kj in brief.key_judgments]
    if brief.sanction_risk and brief.sanction_risk.assessment:
        values.append(brief.sanction_risk.assessment.likelihood)
    for value in values:
        if value is not None:
            try:
                if (row := parse_likelihood(value).row) is not None:
                    rows.append(row)
            except UnknownLikelihood:
                pass
    rows += [row for kj in brief.key_judgments for _, row in terms_in(kj.text)]
    return "alternative" if rows and rows.count("alternative") > rows.count("term") else "term"


#: The Admiralty scale's words for source reliability grades (NATO STANAG 2511 / AJP-2.1).
RELIABILITY_NAMES = {
    "A": N_("completely reliable"),
    "B": N_("usually reliable"),
    "C": N_("fairly reliable"),
    "D": N_("not usually reliable"),
    "E": N_("unreliable"),
    "F": N_("reliability cannot be judged"),
}
CREDIBILITY_NAMES = {
    1: N_("confirmed"),
    2: N_("probably true"),
    3: N_("possibly true"),
    4: N_("doubtful"),
    5: N_("improbable"),
    6: N_("truth cannot be judged"),
}


def likelihood_of(value: str | float | None) -> Likelihood | None:
    if value is None:
        return None
    try:
        return parse_likelihood(value)
    except UnknownLikelihood:
        return None


@dataclass(frozen=True)
class SourceSummary:
    count: int
    kinds: list[tuple[str, int]]
    oldest: Source | None
    newest: Source | None


def summarise_sources(brief: Brief) -> SourceSummary:
    return summarise_sources_of(brief.sources)


def summarise_sources_of(sources: Sequence[Source]) -> SourceSummary:
    kinds: dict[str, int] = {}
    for source in sources:
        kinds[source.kind] = kinds.get(source.kind, 0) + 1
    dated = sorted((s for s in sources if s.published), key=lambda s: s.published.first_day())  # type: ignore[union-attr]
    return SourceSummary(
        len(sources),
        sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])),
        dated[0] if dated else None,
        dated[-1] if dated else None,
    )


@dataclass(frozen=True)
class Document:
    """What the page's head, metadata and running headers need, for a brief or an edition."""

    kind: str
    title: str
    author: str
    description: str
    keywords: Sequence[str]
    date: dt.date
    language: str
    marking: str
    organisation: str | None = None


@dataclass(frozen=True)
class EditionPart:
    """One brief inside an edition, with its citations bound to the edition's numbering."""

    brief: Brief
    cite: Callable[[Cited], Markup]
    assessment: Assessment | None
    charts: dict[str, charts.Chart | None]
    row: Row

    @property
    def anchor(self) -> str:
        return f"event-{self.brief.brief.id}"


def stated_cell(brief: Brief) -> tuple[int, str] | None:
    """The analysts' own mark on the risk matrix (likelihood band, impact), if they state one."""
    stated = brief.sanction_risk.assessment if brief.sanction_risk else None
    if stated is not None and (parsed := likelihood_of(stated.likelihood)) is not None:
        return parsed.band.index, stated.impact
    return None


def build_context(brief: Brief, *, page_size: str = "A4", assessment: Assessment | None = None) -> dict[str, Any]:
    """Everything templates see. Templates get models, not pre-rendered strings.

    Labels made here (section titles, chart text) are in the brief's language, so the
    context must be rendered while :func:`briefgen.i18n.using` has that language, as
    :func:`render_html` does.
    """
    with i18n.using(brief.brief.language):
        return _build_context(brief, page_size=page_size, assessment=assessment)


def _build_context(brief: Brief, *, page_size: str, assessment: Assessment | None) -> dict[str, Any]:
    citations = Citations([brief])
    row = preferred_row(brief)
    risk_chart = None
    if assessment is not None:
        risk_chart = charts.risk_matrix(
            assessment.model.rating.matrix, (assessment.band.index, assessment.impact), stated_cell(brief)
        )
    meta = brief.brief
    description = markdown_to_html(meta.summary).striptags() if meta.summary else (meta.subtitle or "")
    return {
        "doc": Document(
            "brief",
            meta.title,
            meta.author,
            description,
            meta.keywords,
            meta.date,
            meta.language,
            meta.marking,
            meta.organisation,
        ),
        "brief": brief,
        "meta": meta,
        "sections": sections_for(brief),
        "cite": citations.cite,
        "references": citations.references,
        "page_size": page_size,
        "generator": f"briefgen {__version__}",
        "row": row,
        "likelihood_of": likelihood_of,
        "reliability_names": RELIABILITY_NAMES,
        "scale": SCALE,
        "confidence_levels": CONFIDENCE_LEVELS,
        "confidence_titles": CONFIDENCE_TITLES,
        "confidence_sentences": CONFIDENCE_SENTENCES,
        "event_title": event_title,
        "assessment": assessment,
        "source_summary": summarise_sources(brief),
        "charts": {
            "timeline": charts.timeline(brief),
            "risk_matrix": risk_chart,
            "figures": charts.figures(brief, format_money),
        },
    }


def render_html(
    brief: Brief, env: jinja2.Environment, *, page_size: str = "A4", assessment: Assessment | None = None
) -> str:
    """The brief as one self-contained HTML page (also the PDF engine's input)."""
    with i18n.using(brief.brief.language):
        return render_template(env, "brief.html.j2", build_context(brief, page_size=page_size, assessment=assessment))
