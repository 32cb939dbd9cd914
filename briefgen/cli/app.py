"""The Typer application, its global options, and how errors reach the terminal."""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, NoReturn, ParamSpec, TypeVar

import typer

from briefgen.__about__ import __version__
from briefgen.errors import BriefgenError, InputError, LintFailed

if TYPE_CHECKING:
    from rich.console import Console


app = typer.Typer(
    name="briefgen",
    help="Structured facts in, polished HTML and PDF policy briefs out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


class Debug:
    debug = False


class FormatChoice(StrEnum):
    html = "html"
    pdf = "pdf"
    docx = "docx"
    all = "all"


def formats_of(choice: FormatChoice | None) -> list[str] | None:
    """--format as the list the library takes (None: the workspace's default).

    ``all`` is the HTML and the PDF, as before Word output existed; ``docx`` is asked for by name.
    """
    if choice is None:
        return None
    return ["html", "pdf"] if choice is FormatChoice.all else [choice.value]


class PageSizeChoice(StrEnum):
    A4 = "A4"
    Letter = "Letter"


class PdfStandardChoice(StrEnum):
    ua_1 = "ua-1"
    ua_2 = "ua-2"
    a_3b = "a-3b"
    a_3u = "a-3u"
    a_3a = "a-3a"
    none = "none"


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(exc: BriefgenError) -> NoReturn:
    console = stderr()
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
        from rich.markup import escape

        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True, highlight=False)  # a path may hold [x]
    raise typer.Exit(exc.exit_code)


P = ParamSpec("P")


R = TypeVar("R")


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """User errors become readable lines on stderr and an exit code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except BriefgenError as exc:
            if Debug.debug:
                raise
            fail(exc)

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
    Debug.debug = debug


SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
