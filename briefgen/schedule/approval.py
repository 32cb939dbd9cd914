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


def await_approval(config: Config, spec: ScheduleSpec, edition: EditionResult) -> tuple[RunOutcome | None, str]:
    """``(None, note)`` when the edition may go out; else the run's outcome while it waits.

    A first request for this exact content sends the edition "FOR APPROVAL" to the approvers
    (never recorded as a delivery); a changed edition is a new request.
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
    with Approvals(where.path, url=where) as store:
        given = store.approvals(document, digest)
        if given:
            who = ", ".join(f"{a.approver} at {_when(a.approved_at)}" for a in given)
            return None, f"; approved by {who}"
        request, new = store.request(document, digest, names)
    if new:
        send_edition(edition, config, test_to=[p.email for p in approvers], test_label="FOR APPROVAL")
    waited = time.time() - request.requested_at
    deadline = spec.approval_deadline_hours
    if deadline is not None and waited > deadline * 3600:
        if spec.on_deadline == "send":
            return (
                None,
                f"; sent WITHOUT approval: none by the deadline ({deadline:g} h after {_when(request.requested_at)})",
            )
        if spec.on_deadline == "skip":
            return RunOutcome("skipped", f"not approved within {deadline:g} h: this week is skipped"), ""
    return (
        RunOutcome(
            "failed",
            f"awaiting approval by {names} since {_when(request.requested_at)} "
            f"(version {digest[:8]}; `briefgen approve {edition.id}`)",
        ),
        "",
    )


def approve(config: Config, ident: str, approver: str, comment: str | None = None) -> tuple[str, str]:
    """Approve the version of an edition (``2021-W49``) or document that last asked for it.
    Returns (document, content hash)."""
    from briefgen.deliver.approvals import Approvals
    from briefgen.errors import InputError, Problem
    from briefgen.schedule.runs import state_url

    document = ident if ident.startswith("edition-") or "-w" not in ident.lower() else f"edition-{ident.lower()}"
    where = state_url(config)
    request = None
    if where.postgres or where.path.is_file():
        with Approvals(where.path, url=where) as store:
            request = store.latest_request(document)
            if request is not None:
                store.approve(document, request.content_hash, approver, comment)
    if request is None:
        raise InputError([Problem(ident, 0, 0, "", "nothing awaits approval under this id (e.g. 2021-W49)")])
    return document, request.content_hash
