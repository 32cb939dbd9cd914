"""``draft``: from an article to a draft brief."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from briefgen.cli.app import reports_errors, stderr


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected a day as YYYY-MM-DD, got {value!r}") from None


@reports_errors
def draft(
    article: Annotated[str, typer.Argument(help="A saved article (.txt, .md, .html) or an http(s) URL.")],
    date: Annotated[
        str | None,
        typer.Option("--date", help="The article's date (YYYY-MM-DD), when it does not say; resolves 'on the 6th'."),
    ] = None,
    source_id: Annotated[
        str | None, typer.Option("--id", help="Id of the new source (default: from the article).")
    ] = None,
    publisher: Annotated[
        str | None, typer.Option("--publisher", help="Who published it, when the page does not say.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the draft.")] = Path("drafts"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an earlier draft of the same article.")] = False,
) -> None:
    """Write a draft brief from an article: its source entry and candidate facts, each pinned to its words.

    The article's text is saved to library/texts/ (git-ignored) so lint can check quotes
    against it. Build the draft with `briefgen build --drafts` once you have looked at it.
    """
    from briefgen.builds.write import atomic_write_many
    from briefgen.config import load_config
    from briefgen.errors import InputError, UsageError
    from briefgen.facts.article import read_article
    from briefgen.facts.draft import known_names_in, library_names, make_draft, slug
    from briefgen.facts.evidence import text_path
    from briefgen.facts.extract import KnownName
    from briefgen.facts.library import load_library, workspace_library
    from briefgen.facts.yamldoc import find_inputs

    config = load_config()
    parsed = read_article(article)
    if (given := _day(date)) is not None:
        parsed.date = given
    # The source's id: who published it and when, else the title's first words (and the date).
    who = publisher or parsed.publisher or " ".join((parsed.title or Path(article).stem).split()[:4])
    name = source_id or slug(f"{who} {parsed.date.isoformat() if parsed.date else ''}")
    folder = out if out.is_absolute() else config.root / out
    target = folder / f"{name}.yaml"
    if target.exists() and not force:
        shown = target.relative_to(config.root) if target.is_relative_to(config.root) else target
        raise UsageError(f"{shown} exists: edit it, or write it again with --force")
    # Names come from the fact library first (its ids are what a brief refers to), then from
    # names the inputs spell out inline. A library with errors names nothing; `validate` says why.
    known: list[KnownName] = []
    try:
        known += library_names(load_library(workspace_library(config.inputs_dir)))
    except InputError:
        stderr().print(
            "[yellow]warning:[/] the fact library has errors (see `briefgen validate`); its names are not matched"
        )
    inputs = find_inputs([config.inputs_dir]) if config.inputs_dir.is_dir() else []
    known += known_names_in(inputs)
    result = make_draft(
        parsed,
        source_id=name,
        brief_id=f"draft-{name}",
        today=dt.date.today(),
        known=known,
        publisher=publisher,
    )
    text_file = text_path(config.root, name)
    # The article's words stay in the workspace (library/texts/ is git-ignored), never in outputs.
    atomic_write_many([(text_file, parsed.text), (target, result.yaml())])
    counts = result.counts()
    parts = ", ".join(
        f"{counts[k]} {label}"
        for k, label in (
            ("date", "dates"),
            ("money", "amounts"),
            ("quantity", "quantities"),
            ("actor", "actors"),
            ("authority", "authorities"),
            ("source", "sources named"),
            ("sentence", "sentences"),
        )
        if counts[k]
    )
    root = config.root
    shown = target.relative_to(root) if target.is_relative_to(root) else target
    typer.echo(f"{shown}: a draft with {len(result.candidates)} candidates ({parts})")
    typer.echo(f"{text_file.relative_to(root)}: the article's text, for checking quotes (git-ignored)")
