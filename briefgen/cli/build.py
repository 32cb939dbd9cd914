"""``build``, ``validate`` and ``schema``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from briefgen.cli.app import SEVERITY_STYLE, FormatChoice, PageSizeChoice, formats_of, reports_errors, stderr

if TYPE_CHECKING:
    from briefgen.builds.briefs import BuildReport


PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(help="Input files or folders (default: the workspace's inputs/).", show_default=False),
]


@reports_errors
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
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes for rendering.")] = 1,
    force: Annotated[bool, typer.Option("--force", help="Render even what is up to date.")] = False,
    drafts: Annotated[
        bool, typer.Option("--drafts", help="Build drafts too (from `briefgen draft`); their pages say DRAFT.")
    ] = False,
) -> None:
    """Build the HTML and PDF brief for every input (lint findings are shown as warnings).

    Briefs whose input, templates, assets and settings have not changed since their last
    build are not rendered again.
    """
    from briefgen.builds.briefs import build as run_build
    from briefgen.config import load_config

    config = load_config(
        overrides={
            "paths.output": out,
            "paths.templates": templates,
            "build.page_size": page_size.value if page_size else None,
            "build.formats": formats_of(fmt),
        }
    )
    if quiet:
        report = run_build(paths, config, strict=strict, jobs=jobs, force=force, drafts=drafts)
    else:
        report = _build_with_progress(paths, config, strict, jobs, force, drafts)
        _print_summary(report)
    console = stderr()
    for finding in report.findings:
        if not quiet or finding.severity != "info":
            console.print(str(finding), markup=False, style=SEVERITY_STYLE[finding.severity])
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}", markup=True)


def _build_with_progress(
    paths: list[Path] | None, config: object, strict: bool | None, jobs: int, force: bool, drafts: bool = False
) -> BuildReport:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from briefgen.builds.briefs import build as run_build

    labels = {"start": "rendering", "html": "laying out PDF", "pdf": "writing", "done": "done", "cached": "up to date"}
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True
    ) as progress:
        task = progress.add_task("validating inputs", total=None)

        def on_step(brief_id: str, step: str) -> None:
            progress.update(task, description=f"{brief_id}: {labels[step]}")
            if step in ("done", "cached"):
                progress.advance(task)

        return run_build(paths, config, strict=strict, progress=on_step, jobs=jobs, force=force, drafts=drafts)  # type: ignore[arg-type]


def _print_summary(report: BuildReport) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=None, box=None, header_style="bold")
    for column, justify in (("File", "left"), ("Pages", "right"), ("Size", "right"), ("Seconds", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for result in report.results:
        for output in result.outputs:
            table.add_row(
                shown_path(output.path),
                "" if output.pages is None else str(output.pages),
                f"{output.size / 1024:.1f} KiB",
                "up to date" if result.cached else f"{result.seconds:.2f}",
            )
    Console(highlight=False).print(table)


def shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@reports_errors
def validate(paths: PathsArg = None) -> None:
    """Check everything a build needs, short of rendering, and report every problem at once.

    The inputs against the schema, the templates folder and your templates, the risk model,
    and lint findings when [assess] strict is set.
    """
    from briefgen.builds.briefs import check

    briefs = check(paths)
    typer.echo(f"{len(briefs)} brief{'s' * (len(briefs) != 1)} valid")


@reports_errors
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout.")] = None,
    library: Annotated[bool, typer.Option("--library", help="The schema of a fact-library file instead.")] = False,
) -> None:
    """Print the JSON Schema of an input file, or of a library file (for editors)."""
    import json

    from briefgen.facts.library import library_schema
    from briefgen.facts.schema import json_schema

    text = json.dumps(library_schema() if library else json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        from briefgen.builds.write import atomic_write

        atomic_write(output, text)
