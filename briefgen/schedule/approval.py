"""Approval before send, for a schedule: ask once per content, wait, apply the deadline policy."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefgen.config import Config, ScheduleSpec, Stakeholder
from briefgen.i18n import N_, translate_in
from briefgen.schedule.runs import RunOutcome

if TYPE_CHECKING:
    from briefgen.builds.editions import EditionResult

__all__ = ["approver_levels", "await_approval", "edition_digest", "uncleared_levels"]


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


@dataclass(frozen=True)
class _Review:
    """Who reviews a schedule's edition and who reads it, from one read of the stakeholders."""

    approvers: list[Stakeholder]
    cleared: dict[str, str]  # approver's address → the level they are cleared for
    going: set[str]  # the levels the schedule's recipients get

    @classmethod
    def of(cls, config: Config, spec: ScheduleSpec) -> _Review:
        from briefgen.deliver.stakeholders import load_stakeholders, select_recipients

        everyone = load_stakeholders(config)
        options = config.release
        approvers = select_recipients(everyone, spec.approvers)
        cleared: dict[str, str] = {}
        for person in approvers:
            granted = [options.groups[g] for g in person.groups if g in options.groups]
            cleared[person.key] = max(granted, key=options.ladder.index) if granted else options.ladder[0]
        going = {options.level_of(p.groups) for p in select_recipients(everyone, spec.groups)}
        return cls(approvers, cleared, going)

    def uncleared(self, ladder: list[str]) -> list[str]:
        top = max((ladder.index(level) for level in self.cleared.values()), default=-1)
        return sorted((level for level in self.going if ladder.index(level) > top), key=ladder.index)

    def asked(self, ladder: list[str]) -> list[Stakeholder]:
        """The approvers cleared for at least one variant that goes out (the others get nothing to read)."""
        widest = min((ladder.index(level) for level in self.going), default=0)
        return [p for p in self.approvers if ladder.index(self.cleared.get(p.key, ladder[0])) >= widest]


def approver_levels(config: Config, spec: ScheduleSpec) -> dict[str, str]:
    """Each approver's address and the release level they are cleared for: the highest level
    ``[release] groups`` gives one of their groups. An approver none of whose groups has a
    level (an address typed into the schedule, or a stakeholder in no listed group) is cleared
    for the widest audience only: ``[release] default`` says what such a *recipient* gets, but
    clearing someone to read (and sign off) restricted material takes a group at that level."""
    return _Review.of(config, spec).cleared


def uncleared_levels(config: Config, spec: ScheduleSpec) -> list[str]:
    """The release levels the schedule's recipients get (when an edition holds marked material)
    that no approver is cleared for, widest first: approving those variants means nothing."""
    return _Review.of(config, spec).uncleared(config.release.ladder)


def uncleared_text(levels: list[str]) -> str:
    """What a run held for want of a cleared approver says (and its owners are told)."""
    named = ", ".join(f"{level!r}" for level in levels)
    return f"no approver is cleared for {named}: add an approver to a group at that level"


def _language(edition: EditionResult) -> str:
    """An edition speaks the language of its first brief (as its pages do)."""
    return edition.briefs[0].brief.language if edition.briefs else "en"


def _when(stamp: float) -> str:
    return f"{dt.datetime.fromtimestamp(stamp, dt.UTC):%Y-%m-%d %H:%M} UTC"


#: What recipients read first when the deadline policy sends an edition nobody approved.
UNAPPROVED_NOTICE = N_(
    "NOT APPROVED: this edition was sent without approval, because no approver signed it off by "
    "the deadline ({deadline}). Treat it as unreviewed."
)


def await_approval(
    config: Config, spec: ScheduleSpec, edition: EditionResult
) -> tuple[RunOutcome | None, str, str | None]:
    """``(None, note, notice)`` when the edition may go out (``notice``: what its recipients
    must read first, when it goes out unapproved); else ``(outcome, "", None)`` while it waits.

    A first request for this exact content sends the edition "FOR APPROVAL" to the approvers
    (never recorded as a delivery), each getting only the variants their level may see; a
    changed edition is a new request. The deadline runs from the edition's first request:
    editing the facts asks again but does not move the deadline. When a variant that would go
    out has no cleared approver, nothing is asked or sent: the run fails (not retried by itself)
    and the owners are told once, as when a gate fails.
    """
    from briefgen.builds.edition_variants import edition_marked
    from briefgen.deliver.approvals import Approvals
    from briefgen.deliver.send import send_edition
    from briefgen.schedule.runs import state_url

    review = _Review.of(config, spec)
    marked = edition_marked(edition)
    if marked and (levels := review.uncleared(config.release.ladder)):
        from briefgen.schedule.gates import tell_owners

        problem = uncleared_text(levels)
        told = tell_owners(config, spec, edition.id, [problem])
        owners = f"; {told} owner(s) told" if told else ""
        return RunOutcome("failed", f"held, {problem}{owners}", retryable=False), "", None
    document = f"edition-{edition.id.lower()}"
    digest = edition_digest(edition, config)
    approvers = review.asked(config.release.ladder) if marked else review.approvers
    cleared = review.cleared
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
            notice = translate_in(_language(edition), UNAPPROVED_NOTICE).format(deadline=_when(deadline))
            return None, f"; sent without approval at deadline ({_when(deadline)})", notice
    if new:
        # Not `send --test-to` as is: that sends every variant to every address it is given.
        send_edition(
            edition, config, to=spec.groups, test_to=[p.email for p in approvers], test_label="FOR APPROVAL",
            test_levels=cleared,
        )  # fmt: skip
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
