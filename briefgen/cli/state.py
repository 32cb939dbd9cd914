"""``state migrate|check|copy``."""

from __future__ import annotations

from typing import Annotated

import typer

from briefgen.cli.app import reports_errors

state_app = typer.Typer(
    help="The state store (delivery ledger, schedule runs): migrate, check, copy to PostgreSQL.", no_args_is_help=True
)


@state_app.command("migrate")
@reports_errors
def state_migrate() -> None:
    """Bring the store's schema up to date (also done on first use); never drops or rewrites anything."""
    from briefgen.config import load_config
    from briefgen.workspace.statedb import migrate_all

    for line in migrate_all(load_config()):
        typer.echo(line)


@state_app.command("check")
@reports_errors
def state_check() -> None:
    """Verify the store: reachable, schema current, tables whole; say what is wrong (exit 1)."""
    from briefgen.config import load_config
    from briefgen.workspace.statedb import check

    ok, lines = check(load_config())
    for line in lines:
        typer.echo(line)
    if not ok:
        raise typer.Exit(1)


@state_app.command("copy")
@reports_errors
def state_copy(
    source: Annotated[
        str,
        typer.Option("--from", help="The store to copy from: a file (default: .briefgen/state.db) or a URL."),
    ] = ".briefgen/state.db",
) -> None:
    """Copy an existing store (the workspace's SQLite file) into the configured one, which must be empty."""
    from briefgen.config import load_config
    from briefgen.workspace.statedb import copy

    for line in copy(load_config(), source):
        typer.echo(line)
