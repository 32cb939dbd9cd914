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
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from briefgen.config import CONFIG_NAME, Config, Format, Stakeholder, check_address, load_config
from briefgen.deliver.channel import DeliveryError, Envelope, Transport
from briefgen.deliver.ledger import Claim, DeliveryKey, Entry, Ledger
from briefgen.deliver.mail import MailSettings, mail_settings
from briefgen.deliver.outbox import Outbox
from briefgen.deliver.report import Delivery, Outcome, SendReport
from briefgen.deliver.smtp import SmtpTransport
from briefgen.deliver.stakeholders import load_stakeholders, select_recipients
from briefgen.errors import InputError, Problem
from briefgen.state.claims import ClaimLost
from briefgen.state.url import parse_url

if TYPE_CHECKING:
    from briefgen.builds.edition_variants import EditionVariant
    from briefgen.builds.editions import EditionResult
    from briefgen.deliver.archive import Archive, Kept, Settle
    from briefgen.deliver.compose import Attachment, Content
    from briefgen.facts.load import LoadedBrief
    from briefgen.facts.schema import Brief

__all__ = ["Delivery", "SendReport", "deliveries", "edition_brief", "send", "send_edition"]


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
    test_to: str | None = None,
) -> SendReport:
    """Send each brief (ids or input files; default: every input) to its recipients.

    ``to`` narrows the stakeholders to groups or addresses. Recipients who have the brief (any
    version of it) are skipped unless ``resend`` (everyone again) or ``resend_changed`` (those
    whose version is not the current one); a ``dry_run`` builds, sends and records nothing.
    Without SMTP settings (or with ``outbox``) messages are written to ``output/outbox/``.
    A workspace whose ledger was lost refuses to send (:class:`~briefgen.state.store.StateError`)
    unless ``accept_lost_state``.

    Recipients get the variant of each brief their release level allows (see
    :mod:`briefgen.analysis.variants`); configured webhooks get its summary. ``test_to``: send
    the message each variant's recipients would get to that one address instead, "TEST" in the
    subject, recorded nowhere.
    """
    started = time.perf_counter()
    config = config or load_config()
    settings = mail_settings(config, environ, outbox=outbox)
    recipients = select_recipients(load_stakeholders(config), to)
    loaded = _select_briefs(config, briefs)
    notify = progress or (lambda _delivery: None)
    test = check_address(test_to) if test_to else None
    policy = _Policy(resend, resend_changed, sleep, test)
    with _session(
        config, settings, outbox=outbox, dry_run=dry_run, accept_lost_state=accept_lost_state, test=test is not None
    ) as (transport, ledger, report):
        for item in loaded:
            if _embargoed([item.brief], item.brief.brief.id, recipients, report, notify):
                continue
            _send_brief(item, recipients, config, settings, transport, ledger, report, notify, policy)
            if config.webhooks and test is None:
                from briefgen.deliver.hooks import post_webhooks

                for delivery in post_webhooks(
                    item.brief, content_hash_of=_content_hash, recipients=recipients, config=config,
                    environ=environ, ledger=ledger, dry_run=dry_run, resend=resend, sleep=sleep,
                ):  # fmt: skip
                    report.deliveries.append(delivery)
                    notify(delivery)
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class _Policy:
    """Who gets a message again, and how to wait between attempts."""

    resend: bool
    resend_changed: bool
    sleep: Callable[[float], None]
    #: Send one test message per variant to this address instead; record nothing.
    test_to: str | None = None
    #: What the test message's subject starts with.
    test_label: str = "TEST"
    #: Read first in every message's body (an edition sent unapproved at its deadline says so).
    notice: str | None = None


@contextmanager
def _session(
    config: Config,
    settings: MailSettings,
    *,
    outbox: bool,
    dry_run: bool,
    accept_lost_state: bool = False,
    test: bool = False,
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
    if test:  # a test-send touches no ledger
        try:
            yield transport, None, SendReport(transport.channel, transport.destination, dry_run)
        finally:
            transport.close()
        return
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
                # Before and after: what a killed run left pending in the archive is settled from
                # the ledger (after too, since this run's claims may turn a dead run's row uncertain).
                _reconcile(config, ledger)
                yield transport, ledger, SendReport(transport.channel, transport.destination, dry_run)
                _reconcile(config, ledger)
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
    test_to: Sequence[str] = (),
    test_label: str = "TEST",
    notice: str | None = None,
    test_levels: Mapping[str, str] | None = None,
) -> SendReport:
    """Send a built edition to its recipients, once each, exactly as :func:`send` sends a brief.

    The ledger keys it as ``edition-<id>`` and records the hash of the edition's snapshot (its
    facts) as the version each recipient got: a retry after a fact changed serves only those
    not yet served (with the current edition), unless ``resend_changed``.

    An edition that holds release-marked material goes to each recipient as the variant of
    their level (:mod:`briefgen.builds.edition_variants`); the ledger's version is then the
    variant's hash and its reply names the variant. ``test_to`` sends one message per variant
    to each address; configured webhooks get the edition's summary (their audience's variant).
    With ``test_levels`` (address, lowercased, to release level) an address gets only the
    variants its level may see, an address not in it only the widest audience's: the approval
    path's filter (a plain test-send is the analyst's own and gets every variant).
    """
    started = time.perf_counter()
    config = config or load_config()
    notify = progress or (lambda _d: None)
    settings = mail_settings(config, environ, outbox=outbox)
    recipients = select_recipients(load_stakeholders(config), to)
    audiences = _edition_audiences(edition, recipients, config, test=bool(test_to))

    if test_to:
        # One message per address and variant, as that variant's first recipient would get it, recorded nowhere.
        with _session(config, settings, outbox=outbox, dry_run=dry_run, test=True) as (transport, _none, report):
            for audience in audiences:
                if audience.withheld:
                    continue
                like = audience.people[:1] or [Stakeholder.ad_hoc(test_to[0])]
                for address in test_to:
                    if test_levels is not None and not _may_see(config, test_levels.get(address.lower()), audience):
                        continue
                    policy = _Policy(resend, resend_changed, sleep, check_address(address), test_label)
                    _send_document(
                        audience.brief, audience.digest, audience.pdf_name, audience.outputs_for,
                        like, config, settings, transport, None, report, notify, policy, variant=audience.level,
                    )  # fmt: skip
        report.seconds = time.perf_counter() - started
        return report
    policy = _Policy(resend, resend_changed, sleep, notice=notice)
    with _session(config, settings, outbox=outbox, dry_run=dry_run, accept_lost_state=accept_lost_state) as (
        transport,
        ledger,
        report,
    ):
        document = f"edition-{edition.id.lower()}"
        if not _embargoed(edition.briefs, document, recipients, report, notify):
            for audience in audiences:
                if audience.withheld:
                    for person in audience.people:
                        delivery = Delivery(document, person.email, person.name, person.format, "withheld")
                        delivery.detail, delivery.variant = audience.withheld, audience.level
                        report.deliveries.append(delivery)
                        notify(delivery)
                    continue
                _send_document(
                    audience.brief, audience.digest, audience.pdf_name, audience.outputs_for,
                    audience.people, config, settings, transport, ledger, report, notify, policy,
                    variant=audience.level,
                )  # fmt: skip
            if config.webhooks:
                from briefgen.builds.edition_variants import edition_marked
                from briefgen.deliver.hooks import post_document_webhooks

                known = {a.level: a for a in audiences}
                marked = edition_marked(edition)

                def view_for(level: str) -> tuple[Brief | None, str, bool]:
                    audience = known.get(level if marked else None) or _edition_audience(edition, level, config)
                    known[audience.level] = audience
                    if audience.withheld:
                        return None, audience.digest, marked
                    return _with_notice(audience.brief, notice), audience.digest, marked

                for delivery in post_document_webhooks(
                    f"edition-{edition.id.lower()}", view_for, recipients=recipients,
                    config=config, environ=environ, ledger=ledger, dry_run=dry_run, resend=resend, sleep=sleep,
                ):  # fmt: skip
                    report.deliveries.append(delivery)
                    notify(delivery)
        for audience in audiences:
            report.built += [i for i in audience.built if i not in report.built]
    report.seconds = time.perf_counter() - started
    return report


def _may_see(config: Config, level: str | None, audience: _Audience) -> bool:
    """Whether a reader cleared for ``level`` (None: no level, the widest audience's) may see the audience's variant."""
    if audience.level is None:  # nothing in the edition is marked
        return True
    ladder = config.release.ladder
    return ladder.index(audience.level) <= ladder.index(level or ladder[0])


def _with_notice(brief: Brief, notice: str | None) -> Brief:
    """``brief`` with ``notice`` opening its bottom line: what a webhook post leads with."""
    if not notice:
        return brief
    summary = f"{notice}\n\n{brief.brief.summary}" if brief.brief.summary else notice
    return brief.model_copy(update={"brief": brief.brief.model_copy(update={"summary": summary})})


@dataclass
class _Audience:
    """One audience of an edition: who, the edition as the email templates see it, and its files."""

    level: str | None  # None: the edition carries no markings, everyone gets the whole
    people: list[Stakeholder]
    brief: Brief
    digest: str
    outputs_for: Callable[[list[Format]], dict[str, Path]]
    built: list[str]
    withheld: str | None = None  # why this audience gets nothing (nothing in the edition is releasable to it)

    @property
    def pdf_name(self) -> str:
        from briefgen.deliver.compose import attachment_name

        return attachment_name(self.brief)


def _edition_audiences(
    edition: EditionResult, recipients: Sequence[Stakeholder], config: Config, *, test: bool = False
) -> list[_Audience]:
    """The recipients grouped by the variant of the edition they get, narrowest level last.
    The variants are worked out together, from one load of the facts."""
    from briefgen.builds.edition_variants import edition_marked, edition_variants

    if not edition_marked(edition):
        whole = _edition_audience(edition, None, config)
        whole.people = list(recipients)
        return [whole]
    options = config.release
    by_level: dict[str, list[Stakeholder]] = {}
    for person in recipients:
        by_level.setdefault(options.level_of(person.groups), []).append(person)
    if test and not by_level:
        by_level[options.level_of([])] = []
    levels = sorted(by_level, key=options.ladder.index)
    variants = edition_variants(edition, levels, config)
    audiences = []
    for level in levels:
        audience = _edition_audience(edition, level, config, variants[level])
        audience.people = by_level[level]
        audiences.append(audience)
    return audiences


def _edition_audience(
    edition: EditionResult, level: str | None, config: Config, variant: EditionVariant | None = None
) -> _Audience:
    """The edition for ``level`` (None: the whole edition, when nothing in it is marked)."""
    import hashlib

    from briefgen.builds.edition_variants import build_edition_variant, edition_marked, edition_variants

    built: list[str] = []
    if level is not None and edition_marked(edition):
        chosen = variant or edition_variants(edition, [level], config)[level]

        def variant_outputs(formats: list[Format]) -> dict[str, Path]:
            return build_edition_variant(chosen, config, formats)

        brief = edition_brief(edition, config, chosen)
        audience = _Audience(level, [], brief, chosen.digest, variant_outputs, built)
        if not chosen.briefs and not chosen.actions and config.editions.empty == "skip":
            # as a window without events is skipped, so is an edition with none this audience may see
            audience.withheld = f"nothing in this edition is releasable to {level}"
        return audience
    brief = edition_brief(edition, config)
    snapshot = edition.snapshot_path
    digest = hashlib.sha256(snapshot.read_bytes() if snapshot and snapshot.is_file() else brief.brief.id.encode())
    outputs = {o.format: o.path for o in edition.outputs}

    def outputs_for(formats: list[Format]) -> dict[str, Path]:
        if any(f not in outputs for f in formats):
            from briefgen.builds.editions import build_edition

            rebuilt = build_edition(edition.window, config, formats=sorted({*outputs, *formats}))
            outputs.update({o.format: o.path for o in rebuilt.outputs})
            built.append(edition.id)
        return {f: outputs[f] for f in formats}

    return _Audience(None, [], brief, digest.hexdigest(), outputs_for, built)


def _embargoed(
    briefs: Sequence[Brief], document: str, recipients: Sequence[Stakeholder], report: SendReport, notify: Progress
) -> bool:
    """Whether an embargo holds ``document`` back; if so, every recipient is reported withheld."""
    from briefgen.deliver.embargo import embargoed_until

    until = embargoed_until(briefs)
    if until is None:
        return False
    for person in recipients:
        delivery = Delivery(document, person.email, person.name, person.format, "withheld")
        delivery.detail = f"embargoed until {until.isoformat(timespec='minutes')}"
        report.deliveries.append(delivery)
        notify(delivery)
    return True


def edition_brief(edition: EditionResult, config: Config, variant: EditionVariant | None = None) -> Brief:
    """The edition as the email templates see a brief: its title and window, a bottom line
    listing its events, and every event's key judgments. Built in memory, never validated as
    input (its parts were), so judgments keep their original source ids. With ``variant``:
    that audience's edition (its briefs, its "what changed", its banner). Its words are in the
    edition's language (that of its first brief)."""
    from briefgen import i18n
    from briefgen.facts.schema import Brief, BriefMeta
    from briefgen.render.formatting import format_window

    opts = config.editions
    briefs = variant.briefs if variant is not None else edition.briefs
    changed, previous_id = (
        (variant.changes, variant.previous_id) if variant is not None else (edition.changes, edition.previous_id)
    )
    markings = [variant.marking] if variant is not None else list(dict.fromkeys(b.brief.marking for b in briefs))
    language = briefs[0].brief.language if briefs else "en"
    with i18n.using(language):
        _ = i18n.gettext
        events = "; ".join(f"**{b.brief.title}**" for b in briefs) or _("no new developments")
        changes = ""
        if previous_id:
            changes = " " + _("%(num)d change(s) since edition %(edition)s.") % {
                "num": len(changed),
                "edition": previous_id,
            }
        meta = BriefMeta.model_construct(
            id=f"edition-{edition.id.lower()}",
            title=f"{opts.title}: {format_window(edition.window)}",
            subtitle=_("Edition %(edition)s") % {"edition": edition.id},
            date=edition.window.last_day,
            author=opts.author,
            organisation=opts.organisation,
            audience=None,
            marking=(variant.marking if variant is not None else opts.marking)
            or " / ".join(markings)
            or "UNCLASSIFIED",
            language=language,
            keywords=[],
            summary=_("This edition covers %(num)d event(s): %(events)s.") % {"num": len(briefs), "events": events}
            + changes,
        )
    return Brief.model_construct(
        brief=meta,
        sources=[],
        key_judgments=[kj for b in briefs for kj in b.key_judgments],
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
    from briefgen.analysis.variants import is_marked
    from briefgen.deliver.compose import attachment_name, content_hash

    if not is_marked(loaded.brief):
        _send_document(
            loaded.brief,
            content_hash(loaded.brief),
            attachment_name(loaded.brief),
            lambda formats: _built(loaded, config, formats, report),
            recipients, config, settings, transport, ledger, report, notify, policy,
        )  # fmt: skip
        return
    from briefgen.analysis.variants import release_view
    from briefgen.builds.variants import build_variant

    options = config.release
    by_level: dict[str, list[Stakeholder]] = {}
    for person in recipients:
        by_level.setdefault(options.level_of(person.groups), []).append(person)
    for level in sorted(by_level, key=options.ladder.index):
        people = by_level[level]
        view = release_view(loaded.brief, level, options.ladder, options.banners).brief
        if view is None:
            for person in people:
                detail = f"not releasable to {level} (the brief is marked {loaded.brief.brief.release})"
                delivery = Delivery(loaded.brief.brief.id, person.email, person.name, person.format, "withheld", detail)
                delivery.variant = level
                report.deliveries.append(delivery)
                notify(delivery)
            continue

        def outputs_for(formats: list[Format], view: Brief = view, level: str = level) -> dict[str, Path]:
            return build_variant(view, level, config, formats)

        _send_document(
            view, content_hash(view), attachment_name(view), outputs_for,
            people, config, settings, transport, ledger, report, notify, policy, variant=level,
        )  # fmt: skip


def _content_hash(brief: Brief) -> str:
    from briefgen.deliver.compose import content_hash

    return content_hash(brief)


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
    variant: str | None = None,
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
        delivery.variant = variant
        report.deliveries.append(delivery)
        notify(delivery)

    if policy.test_to is not None:
        if recipients and not report.dry_run:
            record(
                _test_send(
                    brief,
                    pdf_name,
                    outputs_for,
                    recipients[0],
                    policy.test_to,
                    config,
                    settings,
                    transport,
                    variant,
                    policy.test_label,
                )
            )
        return

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
    formats.append("html")  # the archive keeps the HTML of everything sent, whoever read the PDF
    outputs = outputs_for(formats)
    pdf = Attachment(pdf_name, outputs["pdf"].read_bytes()) if "pdf" in outputs else None
    article = brief_article(outputs["html"].read_text(encoding="utf-8")) if "html" in outputs else None

    # Render every message before the first is sent: a broken template stops the run here.
    contents: list[tuple[Stakeholder, Content, Attachment | None]] = []
    for person in todo:
        attachment = pdf if person.format in ("pdf", "both") else None
        body = article if person.format in ("html", "both") else None
        content = render_content(
            env, brief, person, attachment=attachment, article=body, sender=settings.sender, notice=policy.notice
        )
        contents.append((person, content, attachment))

    assert ledger is not None
    from briefgen.deliver.archive import Archive

    abort: DeliveryError | None = None
    with Archive.of_workspace(config.root, parse_url(config.state.url, config.root)) as archive:
        keeper = _Keeper(
            archive, brief, variant or "all", transport.channel,
            archive.put(outputs["html"].read_bytes()) if "html" in outputs else None,
            archive.put(outputs["pdf"].read_bytes()) if "pdf" in outputs else None,
        )  # fmt: skip
        for person, content, attachment in contents:
            delivery = Delivery(brief_id, person.email, person.name, person.format, "failed", subject=content.subject)
            delivery.attachment = attachment.filename if attachment else None
            if abort is not None:
                _not_sent(ledger, key(person), digest, transport, delivery, abort, settings)
            else:
                abort = _deliver_one(
                    ledger, key(person), digest, person, content, attachment, transport, settings, delivery, policy,
                    keeper, variant,
                )  # fmt: skip
            record(delivery)


@dataclass(frozen=True)
class _Keeper:
    """The archive, for one document's messages: each is archived (pending) before it is handed
    over and settled as soon as its outcome is known, so no kill can leave a message that went
    out unarchived (see :mod:`briefgen.deliver.archive`)."""

    archive: Archive
    brief: Brief
    variant: str
    channel: str
    html: str | None
    pdf: str | None

    def hold(self, recipient: str, message: bytes) -> Kept:
        return self.archive.hold(
            document=self.brief.brief.id, title=self.brief.brief.title, day=self.brief.brief.date.isoformat(),
            variant=self.variant, recipient=recipient.lower(), channel=self.channel, message=message,
            html=self.html, pdf=self.pdf,
        )  # fmt: skip


def _settle(entry: Entry | None, me: str) -> Settle:
    """What a pending archive row becomes, from its delivery's ledger row.

    ``sent``: delivered. ``uncertain`` (and ``committing`` by a dead run, which the next claim
    calls uncertain): delivered too, because the server had the whole message and most likely
    kept it, and the archive promises everything that went out: keeping one that perhaps did
    not arrive is the lesser fault than losing one that did (``--resend`` then archives the
    new copy as well, as it is a second message). ``failed``, or ``sending`` by a dead run (its
    final "." never left, so the server discarded it): dropped. A live run's claim, or no
    ledger row: left for later."""
    if entry is None or entry.held(me=me):
        return "wait"
    if entry.status in ("sent", "uncertain", "committing"):
        return "promote"
    return "drop"


def _reconcile(config: Config, ledger: Ledger) -> None:
    """Settle the archive's pending rows that a killed run left, from the ledger."""
    from briefgen.deliver.archive import Archive

    with Archive.of_workspace(config.root, parse_url(config.state.url, config.root)) as archive:
        if archive.pending():
            archive.reconcile(
                lambda kept: _settle(ledger.get(DeliveryKey(kept.document, kept.recipient, kept.channel)), ledger.owner)
            )


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
    keeper: _Keeper,
    variant: str | None = None,
) -> DeliveryError | None:
    """Claim, archive (pending), send with retries, record and settle the archive row. Returns
    the error if it must stop the batch."""
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
    if variant is not None:
        headers["X-Briefgen-Brief"] += f"; variant={variant}"
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
    delivery.size, delivery.message_id, delivery.data = len(data), claim.message_id, data
    envelope = Envelope(parseaddr(settings.sender)[1], person.email, key.brief_id)
    # Archived before the hand-over: a kill after the server takes it leaves it pending, never missing.
    kept = keeper.hold(person.email, data)

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
            keeper.archive.drop(kept)
            delivery.outcome = "busy"
            delivery.detail = "taken over by another run while this one stalled; not sent by this run"
            return None
        except DeliveryError as exc:
            detail = transport.scrub(exc.detail)
            retry = exc.kind == "transient" and not exc.fatal and attempt < settings.retries
            if retry:
                if not ledger.retrying(key, generation, detail):
                    keeper.archive.drop(kept)
                    delivery.outcome, delivery.detail = "busy", "taken over by another run while this one waited"
                    return None
                policy.sleep(settings.retry_delay * 2**attempt)
                continue
            delivery.outcome, delivery.detail = ("uncertain" if exc.kind == "uncertain" else "failed"), detail
            if exc.kind == "uncertain":
                ledger.uncertain(key, generation, detail)
                keeper.archive.promote(kept)  # it may have gone: kept, see _settle
            else:
                ledger.failed(key, generation, detail)
                keeper.archive.drop(kept)
            # A connection that cannot be made (or authenticated) will not work for the next one either.
            return exc if exc.fatal or exc.connecting else None
        # The ledger's reply column says which variant went out (its version is the variant's hash).
        ledger.sent(key, generation, f"variant {variant}: {reply}" if variant else reply)
        # A separate step (the archive may live elsewhere than the ledger): a kill right here
        # leaves the row pending, and the next run promotes it from the ledger's "sent".
        keeper.archive.promote(kept)
        delivery.outcome, delivery.detail = "sent", reply
        return None
    return None  # pragma: no cover - the loop always returns


def _test_send(
    brief: Brief,
    pdf_name: str,
    outputs_for: Callable[[list[Format]], dict[str, Path]],
    like: Stakeholder,
    address: str,
    config: Config,
    settings: MailSettings,
    transport: Transport,
    variant: str | None = None,
    label: str = "TEST",
) -> Delivery:
    """The message ``like`` would get, to ``address``, "TEST" in its subject, recorded nowhere
    (a fresh random Message-ID, so it never collides with the real delivery's)."""
    import uuid
    from email import policy as email_policy

    from briefgen.deliver.compose import Attachment, assemble, brief_article, render_content
    from briefgen.render.environment import make_environment
    from briefgen.render.theme import template_dirs

    formats: list[Format] = []
    if like.format in ("pdf", "both"):
        formats.append("pdf")
    if like.format in ("html", "both"):
        formats.append("html")
    outputs = outputs_for(formats)
    pdf = Attachment(pdf_name, Path(outputs["pdf"]).read_bytes()) if "pdf" in outputs else None
    article = brief_article(Path(outputs["html"]).read_text(encoding="utf-8")) if "html" in outputs else None
    env = make_environment(template_dirs(config.templates_dir))
    content = render_content(env, brief, like, attachment=pdf, article=article, sender=settings.sender)
    content = type(content)(f"{label}: {content.subject}", content.text, content.html)
    target = like.model_copy(update={"email": address})
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "briefgen.invalid"
    message = assemble(
        content,
        sender=settings.sender,
        recipient=target,
        reply_to=settings.reply_to,
        message_id=f"<test-{uuid.uuid4().hex}@{domain}>",
        date=dt.datetime.now(dt.UTC).astimezone(),
        attachment=pdf,
        headers={"X-Briefgen-Test": f"{brief.brief.id}; as sent to {like.key}"},
    )
    data = message.as_bytes(policy=email_policy.SMTP)
    delivery = Delivery(brief.brief.id, address, like.name, like.format, "tested", subject=content.subject)
    delivery.size = len(data)
    try:
        # Its own document name, so the outbox keeps one test message per variant.
        document = f"{brief.brief.id}.test-{variant or 'all'}"
        reply = transport.deliver(Envelope(parseaddr(settings.sender)[1], address, document), data, lambda: None)
    except DeliveryError as exc:
        delivery.outcome, delivery.detail = "failed", transport.scrub(exc.detail)
        return delivery
    delivery.detail = f"test, as {like.key} would get it; not recorded: {reply}"
    return delivery
