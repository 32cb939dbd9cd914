"""``archive``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from briefgen.cli.app import reports_errors


@reports_errors
def archive(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write the site to (default: output/archive).", show_default=False),
    ] = None,
    level: Annotated[
        list[str] | None,
        typer.Option(
            "--level", help="Only this audience's variant; repeat for more (default: every one).", show_default=False
        ),
    ] = None,
) -> None:
    """Build a static site of what went out: by date, per audience, searchable, with an Atom feed.

    Made from the archived copies of what each recipient got, never from the inputs;
    `briefgen serve` shows it at /archive/index.html.
    """
    from briefgen.cli.build import shown_path
    from briefgen.config import load_config
    from briefgen.workspace.archive_site import build_site

    report = build_site(load_config(), out, level or ())
    size = report.size / 1024
    typer.echo(
        f"archived {report.documents} document(s) for {', '.join(report.variants) or 'no audience yet'} "
        f"in {shown_path(report.folder)}/ ({size:.0f} KiB)"
    )
    if report.pending:
        typer.echo(
            f"{report.pending} message(s) pending: handed over by a run that stopped; the next send settles them"
        )
