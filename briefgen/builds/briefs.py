"""Building briefs, read top to bottom: load → validate → assess → render → write."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from briefgen.analysis.findings import Finding, fails
from briefgen.builds.cache import CACHE_FILE, BuildCache, fingerprint, input_key, theme_fingerprint
from briefgen.builds.workers import jinja_environment, layout_pdf, worker_environment, worker_pool
from briefgen.builds.write import Output, write_outputs
from briefgen.config import CONFIG_NAME, Config, Format, load_config
from briefgen.errors import InputError, LintFailed, Problem, TemplateError, UsageError
from briefgen.facts.yamldoc import find_inputs

if TYPE_CHECKING:
    import jinja2

    from briefgen.analysis.risk import RiskModel
    from briefgen.facts.load import LoadedBrief

__all__ = ["BriefResult", "BuildReport", "build", "lint", "validate"]


#: Called as ``progress(document_id, step)``; step is "start", "html", "pdf", "done" or "cached".
Progress = Callable[[str, str], None]


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


def library_bytes(path: Path) -> list[bytes]:
    """The library files an input may draw on: a library edit rebuilds the briefs."""
    from briefgen.facts.library import find_library, library_files

    return [f.read_bytes() for f in library_files(find_library(path))]


def input_paths(config: Config, inputs: Sequence[Path] | None) -> list[Path]:
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
    from briefgen.facts.load import load_briefs

    config = config or load_config()
    return load_briefs(input_paths(config, inputs))


def model_for(config: Config, briefs: Sequence[LoadedBrief]) -> RiskModel | None:
    """The risk model, read only when some brief has a sanction-risk section."""
    if not any(b.brief.sanction_risk for b in briefs):
        return None
    return risk_model(config.risk_model_path)


@cache
def risk_model(path: Path | None) -> RiskModel:
    from briefgen.analysis.risk import load_model

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
    from briefgen.render.theme import builtin_templates_dir, template_dirs

    folder = config.templates_dir
    if not folder.is_dir() or folder.resolve() == builtin_templates_dir().resolve():
        return
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.j2") if p.is_file())
    if not names:
        return
    import jinja2

    from briefgen.render.environment import make_environment

    env = make_environment(template_dirs(folder))
    for name in names:
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(exc.filename or name, exc.lineno, exc.message or "syntax error") from None


def check(inputs: Sequence[Path] | None = None, config: Config | None = None) -> list[LoadedBrief]:
    """Every check ``build`` makes before rendering, without rendering: the inputs, the
    templates folder and the workspace's templates, the risk model (when a brief has a
    sanction-risk section) and the lint findings: errors always fail, warnings under
    ``[assess] strict``."""
    from briefgen.analysis.lint import lint_briefs

    config = config or load_config()
    check_templates_folder(config)
    briefs = validate(inputs, config)
    model = model_for(config, briefs)
    _compile_workspace_templates(config)
    findings = [f for fs in lint_briefs(briefs, model, config.root).values() for f in fs]
    if fails(findings, strict=config.assess.strict):
        shown = {"error"} | ({"warning"} if config.assess.strict else set())
        raise LintFailed([f for f in findings if f.severity in shown])
    return briefs


def lint(inputs: Sequence[Path] | None = None, config: Config | None = None) -> list[tuple[LoadedBrief, list[Finding]]]:
    """Validate, then run the analytic-integrity checks on every input."""
    from briefgen.analysis.lint import lint_briefs

    config = config or load_config()
    briefs = validate(inputs, config)
    model = model_for(config, briefs)
    findings = lint_briefs(briefs, model, config.root)
    return [(loaded, findings[loaded.path]) for loaded in briefs]


def lint_library_usage(config: Config | None = None) -> list[Finding]:
    """Notes on the workspace's library entries that none of its briefs uses."""
    from briefgen.analysis.lint import lint_library
    from briefgen.facts.library import load_library, workspace_library

    config = config or load_config()
    library = load_library(workspace_library(config.inputs_dir))
    if not library.files:
        return []
    return lint_library(library, validate(None, config))


def theme_key(config: Config, formats: Sequence[Format]) -> str:
    from briefgen.render.theme import template_dirs

    return theme_fingerprint(
        template_dirs=template_dirs(config.templates_dir),
        assets=config.assets_dir,
        config_file=config.root / CONFIG_NAME,
        model=config.risk_model_path,
        options={
            "formats": sorted(formats),
            "page_size": config.build.page_size,
            "pdf_standard": config.build.pdf_standard,
        },
    )


def build(
    inputs: Sequence[Path] | None = None,
    config: Config | None = None,
    *,
    formats: Sequence[Format] | None = None,
    strict: bool | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
    force: bool = False,
    drafts: bool = False,
) -> BuildReport:
    """Build HTML and/or PDF briefs for ``inputs`` (default: the workspace's inputs folder).

    Every input that changed is validated and linted before anything is rendered (lint
    findings are warnings unless ``strict``); an input whose outputs are up to date is not
    rendered again unless ``force``. ``jobs`` > 1 renders in that many worker processes.
    A failure leaves earlier outputs untouched: files are written only once fully rendered.
    A draft (``brief.draft: true``) is refused unless ``drafts``; then its pages say DRAFT.
    """
    config = config or load_config()
    check_templates_folder(config)
    formats = sorted(set(formats or config.build.formats))
    strict = config.assess.strict if strict is None else strict
    notify = progress or (lambda _id, _step: None)
    paths = input_paths(config, inputs)

    store = BuildCache(config.root / CACHE_FILE)
    theme = theme_key(config, formats) + ("|drafts" if drafts else "")
    keys = {p: input_key(p, config.output_dir) + "|" + ",".join(formats) for p in paths}
    prints = {p: fingerprint(theme, [p.read_bytes(), *library_bytes(p)]) for p in paths}
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
        from briefgen.analysis.lint import lint_brief
        from briefgen.facts.load import load_briefs

        loaded = load_briefs(stale)
        if not drafts:
            refuse_drafts(loaded)
        _check_ids_against_cache(loaded, done)
        model = model_for(config, loaded)
        findings = {b.path: lint_brief(b, model, config.root) for b in loaded}
        everything = [f for fs in findings.values() for f in fs] + [f for r in done.values() for f in r.findings]
        if fails(everything, strict=strict):  # an error-level finding fails even without --strict
            raise LintFailed([f for f in everything if f.severity == "error" or (strict and f.severity == "warning")])
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
    else:
        everything = [f for r in done.values() for f in r.findings]
        if fails(everything, strict=strict):
            raise LintFailed([f for f in everything if f.severity == "error" or (strict and f.severity == "warning")])
    for path in paths:
        if done[path].cached:
            notify(done[path].brief_id, "cached")
    store.save()
    return BuildReport([done[p] for p in paths])


def refuse_drafts(loaded: Sequence[LoadedBrief]) -> None:
    """A draft's facts are unconfirmed: it is built only when asked for (``--drafts``)."""
    from briefgen.facts.load import display_name

    problems = []
    for item in loaded:
        if item.brief.brief.draft:
            line, col = item.document.locate(("brief", "draft"))
            message = (
                "this is a draft (settle its candidates, then remove `draft: true`); build it as a draft with --drafts"
            )
            problems.append(Problem(display_name(item.path), line, col, "brief.draft", message))
    if problems:
        raise InputError(problems)


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
    from briefgen.facts.load import id_collisions

    if problems := id_collisions(loaded, {r.brief_id: p for p, r in cached.items()}):
        raise InputError(problems)


def _render_briefs(
    loaded: Sequence[LoadedBrief], config: Config, formats: list[Format], notify: Progress, jobs: int
) -> dict[Path, BriefResult]:
    if jobs <= 1 or len(loaded) < 2:
        env = jinja_environment(config)
        model = model_for(config, loaded)
        return {b.path: build_one(b, config, env, model, formats, notify) for b in loaded}
    results: dict[Path, BriefResult] = {}
    with worker_pool(min(jobs, len(loaded))) as pool:
        futures = {pool.submit(_brief_job, b.path, config, formats): b for b in loaded}
        for b in loaded:
            notify(b.brief.brief.id, "start")
        for future in as_completed(futures):
            result = future.result()
            results[futures[future].path] = result
            notify(result.brief_id, "done")
    return results


def build_one(
    loaded: LoadedBrief,
    config: Config,
    env: jinja2.Environment,
    model: RiskModel | None,
    formats: list[Format],
    notify: Progress,
) -> BriefResult:
    from briefgen.analysis.risk import assess
    from briefgen.render.brief import render_html

    brief = loaded.brief
    started = time.perf_counter()
    result = BriefResult(brief.brief.id, loaded.path)
    notify(brief.brief.id, "start")
    assessment = assess(brief, model) if model is not None else None
    html = render_html(brief, env, page_size=config.build.page_size, assessment=assessment)
    notify(brief.brief.id, "html")
    pdf_bytes, pages = None, None
    if "pdf" in formats:
        rendered = layout_pdf(html, config, brief.brief.date, facts=brief)
        pdf_bytes, pages = rendered.data, rendered.pages
        result.warnings.extend(f"{loaded.path}: refused to fetch {url}" for url in rendered.refused)
        notify(brief.brief.id, "pdf")
    docx_bytes = None
    if "docx" in formats:
        from briefgen.render.docx import write_docx

        meta = brief.brief
        docx_bytes = write_docx(
            html, title=meta.title, author=meta.author, language=meta.language, marking=meta.marking, date=meta.date
        )
    # Everything is rendered: only now touch the output folder.
    result.outputs = write_outputs(
        config.output_dir, brief.brief.id, formats, html, pdf_bytes, pages, docx_bytes=docx_bytes
    )
    result.seconds = time.perf_counter() - started
    notify(brief.brief.id, "done")
    return result


def _brief_job(path: Path, config: Config, formats: list[Format]) -> BriefResult:
    from briefgen.facts.load import load_brief

    loaded = load_brief(path)
    model = model_for(config, [loaded])
    return build_one(loaded, config, worker_environment(config), model, formats, lambda _id, _step: None)
