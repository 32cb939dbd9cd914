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

__all__ = ["FEATURE", "Approval", "Approvals", "Request"]

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


#: The approvals' tables, for ``briefgen state migrate|check|copy`` on a shared database.
FEATURE = Feature("approvals", versions=[SCHEMA], tables=["approval_requests", "approvals"])


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
                    for statement in SCHEMA:
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

    def approve(self, document: str, content_hash: str, approver: str, comment: str | None) -> Approval:
        approval = Approval(document, content_hash, approver, comment, time.time())
        with self._write() as db:
            db.execute(
                "DELETE FROM approvals WHERE document = ? AND content_hash = ? AND approver = ?",
                (document, content_hash, approver),
            )
            db.execute("INSERT INTO approvals VALUES (?, ?, ?, ?, ?)", tuple(approval.__dict__.values()))
        return approval

    def approvals(self, document: str, content_hash: str | None = None) -> list[Approval]:
        query = "SELECT * FROM approvals WHERE document = ?"
        args: tuple[str, ...] = (document,)
        if content_hash is not None:
            query += " AND content_hash = ?"
            args += (content_hash,)
        return [Approval(*tuple(row)) for row in self._db.execute(query + " ORDER BY approved_at", args)]
