"""Approval before send: who approved which content hash of a document, and what is awaited.

An approval is of exact content: a change to the document gives it a new hash, which no one
has approved yet, so the approvers are asked again. Kept in the state database (portable SQL).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from briefgen.state.migrations import Feature, migrate
from briefgen.state.store import StateStore, open_state
from briefgen.state.url import StateURL, location

__all__ = ["FEATURE", "Approval", "Approvals", "Decision", "Request"]

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS approval_requests (
        document     TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        approvers    TEXT NOT NULL,
        requested_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (document, content_hash)
    )""",
    """CREATE TABLE IF NOT EXISTS approvals (
        document     TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        approver     TEXT NOT NULL,
        comment      TEXT,
        approved_at  DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (document, content_hash, approver)
    )""",
]


#: Version 2: what a schedule's deadline policy decided for a document (``skipped``,
#: ``sent-unapproved``); the first decision stands, so a skipped edition stays skipped whatever
#: is approved later. Per schedule: two schedules may send one edition under different policies.
DECISIONS = [
    """CREATE TABLE IF NOT EXISTS approval_decisions (
        document     TEXT NOT NULL,
        schedule     TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        decision     TEXT NOT NULL,
        decided_at   DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (document, schedule)
    )""",
]


#: The approvals' tables, for ``briefgen state migrate|check|copy`` on a shared database.
FEATURE = Feature(
    "approvals", versions=[SCHEMA, DECISIONS], tables=["approval_requests", "approvals", "approval_decisions"]
)


@dataclass(frozen=True)
class Request:
    document: str
    content_hash: str
    approvers: str
    requested_at: float


@dataclass(frozen=True)
class Approval:
    document: str
    content_hash: str
    approver: str
    comment: str | None
    approved_at: float


@dataclass(frozen=True)
class Decision:
    document: str
    schedule: str
    content_hash: str
    decision: str
    decided_at: float


class Approvals(StateStore):
    def __init__(self, path: Path, *, url: StateURL | None = None) -> None:
        self.url = location(path, url)
        self.path = path
        self.remote = self.url.display() if self.url.postgres else None
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = open_state(path, self.url.dsn, self.url.secrets(), self.where)
        try:
            if self.postgres:
                migrate(self._db, FEATURE, self.where)
            else:
                with self._write() as db:
                    for statement in [*SCHEMA, *DECISIONS]:
                        db.execute(statement)
        except BaseException:
            self._db.close()
            raise

    def request(self, document: str, content_hash: str, approvers: str) -> tuple[Request, bool]:
        """The request for this exact content, and whether it is new (the approvers are to be asked)."""
        with self._write() as db:
            self._lock("approval", document, content_hash)
            row = db.execute(
                "SELECT * FROM approval_requests WHERE document = ? AND content_hash = ?", (document, content_hash)
            ).fetchone()
            if row is not None:
                return Request(*tuple(row)), False
            request = Request(document, content_hash, approvers, time.time())
            db.execute("INSERT INTO approval_requests VALUES (?, ?, ?, ?)", tuple(request.__dict__.values()))
            return request, True

    def latest_request(self, document: str) -> Request | None:
        row = self._db.execute(
            "SELECT * FROM approval_requests WHERE document = ? ORDER BY requested_at DESC LIMIT 1", (document,)
        ).fetchone()
        return Request(*tuple(row)) if row is not None else None

    def first_request(self, document: str) -> Request | None:
        """The document's first request: its deadline runs from here, whatever changed since."""
        row = self._db.execute(
            "SELECT * FROM approval_requests WHERE document = ? ORDER BY requested_at LIMIT 1", (document,)
        ).fetchone()
        return Request(*tuple(row)) if row is not None else None

    def approve(self, document: str, content_hash: str, approver: str, comment: str | None) -> Approval:
        """Record (or renew) one approver's approval of this content: one row per approver,
        however many times, from however many hosts, at once."""
        approval = Approval(document, content_hash, approver, comment, time.time())
        with self._write() as db:
            self._lock("approve", document, content_hash, approver)
            # An upsert, not delete-then-insert: two hosts approving at once would otherwise
            # both insert, and the second would fail on the key under READ COMMITTED.
            db.execute(
                "INSERT INTO approvals VALUES (?, ?, ?, ?, ?) ON CONFLICT (document, content_hash, approver)"
                " DO UPDATE SET comment = excluded.comment, approved_at = excluded.approved_at",
                tuple(approval.__dict__.values()),
            )
        return approval

    def decide(self, document: str, schedule: str, content_hash: str, decision: str) -> Decision:
        """Record what ``schedule``'s deadline policy did with ``document``; an earlier decision stands."""
        with self._write() as db:
            db.execute(
                "INSERT INTO approval_decisions VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (document, schedule, content_hash, decision, time.time()),
            )
        decided = self.decision(document, schedule)
        assert decided is not None
        return decided

    def decision(self, document: str, schedule: str) -> Decision | None:
        row = self._db.execute(
            "SELECT * FROM approval_decisions WHERE document = ? AND schedule = ?", (document, schedule)
        ).fetchone()
        return Decision(*tuple(row)) if row is not None else None

    def decisions(self, document: str) -> list[Decision]:
        rows = self._db.execute("SELECT * FROM approval_decisions WHERE document = ? ORDER BY schedule", (document,))
        return [Decision(*tuple(row)) for row in rows]

    def approvals(self, document: str, content_hash: str | None = None) -> list[Approval]:
        query = "SELECT * FROM approvals WHERE document = ?"
        args: tuple[str, ...] = (document,)
        if content_hash is not None:
            query += " AND content_hash = ?"
            args += (content_hash,)
        return [Approval(*tuple(row)) for row in self._db.execute(query + " ORDER BY approved_at", args)]
