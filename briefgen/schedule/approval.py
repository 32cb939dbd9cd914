"""Approval before send, for a schedule: ask once per content, wait, apply the deadline policy."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from typing import TYPE_CHECKING

from briefgen.config import Config, ScheduleSpec
from briefgen.schedule.runs import RunOutcome

if TYPE_CHECKING:
    from briefgen.builds.editions import EditionResult

__all__ = ["await_approval", "edition_digest"]


def edition_digest(edition: EditionResult, config: Config | None = None) -> str:
    """The hash an approval is of: every fact of every brief in the edition (a change to any
    word voids an approval), and the edition's id; with ``config``, every audience's variant
    too (one approval covers them all, see :func:`briefgen.builds.edition_variants.approval_digest`)."""
    if config is not None:
        from briefgen.builds.edition_variants import approval_digest

        return approval_digest(edition, config)
    digest = hashlib.sha256(edition.id.encode())
    for brief in edition.briefs:
        digest.update(b"\0" + brief.model_dump_json().encode())
    return digest.hexdigest()


def _when(stamp: float) -> str:
    return f"{dt.datetime.fromtimestamp(stamp, dt.UTC):%Y-%m-%d %H:%M} UTC"


#: What recipients read first when the deadline policy sends an edition nobody approved.
UNAPPROVED_NOTICE = (
    "NOT APPROVED: this edition was sent without approval, because no approver signed it off by "
    "the deadline ({deadline}). Treat it as unreviewed."
)


def await_approval(
    config: Config, spec: ScheduleSpec, edition: EditionResult
) -> tuple[RunOutcome | None, str, str | None]:
    """``(None, note, notice)`` when the edition may go out (``notice``: what its recipients
    must read first, when it goes out unapproved); else ``(outcome, "", None)`` while it waits.

    A first request for this exact content sends the edition "FOR APPROVAL" to the approvers
    (never recorded as a delivery); a changed edition is a new request. The deadline runs from
    the edition's first request: editing the facts asks again but does not move the deadline.
    """
    from briefgen.deliver.approvals import Approvals
    from briefgen.deliver.send import send_edition
    from briefgen.deliver.stakeholders import load_stakeholders, select_recipients
    from briefgen.schedule.runs import state_url

    document = f"edition-{edition.id.lower()}"
    digest = edition_digest(edition, config)
    approvers = select_recipients(load_stakeholders(config), spec.approvers)
    names = ", ".join(p.email for p in approvers)
    where = state_url(config)
    hours = spec.approval_deadline_hours
    with Approvals(where.path, url=where) as store:
        decided = store.decision(document, spec.name)
        if decided is not None and decided.decision == "skipped":
            return RunOutcome("skipped", _skipped_text(decided.decided_at)), "", None
        given = store.approvals(document, digest)
        if given:
            who = ", ".join(f"{a.approver} at {_when(a.approved_at)}" for a in given)
            return None, f"; approved by {who}", None
        request, new = store.request(document, digest, names)
        first = store.first_request(document) or request
        deadline = first.requested_at + hours * 3600 if hours is not None else None
        passed = deadline is not None and time.time() > deadline
        if passed and spec.on_deadline == "skip":
            decided = store.decide(document, spec.name, digest, "skipped")
            return RunOutcome("skipped", _skipped_text(decided.decided_at)), "", None
        if passed and spec.on_deadline == "send":
            assert deadline is not None
            store.decide(document, spec.name, digest, "sent-unapproved")
            notice = UNAPPROVED_NOTICE.format(deadline=_when(deadline))
            return None, f"; sent without approval at deadline ({_when(deadline)})", notice
    if new:
        send_edition(edition, config, test_to=[p.email for p in approvers], test_label="FOR APPROVAL")
    held = f"; deadline {_when(deadline)} passed, held until approved" if passed and deadline is not None else ""
    return (
        RunOutcome(
            "failed",
            f"awaiting approval by {names} since {_when(request.requested_at)}{held} "
            f"(version {digest[:8]}; `briefgen approve {edition.id}`)",
        ),
        "",
        None,
    )


def _skipped_text(at: float) -> str:
    return f"skipped: not approved by deadline (decided {_when(at)}); never sent, even if approved later"


def approve(
    config: Config, ident: str, approver: str, comment: str | None = None
) -> tuple[str, str, list[tuple[str, str]]]:
    """Approve the version of an edition (``2021-W49``) or document that last asked for it.
    Returns (document, content hash, what deadline policies already decided: (schedule, decision)s)."""
    from briefgen.deliver.approvals import Approvals
    from briefgen.errors import InputError, Problem
    from briefgen.schedule.runs import state_url

    document = ident if ident.startswith("edition-") or "-w" not in ident.lower() else f"edition-{ident.lower()}"
    where = state_url(config)
    request = None
    decided: list[tuple[str, str]] = []
    if where.postgres or where.path.is_file():
        with Approvals(where.path, url=where) as store:
            request = store.latest_request(document)
            if request is not None:
                store.approve(document, request.content_hash, approver, comment)
                decided = [(d.schedule, d.decision) for d in store.decisions(document)]
    if request is None:
        raise InputError([Problem(ident, 0, 0, "", "nothing awaits approval under this id (e.g. 2021-W49)")])
    return document, request.content_hash, decided
