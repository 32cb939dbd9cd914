"""``schedule tick|run|status|install``."""

from __future__ import annotations

import functools
import sys
from typing import Annotated

import typer

from briefgen.cli.app import reports_errors, stderr

schedule_app = typer.Typer(help="Weekly reports on a schedule: run, tick, status, install.", no_args_is_help=True)


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
@reports_errors
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

    from briefgen.config import load_config
    from briefgen.schedule.tick import deliver_edition, tick

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
@reports_errors
def schedule_run(
    poll: Annotated[float, typer.Option("--poll", help="Seconds between checks for failed or abandoned runs.")] = 30.0,
) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C; each step is logged."""
    import logging
    import signal
    import threading

    from briefgen.config import load_config
    from briefgen.schedule.tick import EVENTS, TickReport, run

    config = load_config()
    if not config.schedules:
        stderr().print("error: no [[schedules]] in briefgen.toml; see README, 'Weekly reports'")
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
@reports_errors
def schedule_status(
    runs: Annotated[int, typer.Option("--runs", "-n", help="How many recent runs to show per schedule.")] = 5,
) -> None:
    """Each schedule's next run times and its last runs with their outcome."""
    import datetime as dt
    import time as _time

    from briefgen.config import load_config
    from briefgen.deliver.redact import redact
    from briefgen.schedule.runs import RunStore, state_path, state_url
    from briefgen.schedule.tick import secrets_of
    from briefgen.schedule.timing import next_fires, window_of, zone_of

    config = load_config()
    if not config.schedules:
        typer.echo("no schedules configured ([[schedules]] in briefgen.toml)")
        return
    now = dt.datetime.now(dt.UTC)
    secrets = secrets_of(config)
    # Plain lines rather than a table: status is read in logs and over ssh as often as in a terminal.
    with RunStore(state_path(config), url=state_url(config)) as store:
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
                # Which host ran it: with a shared store, schedulers on several machines take turns.
                host = f" on {record.owner.split('|')[0]}" if record.owner else ""
                typer.echo(
                    redact(
                        f"  {record.edition}  due {record.due[:16]}  {status}{sent}, attempt {record.attempts}{host}"
                        f"{detail}",
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
@reports_errors
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
    from briefgen.config import load_config
    from briefgen.schedule.install import cron_line, install_cron, install_systemd, systemd_units

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


@reports_errors
def approve(
    edition: Annotated[str, typer.Argument(help="The edition awaiting approval, e.g. 2021-W49.", show_default=False)],
    comment: Annotated[str | None, typer.Option("--comment", help="Kept with the approval.")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who approves (default: the login name).", show_default=False)
    ] = None,
) -> None:
    """Approve the edition's current version; the next tick sends it. A later change asks again."""
    import getpass

    from briefgen.config import load_config
    from briefgen.schedule.approval import approve as record

    who = by or getpass.getuser()
    document, digest, decided = record(load_config(), edition, who, comment)
    # A deadline policy that already acted is final: say so rather than promise a send.
    late = {
        "skipped": "too late: it was skipped at its deadline",
        "sent-unapproved": "it already went out unapproved at its deadline",
    }
    what = "; ".join(f"{late[d]}" + (f" ({s})" if len(decided) > 1 else "") for s, d in decided if d in late)
    typer.echo(f"approved {document} version {digest[:8]} by {who}; {what or 'the next `schedule tick` sends it'}")
