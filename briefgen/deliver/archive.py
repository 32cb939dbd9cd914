"""What went out, kept for good: every delivered message and the variant's HTML and PDF,
content-addressed and never rewritten, with a record of who got which and when.

Objects live in ``.briefgen/archive/<2 hex>/<sha256>`` (written once, read-only; the same
bytes are stored once however many recipients got them); the record is a table of the state
database. Later changes to the inputs change nothing here: the site (``briefgen archive``)
is built from these copies, never from ``inputs/``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from briefgen.state.store import StateStore, connect_state

__all__ = ["ARCHIVE_DIR", "Archive", "Kept"]

ARCHIVE_DIR = Path(".briefgen") / "archive"

SCHEMA = """
CREATE TABLE IF NOT EXISTS archive (
    document     TEXT NOT NULL,
    title        TEXT NOT NULL,
    day          TEXT NOT NULL,
    variant      TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    channel      TEXT NOT NULL,
    message      TEXT NOT NULL,
    html         TEXT,
    pdf          TEXT,
    delivered_at REAL NOT NULL,
    PRIMARY KEY (document, variant, recipient, channel, message)
);
"""


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

    def __init__(self, db_path: Path, objects: Path) -> None:
        self.path = db_path
        self.objects = objects
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = connect_state(db_path)
        with self._write() as db:
            db.execute(SCHEMA)

    @classmethod
    def of_workspace(cls, root: Path, state_db: Path) -> Archive:
        return cls(root / state_db, root / ARCHIVE_DIR)

    def object_path(self, digest: str) -> Path:
        return self.objects / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store ``data`` once under its SHA-256; an existing object is never rewritten."""
        from briefgen.builds.write import atomic_write

        digest = hashlib.sha256(data).hexdigest()
        path = self.object_path(digest)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
            path.chmod(0o444)
        return digest

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
                "INSERT OR IGNORE INTO archive VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (kept.document, kept.title, kept.day, kept.variant, kept.recipient, kept.channel,
                 kept.message, kept.html, kept.pdf, kept.delivered_at),
            )  # fmt: skip
        return kept

    def entries(self) -> list[Kept]:
        rows = self._db.execute("SELECT * FROM archive ORDER BY day, document, variant, delivered_at").fetchall()
        return [Kept(*tuple(row)) for row in rows]
