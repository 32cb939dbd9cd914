"""``send`` and ``deliveries``."""

from __future__ import annotations

from typing import Annotated

import typer

from briefgen.cli.app import reports_errors, stderr


@reports_errors
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
    test_to: Annotated[
        str | None,
        typer.Option(
            "--test-to",
            help="Send the message each variant's recipients would get to this address only, TEST in the subject; "
            "record nothing.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only problems and the summary.")] = False,
    edition: Annotated[
        str | None,
        typer.Option(
            "--edition",
            help="Send the edition of this window instead (an ISO week like 2021-W49, or a date in it), "
            "each recipient their level's variant.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Email briefs (or a weekly edition) to stakeholders, once per recipient (SMTP, else the outbox folder).

    A re-run sends only to those who have not got the brief yet; exit code 1 if anyone failed.
    """
    from rich.markup import escape

    from briefgen.deliver.report import Delivery, Outcome
    from briefgen.deliver.send import send as run_send

    labels = {
        "sent": "sent", "failed": "FAILED", "uncertain": "UNCERTAIN", "delivered": "skipped", "busy": "skipped",
        "planned": "would send", "withheld": "withheld", "tested": "test sent",
    }  # fmt: skip

    def show(d: Delivery) -> None:
        if quiet and not d.problem:
            return
        who = f"{d.name} <{d.recipient}>" if d.name and "@" in d.recipient else d.recipient
        if d.variant:
            who += f" [{d.variant}]"
        if d.outcome == "planned":
            what = f"{d.format}: {d.subject!r}" + (f" + {d.attachment}" if d.attachment else "")
        else:
            what = d.detail + (f" ({d.size / 1024:.0f} KiB)" if d.outcome == "sent" else "")
        typer.echo(f"{labels[d.outcome]:<10}  {d.brief_id}  {who}  {what}")

    if edition is not None:
        if briefs:
            raise typer.BadParameter("give brief ids or --edition, not both")
        from briefgen.builds.editions import build_edition
        from briefgen.config import load_config
        from briefgen.deliver.send import send_edition

        config = load_config()
        # HTML and the snapshot are enough to plan: what each recipient gets is built when sent
        week = build_edition(edition, config, formats=["html"])
        if week.skipped:
            typer.echo(f"{week.id}: no events in {week.window.human()}; nothing to send (editions.empty = 'skip')")
            return
        report = send_edition(
            week, config, to=to or (), dry_run=dry_run, resend=resend,
            resend_changed=resend_changed, accept_lost_state=accept_lost_state, outbox=outbox, progress=show,
            test_to=[test_to] if test_to else (),
        )  # fmt: skip
    else:
        report = run_send(
            briefs, to=to or (), dry_run=dry_run, resend=resend, resend_changed=resend_changed,
            accept_lost_state=accept_lost_state, outbox=outbox, progress=show, test_to=test_to,
        )  # fmt: skip
    wording: tuple[tuple[Outcome, str], ...] = (
        ("planned", "to send"), ("sent", "sent"), ("delivered", "already delivered"),
        ("busy", "being sent by another run"), ("failed", "failed"), ("uncertain", "uncertain"),
        ("withheld", "withheld"), ("tested", "test messages"),
    )  # fmt: skip
    counts = [f"{report.count(o)} {word}" for o, word in wording if report.count(o)]
    built = f"; built {', '.join(report.built)}" if report.built else ""
    where = f"{report.channel} {report.destination}"
    typer.echo(f"{', '.join(counts) or 'nothing to send'} ({where}{built}) in {report.seconds:.1f} s")
    if report.problems:
        console = stderr()
        for d in report.problems:
            console.print(f"[red]not delivered:[/] {escape(f'{d.brief_id} to {d.recipient}: {d.detail}')}")
        if any(d.outcome == "uncertain" for d in report.problems):
            console.print(
                "uncertain: the server may have the message. Check with the recipient, then "
                "`briefgen send BRIEF --to ADDRESS --resend` (same Message-ID) if it did not arrive.",
                markup=False,
            )
        raise typer.Exit(1)


@reports_errors
def deliveries(
    brief: Annotated[
        str | None, typer.Argument(help="A brief id or input file (default: every brief).", show_default=False)
    ] = None,
) -> None:
    """Show the delivery ledger: who got which brief (and which version), when, and the server's reply or the error."""
    import datetime as dt

    from briefgen.deliver.send import deliveries as ledger_rows

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
