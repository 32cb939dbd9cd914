"""The build pipeline, read top to bottom: load → validate → assess → render → write."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from .config import Config, Format, load_config
from .edition import Change, Window, diff, gather, latest_before, parse_window, snapshot, window_for
from .errors import InputError, LintFailed, Problem
from .facts import Brief, LoadedBrief, find_inputs, load_briefs
from .lint import Finding, fails, lint_brief
from .render import EditionInfo, make_environment, render_edition_html, render_html, template_dirs
from .risk import RiskModel, assess, load_model
from .write import atomic_write

__all__ = ["BriefResult", "BuildReport", "EditionResult", "Output", "build", "build_edition", "lint", "validate"]

#: Called as ``progress(brief_id, step)`` with step one of "start", "html", "pdf", "done".
Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class Output:
    path: Path
    format: Format
    size: int
    pages: int | None = None


@dataclass
class BriefResult:
    brief_id: str
    source: Path
    outputs: list[Output] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def output(self, fmt: Format) -> Output | None:
        return next((o for o in self.outputs if o.format == fmt), None)


@dataclass
class BuildReport:
    results: list[BriefResult]

    @property
    def warnings(self) -> list[str]:
        return [w for r in self.results for w in r.warnings]

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]


def _input_paths(config: Config, inputs: Sequence[Path] | None) -> list[Path]:
    paths = find_inputs(list(inputs) if inputs else [config.inputs_dir])
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise InputError([Problem(str(p), 0, 0, "", "no such file or folder") for p in missing])
    if not paths:
        where = ", ".join(str(p) for p in inputs) if inputs else str(config.inputs_dir)
        raise InputError([Problem(where, 0, 0, "", "no input files (*.yaml, *.yml) found")])
    return paths


def validate(inputs: Sequence[Path] | None = None, config: Config | None = None) -> list[LoadedBrief]:
    """Load and validate inputs; raise :class:`InputError` listing every problem in every file."""
    config = config or load_config()
    return load_briefs(_input_paths(config, inputs))


def _model_for(config: Config, briefs: Sequence[LoadedBrief]) -> RiskModel | None:
    """The risk model, read only when some brief has a sanction-risk section."""
    if not any(b.brief.sanction_risk for b in briefs):
        return None
    return load_model(config.risk_model_path)


def lint(inputs: Sequence[Path] | None = None, config: Config | None = None) -> list[tuple[LoadedBrief, list[Finding]]]:
    """Validate, then run the analytic-integrity checks on every input."""
    config = config or load_config()
    briefs = validate(inputs, config)
    model = _model_for(config, briefs)
    return [(loaded, lint_brief(loaded, model)) for loaded in briefs]


def build(
    inputs: Sequence[Path] | None = None,
    config: Config | None = None,
    *,
    formats: Sequence[Format] | None = None,
    strict: bool | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Build HTML and/or PDF briefs for ``inputs`` (default: the workspace's inputs folder).

    Every input is validated and linted before anything is rendered (lint findings are
    warnings unless ``strict``); a failure of one brief leaves its earlier outputs
    untouched because files are written only once fully rendered.
    """
    config = config or load_config()
    formats = list(formats or config.build.formats)
    strict = config.assess.strict if strict is None else strict
    briefs = validate(inputs, config)
    model = _model_for(config, briefs)
    findings = [lint_brief(loaded, model) for loaded in briefs]
    everything = [f for fs in findings for f in fs]
    if strict and fails(everything, strict=True):
        raise LintFailed([f for f in everything if f.severity != "info"])
    env = make_environment(template_dirs(config.templates_dir))
    notify = progress or (lambda _id, _step: None)
    results = []
    for loaded, brief_findings in zip(briefs, findings, strict=True):
        result = _build_one(loaded, config, env, model, formats, notify)
        result.findings = brief_findings
        results.append(result)
    return BuildReport(results)


def _build_one(
    loaded: LoadedBrief,
    config: Config,
    env: jinja2.Environment,
    model: RiskModel | None,
    formats: list[Format],
    notify: Progress,
) -> BriefResult:
    brief = loaded.brief
    started = time.perf_counter()
    result = BriefResult(brief.brief.id, loaded.path)
    notify(brief.brief.id, "start")
    assessment = assess(brief, model) if model is not None else None

    html = render_html(brief, env, page_size=config.build.page_size, assessment=assessment)
    notify(brief.brief.id, "html")
    pdf_bytes, pages = None, None
    if "pdf" in formats:
        from . import pdf  # WeasyPrint is heavy: import it only when a PDF is wanted

        rendered = pdf.write_pdf(
            html,
            base_dir=config.assets_dir,
            allowed_roots=[*template_dirs(config.templates_dir), config.assets_dir],
            date=brief.brief.date,
        )
        pdf_bytes, pages = rendered.data, rendered.pages
        result.warnings.extend(f"{loaded.path}: refused to fetch {url}" for url in rendered.refused)
        notify(brief.brief.id, "pdf")

    # Everything is rendered: only now touch the output folder.
    stem = config.output_dir / brief.brief.id
    if "html" in formats:
        atomic_write(stem.with_suffix(".html"), html)
        result.outputs.append(Output(stem.with_suffix(".html"), "html", len(html.encode("utf-8"))))
    if pdf_bytes is not None:
        atomic_write(stem.with_suffix(".pdf"), pdf_bytes)
        result.outputs.append(Output(stem.with_suffix(".pdf"), "pdf", len(pdf_bytes), pages))
    result.seconds = time.perf_counter() - started
    notify(brief.brief.id, "done")
    return result


# --------------------------------------------------------------------------- editions


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
    opts = config.editions
    if isinstance(when, str):
        try:
            return parse_window(when, week_start=opts.week_start, length_days=opts.length_days)
        except ValueError as exc:
            raise InputError([Problem("--week/--date", 0, 0, "", str(exc))]) from None
    return window_for(when or today(config), week_start=opts.week_start, length_days=opts.length_days)


def editions_dir(config: Config) -> Path:
    return config.output_dir / "editions"


def _snapshots(folder: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # a foreign or damaged file is not a previous edition
    return found


def build_edition(
    when: str | dt.date | Window | None = None,
    config: Config | None = None,
    *,
    inputs: Sequence[Path] | None = None,
    formats: Sequence[Format] | None = None,
) -> EditionResult:
    """Build the edition of one window: every input whose event falls in it.

    Writes ``output/editions/<id>.html|.pdf`` and a JSON snapshot of its facts, which the
    next edition diffs against for its "What changed" section.
    """
    config = config or load_config()
    started = time.perf_counter()
    formats = list(formats or config.build.formats)
    window = when if isinstance(when, Window) else edition_window(config, when)
    # An inputs folder with nothing in it yet is an empty window, not an error: a schedule
    # may well be set up before the first facts are written.
    empty_folder = not inputs and config.inputs_dir.is_dir() and not find_inputs([config.inputs_dir])
    chosen = [] if empty_folder else gather(validate(inputs, config), window)
    result = EditionResult(window, [b.brief.brief.id for b in chosen], briefs=[b.brief for b in chosen])
    opts = config.editions
    if not chosen and opts.empty == "skip":
        result.skipped = True
        return result

    folder = editions_dir(config)
    current = snapshot(window, [b.brief for b in chosen])
    previous = latest_before([s for s in _snapshots(folder) if s.get("edition") != window.id], window)
    result.changes = diff(previous, current)
    result.previous_id = previous["edition"] if previous else None

    model = _model_for(config, chosen)
    assessed = [(b.brief, assess(b.brief, model) if model is not None else None) for b in chosen]
    markings = list(dict.fromkeys(b.brief.brief.marking for b in chosen))
    env = make_environment(template_dirs(config.templates_dir))
    html = render_edition_html(
        EditionInfo(window, opts.title, result.changes, result.previous_id),
        assessed,
        env,
        title=f"{opts.title}: {window.human()}",
        author=opts.author,
        marking=opts.marking or " / ".join(markings) or "UNCLASSIFIED",
        organisation=opts.organisation,
        language=chosen[0].brief.brief.language if chosen else "en",
        page_size=config.build.page_size,
    )
    pdf_bytes, pages = None, None
    if "pdf" in formats:
        from . import pdf

        rendered = pdf.write_pdf(
            html,
            base_dir=config.assets_dir,
            allowed_roots=[*template_dirs(config.templates_dir), config.assets_dir],
            date=window.last_day,
        )
        pdf_bytes, pages = rendered.data, rendered.pages

    stem = folder / window.id
    if "html" in formats:
        atomic_write(stem.with_suffix(".html"), html)
        result.outputs.append(Output(stem.with_suffix(".html"), "html", len(html.encode("utf-8"))))
    if pdf_bytes is not None:
        atomic_write(stem.with_suffix(".pdf"), pdf_bytes)
        result.outputs.append(Output(stem.with_suffix(".pdf"), "pdf", len(pdf_bytes), pages))
    # The snapshot goes last: an edition counts as built only once its files exist.
    atomic_write(stem.with_suffix(".json"), json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    result.snapshot_path = stem.with_suffix(".json")
    result.seconds = time.perf_counter() - started
    return result
