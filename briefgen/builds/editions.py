"""Building editions: windows, plans, snapshots for 'what changed', bound PDFs."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen import i18n
from briefgen.builds.briefs import Progress, risk_model, theme_key, validate
from briefgen.builds.cache import CACHE_FILE, BuildCache, fingerprint
from briefgen.builds.workers import PartRunner, jinja_environment, layout_pdf, worker_environment, worker_pool
from briefgen.builds.write import Output, output_file, write_outputs
from briefgen.config import Config, Format, load_config
from briefgen.errors import BriefgenError, InputError, Problem
from briefgen.facts.yamldoc import find_inputs

if TYPE_CHECKING:
    import jinja2

    from briefgen.analysis.editions import Change, Window
    from briefgen.facts.library import Action
    from briefgen.facts.schema import Brief
    from briefgen.render.bind import PdfPart
    from briefgen.render.edition import EditionParts

__all__ = ["EditionResult", "build_edition", "build_editions"]


def _bound_pdf(parts: EditionParts, config: Config, date: dt.date, jobs: int) -> tuple[bytes, int]:
    """Lay out an edition's parts (side by side with ``jobs`` > 1) and bind them into one PDF.

    The front (cover and contents) is laid out first with stand-in page numbers, to learn how
    long it is, and again once every section's page is known; then a page-number layer for
    the whole is laid out and stamped over the bound pages.
    """
    from briefgen.render.bind import bind, page_of

    def toc(front_pages: int, bodies: Sequence[PdfPart]) -> dict[str, int]:
        found = {i: page_of(bodies, i) for i in parts.section_ids}
        return {i: front_pages + page for i, page in found.items() if page is not None}

    stand_in = dict.fromkeys(parts.section_ids, 10 ** len(str(len(parts.bodies) * 20)) - 1)
    with PartRunner(config, date, jobs) as run:
        front, *bodies = run([("part", parts.front(stand_in)), *(("part", body) for body in parts.bodies)])
        for _ in range(3):  # the front's length settles at once unless real numbers rewrap a line
            total = front.pages + sum(b.pages for b in bodies)
            final, numbers = run(
                [("part", parts.front(toc(front.pages, bodies))), ("numbers", parts.page_numbers(total))]
            )
            if final.pages == front.pages:
                break
            front = final
        else:
            raise BriefgenError("the edition's contents kept changing length while its page numbers were filled in")
    return bind([final, *bodies], numbers.data), total


@dataclass
class EditionResult:
    """What building one edition did: its window, outputs, and what changed."""

    window: Window
    brief_ids: list[str]
    outputs: list[Output] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    previous_id: str | None = None
    skipped: bool = False
    seconds: float = 0.0
    briefs: list[Brief] = field(default_factory=list, repr=False)
    snapshot_path: Path | None = None
    cached: bool = False
    actions: list[Action] = field(default_factory=list, repr=False)  # library actions dated in the window

    @property
    def id(self) -> str:
        return self.window.id

    def output(self, fmt: str) -> Output | None:
        return next((o for o in self.outputs if o.format == fmt), None)


def today(config: Config) -> dt.date:
    """Today in the workspace's time zone (editions are days, not instants)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(config.editions.timezone)).date()


def edition_window(config: Config, when: str | dt.date | None = None) -> Window:
    """The window named by an id (``2021-W49``), holding a date, or holding today."""
    from briefgen.analysis.editions import parse_window, window_for

    opts = config.editions
    if isinstance(when, str):
        try:
            return parse_window(when, week_start=opts.week_start, length_days=opts.length_days)
        except ValueError as exc:
            raise InputError([Problem("--week/--date", 0, 0, "", str(exc))]) from None
    return window_for(when or today(config), week_start=opts.week_start, length_days=opts.length_days)


def editions_dir(config: Config) -> Path:
    return config.output_dir / "editions"


def _snapshots(folder: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found[data["edition"]] = data
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a foreign or damaged file is not a previous edition
    return found


def build_edition(
    when: str | dt.date | Window | None = None,
    config: Config | None = None,
    *,
    inputs: Sequence[Path] | None = None,
    formats: Sequence[Format] | None = None,
    jobs: int = 1,
    force: bool = False,
) -> EditionResult:
    """Build the edition of one window: every input whose event falls in it.

    Writes ``output/editions/<id>.html|.pdf`` and a JSON snapshot of its facts, which the
    next edition diffs against for its "What changed" section. An edition of more than
    ``[editions] events_per_part`` events is laid out in parts, in ``jobs`` processes.
    """
    from briefgen.analysis.editions import Window

    config = config or load_config()
    window = when if isinstance(when, Window) else edition_window(config, when)
    (result,) = build_editions([window], config, inputs=inputs, formats=formats, jobs=jobs, force=force)
    return result


@dataclass
class _EditionPlan:
    window: Window
    paths: list[Path]
    changes: list[Change]
    previous_id: str | None
    snapshot: dict[str, Any]
    actions: list[Action] = field(default_factory=list)
    #: An audience's variant: its briefs (already filtered), its folder and its banner marking.
    briefs: list[Brief] | None = None
    folder: Path | None = None
    marking: str | None = None


def build_editions(
    windows: Sequence[Window] | None = None,
    config: Config | None = None,
    *,
    inputs: Sequence[Path] | None = None,
    formats: Sequence[Format] | None = None,
    jobs: int = 1,
    force: bool = False,
    progress: Progress | None = None,
) -> list[EditionResult]:
    """Build several editions (default: every window with a brief's event or a library action), oldest first.

    Snapshots and "what changed" are worked out in order first (each edition compares with
    the one before it, built now or earlier); then the editions that are not up to date are
    rendered, in ``jobs`` worker processes when there is more than one.
    """
    from briefgen.analysis.editions import actions_in, diff, gather, latest_before, snapshot, window_for

    config = config or load_config()
    formats = sorted(set(formats or config.build.formats))
    notify = progress or (lambda _id, _step: None)
    opts = config.editions
    # An inputs folder with nothing in it yet is an empty window, not an error: a schedule
    # may well be set up before the first facts are written.
    empty_folder = not inputs and config.inputs_dir.is_dir() and not find_inputs([config.inputs_dir])
    every = [] if empty_folder else validate(inputs, config)
    from briefgen.facts.library import load_library, workspace_library

    library = load_library(workspace_library(config.inputs_dir))
    if windows is None:
        from briefgen.analysis.editions import brief_day

        # A window with a brief, or with only a library action (a designation nobody wrote up yet).
        days = [brief_day(b.brief) for b in every]
        days += [a.date.first_day() for a in library.actions.values() if a.date is not None]
        found = {
            w.id: w for w in (window_for(d, week_start=opts.week_start, length_days=opts.length_days) for d in days)
        }
        windows = list(found.values())
    folder = editions_dir(config)
    known = _snapshots(folder)
    store = BuildCache(config.root / CACHE_FILE)
    theme = theme_key(config, formats)

    results: dict[str, EditionResult] = {}
    plans: list[tuple[_EditionPlan, str, str]] = []
    for window in sorted(windows, key=lambda w: w.start):
        chosen = gather(every, window)
        actions = [library.named(a) for a in actions_in(list(library.actions.values()), window)]
        result = EditionResult(
            window, [b.brief.brief.id for b in chosen], briefs=[b.brief for b in chosen], actions=actions
        )
        results[window.id] = result
        if not chosen and not actions and opts.empty == "skip":
            result.skipped = True
            continue
        current = snapshot(window, [b.brief for b in chosen], actions)
        previous = latest_before([s for key, s in known.items() if key != window.id], window)
        with i18n.using(chosen[0].brief.brief.language if chosen else i18n.SOURCE_LANGUAGE):
            result.changes = diff(previous, current)  # worded in the edition's language
        result.previous_id = previous["edition"] if previous else None
        known[window.id] = current  # the next window in this batch compares with this one
        result.snapshot_path = output_file(folder, window.id, "json")
        key = f"edition:{window.id}->{folder.resolve()}|{','.join(formats)}"
        parts = [json.dumps(current, sort_keys=True).encode(), json.dumps(previous, sort_keys=True).encode()]
        library_files = [p.read_bytes() for p in library.files]
        print_ = fingerprint(theme, [*parts, *(b.path.read_bytes() for b in chosen), *library_files])
        entry = None if force else store.fresh(key, print_)
        if entry is not None:
            result.outputs = [
                Output(Path(o["path"]), Path(o["path"]).suffix.lstrip("."), o["stamp"][0], entry.get("pages"))  # type: ignore[arg-type]
                for o in entry["outputs"]
                if not o["path"].endswith(".json")
            ]
            result.cached = True
            notify(window.id, "cached")
            continue
        plan = _EditionPlan(window, [b.path for b in chosen], result.changes, result.previous_id, current, actions)
        plans.append((plan, key, print_))

    rendered = _render_editions([p for p, _, _ in plans], config, formats, notify, jobs)
    for plan, key, print_ in plans:
        outputs, seconds = rendered[plan.window.id]
        result = results[plan.window.id]
        result.outputs, result.seconds = outputs, seconds
        pdf = result.output("pdf")
        store.store(key, print_, [o.path for o in outputs], pages=pdf.pages if pdf else None)
    store.save()
    return [results[w.id] for w in sorted(windows, key=lambda w: w.start)]


def _render_editions(
    plans: Sequence[_EditionPlan], config: Config, formats: list[Format], notify: Progress, jobs: int
) -> dict[str, tuple[list[Output], float]]:
    if jobs <= 1 or len(plans) < 2:
        env = jinja_environment(config)
        out = {}
        for plan in plans:
            notify(plan.window.id, "start")
            out[plan.window.id] = _render_edition(plan, config, formats, env, jobs)
            notify(plan.window.id, "done")
        return out
    results = {}
    with worker_pool(min(jobs, len(plans))) as pool:
        futures = {pool.submit(_edition_job, plan, config, formats): plan for plan in plans}
        for future in as_completed(futures):
            window_id = futures[future].window.id
            results[window_id] = future.result()
            notify(window_id, "done")
    return results


def _edition_job(plan: _EditionPlan, config: Config, formats: list[Format]) -> tuple[list[Output], float]:
    return _render_edition(plan, config, formats, worker_environment(config))


def _render_edition(
    plan: _EditionPlan, config: Config, formats: list[Format], env: jinja2.Environment, jobs: int = 1
) -> tuple[list[Output], float]:
    from briefgen.analysis.risk import assess
    from briefgen.facts.load import load_brief
    from briefgen.render.edition import EditionInfo, render_edition_html, render_edition_parts
    from briefgen.render.formatting import format_window

    started = time.perf_counter()
    opts = config.editions
    window = plan.window
    briefs = plan.briefs if plan.briefs is not None else [load_brief(p).brief for p in plan.paths]
    model = risk_model(config.risk_model_path) if any(b.sanction_risk for b in briefs) else None
    markings = list(dict.fromkeys(b.brief.marking for b in briefs))
    info = EditionInfo(window, opts.title, plan.changes, plan.previous_id, plan.actions)
    assessed = [(b, assess(b, model) if model is not None else None) for b in briefs]
    language = briefs[0].brief.language if briefs else "en"
    with i18n.using(language):
        window_text = format_window(window)
    options: dict[str, Any] = {
        "title": f"{opts.title}: {window_text}",
        "author": opts.author,
        "marking": plan.marking or opts.marking or " / ".join(markings) or "UNCLASSIFIED",
        "organisation": opts.organisation,
        "language": language,
        "page_size": config.build.page_size,
    }
    wanted = "html" in formats or "docx" in formats
    html = render_edition_html(info, assessed, env, **options) if wanted else ""
    pdf_bytes, pages = None, None
    if "pdf" in formats and 0 < opts.events_per_part < len(briefs):
        parts = render_edition_parts(info, assessed, env, events_per_part=opts.events_per_part, **options)
        pdf_bytes, pages = _bound_pdf(parts, config, window.last_day, jobs)
    elif "pdf" in formats:
        page = html or render_edition_html(info, assessed, env, **options)
        # an archival (PDF/A-3) edition carries the facts it shows: a variant's, only what it may see
        rendered = layout_pdf(page, config, window.last_day, edition=(window.id, briefs))
        pdf_bytes, pages = rendered.data, rendered.pages
    folder = plan.folder or editions_dir(config)
    # The snapshot goes last: an edition counts as built only once its files exist.
    text = json.dumps(plan.snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    snapshot = [(output_file(folder, window.id, "json"), text)]
    docx_bytes = None
    if "docx" in formats:
        from briefgen.render.docx import write_docx

        docx_bytes = write_docx(
            html,
            title=options["title"],
            author=options["author"],
            language=options["language"],
            marking=options["marking"],
            date=window.last_day,
        )
    outputs = write_outputs(folder, window.id, formats, html, pdf_bytes, pages, snapshot, docx_bytes=docx_bytes)
    return outputs, time.perf_counter() - started
