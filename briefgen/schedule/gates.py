"""Freshness gates: what a schedule checks before an edition goes to stakeholders.

When a gate fails nothing is sent; the schedule's owners get one message (once per edition
and failure, through the delivery ledger) saying what failed and how to fix it, and the
run's record says the same, so ``schedule status`` shows it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import TYPE_CHECKING

from briefgen.config import Config, ScheduleSpec

if TYPE_CHECKING:
    from briefgen.builds.editions import EditionResult

__all__ = ["failed_gates", "tell_owners"]


def failed_gates(config: Config, spec: ScheduleSpec, edition: EditionResult) -> list[str]:
    """One line per failed gate: what is wrong, and how to fix it."""
    problems: list[str] = []
    wanted = set(spec.require)
    if "fresh" in wanted and not edition.briefs and not edition.changes:
        problems.append(
            f"fresh: the edition {edition.id} has no events and no changes since the last one "
            "(add this week's inputs, or drop 'fresh' from the schedule's require)"
        )
    if wanted & {"lint-errors", "lint-warnings"}:
        from briefgen.builds.briefs import lint

        ids = set(edition.brief_ids)
        strict = "lint-warnings" in wanted
        for loaded, findings in lint(None, config):
            if loaded.brief.brief.id not in ids:
                continue
            bad = [f for f in findings if f.severity == "error" or (strict and f.severity == "warning")]
            if bad:
                what = "findings" if strict else "errors"
                problems.append(f"lint: {len(bad)} {what} in {loaded.path.name}, first {bad[0]} (run `briefgen lint`)")
    if "pages" in wanted:
        formats = set(config.build.formats)
        have = {o.format: o for o in edition.outputs}
        for fmt in sorted(formats):
            output = have.get(fmt)
            if output is None or not output.path.is_file() or output.path.stat().st_size == 0:
                problems.append(f"pages: the edition's {fmt} was not built (run `briefgen edition build`)")
            elif fmt == "pdf" and not output.pages:
                problems.append(
                    "pages: the edition's PDF has no pages (run `briefgen edition build` and read its errors)"
                )
    return problems


def tell_owners(
    config: Config, spec: ScheduleSpec, edition_id: str, problems: list[str], environ: Mapping[str, str] | None = None
) -> int:
    """Send the owners one message about the held edition; a re-run for the same failure
    sends nothing more (the ledger keys it by schedule, edition and what failed)."""
    from briefgen.deliver.channel import DeliveryError, Envelope
    from briefgen.deliver.ledger import DeliveryKey, Ledger
    from briefgen.deliver.mail import mail_settings
    from briefgen.deliver.outbox import Outbox
    from briefgen.deliver.smtp import SmtpTransport
    from briefgen.deliver.stakeholders import load_stakeholders, select_recipients
    from briefgen.schedule.runs import state_url

    if not spec.owners:
        return 0
    settings = mail_settings(config, environ)
    owners = select_recipients(load_stakeholders(config), spec.owners)
    digest = hashlib.sha256("\n".join(problems).encode()).hexdigest()
    document = f"gate-{spec.name}-{edition_id.lower()}-{digest[:8]}"
    transport = (
        Outbox(settings.outbox) if settings.smtp is None else SmtpTransport(settings.smtp, secrets=settings.secrets())
    )
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or None

    def new_id() -> str:
        return make_msgid(domain=domain)

    told = 0
    try:
        where = state_url(config)
        with Ledger(where.path, lease=settings.lease, url=where) as ledger:
            for person in owners:
                key = DeliveryKey(document, person.key, transport.channel)
                claim = ledger.claim(
                    key, content_hash=digest, new_message_id=new_id, destination=transport.destination
                )  # fmt: skip
                if not claim.granted:
                    continue
                message = EmailMessage()
                message["Subject"] = f"briefgen: {spec.name} held edition {edition_id}: a gate failed"
                message["From"] = settings.sender
                message["To"] = person.email
                message["Message-ID"] = claim.message_id
                message["Date"] = dt.datetime.now(dt.UTC)
                message.set_content(
                    f"Nothing was sent to stakeholders for edition {edition_id} of schedule {spec.name}:\n\n"
                    + "\n".join(f"- {p}" for p in problems)
                    + "\n\nFix it, then `briefgen schedule tick --force` sends the edition.\n"
                )
                envelope = Envelope(parseaddr(settings.sender)[1], person.email, document)
                try:
                    reply = transport.deliver(envelope, message.as_bytes(), lambda: None)
                except DeliveryError as exc:
                    ledger.failed(key, claim.generation, transport.scrub(exc.detail))
                    continue
                ledger.sent(key, claim.generation, reply)
                told += 1
    finally:
        transport.close()
    return told
