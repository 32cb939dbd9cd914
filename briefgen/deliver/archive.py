"""What went out, kept for good: every delivered message and the variant's HTML and PDF,
content-addressed and never rewritten, with a record of who got which and when.

Objects live in ``.briefgen/archive/<2 hex>/<sha256>`` (written once, read-only; the same
bytes are stored once however many recipients got them); the record is a table of the state
database, written only after every object it names is in place, so a process killed
mid-archive leaves at most an unreferenced whole object, never a partial one or a record of
something missing. Later changes to the inputs change nothing here: the site (``briefgen archive``)
is built from these copies, never from ``inputs/``.

A message is archived *before* it is handed over, as ``pending`` (:meth:`Archive.hold`), and
becomes ``delivered`` once the ledger says it went (:meth:`Archive.promote`); a refused one is
dropped. A run killed between the ledger's "sent" and the promotion leaves a pending row that
the next run settles from the ledger (:meth:`Archive.reconcile`), so whatever the ledger counts
as gone is in the archive. Only delivered rows are listed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from briefgen.state.migrations import Feature, migrate
from briefgen.state.store import StateStore, open_state
from briefgen.state.url import StateURL, location

__all__ = ["ARCHIVE_DIR", "FEATURE", "Archive", "Kept"]

ARCHIVE_DIR = Path(".briefgen") / "archive"

#: Where objects are staged before they are published; not part of the archive.
INCOMING = ".incoming"

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS archive (document TEXT NOT NULL, title TEXT NOT NULL, day TEXT NOT NULL,"
    " variant TEXT NOT NULL, recipient TEXT NOT NULL, channel TEXT NOT NULL, message TEXT NOT NULL, html TEXT,"
    " pdf TEXT, delivered_at DOUBLE PRECISION NOT NULL,"
    " PRIMARY KEY (document, variant, recipient, channel, message))"
)

#: Version 2: a row is ``pending`` (archived before the hand-over) or ``delivered``; rows
#: written before there was a state were all delivered, hence the default.
ADD_STATE = "ALTER TABLE archive ADD COLUMN state TEXT NOT NULL DEFAULT 'delivered'"

#: The archive's table, for ``briefgen state migrate|check|copy`` on a shared database.
FEATURE = Feature("archive", versions=[[SCHEMA], [ADD_STATE]], tables=["archive"])

State = Literal["pending", "delivered"]

#: What the ledger's status of a message means for its pending archive row.
Settle = Literal["promote", "drop", "wait"]

_COLUMNS = "document, title, day, variant, recipient, channel, message, html, pdf, delivered_at, state"


@dataclass(frozen=True)
class Kept:
    """One delivery in the archive: the hashes of the bytes the recipient got."""

    document: str
    title: str
    day: str
    variant: str
    recipient: str
    channel: str
    message: str
    html: str | None
    pdf: str | None
    delivered_at: float
    state: State = "delivered"


class Archive(StateStore):
    """The archive's record (in the state database) and its object folder."""

    def __init__(self, db_path: Path, objects: Path | None = None, *, url: StateURL | None = None) -> None:
        self.url = location(db_path, url)
        self.path = db_path
        self.objects = objects or db_path.parent / "archive"
        self.remote = self.url.display() if self.url.postgres else None
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = open_state(db_path, self.url.dsn, self.url.secrets(), self.where)
        try:
            if self.postgres:
                migrate(self._db, FEATURE, self.where)
            else:
                with self._write() as db:
                    db.execute(SCHEMA)
                    if "state" not in {r["name"] for r in db.execute("PRAGMA table_info(archive)")}:
                        db.execute(ADD_STATE)
        except BaseException:
            self._db.close()
            raise

    @classmethod
    def of_workspace(cls, root: Path, url: StateURL) -> Archive:
        """The workspace's archive: the record where its state lives, the objects in the workspace."""
        archive = cls(url.path, root / ARCHIVE_DIR, url=url)
        archive.sweep()
        return archive

    def object_path(self, digest: str) -> Path:
        return self.objects / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store ``data`` once under its SHA-256; an existing object is never rewritten.

        Not ``builds.write.atomic_write``: that stages beside the target and renames over it,
        which would leave a half-written temporary file among the objects if the process is
        killed, and would replace an object another process just wrote. Here the bytes are
        staged (flushed, read-only) in ``.incoming/`` and published with a hard link, which
        fails rather than overwrite: an object is whole, or absent.
        """
        digest = hashlib.sha256(data).hexdigest()
        path = self.object_path(digest)
        if path.is_file():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        incoming = self.objects / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"{digest[:12]}.", dir=incoming)
        staged = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            staged.chmod(0o444)
            with contextlib.suppress(FileExistsError):  # another process stored the same bytes first
                path.hardlink_to(staged)
        finally:
            staged.unlink()
        return digest

    def sweep(self, older_than: float = 3600.0) -> int:
        """Remove what killed processes left in ``.incoming/`` (never an object); how many."""
        incoming = self.objects / INCOMING
        cutoff = time.time() - older_than
        gone = 0
        for leftover in incoming.glob("*") if incoming.is_dir() else ():
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    gone += 1
        return gone

    def get(self, digest: str) -> bytes:
        data = self.object_path(digest).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise ValueError(f"archive object {digest[:12]} does not match its hash: it was altered")
        return data

    def keep(
        self,
        *,
        document: str,
        title: str,
        day: str,
        variant: str,
        recipient: str,
        channel: str,
        message: bytes,
        html: bytes | None,
        pdf: bytes | None,
    ) -> Kept:
        """Record a delivery that has happened (delivered at once)."""
        kept = self.hold(
            document=document, title=title, day=day, variant=variant, recipient=recipient, channel=channel,
            message=message, html=self.put(html) if html is not None else None,
            pdf=self.put(pdf) if pdf is not None else None,
        )  # fmt: skip
        self.promote(kept)
        return self._row(kept) or kept

    def hold(
        self,
        *,
        document: str,
        title: str,
        day: str,
        variant: str,
        recipient: str,
        channel: str,
        message: bytes,
        html: str | None,
        pdf: str | None,
    ) -> Kept:
        """Archive a message about to be handed over, as pending (``html``/``pdf``: digests from
        :meth:`put`). It replaces any earlier pending row of the same delivery: a message
        re-assembled after a lost run (a new Date header) is the one that goes."""
        kept = Kept(
            document, title, day, variant, recipient, channel, self.put(message), html, pdf, time.time(), "pending"
        )
        with self._write() as db:
            self._lock("archive", document, variant, recipient, channel)
            db.execute(
                "DELETE FROM archive WHERE document = ? AND variant = ? AND recipient = ? AND channel = ?"
                " AND state = 'pending' AND message <> ?",
                (document, variant, recipient, channel, kept.message),
            )
            db.execute(
                f"INSERT INTO archive ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",  # noqa: S608
                (kept.document, kept.title, kept.day, kept.variant, kept.recipient, kept.channel,
                 kept.message, kept.html, kept.pdf, kept.delivered_at, kept.state),
            )  # fmt: skip
        return kept

    def promote(self, kept: Kept) -> bool:
        """The ledger says ``kept`` went: it is delivered, as of now. False if it was not pending."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE archive SET state = 'delivered', delivered_at = ? WHERE document = ? AND variant = ?"
                " AND recipient = ? AND channel = ? AND message = ? AND state = 'pending'",
                (time.time(), *_key(kept)),
            )
            return cursor.rowcount == 1

    def drop(self, kept: Kept) -> bool:
        """``kept`` was refused for good (or handed to another run): it never went. Its objects
        stay (they are shared, and whole); the record goes."""
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM archive WHERE document = ? AND variant = ? AND recipient = ? AND channel = ?"
                " AND message = ? AND state = 'pending'",
                _key(kept),
            )
            return cursor.rowcount == 1

    def reconcile(self, status_of: Callable[[Kept], Settle]) -> tuple[int, int]:
        """Settle the pending rows a killed run left: ``status_of`` says, from the ledger, what each
        became. How many were promoted and dropped."""
        promoted = dropped = 0
        for kept in self.entries("pending"):
            verdict = status_of(kept)
            if verdict == "promote":
                promoted += self.promote(kept)
            elif verdict == "drop":
                dropped += self.drop(kept)
        return promoted, dropped

    def _row(self, kept: Kept) -> Kept | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM archive WHERE document = ? AND variant = ? AND recipient = ? AND channel = ?"  # noqa: S608
            " AND message = ?",
            _key(kept),
        ).fetchone()
        return Kept(*tuple(row)) if row else None

    def entries(self, state: State | None = "delivered") -> list[Kept]:
        """The rows in ``state`` (default: delivered, what the site lists; None: every row)."""
        where, params = ("WHERE state = ?", (state,)) if state else ("", ())
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM archive {where} ORDER BY day, document, variant, delivered_at",  # noqa: S608
            params,
        ).fetchall()
        return [Kept(*tuple(row)) for row in rows]

    def pending(self) -> int:
        """How many messages are archived but not (yet) known to have gone."""
        return int(self._db.execute("SELECT COUNT(*) FROM archive WHERE state = 'pending'").fetchone()[0])


def _key(kept: Kept) -> tuple[str, str, str, str, str]:
    return kept.document, kept.variant, kept.recipient, kept.channel, kept.message
