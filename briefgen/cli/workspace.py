"""``new``, ``serve``, ``templates`` and ``doctor``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from briefgen.cli.app import reports_errors, stderr
from briefgen.cli.build import shown_path

if TYPE_CHECKING:
    pass


@reports_errors
def new(
    directory: Annotated[Path, typer.Argument(help="Folder to create (or an empty one).", show_default=False)],
    force: Annotated[
        bool, typer.Option("--force", help="Add the starter files to a folder that is not empty.")
    ] = False,
    event_kind: Annotated[
        str | None,
        typer.Option(
            "--event-kind",
            help="Add a skeleton brief of this kind: summit, meeting, call, sanctions-designation, signing, "
            "delivery, statement, exercise, election. In an existing workspace only the skeleton is written.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create a workspace: settings, an example brief, a fact library, a templates folder. Build or serve it at once."""
    from briefgen.workspace.scaffold import new_workspace

    written = new_workspace(directory, force=force, event_kind=event_kind)
    for path in written:
        typer.echo(f"created {path}")
    if event_kind is not None and not any(p.name == "briefgen.toml" for p in written):
        typer.echo(f"\nNext: replace the <placeholders> in {written[-1]}, then: briefgen lint")
        return
    typer.echo(f"\nNext: briefgen serve {directory}    (or: cd {directory} && briefgen build)")


@reports_errors
def serve(
    directory: Annotated[
        Path | None, typer.Argument(help="Workspace folder (default: the current one).", show_default=False)
    ] = None,
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (0: any free one).")
    ] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the index in the web browser.")] = False,
) -> None:
    """Preview the briefs in the browser; rebuild and reload the page on every change.

    Serves on 127.0.0.1 only. Watches the inputs, templates and assets folders and
    briefgen.toml; a problem in an input is shown in the page until it is fixed.
    """
    from briefgen.workspace.serve import serve as run_serve

    console = stderr()
    run_serve(
        directory,
        port=port,
        open_browser=open_browser,
        log=lambda message: console.print(message, markup=False, highlight=False),
        announce=typer.echo,
    )


templates_app = typer.Typer(
    help="The templates a build uses: list them, or copy a built-in one to edit.", no_args_is_help=True
)


TemplatesOption = Annotated[
    Path | None,
    typer.Option(
        "--templates", "-t", help="Template folder (default: the workspace's templates/).", show_default=False
    ),
]


def _templates_dir(templates: Path | None) -> Path:
    from briefgen.config import load_config

    return load_config(overrides={"paths.templates": templates}).templates_dir


@templates_app.command("list")
@reports_errors
def templates_list(templates: TemplatesOption = None) -> None:
    """Show each template and where it comes from: the workspace or the built-in theme."""
    from briefgen.render.theme import list_templates

    rows = [
        (t.name, "workspace, replaces built-in" if t.overrides else t.origin, shown_path(t.path))
        for t in list_templates(_templates_dir(templates))
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, origin, path in rows:  # plain columns: easy to grep, never truncated
        typer.echo(f"{name:<{widths[0]}}  {origin:<{widths[1]}}  {path}")


@templates_app.command("copy")
@reports_errors
def templates_copy(
    name: Annotated[
        str, typer.Argument(help="e.g. style.css, partials/title.html.j2 or just title.", show_default=False)
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite a copy that is already there.")] = False,
    templates: TemplatesOption = None,
) -> None:
    """Copy a built-in template into the workspace's templates folder, to edit it there."""
    from briefgen.render.theme import copy_template

    folder = _templates_dir(templates)
    destination = copy_template(name, folder, force=force)
    typer.echo(
        f"copied built-in {destination.relative_to(folder).as_posix()} to {shown_path(destination)}: edit it there"
        " (delete it to go back to the built-in one)"
    )


def doctor() -> None:
    """Check this machine: versions, the PDF engine's libraries, the fast font subsetter, fonts;
    in a workspace, that every schedule's approvers are cleared for what it sends."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from briefgen.config import CONFIG_NAME, find_workspace, load_config
    from briefgen.workspace.doctor import approval_checks, checks, healthy

    results = checks()
    if (find_workspace() / CONFIG_NAME).is_file():
        from briefgen.errors import InputError
        from briefgen.workspace.doctor import Check

        try:
            results += approval_checks(load_config())
        except InputError as exc:  # the machine checks above still stand
            results.append(Check(CONFIG_NAME, "warn", str(exc), "run `briefgen lint` and fix what it says"))
    table = Table(box=None, header_style="bold")
    for column in ("check", "status", "detail", "to fix"):
        table.add_column(column)
    colour = {"ok": "green", "warn": "yellow", "missing": "red"}
    for check in results:
        fix = check.fix if check.status != "ok" else ""
        table.add_row(check.name, f"[{colour[check.status]}]{check.status}[/]", escape(check.detail), escape(fix))
    Console(highlight=False).print(table)
    if not healthy(results):
        raise typer.Exit(1)
