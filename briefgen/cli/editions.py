"""``edition build``."""

from __future__ import annotations

from typing import Annotated

import typer

from briefgen.cli.app import FormatChoice, formats_of, reports_errors
from briefgen.cli.build import shown_path

edition_app = typer.Typer(help="Editions: every brief of a time window in one report.", no_args_is_help=True)


@edition_app.command("build")
@reports_errors
def edition_build(
    week: Annotated[str | None, typer.Option("--week", "-w", help="ISO week, e.g. 2021-W49.")] = None,
    date: Annotated[
        str | None, typer.Option("--date", "-d", help="Any date inside the window, e.g. 2021-12-08.")
    ] = None,
    fmt: Annotated[FormatChoice | None, typer.Option("--format", "-f", help="What to write.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every window that has an event, oldest first.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes for rendering.")] = 1,
    force: Annotated[bool, typer.Option("--force", help="Render even what is up to date.")] = False,
) -> None:
    """Build the edition of one window (default: the window holding today, in the workspace's time zone)."""
    from briefgen.builds.editions import build_editions, edition_window
    from briefgen.config import load_config

    if sum(bool(x) for x in (week, date, every)) > 1:
        raise typer.BadParameter("give one of --week, --date or --all")
    config = load_config()
    formats = formats_of(fmt)
    windows = None if every else [edition_window(config, week or date)]
    results = build_editions(windows, config, formats=formats, jobs=jobs, force=force)  # type: ignore[arg-type]
    for result in results:
        if result.skipped:
            typer.echo(f"{result.id}: no events in {result.window.human()}; skipped (editions.empty = 'skip')")
            continue
        for output in result.outputs:
            pages = f", {output.pages} pages" if output.pages else ""
            typer.echo(f"{shown_path(output.path)} ({output.size / 1024:.1f} KiB{pages})")
        since = f" since {result.previous_id}" if result.previous_id else " (first edition)"
        state = "up to date" if result.cached else "built"
        typer.echo(f"{result.id}: {state}, {len(result.brief_ids)} event(s), {len(result.changes)} change(s){since}")
