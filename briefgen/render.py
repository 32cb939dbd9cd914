"""Turn a validated brief into HTML: the Jinja environment, the template context, Markdown.

Facts are untrusted text: templates autoescape, and Markdown output is sanitised with nh3
before it is marked safe.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import markdown as markdown_lib
import nh3
from markupsafe import Markup, escape

from . import __version__, charts
from .errors import TemplateError
from .estimative import CONFIDENCE_LEVELS, SCALE, Likelihood, Row, UnknownLikelihood, parse_likelihood, terms_in
from .facts import Brief, Cited, Money, PartialDate, Source

if TYPE_CHECKING:
    from .edition import Change, Window
    from .risk import Assessment

#: Tags that Markdown may produce and a brief may show. No images, no embeds, no forms:
#: a fact must never make the renderer fetch anything.
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre", "q",
    "s", "small", "strong", "sub", "sup", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
_URL_SCHEMES = {"http", "https", "mailto"}


# --------------------------------------------------------------------------- Markdown


@cache
def _markdown() -> markdown_lib.Markdown:
    return markdown_lib.Markdown(extensions=["sane_lists", "smarty"], output_format="html")


@lru_cache(maxsize=4096)
def markdown_to_html(text: str) -> Markup:
    """Markdown to sanitised HTML (block level)."""
    md = _markdown()
    html = md.reset().convert(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def markdown_inline(text: str) -> Markup:
    """Markdown for use inside a sentence or table cell: a lone paragraph loses its ``<p>``."""
    html = str(markdown_to_html(text))
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)  # noqa: S704 - already sanitised


def with_inline(block: Markup, extra: Markup) -> Markup:
    """Append ``extra`` (e.g. citation marks) inside the last paragraph of a Markdown block,
    so a reference sits at the end of the sentence it supports, not on a line of its own."""
    html = str(block)
    if html.endswith("</p>"):
        return Markup(html[:-4] + " " + str(extra) + "</p>")  # noqa: S704 - both parts are safe markup
    return Markup(html + " " + str(extra))  # noqa: S704


# --------------------------------------------------------------------------- formatting

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


# --------------------------------------------------------------------------- citations


@dataclass(frozen=True)
class Reference:
    number: int
    source: Source

    @property
    def anchor(self) -> str:
        return f"src-{self.number}"


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
            for _, statement in brief.cited():
                note(index, statement.sources)
                for variant in statement.variants:
                    note(index, variant.sources)
            note(index, [s.id for s in brief.sources])  # uncited sources still belong in the list
        self._numbers = order
        self.references = [Reference(n, by_key[key]) for key, n in sorted(order.items(), key=lambda kv: kv[1])]

    def number(self, source_id: str, brief_index: int = 0) -> int:
        return self._numbers[self._keys[brief_index][source_id]]

    def links(self, ids: Sequence[str], brief_index: int = 0) -> Markup:
        numbers = sorted({self.number(i, brief_index) for i in ids})
        inner = Markup(",").join(Markup('<a href="#src-{0}">{0}</a>').format(n) for n in numbers)
        return Markup('<sup class="cite">[{}]</sup>').format(inner)

    def cite(self, statement: Cited, brief_index: int = 0) -> Markup:
        """Reference marks for a statement, plus a visible note where sources disagree."""
        if not statement.sources:
            return Markup('<sup class="cite unsourced" title="No source given">[unsourced]</sup>')
        marks = self.links(statement.sources, brief_index)
        if not statement.variants:
            return marks
        notes = Markup("; ").join(
            Markup("{refs} gives {field} {value}").format(
                field=escape(v.field.replace(".", " ").replace("_", " ")),
                value=escape(v.value),
                refs=self.links(v.sources, brief_index),
            )
            for v in statement.variants
        )
        return marks + Markup(' <span class="variance">Sources differ: {}</span>').format(notes)

    def citer(self, brief_index: int) -> Callable[[Cited], Markup]:
        """``cite`` bound to one brief of the set, for its templates."""
        return lambda statement: self.cite(statement, brief_index)


# --------------------------------------------------------------------------- sections


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


_SECTIONS: list[tuple[str, str, Callable[[Brief], bool]]] = [
    ("key-judgments", "Key judgments", lambda b: bool(b.key_judgments or b.brief.summary)),
    ("event", "The event", lambda b: b.event is not None),
    ("agreements", "Agreements", lambda b: bool(b.agreements)),
    ("context", "Context", lambda b: bool(b.context)),
    ("timeline", "Timeline", lambda b: len(charts.timeline_entries(b)) >= 3),
    ("sanction-risk", "Sanction-risk assessment", lambda b: b.sanction_risk is not None),
    ("outlook", "Outlook: what to watch", lambda b: bool(b.outlook)),
    ("sources", "Sources", lambda b: True),
    ("annex", "Annex: estimative language", lambda b: _uses_estimates(b)),
]


def _uses_estimates(brief: Brief) -> bool:
    if any(kj.likelihood is not None or kj.confidence for kj in brief.key_judgments):
        return True
    risk = brief.sanction_risk
    return risk is not None and risk.assessment is not None


def sections_for(brief: Brief) -> list[Section]:
    """The sections this brief has, in reading order; absent facts get no empty heading."""
    sections = []
    for ident, title, present in _SECTIONS:
        if present(brief):
            if ident == "event" and brief.event is not None:
                title = f"The {brief.event.kind}"
            sections.append(Section(ident, title, f"partials/{ident.replace('-', '_')}.html.j2"))
    return sections


# --------------------------------------------------------------------------- environment


@cache
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs, like Python's .pyc files (Jinja checks each
    against its source, so an edited template is compiled again)."""
    import os

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefgen" / f"jinja-{__version__}"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(base))


def make_environment(template_dirs: Sequence[Path]) -> jinja2.Environment:
    """Jinja environment searching ``template_dirs`` in order (the user's first)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        bytecode_cache=_bytecode_cache(),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2", "svg.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=markdown_to_html,
        md_inline=markdown_inline,
        with_inline=with_inline,
        money=format_money,
        signed=format_signed,
        date=format_date,
        isodate=iso_date,
    )
    return env


def _template_location(exc: BaseException, env: jinja2.Environment) -> tuple[str, int | None]:
    """The deepest template frame of a render-time error (Jinja rewrites tracebacks so
    template frames carry the template's file name and line)."""
    searchpath = [Path(p).resolve() for p in getattr(env.loader, "searchpath", [])]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename).resolve()
        if any(path.is_relative_to(p) for p in searchpath):
            return str(path), frame.lineno
    return "<template>", None


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


@dataclass(frozen=True)
class EditionInfo:
    window: Window
    label: str
    changes: list[Change]
    previous_id: str | None


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
    context = _edition_context(
        edition, briefs, title=title, author=author, marking=marking,
        organisation=organisation, language=language, page_size=page_size,
    )  # fmt: skip
    return render_template(env, "edition.html.j2", context)


@dataclass
class EditionParts:
    """An edition cut into parts for a PDF laid out piece by piece (see :mod:`briefgen.bind`).

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
        return render_template(self.env, "edition.html.j2", context)

    def page_numbers(self, total: int) -> str:
        """A document of ``total`` blank pages that shows only their page numbers."""
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
    citations = Citations([b for b, _ in briefs])
    parts: list[EditionPart] = []
    for index, (brief, assessment) in enumerate(briefs):
        risk_chart = None
        if assessment is not None:
            risk_chart = charts.risk_matrix(
                assessment.model.rating.matrix,
                (assessment.band.index, assessment.impact),
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
    entries = [e for b, _ in briefs for e in charts.timeline_entries(b) if e.kind != "now"]
    condensed = len(entries) > 2 * charts.TIMELINE_ROWS
    if condensed:  # hundreds of dates help nobody: keep the events and the sanctions milestones
        entries = [e for e in entries if e.kind in {"event", "law", "listing", "precedent"}]
    timelines = charts.timeline_charts(entries, "timeline-chart") if len(entries) >= 3 else []
    sections = [Section("changes", "What changed", "edition/changes.html.j2")]
    if not parts:
        sections.append(Section("no-developments", "No new developments", "edition/empty.html.j2"))
    if any(p.brief.key_judgments or p.brief.brief.summary for p in parts):
        sections.append(Section("key-judgments", "Key judgments", "edition/judgments.html.j2"))
    sections += [Section(p.anchor, p.brief.brief.title, "edition/event.html.j2", p) for p in parts]
    if timelines:
        sections.append(Section("timeline", "Timeline", "partials/timeline.html.j2"))
    if parts:
        sections.append(Section("sources", "Sources", "partials/sources.html.j2"))
    if any(_uses_estimates(p.brief) for p in parts):
        sections.append(Section("annex", "Annex: estimative language", "partials/annex.html.j2"))
    keywords = list(dict.fromkeys(k for b, _ in briefs for k in b.brief.keywords))
    description = f"{edition.label} for {edition.window.human()}: " + (
        "; ".join(b.brief.title for b, _ in briefs) or "no new developments"
    )
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
        "likelihood_of": likelihood_of,
        "page_size": page_size,
        "generator": f"briefgen {__version__}",
    }


def build_context(brief: Brief, *, page_size: str = "A4", assessment: Assessment | None = None) -> dict[str, Any]:
    """Everything templates see. Templates get models, not pre-rendered strings."""
    citations = Citations([brief])
    row = preferred_row(brief)
    stated_cell = None
    risk_chart = None
    if assessment is not None:
        stated = brief.sanction_risk.assessment if brief.sanction_risk else None
        if stated is not None and (parsed := likelihood_of(stated.likelihood)) is not None:
            stated_cell = (parsed.band.index, stated.impact)
        risk_chart = charts.risk_matrix(
            assessment.model.rating.matrix, (assessment.band.index, assessment.impact), stated_cell
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
        "scale": SCALE,
        "confidence_levels": CONFIDENCE_LEVELS,
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
    return render_template(env, "brief.html.j2", build_context(brief, page_size=page_size, assessment=assessment))


def render_template(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render a page template, turning any failure into a TemplateError with file and line."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            exc.filename or exc.name or "<template>", exc.lineno, exc.message or "syntax error"
        ) from exc
    except jinja2.TemplateNotFound as exc:
        searched = ", ".join(getattr(env.loader, "searchpath", []))
        raise TemplateError(str(exc.name), None, f"template {exc.name!r} not found in {searched}") from exc
    except Exception as exc:  # a user's template can raise anything at render time
        file, line = _template_location(exc, env)
        raise TemplateError(file, line, f"{type(exc).__name__}: {exc}") from exc
