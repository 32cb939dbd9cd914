"""The ``briefgen`` command: a thin layer over the library API.

Heavy modules (WeasyPrint, the renderer) are imported inside the commands that need them,
so ``briefgen --help`` starts fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, ParamSpec, TypeVar

import typer

from . import __version__
from .errors import BriefgenError, InputError, LintFailed

if TYPE_CHECKING:
    from rich.console import Console

    from .pipeline import BuildReport

app = typer.Typer(
    name="briefgen",
    help="Structured facts in, polished HTML and PDF policy briefs out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


class _State:
    debug = False


class FormatChoice(StrEnum):
    html = "html"
    pdf = "pdf"
    all = "all"


class PageSizeChoice(StrEnum):
    A4 = "A4"
    Letter = "Letter"


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(exc: BriefgenError) -> NoReturn:
    console = _stderr()
    if isinstance(exc, LintFailed):
        for finding in exc.findings:
            console.print(str(finding), markup=False)
        console.print(f"[red]error:[/] {len(exc.findings)} lint finding(s) fail under --strict")
    elif isinstance(exc, InputError):
        for problem in exc.problems:
            console.print(str(problem), markup=False)
        files = len({p.file for p in exc.problems})
        count = len(exc.problems)
        console.print(f"[red]error:[/] {count} problem{'s' * (count != 1)} in {files} file{'s' * (files != 1)}")
    else:
        console.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
    raise typer.Exit(exc.exit_code)


P = ParamSpec("P")
R = TypeVar("R")


def _reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """User errors become readable lines on stderr and an exit code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except BriefgenError as exc:
            if _State.debug:
                raise
            _fail(exc)

    return wrapper


def _version(value: bool) -> None:
    if value:
        typer.echo(f"briefgen {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback when something fails.")] = False,
) -> None:
    _State.debug = debug


PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Input files or folders (default: the workspace's inputs/).", show_default=False),
]


@app.command()
@_reports_errors
def build(
    paths: PathsArg = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default: output/).")] = None,
    fmt: Annotated[
        FormatChoice | None,
        typer.Option("--format", "-f", help="What to write (default: from briefgen.toml, else all)."),
    ] = None,
    templates: Annotated[
        Path | None, typer.Option("--templates", "-t", help="Template folder searched before the built-in theme.")
    ] = None,
    page_size: Annotated[PageSizeChoice | None, typer.Option("--page-size", help="PDF page size.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display or summary.")] = False,
    strict: Annotated[
        bool | None, typer.Option("--strict/--no-strict", help="Fail on lint warnings (default: briefgen.toml).")
    ] = None,
) -> None:
    """Build the HTML and PDF brief for every input (lint findings are shown as warnings)."""
    from .config import load_config
    from .pipeline import build as run_build

    config = load_config(
        overrides={
            "paths.output": out,
            "paths.templates": templates,
            "build.page_size": page_size.value if page_size else None,
            "build.formats": None if fmt is None else (["html", "pdf"] if fmt is FormatChoice.all else [fmt.value]),
        }
    )
    if quiet:
        report = run_build(paths, config, strict=strict)
    else:
        report = _build_with_progress(paths, config, strict)
        _print_summary(report)
    console = _stderr()
    for finding in report.findings:
        if not quiet or finding.severity != "info":
            console.print(str(finding), markup=False, style=_SEVERITY_STYLE[finding.severity])
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}", markup=True)


_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}


def _build_with_progress(paths: list[Path] | None, config: object, strict: bool | None) -> BuildReport:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .pipeline import build as run_build

    labels = {"start": "rendering HTML", "html": "laying out PDF", "pdf": "writing", "done": "done"}
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True
    ) as progress:
        task = progress.add_task("validating inputs", total=None)

        def on_step(brief_id: str, step: str) -> None:
            progress.update(task, description=f"{brief_id}: {labels[step]}")
            if step == "done":
                progress.advance(task)

        return run_build(paths, config, strict=strict, progress=on_step)  # type: ignore[arg-type]


def _print_summary(report: BuildReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=None, box=None, header_style="bold")
    for column, justify in (("File", "left"), ("Pages", "right"), ("Size", "right"), ("Seconds", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for result in report.results:
        for output in result.outputs:
            table.add_row(
                _relative(output.path),
                "" if output.pages is None else str(output.pages),
                f"{output.size / 1024:.1f} KiB",
                f"{result.seconds:.2f}",
            )
    Console(highlight=False).print(table)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@app.command()
@_reports_errors
def validate(paths: PathsArg = None) -> None:
    """Check inputs against the schema and report every problem at once."""
    from .pipeline import validate as run_validate

    briefs = run_validate(paths)
    typer.echo(f"{len(briefs)} brief{'s' * (len(briefs) != 1)} valid")


@app.command()
@_reports_errors
def lint(
    paths: PathsArg = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too, not only errors.")] = False,
) -> None:
    """Check analytic integrity: sourcing, estimative language, dates, source disagreements, the risk model.

    Findings print as [bold]file:line: rule-id: message[/]. Errors always fail (exit 2),
    warnings only with --strict, notes (e.g. a recorded source disagreement) never.
    """
    from .lint import fails
    from .pipeline import lint as run_lint

    results = run_lint(paths)
    findings = [f for _, fs in results for f in fs]
    out = _stderr()
    for finding in findings:
        out.print(str(finding), markup=False, style=_SEVERITY_STYLE[finding.severity])
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    summary = f"{len(results)} brief(s): {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s)"
    if fails(findings, strict):
        out.print(f"[red]error:[/] {summary}")
        raise typer.Exit(2)
    typer.echo(summary)


@app.command()
@_reports_errors
def assess(
    path: Annotated[Path, typer.Argument(help="The input file to assess.", show_default=False)],
    what_if: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", help="What-if: FACTOR=VALUE, e.g. waiver=granted (repeatable).", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the sanction-risk model's working for one brief, and what changes under a what-if."""
    import json

    from rich.console import Console
    from rich.table import Table

    from .config import load_config
    from .pipeline import validate as run_validate
    from .risk import assess as run_assess
    from .risk import describe, load_model, parse_overrides

    config = load_config()
    (loaded,) = run_validate([path], config)
    model = load_model(config.risk_model_path)
    overrides = parse_overrides(what_if or [])
    base = run_assess(loaded.brief, model)
    if base is None:
        _stderr().print(f"{path}: the brief has no sanction_risk section to assess")
        raise typer.Exit(2)
    changed = run_assess(loaded.brief, model, overrides) if overrides else None
    if as_json:
        payload: dict[str, object] = {
            "model": model.model.id,
            "assessment": describe(base),
            "factors": {f.id: {"value": f.value, "contribution": f.contribution} for f in base.factors},
        }
        if changed is not None:
            payload["what_if"] = {"set": overrides, "assessment": describe(changed)}
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console(highlight=False)
    table = Table(title=f"{model.model.title} — {loaded.brief.brief.title}", title_justify="left", header_style="bold")
    table.add_column("factor", no_wrap=True)
    table.add_column("value", no_wrap=True)
    table.add_column("contribution", justify="right", no_wrap=True)
    table.add_column("evidence", overflow="ellipsis", no_wrap=True, max_width=48)
    if changed is not None:
        table.add_column("what-if", justify="right")
    for part, baseline in (("likelihood", model.likelihood.baseline), ("impact", model.impact.baseline)):
        table.add_row(f"[dim]{part} baseline[/]", "", f"{baseline:+.2f}", "", *([""] if changed else []))
        for factor in (f for f in base.factors if f.part == part):
            evidence = "; ".join(e.label for e in factor.evidence) or "[dim]no evidence[/]"
            row = [factor.id, factor.value or "—", f"{factor.contribution:+.2f}", evidence]
            if changed is not None:
                other = changed.factor(factor.id)
                row.append(f"{other.value} → {other.contribution:+.2f}" if other.overridden else "")
            table.add_row(*row)
    console.print(table)

    def line(result: object) -> str:
        d = describe(result)  # type: ignore[arg-type]
        return f"likelihood {d['likelihood']} ({d['probability']:.0%}, band {d['range']}), impact {d['impact']}, rating {d['rating']}"

    console.print(f"[bold]assessment:[/] {line(base)}")
    if changed is not None:
        settings = ", ".join(f"{k}={v}" for k, v in overrides.items())
        console.print(f"[bold]what-if ({settings}):[/] {line(changed)}")


@app.command()
@_reports_errors
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of an input file (for editors)."""
    import json

    from .facts import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        from .write import atomic_write

        atomic_write(output, text)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
