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


def _formats(choice: FormatChoice | None) -> list[str] | None:
    """--format as the list the library takes (None: the workspace's default)."""
    if choice is None:
        return None
    return ["html", "pdf"] if choice is FormatChoice.all else [choice.value]


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
        from rich.markup import escape

        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True, highlight=False)  # a path may hold [x]
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
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes for rendering.")] = 1,
    force: Annotated[bool, typer.Option("--force", help="Render even what is up to date.")] = False,
) -> None:
    """Build the HTML and PDF brief for every input (lint findings are shown as warnings).

    Briefs whose input, templates, assets and settings have not changed since their last
    build are not rendered again.
    """
    from .config import load_config
    from .pipeline import build as run_build

    config = load_config(
        overrides={
            "paths.output": out,
            "paths.templates": templates,
            "build.page_size": page_size.value if page_size else None,
            "build.formats": _formats(fmt),
        }
    )
    if quiet:
        report = run_build(paths, config, strict=strict, jobs=jobs, force=force)
    else:
        report = _build_with_progress(paths, config, strict, jobs, force)
        _print_summary(report)
    console = _stderr()
    for finding in report.findings:
        if not quiet or finding.severity != "info":
            console.print(str(finding), markup=False, style=_SEVERITY_STYLE[finding.severity])
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}", markup=True)


_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}


def _build_with_progress(
    paths: list[Path] | None, config: object, strict: bool | None, jobs: int, force: bool
) -> BuildReport:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .pipeline import build as run_build

    labels = {"start": "rendering", "html": "laying out PDF", "pdf": "writing", "done": "done", "cached": "up to date"}
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True
    ) as progress:
        task = progress.add_task("validating inputs", total=None)

        def on_step(brief_id: str, step: str) -> None:
            progress.update(task, description=f"{brief_id}: {labels[step]}")
            if step in ("done", "cached"):
                progress.advance(task)

        return run_build(paths, config, strict=strict, progress=on_step, jobs=jobs, force=force)  # type: ignore[arg-type]


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
                "up to date" if result.cached else f"{result.seconds:.2f}",
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
    """Check everything a build needs, short of rendering, and report every problem at once.

    The inputs against the schema, the templates folder and your templates, the risk model,
    and lint findings when [assess] strict is set.
    """
    from .pipeline import check

    briefs = check(paths)
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
    from .findings import fails
    from .pipeline import lint as run_lint

    results = run_lint(paths)
    findings = [f for _, fs in results for f in fs]
    out = _stderr()
    for finding in findings:
        out.print(str(finding), markup=False, style=_SEVERITY_STYLE[finding.severity])
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    summary = (
        f"{len(results)} brief(s): {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s)"
    )
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
        typer.Option(
            "--set", "-s", help="What-if: FACTOR=VALUE, e.g. waiver=granted (repeatable).", show_default=False
        ),
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
        return (
            f"likelihood {d['likelihood']} ({d['probability']:.0%}, band {d['range']}), "
            f"impact {d['impact']}, rating {d['rating']}"
        )

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


@app.command()
@_reports_errors
def new(
    directory: Annotated[Path, typer.Argument(help="Folder to create (or an empty one).", show_default=False)],
    force: Annotated[
        bool, typer.Option("--force", help="Add the starter files to a folder that is not empty.")
    ] = False,
) -> None:
    """Create a workspace: settings, an example brief, a templates folder. Build or serve it at once."""
    from .scaffold import new_workspace

    for path in new_workspace(directory, force=force):
        typer.echo(f"created {path}")
    typer.echo(f"\nNext: briefgen serve {directory}    (or: cd {directory} && briefgen build)")


@app.command()
@_reports_errors
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
    from .serve import serve as run_serve

    console = _stderr()
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
app.add_typer(templates_app, name="templates")

TemplatesOption = Annotated[
    Path | None,
    typer.Option(
        "--templates", "-t", help="Template folder (default: the workspace's templates/).", show_default=False
    ),
]


def _templates_dir(templates: Path | None) -> Path:
    from .config import load_config

    return load_config(overrides={"paths.templates": templates}).templates_dir


@templates_app.command("list")
@_reports_errors
def templates_list(templates: TemplatesOption = None) -> None:
    """Show each template and where it comes from: the workspace or the built-in theme."""
    from .theme import list_templates

    rows = [
        (t.name, "workspace, replaces built-in" if t.overrides else t.origin, _relative(t.path))
        for t in list_templates(_templates_dir(templates))
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for name, origin, path in rows:  # plain columns: easy to grep, never truncated
        typer.echo(f"{name:<{widths[0]}}  {origin:<{widths[1]}}  {path}")


@templates_app.command("copy")
@_reports_errors
def templates_copy(
    name: Annotated[
        str, typer.Argument(help="e.g. style.css, partials/title.html.j2 or just title.", show_default=False)
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite a copy that is already there.")] = False,
    templates: TemplatesOption = None,
) -> None:
    """Copy a built-in template into the workspace's templates folder, to edit it there."""
    from .theme import copy_template

    folder = _templates_dir(templates)
    destination = copy_template(name, folder, force=force)
    typer.echo(
        f"copied built-in {destination.relative_to(folder).as_posix()} to {_relative(destination)}: edit it there"
        " (delete it to go back to the built-in one)"
    )


@app.command()
@_reports_errors
def send(
    briefs: Annotated[
        list[str] | None,
        typer.Argument(help="Brief ids or input files (default: every input).", show_default=False),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            help="A stakeholder group or an email address; repeat for more (default: everyone).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show who would get what; send and record nothing.")
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send again to recipients who already have (or may have) it.")
    ] = False,
    resend_changed: Annotated[
        bool,
        typer.Option("--resend-changed", help="Send the current version to recipients who got an earlier one of it."),
    ] = False,
    accept_lost_state: Annotated[
        bool,
        typer.Option(
            "--accept-lost-state",
            help="Send although the workspace's delivery ledger was lost or replaced (starts a new one).",
        ),
    ] = False,
    outbox: Annotated[
        bool, typer.Option("--outbox", help="Write .eml files to output/outbox/ even when SMTP is configured.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only problems and the summary.")] = False,
) -> None:
    """Email briefs to stakeholders, once per recipient (SMTP, else the outbox folder).

    A re-run sends only to those who have not got the brief yet; exit code 1 if anyone failed.
    """
    from rich.markup import escape

    from .deliver import Delivery, Outcome
    from .deliver import send as run_send

    labels = {
        "sent": "sent", "failed": "FAILED", "uncertain": "UNCERTAIN", "delivered": "skipped", "busy": "skipped",
        "planned": "would send",
    }  # fmt: skip

    def show(d: Delivery) -> None:
        if quiet and not d.problem:
            return
        who = f"{d.name} <{d.recipient}>" if d.name else d.recipient
        if d.outcome == "planned":
            what = f"{d.format}: {d.subject!r}" + (f" + {d.attachment}" if d.attachment else "")
        else:
            what = d.detail + (f" ({d.size / 1024:.0f} KiB)" if d.outcome == "sent" else "")
        typer.echo(f"{labels[d.outcome]:<10}  {d.brief_id}  {who}  {what}")

    report = run_send(
        briefs, to=to or (), dry_run=dry_run, resend=resend, resend_changed=resend_changed,
        accept_lost_state=accept_lost_state, outbox=outbox, progress=show,
    )  # fmt: skip
    wording: tuple[tuple[Outcome, str], ...] = (
        ("planned", "to send"), ("sent", "sent"), ("delivered", "already delivered"),
        ("busy", "being sent by another run"), ("failed", "failed"), ("uncertain", "uncertain"),
    )  # fmt: skip
    counts = [f"{report.count(o)} {word}" for o, word in wording if report.count(o)]
    built = f"; built {', '.join(report.built)}" if report.built else ""
    where = f"{report.channel} {report.destination}"
    typer.echo(f"{', '.join(counts) or 'nothing to send'} ({where}{built}) in {report.seconds:.1f} s")
    if report.problems:
        console = _stderr()
        for d in report.problems:
            console.print(f"[red]not delivered:[/] {escape(f'{d.brief_id} to {d.recipient}: {d.detail}')}")
        if any(d.outcome == "uncertain" for d in report.problems):
            console.print(
                "uncertain: the server may have the message. Check with the recipient, then "
                "`briefgen send BRIEF --to ADDRESS --resend` (same Message-ID) if it did not arrive.",
                markup=False,
            )
        raise typer.Exit(1)


@app.command()
@_reports_errors
def deliveries(
    brief: Annotated[
        str | None, typer.Argument(help="A brief id or input file (default: every brief).", show_default=False)
    ] = None,
) -> None:
    """Show the delivery ledger: who got which brief (and which version), when, and the server's reply or the error."""
    import datetime as dt

    from .deliver import deliveries as ledger_rows

    rows = ledger_rows(brief)
    if not rows:
        typer.echo("no deliveries recorded")
        return
    for entry in rows:
        when = dt.datetime.fromtimestamp(entry.sent_at or entry.updated_at).astimezone()
        typer.echo(
            f"{when:%Y-%m-%d %H:%M:%S}  {entry.status:<10}  {entry.key.brief_id}  {entry.key.recipient}  "
            f"{entry.key.channel}  version={entry.content_hash[:8]}  attempts={entry.attempts}  "
            f"{entry.detail or ''}".rstrip()
        )


edition_app = typer.Typer(help="Editions: every brief of a time window in one report.", no_args_is_help=True)
app.add_typer(edition_app, name="edition")


@edition_app.command("build")
@_reports_errors
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
    from .config import load_config
    from .pipeline import build_editions, edition_window

    if sum(bool(x) for x in (week, date, every)) > 1:
        raise typer.BadParameter("give one of --week, --date or --all")
    config = load_config()
    formats = _formats(fmt)
    windows = None if every else [edition_window(config, week or date)]
    results = build_editions(windows, config, formats=formats, jobs=jobs, force=force)  # type: ignore[arg-type]
    for result in results:
        if result.skipped:
            typer.echo(f"{result.id}: no events in {result.window.human()}; skipped (editions.empty = 'skip')")
            continue
        for output in result.outputs:
            pages = f", {output.pages} pages" if output.pages else ""
            typer.echo(f"{_relative(output.path)} ({output.size / 1024:.1f} KiB{pages})")
        since = f" since {result.previous_id}" if result.previous_id else " (first edition)"
        state = "up to date" if result.cached else "built"
        typer.echo(f"{result.id}: {state}, {len(result.brief_ids)} event(s), {len(result.changes)} change(s){since}")


schedule_app = typer.Typer(help="Weekly reports on a schedule: run, tick, status, install.", no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")


def _parse_now(value: str | None) -> object:
    import datetime as dt

    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: expected an ISO time such as 2021-12-13T07:00+01:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@schedule_app.command("tick")
@_reports_errors
def schedule_tick(
    now: Annotated[
        str | None, typer.Option("--now", help="Act as if it were this time (ISO 8601; UTC if no offset).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Run the latest due edition again even if done (the ledger still skips).")
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send again to recipients the ledger says already have the edition.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be done (any --now, even ahead); write nothing.")
    ] = False,
) -> None:
    """Do whatever is due now, then exit (for cron or systemd timers)."""
    import functools

    from .config import load_config
    from .schedule import deliver_edition, tick

    runner = functools.partial(deliver_edition, resend=True) if resend else None
    when = _parse_now(now)
    report = tick(load_config(), when, runner=runner, force=force, rerun=force, dry_run=dry_run)  # type: ignore[arg-type]
    for action in report.actions:
        typer.echo(str(action))
    if not report.actions:
        typer.echo(f"nothing due at {report.now.isoformat(timespec='seconds')}")
    for standing in report.recent:
        typer.echo(str(standing))
    if report.failed:
        raise typer.Exit(1)


@schedule_app.command("run")
@_reports_errors
def schedule_run(
    poll: Annotated[float, typer.Option("--poll", help="Seconds between checks for failed or abandoned runs.")] = 30.0,
) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C; each step is logged."""
    import logging
    import signal
    import threading

    from .config import load_config
    from .schedule import EVENTS, TickReport, run

    config = load_config()
    if not config.schedules:
        _stderr().print("error: no [[schedules]] in briefgen.toml; see README, 'Weekly reports'")
        raise typer.Exit(2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        logging.getLogger("briefgen.schedule").info(
            "received %s; stopping after the current step", signal.Signals(signum).name
        )
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    names = ", ".join(f"{s.name} ({s.cron})" for s in config.schedules)
    logging.getLogger("briefgen.schedule").info("scheduler started: %s", names)

    def show(report: TickReport) -> None:
        for action in report.actions:
            if action.action in EVENTS:  # not "already sent" or "waiting" at every poll
                typer.echo(str(action))

    run(config, stop=stop, poll_seconds=poll, on_tick=show)
    logging.getLogger("briefgen.schedule").info("scheduler stopped")


@schedule_app.command("status")
@_reports_errors
def schedule_status(
    runs: Annotated[int, typer.Option("--runs", "-n", help="How many recent runs to show per schedule.")] = 5,
) -> None:
    """Each schedule's next run times and its last runs with their outcome."""
    import datetime as dt
    import time as _time

    from .config import load_config
    from .schedule import RunStore, next_fires, secrets_of, state_path, window_of, zone_of
    from .transport import redact

    config = load_config()
    if not config.schedules:
        typer.echo("no schedules configured ([[schedules]] in briefgen.toml)")
        return
    now = dt.datetime.now(dt.UTC)
    secrets = secrets_of(config)
    # Plain lines rather than a table: status is read in logs and over ssh as often as in a terminal.
    with RunStore(state_path(config)) as store:
        for spec in config.schedules:
            typer.echo(f"{spec.name} {spec.cron} in {spec.timezone or config.editions.timezone}: next runs")
            for fire in next_fires(spec, config, now, 3):
                typer.echo(f"  {fire:%a %d %b %Y %H:%M %Z}  edition {window_of(spec, config, fire).id}")
            records = store.runs(spec.name, runs)
            typer.echo("  last runs:" if records else "  no runs yet")
            for record in records:
                status: str = record.status
                if record.stale(store.owner, _time.time()):
                    status = "working (stale: its process is gone; the next tick resumes it)"
                elif status == "working":
                    status = "working (in progress)"
                elif status == "failed" and 0 < record.sent < record.total:
                    status = "failed (partial)"
                sent = f", sent to {record.sent} of {record.total}" if record.total else ""
                detail = f": {record.detail}" if record.detail else ""
                typer.echo(
                    redact(
                        f"  {record.edition}  due {record.due[:16]}  {status}{sent}, attempt {record.attempts}{detail}",
                        secrets,
                    )
                )
                if record.status == "failed" and record.next_retry is not None:
                    zone = zone_of(spec, config)
                    retry = dt.datetime.fromtimestamp(record.next_retry, zone)
                    until = dt.datetime.fromtimestamp(record.retry_until or record.next_retry, zone)
                    typer.echo(f"    next retry {retry:%Y-%m-%d %H:%M:%S %Z} (retries until {until:%Y-%m-%d %H:%M %Z})")
                    typer.echo(redact(f"    last error: {record.last_error}", secrets))


@schedule_app.command("install")
@_reports_errors
def schedule_install(
    cron: Annotated[
        bool, typer.Option("--cron", help="A crontab line that runs `schedule tick` every minute.")
    ] = False,
    systemd: Annotated[
        bool, typer.Option("--systemd", help="A user .service and .timer calling `schedule tick`.")
    ] = False,
    write: Annotated[bool, typer.Option("--write", help="Install for the current user instead of printing.")] = False,
) -> None:
    """Print (or with --write install) a crontab line or systemd user units that call `schedule tick`."""
    from .config import load_config
    from .install import cron_line, install_cron, install_systemd, systemd_units

    if cron == systemd:
        raise typer.BadParameter("choose one of --cron or --systemd")
    config = load_config()
    if cron:
        line = cron_line(config)
        if write:
            typer.echo(install_cron(line))
        else:
            typer.echo(line)
        return
    units = systemd_units(config)
    if write:
        for path in install_systemd(units):
            typer.echo(f"wrote {path}")
        name = next(iter(units)).rsplit(".", 1)[0]
        typer.echo(f"now run: systemctl --user daemon-reload && systemctl --user enable --now {name}.timer")
    else:
        for name, text in units.items():
            typer.echo(f"# ~/.config/systemd/user/{name}\n{text}")


@app.command()
def doctor() -> None:
    """Check this machine: versions, the PDF engine's libraries, the fast font subsetter, fonts."""
    from rich.console import Console
    from rich.table import Table

    from .doctor import checks, healthy

    results = checks()
    table = Table(box=None, header_style="bold")
    for column in ("check", "status", "detail", "to fix"):
        table.add_column(column)
    colour = {"ok": "green", "warn": "yellow", "missing": "red"}
    for check in results:
        fix = check.fix if check.status != "ok" else ""
        table.add_row(check.name, f"[{colour[check.status]}]{check.status}[/]", check.detail, fix)
    Console(highlight=False).print(table)
    if not healthy(results):
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(130) from None
