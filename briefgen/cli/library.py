"""``library list`` and ``library show``: look facts up in the workspace's fact library."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from briefgen.cli.app import reports_errors

library_app = typer.Typer(
    help="The fact library: sources, actors, authorities and actions every brief can use.", no_args_is_help=True
)

KindChoice = Annotated[
    str | None,
    typer.Option("--kind", "-k", help="Only this kind: sources, actors, authorities or actions.", show_default=False),
]


@library_app.command("list")
@reports_errors
def library_list(kind: KindChoice = None) -> None:
    """One line per entry: kind, id, name or title, and where it is defined."""
    from briefgen.config import load_config
    from briefgen.errors import UsageError
    from briefgen.facts.library import KINDS, load_library, workspace_library

    if kind is not None and kind not in KINDS:
        raise UsageError(f"--kind {kind!r}: expected one of {', '.join(KINDS)}")
    library = load_library(workspace_library(load_config().inputs_dir))
    rows = [(k, i, e) for k, i, e in library.entries() if kind in (None, k)]
    if not rows:
        typer.echo("the library is empty (add entries to library/*.yaml)")
        return
    width = max(len(i) for _, i, _ in rows)
    for k, ident, entry in rows:
        label = getattr(entry, "name", None) or getattr(entry, "title", "")
        typer.echo(f"{k:<12}{ident:<{width + 2}}{label}  ({library.where[ident]})")


@library_app.command("show")
@reports_errors
def library_show(ident: Annotated[str, typer.Argument(help="Id of the entry.", show_default=False)]) -> None:
    """The entry's facts as YAML, where it is defined, and the briefs that use it."""
    import yaml

    from briefgen.builds.briefs import validate
    from briefgen.config import load_config
    from briefgen.errors import UsageError
    from briefgen.facts.library import load_library, workspace_library
    from briefgen.facts.yamldoc import find_inputs

    config = load_config()
    library = load_library(workspace_library(config.inputs_dir))
    found = library.get(ident)
    if found is None:
        near = library.nearest(ident)
        hint = f"; nearest: {', '.join(near)}" if near else ""
        raise UsageError(f"unknown id {ident!r}{hint}")
    kind, entry = found
    typer.echo(f"# {kind[:-1] if kind != 'authorities' else 'authority'} {ident}, defined at {library.where[ident]}")
    data = entry.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    # The entry as one would write it: its id, name or title and kind first, its sources last.
    head: dict[str, Any] = {k: data.pop(k) for k in ("id", "name", "title", "kind") if k in data}
    data = {
        **head,
        **{k: v for k, v in data.items() if k != "sources"},
        **({"sources": data["sources"]} if "sources" in data else {}),
    }
    typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100).rstrip())
    briefs = validate(None, config) if find_inputs([config.inputs_dir]) else []
    users = [b.brief.brief.id for b in briefs if ident in b.used]
    typer.echo(f"# used by: {', '.join(users) if users else 'no brief'}")
