"""Posting each brief and edition to the configured webhooks (Teams, Slack, JSON), once per destination.

Shares the email ledger: the key is (brief or edition, ``webhook:<name>``, ``webhook``), so a re-run
posts only where the post did not go through, and a post that may have landed (a timeout
after the request was sent) is recorded *uncertain* and not repeated without ``--resend``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from briefgen.config import Config, Stakeholder, Webhook
from briefgen.deliver.channel import DeliveryError, Envelope
from briefgen.deliver.ledger import DeliveryKey, Ledger
from briefgen.state.claims import ClaimLost

if TYPE_CHECKING:
    from briefgen.deliver.report import Delivery
    from briefgen.facts.schema import Brief

__all__ = ["post_document_webhooks", "post_webhooks", "webhook_url"]


def webhook_url(hook: Webhook, config: Config, environ: Mapping[str, str] | None = None) -> str:
    """The hook's URL from its environment variable, else its file; a clear error if neither is set."""
    environ = os.environ if environ is None else environ
    if hook.url_env and environ.get(hook.url_env, "").strip():
        return environ[hook.url_env].strip()
    if hook.url_file is not None:
        path = config.resolve(hook.url_file)
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
    where = " or ".join(w for w in (f"${hook.url_env}" if hook.url_env else "", str(hook.url_file or "")) if w)
    raise DeliveryError(f"webhook {hook.name}: no URL (set {where})", "permanent")


def selected(hooks: Sequence[Webhook], recipients: Sequence[Stakeholder]) -> list[Webhook]:
    """The hooks a send to ``recipients`` reaches: those for any of their groups, and those for everyone."""
    groups = {g for person in recipients for g in person.groups}
    return [h for h in hooks if not h.groups or set(h.groups) & groups]


def post_webhooks(
    brief: Brief,
    *,
    content_hash_of: Callable[[Brief], str],
    recipients: Sequence[Stakeholder],
    config: Config,
    environ: Mapping[str, str] | None,
    ledger: Ledger | None,
    dry_run: bool = False,
    resend: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivery]:
    """Post ``brief`` (the variant each hook's audience may see) to every selected hook."""
    from briefgen.analysis.variants import release_view

    options = config.release

    def view_for(level: str) -> tuple[Brief | None, str, bool]:
        view = release_view(brief, level, options.ladder, options.banners)
        return view.brief, content_hash_of(view.brief) if view.brief is not None else "", view.marked

    return post_document_webhooks(
        brief.brief.id, view_for, recipients=recipients, config=config, environ=environ, ledger=ledger,
        dry_run=dry_run, resend=resend, sleep=sleep,
    )  # fmt: skip


def post_document_webhooks(
    document_id: str,
    view_for: Callable[[str], tuple[Brief | None, str, bool]],
    *,
    recipients: Sequence[Stakeholder],
    config: Config,
    environ: Mapping[str, str] | None,
    ledger: Ledger | None,
    dry_run: bool = False,
    resend: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivery]:
    """Post a document (an edition, ``edition-2021-w49``, or a brief) to every selected hook: for
    each, ``view_for(level)`` gives the document as its audience may see it (title, bottom line,
    key judgments), that variant's hash, and whether the document has variants at all. One
    ledger for all: once per (document, hook)."""
    from briefgen.deliver.report import Delivery
    from briefgen.deliver.webhook import WebhookTransport, encode, payload, summarise

    out: list[Delivery] = []
    options = config.release
    for hook in selected(config.webhooks, recipients):
        level = hook.release or options.ladder[0]
        document, digest, marked = view_for(level)
        where = f"webhook:{hook.name}"
        delivery = Delivery(document_id, where, hook.name, hook.kind, "failed")
        delivery.variant = level if marked else None
        out.append(delivery)
        if document is None:
            delivery.outcome, delivery.detail = "withheld", f"not releasable to {level}"
            continue
        # where the archive site keeps it: the level's folder, or "all" for a document without markings
        folder = level if marked else "all"
        link = f"{config.archive.url.rstrip('/')}/{folder}/{document_id}.html" if config.archive.url else None
        data = encode(payload(hook.kind, summarise(document, link)))
        if dry_run or ledger is None:
            delivery.outcome, delivery.subject = "planned", document.brief.title
            continue
        try:
            url = webhook_url(hook, config, environ)
            transport = WebhookTransport(url, name=hook.name, timeout=hook.timeout, retries=hook.retries, sleep=sleep)
        except DeliveryError as exc:
            delivery.detail = exc.detail
            continue
        _post(transport, ledger, DeliveryKey(document_id, where, "webhook"), digest, data, delivery, resend)
    return out


def _post(
    transport: object,
    ledger: Ledger,
    key: DeliveryKey,
    digest: str,
    data: bytes,
    delivery: Delivery,
    resend: bool,
) -> None:
    from briefgen.deliver.webhook import WebhookTransport

    assert isinstance(transport, WebhookTransport)
    claim = ledger.claim(
        key,
        content_hash=digest,
        new_message_id=lambda: f"{key.brief_id}/{key.recipient}",
        destination=transport.destination,
        resend=resend,
    )
    if not claim.granted:
        entry = claim.entry
        delivery.outcome = (
            "delivered" if claim.reason == "delivered" else ("busy" if claim.reason == "busy" else "uncertain")
        )
        delivery.detail = (entry.detail if entry and claim.reason != "delivered" else None) or claim.reason
        return
    generation = claim.generation

    def ready() -> None:
        if not ledger.committing(key, generation):
            raise ClaimLost(f"{key.brief_id} to {key.recipient}")

    delivery.size = len(data)
    try:
        reply = transport.deliver(Envelope("", key.recipient, key.brief_id), data, ready)
    except ClaimLost:
        delivery.outcome, delivery.detail = "busy", "taken over by another run"
        return
    except DeliveryError as exc:
        delivery.detail = transport.scrub(exc.detail)
        if exc.kind == "uncertain":
            delivery.outcome = "uncertain"
            ledger.uncertain(key, generation, delivery.detail)
        else:
            ledger.failed(key, generation, delivery.detail)
        return
    finally:
        delivery.attempts = transport.requests
    ledger.sent(key, generation, reply)
    delivery.outcome, delivery.detail = "sent", f"posted to {transport.destination}: {reply}"
