"""The build pipeline, read top to bottom: load → validate → assess → render → write.

Work already done is skipped (see :mod:`briefgen.cache`), and what is left can be spread
over worker processes that import WeasyPrint once and render many documents (``jobs``).
Heavy modules are imported inside the functions that need them: a build where nothing
changed never loads the renderer.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import CACHE_FILE, BuildCache, fingerprint, input_key, theme_fingerprint
from .config import CONFIG_NAME, Config, Format, load_config
from .errors import BriefgenError, InputError, LintFailed, Problem, TemplateError, UsageError
from .findings import Finding, fails
from .write import atomic_write_many
from .yamldoc import find_inputs

if TYPE_CHECKING:
    import jinja2

    from .bind import PdfPart
    from .edition import Change, Window
    from .facts import Brief, LoadedBrief
    from .render import EditionParts
    from .risk import RiskModel

__all__ = [
    "BriefResult", "BuildReport", "EditionResult", "Output",
    "build", "build_edition", "build_editions", "lint", "validate",
]  # fmt: skip

#: Called as ``progress(document_id, step)``; step is "start", "html", "pdf", "done" or "cached".
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
    cached: bool = False

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

    @property
    def rendered(self) -> list[BriefResult]:
        return [r for r in self.results if not r.cached]


# --------------------------------------------------------------------------- inputs


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
    from .facts import load_briefs

    config = config or load_config()
    return load_briefs(_input_paths(config, inputs))


def _model_for(config: Config, briefs: Sequence[LoadedBrief]) -> RiskModel | None:
    """The risk model, read only when some brief has a sanction-risk section."""
    if not any(b.brief.sanction_risk for b in briefs):
        return None
    return _model(config.risk_model_path)


@cache
def _model(path: Path | None) -> RiskModel:
    from .risk import load_model

    return load_model(path)


def check_templates_folder(config: Config) -> None:
    """A templates folder named on the command line or in briefgen.toml must exist: a typo
    would otherwise build with the built-in theme without a word. The default ``templates``
    may be missing (a workspace need not override anything)."""
    named = "templates" in config.paths.model_fields_set and config.paths.templates != Path("templates")
    if named and not config.templates_dir.is_dir():
        raise UsageError(
            f"templates folder {config.templates_dir} does not exist: create it "
            "(`briefgen templates copy NAME` puts a template there) or name another with --templates"
        )


def _compile_workspace_templates(config: Config) -> None:
    """Compile the workspace's own templates (the built-in ones are known to compile)."""
    from .theme import builtin_templates_dir, template_dirs

    folder = config.templates_dir
    if not folder.is_dir() or folder.resolve() == builtin_templates_dir().resolve():
        return
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.j2") if p.is_file())
    if not names:
        return
    import jinja2

    from .render import make_environment

    env = make_environment(template_dirs(folder))
    for name in names:
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(exc.filename or name, exc.lineno, exc.message or "syntax error") from None


def check(inputs: Sequence[Path] | None = None, config: Config | None = None) -> list[LoadedBrief]:
    """Every check ``build`` makes before rendering, without rendering: the inputs, the
    templates folder and the workspace's templates, the risk model (when a brief has a
    sanction-risk section) and, under ``[assess] strict``, the lint findings."""
    from .lint import lint_brief

    config = config or load_config()
    check_templates_folder(config)
    briefs = validate(inputs, config)
    model = _model_for(config, briefs)
    _compile_workspace_templates(config)
    if config.assess.strict:
        findings = [f for loaded in briefs for f in lint_brief(loaded, model)]
        if fails(findings, strict=True):
            raise LintFailed([f for f in findings if f.severity != "info"])
    return briefs


def lint(inputs: Sequence[Path] | None = None, config: Config | None = None) -> list[tuple[LoadedBrief, list[Finding]]]:
    """Validate, then run the analytic-integrity checks on every input."""
    from .lint import lint_brief

    config = config or load_config()
    briefs = validate(inputs, config)
    model = _model_for(config, briefs)
    return [(loaded, lint_brief(loaded, model)) for loaded in briefs]


def _theme(config: Config, formats: Sequence[Format]) -> str:
    from .theme import template_dirs

    return theme_fingerprint(
        template_dirs=template_dirs(config.templates_dir),
        assets=config.assets_dir,
        config_file=config.root / CONFIG_NAME,
        model=config.risk_model_path,
        options={"formats": sorted(formats), "page_size": config.build.page_size},
    )


# --------------------------------------------------------------------------- briefs


def build(
    inputs: Sequence[Path] | None = None,
    config: Config | None = None,
    *,
    formats: Sequence[Format] | None = None,
    strict: bool | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
    force: bool = False,
) -> BuildReport:
    """Build HTML and/or PDF briefs for ``inputs`` (default: the workspace's inputs folder).

    Every input that changed is validated and linted before anything is rendered (lint
    findings are warnings unless ``strict``); an input whose outputs are up to date is not
    rendered again unless ``force``. ``jobs`` > 1 renders in that many worker processes.
    A failure leaves earlier outputs untouched: files are written only once fully rendered.
    """
    config = config or load_config()
    check_templates_folder(config)
    formats = sorted(set(formats or config.build.formats))
    strict = config.assess.strict if strict is None else strict
    notify = progress or (lambda _id, _step: None)
    paths = _input_paths(config, inputs)

    store = BuildCache(config.root / CACHE_FILE)
    theme = _theme(config, formats)
    keys = {p: input_key(p, config.output_dir) + "|" + ",".join(formats) for p in paths}
    prints = {p: fingerprint(theme, [p.read_bytes()]) for p in paths}
    done: dict[Path, BriefResult] = {}
    if not force:
        for path in paths:
            if (entry := store.fresh(keys[path], prints[path])) is not None:
                try:
                    done[path] = _cached_result(path, entry)
                except (KeyError, TypeError, ValueError):
                    store.forget(keys[path])  # an entry of the wrong shape: build it again
    stale = [p for p in paths if p not in done]

    loaded: list[LoadedBrief] = []
    if stale:
        from .facts import load_briefs
        from .lint import lint_brief

        loaded = load_briefs(stale)
        _check_ids_against_cache(loaded, done)
        model = _model_for(config, loaded)
        findings = {b.path: lint_brief(b, model) for b in loaded}
        everything = [f for fs in findings.values() for f in fs] + [f for r in done.values() for f in r.findings]
        if strict and fails(everything, strict=True):
            raise LintFailed([f for f in everything if f.severity != "info"])
        rendered = _render_briefs(loaded, config, formats, notify, jobs)
        for brief in loaded:
            result = rendered[brief.path]
            result.findings = findings[brief.path]
            done[brief.path] = result
            store.store(
                keys[brief.path],
                prints[brief.path],
                [o.path for o in result.outputs],
                brief_id=result.brief_id,
                pages=result.output("pdf").pages if result.output("pdf") else None,  # type: ignore[union-attr]
                findings=[asdict(f) for f in result.findings],
                warnings=result.warnings,
            )
    elif strict:
        everything = [f for r in done.values() for f in r.findings]
        if fails(everything, strict=True):
            raise LintFailed([f for f in everything if f.severity != "info"])
    for path in paths:
        if done[path].cached:
            notify(done[path].brief_id, "cached")
    store.save()
    return BuildReport([done[p] for p in paths])


def _cached_result(path: Path, entry: dict[str, Any]) -> BriefResult:
    outputs = []
    for output in entry["outputs"]:
        file = Path(output["path"])
        fmt = file.suffix.lstrip(".")
        outputs.append(Output(file, fmt, output["stamp"][0], entry.get("pages") if fmt == "pdf" else None))  # type: ignore[arg-type]
    return BriefResult(
        entry["brief_id"],
        path,
        outputs,
        0.0,
        list(entry.get("warnings", [])),
        [Finding(**f) for f in entry.get("findings", [])],
        cached=True,
    )


def _check_ids_against_cache(loaded: Sequence[LoadedBrief], cached: dict[Path, BriefResult]) -> None:
    from .facts import id_collisions

    if problems := id_collisions(loaded, {r.brief_id: p for p, r in cached.items()}):
        raise InputError(problems)


def _render_briefs(
    loaded: Sequence[LoadedBrief], config: Config, formats: list[Format], notify: Progress, jobs: int
) -> dict[Path, BriefResult]:
    if jobs <= 1 or len(loaded) < 2:
        env = _environment(config)
        model = _model_for(config, loaded)
        return {b.path: _build_one(b, config, env, model, formats, notify) for b in loaded}
    results: dict[Path, BriefResult] = {}
    with _pool(min(jobs, len(loaded))) as pool:
        futures = {pool.submit(_brief_job, b.path, config, formats): b for b in loaded}
        for b in loaded:
            notify(b.brief.brief.id, "start")
        for future in as_completed(futures):
            result = future.result()
            results[futures[future].path] = result
            notify(result.brief_id, "done")
    return results


def _environment(config: Config) -> jinja2.Environment:
    from .render import make_environment
    from .theme import template_dirs

    return make_environment(template_dirs(config.templates_dir))


def _build_one(
    loaded: LoadedBrief,
    config: Config,
    env: jinja2.Environment,
    model: RiskModel | None,
    formats: list[Format],
    notify: Progress,
) -> BriefResult:
    from .render import render_html
    from .risk import assess

    brief = loaded.brief
    started = time.perf_counter()
    result = BriefResult(brief.brief.id, loaded.path)
    notify(brief.brief.id, "start")
    assessment = assess(brief, model) if model is not None else None
    html = render_html(brief, env, page_size=config.build.page_size, assessment=assessment)
    notify(brief.brief.id, "html")
    pdf_bytes, pages = None, None
    if "pdf" in formats:
        rendered = _write_pdf(html, config, brief.brief.date)
        pdf_bytes, pages = rendered.data, rendered.pages
        result.warnings.extend(f"{loaded.path}: refused to fetch {url}" for url in rendered.refused)
        notify(brief.brief.id, "pdf")
    # Everything is rendered: only now touch the output folder.
    result.outputs = _write_outputs(config.output_dir, brief.brief.id, formats, html, pdf_bytes, pages)
    result.seconds = time.perf_counter() - started
    notify(brief.brief.id, "done")
    return result


def _write_pdf(html: str, config: Config, date: dt.date) -> Any:
    from . import pdf  # WeasyPrint is heavy: import it only when a PDF is wanted
    from .theme import template_dirs

    return pdf.write_pdf(
        html,
        base_dir=config.assets_dir,
        allowed_roots=[*template_dirs(config.templates_dir), config.assets_dir],
        date=date,
    )


def output_file(folder: Path, document_id: str, fmt: str) -> Path:
    """Where a document's ``fmt`` file goes: its whole id plus the format (``summit.v1.html``).

    Never ``Path.with_suffix``: that would cut ``summit.v1`` at its last dot, and two ids
    would share one file.
    """
    return folder / f"{document_id}.{fmt}"


def _write_outputs(
    folder: Path,
    document_id: str,
    formats: Sequence[Format],
    html: str,
    pdf_bytes: bytes | None,
    pages: int | None,
    extra: Sequence[tuple[Path, str]] = (),
) -> list[Output]:
    """Write a document's files together (see :func:`~briefgen.write.atomic_write_many`)."""
    outputs, files = [], []
    if "html" in formats:
        data = html.encode("utf-8")
        files.append((output_file(folder, document_id, "html"), data))
        outputs.append(Output(files[-1][0], "html", len(data)))
    if pdf_bytes is not None:
        files.append((output_file(folder, document_id, "pdf"), pdf_bytes))
        outputs.append(Output(files[-1][0], "pdf", len(pdf_bytes), pages))
    atomic_write_many([*files, *extra])
    return outputs


def _bound_pdf(parts: EditionParts, config: Config, date: dt.date, jobs: int) -> tuple[bytes, int]:
    """Lay out an edition's parts (side by side with ``jobs`` > 1) and bind them into one PDF.

    The front (cover and contents) is laid out first with stand-in page numbers, to learn how
    long it is, and again once every section's page is known; then a page-number layer for
    the whole is laid out and stamped over the bound pages.
    """
    from .bind import bind, page_of

    def toc(front_pages: int, bodies: Sequence[PdfPart]) -> dict[str, int]:
        found = {i: page_of(bodies, i) for i in parts.section_ids}
        return {i: front_pages + page for i, page in found.items() if page is not None}

    stand_in = dict.fromkeys(parts.section_ids, 10 ** len(str(len(parts.bodies) * 20)) - 1)
    with _part_runner(config, date, jobs) as run:
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


class _part_runner:
    """Runs part layouts in this process, or in ``jobs`` worker processes."""

    def __init__(self, config: Config, date: dt.date, jobs: int) -> None:
        self.config, self.date, self.jobs = config, date, jobs
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Callable[[Sequence[tuple[str, str]]], list[PdfPart]]:
        if self.jobs > 1:
            self.pool = _pool(self.jobs)
        return self.run

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def run(self, tasks: Sequence[tuple[str, str]]) -> list[PdfPart]:
        if self.pool is None:
            return [_part_job(kind, html, self.config, self.date) for kind, html in tasks]
        futures = [self.pool.submit(_part_job, kind, html, self.config, self.date) for kind, html in tasks]
        return [f.result() for f in futures]


def _part_job(kind: str, html: str, config: Config, date: dt.date) -> PdfPart:
    from . import pdf
    from .bind import PdfPart
    from .theme import template_dirs

    roots = [*template_dirs(config.templates_dir), config.assets_dir]
    if kind == "numbers":
        rendered = pdf.write_pdf(html, base_dir=config.assets_dir, allowed_roots=roots, date=date)
        return PdfPart(rendered.data, rendered.pages)
    return pdf.write_part(html, base_dir=config.assets_dir, allowed_roots=roots, date=date)


# --------------------------------------------------------------------------- worker processes


def _pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes that import the renderer once, then render many documents.

    ``spawn`` rather than ``fork``: the parent may be running threads (the progress display,
    the preview server), and a forked child would inherit their locks.
    """
    import multiprocessing

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up)


def _warm_up() -> None:
    import weasyprint  # noqa: F401 - the expensive import, paid once per worker

    from . import render  # noqa: F401


_ENVIRONMENTS: dict[tuple[str, ...], jinja2.Environment] = {}


def _worker_environment(config: Config) -> jinja2.Environment:
    """One Jinja environment per template search path for the worker's life (compiled templates kept)."""
    from .theme import template_dirs

    key = tuple(str(d) for d in template_dirs(config.templates_dir))
    if key not in _ENVIRONMENTS:
        _ENVIRONMENTS[key] = _environment(config)
    return _ENVIRONMENTS[key]


def _brief_job(path: Path, config: Config, formats: list[Format]) -> BriefResult:
    from .facts import load_brief

    loaded = load_brief(path)
    model = _model_for(config, [loaded])
    return _build_one(loaded, config, _worker_environment(config), model, formats, lambda _id, _step: None)


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
    cached: bool = False

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
    from .edition import parse_window, window_for

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
    from .edition import Window

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
    """Build several editions (default: every window that has an event), oldest first.

    Snapshots and "what changed" are worked out in order first (each edition compares with
    the one before it, built now or earlier); then the editions that are not up to date are
    rendered, in ``jobs`` worker processes when there is more than one.
    """
    from .edition import diff, gather, latest_before, snapshot, window_for

    config = config or load_config()
    formats = sorted(set(formats or config.build.formats))
    notify = progress or (lambda _id, _step: None)
    opts = config.editions
    # An inputs folder with nothing in it yet is an empty window, not an error: a schedule
    # may well be set up before the first facts are written.
    empty_folder = not inputs and config.inputs_dir.is_dir() and not find_inputs([config.inputs_dir])
    every = [] if empty_folder else validate(inputs, config)
    if windows is None:
        from .edition import brief_day

        found = {
            w.id: w
            for w in (
                window_for(brief_day(b.brief), week_start=opts.week_start, length_days=opts.length_days) for b in every
            )
        }
        windows = list(found.values())
    folder = editions_dir(config)
    known = _snapshots(folder)
    store = BuildCache(config.root / CACHE_FILE)
    theme = _theme(config, formats)

    results: dict[str, EditionResult] = {}
    plans: list[tuple[_EditionPlan, str, str]] = []
    for window in sorted(windows, key=lambda w: w.start):
        chosen = gather(every, window)
        result = EditionResult(window, [b.brief.brief.id for b in chosen], briefs=[b.brief for b in chosen])
        results[window.id] = result
        if not chosen and opts.empty == "skip":
            result.skipped = True
            continue
        current = snapshot(window, [b.brief for b in chosen])
        previous = latest_before([s for key, s in known.items() if key != window.id], window)
        result.changes = diff(previous, current)
        result.previous_id = previous["edition"] if previous else None
        known[window.id] = current  # the next window in this batch compares with this one
        result.snapshot_path = output_file(folder, window.id, "json")
        key = f"edition:{window.id}->{folder.resolve()}|{','.join(formats)}"
        parts = [json.dumps(current, sort_keys=True).encode(), json.dumps(previous, sort_keys=True).encode()]
        print_ = fingerprint(theme, [*parts, *(b.path.read_bytes() for b in chosen)])
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
        plan = _EditionPlan(window, [b.path for b in chosen], result.changes, result.previous_id, current)
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
        env = _environment(config)
        out = {}
        for plan in plans:
            notify(plan.window.id, "start")
            out[plan.window.id] = _render_edition(plan, config, formats, env, jobs)
            notify(plan.window.id, "done")
        return out
    results = {}
    with _pool(min(jobs, len(plans))) as pool:
        futures = {pool.submit(_edition_job, plan, config, formats): plan for plan in plans}
        for future in as_completed(futures):
            window_id = futures[future].window.id
            results[window_id] = future.result()
            notify(window_id, "done")
    return results


def _edition_job(plan: _EditionPlan, config: Config, formats: list[Format]) -> tuple[list[Output], float]:
    return _render_edition(plan, config, formats, _worker_environment(config))


def _render_edition(
    plan: _EditionPlan, config: Config, formats: list[Format], env: jinja2.Environment, jobs: int = 1
) -> tuple[list[Output], float]:
    from .facts import load_brief
    from .render import EditionInfo, render_edition_html, render_edition_parts
    from .risk import assess

    started = time.perf_counter()
    opts = config.editions
    window = plan.window
    briefs = [load_brief(p).brief for p in plan.paths]
    model = _model(config.risk_model_path) if any(b.sanction_risk for b in briefs) else None
    markings = list(dict.fromkeys(b.brief.marking for b in briefs))
    info = EditionInfo(window, opts.title, plan.changes, plan.previous_id)
    assessed = [(b, assess(b, model) if model is not None else None) for b in briefs]
    options: dict[str, Any] = {
        "title": f"{opts.title}: {window.human()}",
        "author": opts.author,
        "marking": opts.marking or " / ".join(markings) or "UNCLASSIFIED",
        "organisation": opts.organisation,
        "language": briefs[0].brief.language if briefs else "en",
        "page_size": config.build.page_size,
    }
    html = render_edition_html(info, assessed, env, **options) if "html" in formats else ""
    pdf_bytes, pages = None, None
    if "pdf" in formats and 0 < opts.events_per_part < len(briefs):
        parts = render_edition_parts(info, assessed, env, events_per_part=opts.events_per_part, **options)
        pdf_bytes, pages = _bound_pdf(parts, config, window.last_day, jobs)
    elif "pdf" in formats:
        rendered = _write_pdf(html or render_edition_html(info, assessed, env, **options), config, window.last_day)
        pdf_bytes, pages = rendered.data, rendered.pages
    folder = editions_dir(config)
    # The snapshot goes last: an edition counts as built only once its files exist.
    text = json.dumps(plan.snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    snapshot = [(output_file(folder, window.id, "json"), text)]
    outputs = _write_outputs(folder, window.id, formats, html, pdf_bytes, pages, snapshot)
    return outputs, time.perf_counter() - started
