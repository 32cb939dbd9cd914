"""What went out, kept for good: every delivered message and the variant's HTML and PDF,
content-addressed and never rewritten, with a record of who got which and when.

Objects live in ``.briefgen/archive/<2 hex>/<sha256>`` (written once, read-only; the same
bytes are stored once however many recipients got them); the record is a table of the state
database, written only after every object it names is in place, so a process killed
mid-archive leaves at most an unreferenced whole object, never a partial one or a record of
something missing. Later changes to the inputs change nothing here: the site (``briefgen archive``)
is built from these copies, never from ``inputs/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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

#: The archive's table, for ``briefgen state migrate|check|copy`` on a shared database.
FEATURE = Feature("archive", versions=[[SCHEMA]], tables=["archive"])


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
        kept = Kept(
            document, title, day, variant, recipient, channel,
            self.put(message), self.put(html) if html is not None else None,
            self.put(pdf) if pdf is not None else None, time.time(),
        )  # fmt: skip
        with self._write() as db:
            db.execute(
                "INSERT INTO archive VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (kept.document, kept.title, kept.day, kept.variant, kept.recipient, kept.channel,
                 kept.message, kept.html, kept.pdf, kept.delivered_at),
            )  # fmt: skip
        return kept

    def entries(self) -> list[Kept]:
        rows = self._db.execute("SELECT * FROM archive ORDER BY day, document, variant, delivered_at").fetchall()
        return [Kept(*tuple(row)) for row in rows]
