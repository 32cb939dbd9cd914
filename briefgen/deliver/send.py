"""``send``: the delivery pipeline, read top to bottom.

settings and recipients → the briefs (validated; built unless a fresh build is on disk) →
every message rendered (a template error stops the run before anything is sent) → for each
recipient: claim it in the ledger, send, record the outcome.

Exactly once, as far as SMTP allows: see :mod:`briefgen.deliver.ledger` for the states and the
README ("Never twice, never lost") for the guarantee and its one limit.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from briefgen.config import CONFIG_NAME, Config, Format, Stakeholder, load_config
from briefgen.deliver.channel import DeliveryError, Envelope, Transport
from briefgen.deliver.ledger import Claim, DeliveryKey, Entry, Ledger
from briefgen.deliver.mail import MailSettings, mail_settings
from briefgen.deliver.outbox import Outbox
from briefgen.deliver.smtp import SmtpTransport
from briefgen.deliver.stakeholders import load_stakeholders, select_recipients
from briefgen.errors import InputError, Problem
from briefgen.state.claims import ClaimLost
from briefgen.state.url import parse_url

if TYPE_CHECKING:
    from briefgen.builds.editions import EditionResult
    from briefgen.deliver.compose import Attachment, Content
    from briefgen.facts.load import LoadedBrief
    from briefgen.facts.schema import Brief

__all__ = ["Delivery", "SendReport", "deliveries", "edition_brief", "send", "send_edition"]


Outcome = Literal["sent", "failed", "uncertain", "delivered", "busy", "planned"]


@dataclass
class Delivery:
    """What happened (or, in a dry run, would happen) for one brief and one recipient."""

    brief_id: str
    recipient: str
    name: str
    format: str
    outcome: Outcome
    detail: str = ""
    subject: str = ""
    attachment: str | None = None
    size: int = 0
    attempts: int = 0
    message_id: str = ""

    @property
    def problem(self) -> bool:
        return self.outcome in ("failed", "uncertain")


@dataclass
class SendReport:
    channel: str
    destination: str
    dry_run: bool
    deliveries: list[Delivery] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: Outcome) -> int:
        return sum(d.outcome == outcome for d in self.deliveries)

    @property
    def problems(self) -> list[Delivery]:
        """Recipients who did not (or may not have) received their brief: non-zero exit."""
        return [d for d in self.deliveries if d.problem]


Progress = Callable[[Delivery], None]


def send(
    briefs: Sequence[str | Path] | None = None,
    config: Config | None = None,
    *,
    to: Sequence[str] = (),
    dry_run: bool = False,
    resend: bool = False,
    resend_changed: bool = False,
    accept_lost_state: bool = False,
    outbox: bool = False,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send each brief (ids or input files; default: every input) to its recipients.

    ``to`` narrows the stakeholders to groups or addresses. Recipients who have the brief (any
    version of it) are skipped unless ``resend`` (everyone again) or ``resend_changed`` (those
    whose version is not the current one); a ``dry_run`` builds, sends and records nothing.
    Without SMTP settings (or with ``outbox``) messages are written to ``output/outbox/``.
    A workspace whose ledger was lost refuses to send (:class:`~briefgen.state.store.StateError`)
    unless ``accept_lost_state``.
    """
    started = time.perf_counter()
    config = config or load_config()
    settings = mail_settings(config, environ, outbox=outbox)
    recipients = select_recipients(load_stakeholders(config), to)
    loaded = _select_briefs(config, briefs)
    notify = progress or (lambda _delivery: None)
    policy = _Policy(resend, resend_changed, sleep)
    with _session(config, settings, outbox=outbox, dry_run=dry_run, accept_lost_state=accept_lost_state) as (
        transport,
        ledger,
        report,
    ):
        for item in loaded:
            _send_brief(item, recipients, config, settings, transport, ledger, report, notify, policy)
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class _Policy:
    """Who gets a message again, and how to wait between attempts."""

    resend: bool
    resend_changed: bool
    sleep: Callable[[float], None]


@contextmanager
def _session(
    config: Config, settings: MailSettings, *, outbox: bool, dry_run: bool, accept_lost_state: bool = False
) -> Iterator[tuple[Transport, Ledger | None, SendReport]]:
    """The transport (SMTP, or the outbox when none is configured), the ledger and the report
    for one run; the connection and the database are closed however the run ends. A real run
    first checks that the ledger is the one the workspace had, and keeps its claims' leases
    renewed while it runs."""
    transport: Transport = (
        Outbox(settings.outbox)
        if outbox or settings.smtp is None
        else SmtpTransport(settings.smtp, secrets=settings.secrets())
    )
    where = parse_url(config.state.url, config.root)
    path = where.path
    try:
        ledger = Ledger.existing(path, where) if dry_run else Ledger(path, lease=settings.lease, url=where)
        if ledger is not None and not dry_run:
            try:
                ledger.check_continuity(accept_lost=accept_lost_state)
            except BaseException:
                ledger.close()
                raise
    except BaseException:
        transport.close()
        raise
    try:
        if ledger is None or dry_run:
            yield transport, ledger, SendReport(transport.channel, transport.destination, dry_run)
        else:
            with ledger.heartbeat():
                yield transport, ledger, SendReport(transport.channel, transport.destination, dry_run)
    finally:
        transport.close()
        if ledger is not None:
            ledger.close()


def send_edition(
    edition: EditionResult,
    config: Config | None = None,
    *,
    to: Sequence[str] = (),
    dry_run: bool = False,
    resend: bool = False,
    resend_changed: bool = False,
    accept_lost_state: bool = False,
    outbox: bool = False,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send a built edition to its recipients, once each, exactly as :func:`send` sends a brief.

    The ledger keys it as ``edition-<id>`` and records the hash of the edition's snapshot (its
    facts) as the version each recipient got: a retry after a fact changed serves only those
    not yet served (with the current edition), unless ``resend_changed``.
    """
    import hashlib

    from briefgen.deliver.compose import attachment_name

    started = time.perf_counter()
    config = config or load_config()
    settings = mail_settings(config, environ, outbox=outbox)
    recipients = select_recipients(load_stakeholders(config), to)
    brief = edition_brief(edition, config)
    snapshot = edition.snapshot_path
    digest = hashlib.sha256(snapshot.read_bytes() if snapshot and snapshot.is_file() else brief.brief.id.encode())
    outputs = {o.format: o.path for o in edition.outputs}

    def outputs_for(formats: list[Format]) -> dict[str, Path]:
        if any(f not in outputs for f in formats):
            from briefgen.builds.editions import build_edition

            rebuilt = build_edition(edition.window, config, formats=sorted({*outputs, *formats}))
            outputs.update({o.format: o.path for o in rebuilt.outputs})
            report.built.append(edition.id)
        return {f: outputs[f] for f in formats}

    policy = _Policy(resend, resend_changed, sleep)
    with _session(config, settings, outbox=outbox, dry_run=dry_run, accept_lost_state=accept_lost_state) as (
        transport,
        ledger,
        report,
    ):
        _send_document(
            brief, digest.hexdigest(), attachment_name(brief), outputs_for,
            recipients, config, settings, transport, ledger, report, progress or (lambda _d: None), policy,
        )  # fmt: skip
    report.seconds = time.perf_counter() - started
    return report


def edition_brief(edition: EditionResult, config: Config) -> Brief:
    """The edition as the email templates see a brief: its title and window, a bottom line
    listing its events, and every event's key judgments. Built in memory, never validated as
    input (its parts were), so judgments keep their original source ids."""
    from briefgen.facts.schema import Brief, BriefMeta

    opts = config.editions
    events = "; ".join(f"**{b.brief.title}**" for b in edition.briefs) or "no new developments"
    changes = f" {len(edition.changes)} change(s) since edition {edition.previous_id}." if edition.previous_id else ""
    markings = list(dict.fromkeys(b.brief.marking for b in edition.briefs))
    meta = BriefMeta.model_construct(
        id=f"edition-{edition.id.lower()}",
        title=f"{opts.title}: {edition.window.human()}",
        subtitle=f"Edition {edition.id}",
        date=edition.window.last_day,
        author=opts.author,
        organisation=opts.organisation,
        audience=None,
        marking=opts.marking or " / ".join(markings) or "UNCLASSIFIED",
        language=edition.briefs[0].brief.language if edition.briefs else "en",
        keywords=[],
        summary=f"This edition covers {len(edition.briefs)} event(s): {events}.{changes}",
    )
    return Brief.model_construct(
        brief=meta,
        sources=[],
        key_judgments=[kj for b in edition.briefs for kj in b.key_judgments],
        event=None,
        agreements=[],
        context=[],
        sanction_risk=None,
        outlook=[],
    )


def deliveries(brief: str | Path | None = None, config: Config | None = None) -> list[Entry]:
    """The ledger's rows, for one brief (id or input file) or all; nothing if nothing was sent."""
    config = config or load_config()
    brief_id = None
    if brief is not None:
        path = Path(brief)
        brief_id = _select_briefs(config, [path])[0].brief.brief.id if path.suffix in {".yaml", ".yml"} else str(brief)
    where = parse_url(config.state.url, config.root)
    ledger = Ledger.existing(where.path, where)
    if ledger is None:
        return []
    with ledger:
        return ledger.entries(brief_id)


def _select_briefs(config: Config, briefs: Sequence[str | Path] | None) -> list[LoadedBrief]:
    """Input files and folders as given; anything else is a brief id among the inputs."""
    from briefgen.builds.briefs import validate

    paths = [Path(b) for b in briefs or () if Path(b).exists() or Path(b).suffix in {".yaml", ".yml"}]
    ids = [str(b) for b in briefs or () if Path(b) not in paths]
    chosen = validate(paths, config) if paths or not ids else []
    if ids:
        every = {item.brief.brief.id: item for item in validate(None, config)}
        unknown = [i for i in ids if i not in every]
        if unknown:
            known = ", ".join(sorted(every)) or "none"
            raise InputError(
                [Problem(i, 0, 0, "", f"no such brief id or input file; known ids: {known}") for i in unknown]
            )
        chosen += [every[i] for i in ids if every[i] not in chosen]
    return chosen


def _newest(paths: Sequence[Path]) -> float:
    newest = 0.0
    for path in paths:
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for item in path.rglob("*"):
                if item.is_file() and "email" not in item.relative_to(path).parts[:1]:
                    newest = max(newest, item.stat().st_mtime)
    return newest


def _fresh_build(loaded: LoadedBrief, config: Config, formats: Sequence[Format]) -> bool:
    """Whether ``output/`` has every format, newer than the input, briefgen.toml, the risk
    model, and every template and asset (the email templates do not count)."""
    from briefgen.render.theme import template_dirs

    outputs = [config.output_dir / f"{loaded.brief.brief.id}.{fmt}" for fmt in formats]
    if not all(p.is_file() for p in outputs):
        return False
    sources = [loaded.path, config.root / CONFIG_NAME, *template_dirs(config.templates_dir), config.assets_dir]
    if config.risk_model_path is not None:
        sources.append(config.risk_model_path)
    return min(p.stat().st_mtime for p in outputs) >= _newest(sources)


def _built(loaded: LoadedBrief, config: Config, formats: Sequence[Format], report: SendReport) -> dict[str, Path]:
    if not _fresh_build(loaded, config, formats):
        from briefgen.builds.briefs import build

        wanted = sorted({*config.build.formats, *formats})
        build([loaded.path], config, formats=wanted)
        report.built.append(loaded.brief.brief.id)
    return {fmt: config.output_dir / f"{loaded.brief.brief.id}.{fmt}" for fmt in formats}


def _peek(ledger: Ledger | None, key: DeliveryKey, digest: str, policy: _Policy) -> tuple[Outcome, str] | None:
    """A first look (no lock): why a recipient would be skipped, or None to go ahead.
    The claim decides for real."""
    entry = ledger.get(key) if ledger else None
    if entry is None:
        return None
    if entry.held(me=""):
        return "busy", "being sent by another run"
    if entry.status == "sent" and not (policy.resend or (policy.resend_changed and entry.content_hash != digest)):
        return "delivered", _when(entry, digest)
    if entry.status == "uncertain" and not policy.resend:
        return "uncertain", entry.detail or "the server may have accepted it"
    return None


def _when(entry: Entry, digest: str | None = None) -> str:
    stamp = dt.datetime.fromtimestamp(entry.sent_at or entry.updated_at).astimezone()
    text = f"already delivered {stamp:%Y-%m-%d %H:%M}"
    if digest is not None and entry.content_hash != digest:
        text += f" (version {entry.content_hash[:8]}, now {digest[:8]}: --resend-changed sends the new one)"
    return text


def _send_brief(
    loaded: LoadedBrief,
    recipients: Sequence[Stakeholder],
    config: Config,
    settings: MailSettings,
    transport: Transport,
    ledger: Ledger | None,
    report: SendReport,
    notify: Progress,
    policy: _Policy,
) -> None:
    from briefgen.deliver.compose import attachment_name, content_hash

    _send_document(
        loaded.brief,
        content_hash(loaded.brief),
        attachment_name(loaded.brief),
        lambda formats: _built(loaded, config, formats, report),
        recipients, config, settings, transport, ledger, report, notify, policy,
    )  # fmt: skip


def _send_document(
    brief: Brief,
    digest: str,
    pdf_name: str,
    outputs_for: Callable[[list[Format]], dict[str, Path]],
    recipients: Sequence[Stakeholder],
    config: Config,
    settings: MailSettings,
    transport: Transport,
    ledger: Ledger | None,
    report: SendReport,
    notify: Progress,
    policy: _Policy,
) -> None:
    """Send one document (a brief, or an edition seen as one) to each recipient, once."""
    from markupsafe import Markup

    from briefgen.deliver.compose import Attachment, brief_article, render_content
    from briefgen.render.environment import make_environment
    from briefgen.render.theme import template_dirs

    brief_id = brief.brief.id

    def key(person: Stakeholder) -> DeliveryKey:
        return DeliveryKey(brief_id, person.key, transport.channel)

    def record(delivery: Delivery) -> None:
        report.deliveries.append(delivery)
        notify(delivery)

    todo: list[Stakeholder] = []
    for person in recipients:
        if (skip := _peek(ledger, key(person), digest, policy)) is not None:
            record(Delivery(brief_id, person.email, person.name, person.format, skip[0], skip[1]))
        else:
            todo.append(person)
    if not todo:
        return

    env = make_environment(template_dirs(config.templates_dir))
    if report.dry_run:
        placeholder = Markup("<article></article>")
        for person in todo:
            wants_pdf = person.format in ("pdf", "both")
            attachment = Attachment(pdf_name, b"") if wants_pdf else None
            article = placeholder if person.format in ("html", "both") else None
            content = render_content(env, brief, person, attachment=attachment, article=article, sender=settings.sender)
            detail = f"would send to {transport.destination}"
            record(
                Delivery(
                    brief_id,
                    person.email,
                    person.name,
                    person.format,
                    "planned",
                    detail,
                    content.subject,
                    pdf_name if attachment else None,
                )
            )
        return

    formats: list[Format] = []
    if any(p.format in ("pdf", "both") for p in todo):
        formats.append("pdf")
    if any(p.format in ("html", "both") for p in todo):
        formats.append("html")
    outputs = outputs_for(formats)
    pdf = Attachment(pdf_name, outputs["pdf"].read_bytes()) if "pdf" in outputs else None
    article = brief_article(outputs["html"].read_text(encoding="utf-8")) if "html" in outputs else None

    # Render every message before the first is sent: a broken template stops the run here.
    contents: list[tuple[Stakeholder, Content, Attachment | None]] = []
    for person in todo:
        attachment = pdf if person.format in ("pdf", "both") else None
        body = article if person.format in ("html", "both") else None
        content = render_content(env, brief, person, attachment=attachment, article=body, sender=settings.sender)
        contents.append((person, content, attachment))

    assert ledger is not None
    abort: DeliveryError | None = None
    for person, content, attachment in contents:
        delivery = Delivery(brief_id, person.email, person.name, person.format, "failed", subject=content.subject)
        delivery.attachment = attachment.filename if attachment else None
        if abort is not None:
            _not_sent(ledger, key(person), digest, transport, delivery, abort, settings)
        else:
            abort = _deliver_one(
                ledger, key(person), digest, person, content, attachment, transport, settings, delivery, policy
            )
        record(delivery)


def _not_sent(
    ledger: Ledger,
    key: DeliveryKey,
    digest: str,
    transport: Transport,
    delivery: Delivery,
    abort: DeliveryError,
    settings: MailSettings,
) -> None:
    """After a failure that stops the batch, record the rest as not sent (to retry later)."""
    claim = ledger.claim(
        key,
        content_hash=digest,
        new_message_id=lambda: _message_id(key, settings.sender),
        destination=transport.destination,
    )
    if not claim.granted:
        _skipped(delivery, claim, digest)
        return
    delivery.detail = transport.scrub(f"not sent: {abort.detail}")
    ledger.failed(key, claim.generation, delivery.detail)


def _skipped(delivery: Delivery, claim: Claim, digest: str) -> None:
    entry = claim.entry
    if claim.reason == "busy":
        delivery.outcome, delivery.detail = "busy", "being sent by another run"
    elif claim.reason == "delivered":
        delivery.outcome, delivery.detail = "delivered", _when(entry, digest) if entry else "already delivered"
    else:
        delivery.outcome = "uncertain"
        delivery.detail = (entry.detail if entry else None) or "the server may have accepted it"


def _message_id(key: DeliveryKey, sender: str, generation: int | None = None) -> str:
    """Deterministic per (document, recipient, channel); an explicit resend of a delivered
    message gets its own, deterministic too (from the claim's generation)."""
    from briefgen.deliver.compose import message_id

    variant = f"resend-{generation}" if generation is not None else ""
    return message_id(key.brief_id, key.recipient, key.channel, sender, variant=variant)


def _deliver_one(
    ledger: Ledger,
    key: DeliveryKey,
    digest: str,
    person: Stakeholder,
    content: Content,
    attachment: Attachment | None,
    transport: Transport,
    settings: MailSettings,
    delivery: Delivery,
    policy: _Policy,
) -> DeliveryError | None:
    """Claim, send with retries, record. Returns the error if it must stop the batch."""
    from briefgen.deliver.compose import assemble

    claim = ledger.claim(
        key,
        content_hash=digest,
        new_message_id=lambda: _message_id(key, settings.sender),
        fresh_message_id=lambda generation: _message_id(key, settings.sender, generation),
        destination=transport.destination,
        resend=policy.resend,
        resend_changed=policy.resend_changed,
        replayable=transport.replayable,
    )
    if not claim.granted:
        _skipped(delivery, claim, digest)
        return None
    generation = claim.generation

    headers = {"X-Briefgen-Brief": f"{key.brief_id}; content={digest[:16]}"}
    if transport.channel == "outbox":
        headers["X-Unsent"] = "1"  # mail programs open it as a draft, ready to send
    message = assemble(
        content,
        sender=settings.sender,
        recipient=person,
        reply_to=settings.reply_to,
        message_id=claim.message_id,
        date=dt.datetime.now(dt.UTC).astimezone(),
        attachment=attachment,
        headers=headers,
    )
    from email import policy as email_policy

    data = message.as_bytes(policy=email_policy.SMTP)
    delivery.size, delivery.message_id = len(data), claim.message_id
    envelope = Envelope(parseaddr(settings.sender)[1], person.email, key.brief_id)

    def ready() -> None:
        # The fencing check: if another run took this claim over while this one stalled, the
        # final "." is not sent (the server then discards what it got).
        if not ledger.committing(key, generation):
            raise ClaimLost(f"{key.brief_id} to {key.recipient}")

    for attempt in range(settings.retries + 1):
        delivery.attempts = attempt + 1
        try:
            reply = transport.deliver(envelope, data, ready)
        except ClaimLost:
            delivery.outcome = "busy"
            delivery.detail = "taken over by another run while this one stalled; not sent by this run"
            return None
        except DeliveryError as exc:
            detail = transport.scrub(exc.detail)
            retry = exc.kind == "transient" and not exc.fatal and attempt < settings.retries
            if retry:
                if not ledger.retrying(key, generation, detail):
                    delivery.outcome, delivery.detail = "busy", "taken over by another run while this one waited"
                    return None
                policy.sleep(settings.retry_delay * 2**attempt)
                continue
            delivery.outcome, delivery.detail = ("uncertain" if exc.kind == "uncertain" else "failed"), detail
            if exc.kind == "uncertain":
                ledger.uncertain(key, generation, detail)
            else:
                ledger.failed(key, generation, detail)
            # A connection that cannot be made (or authenticated) will not work for the next one either.
            return exc if exc.fatal or exc.connecting else None
        ledger.sent(key, generation, reply)
        delivery.outcome, delivery.detail = "sent", reply
        return None
    return None  # pragma: no cover - the loop always returns
