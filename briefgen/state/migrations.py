"""Versioned, additive schema migrations for a shared (PostgreSQL) state database.

Each feature that keeps state (the delivery ledger, the schedule runs, and later others) owns
its tables and declares its migrations as a :class:`Feature`: numbered lists of statements,
applied in order, each version once, recorded in ``briefgen_migrations``. Migrations only
create and add (tables, columns, indexes), never drop or rewrite: an older briefgen keeps
working beside a newer schema, and a database written by a newer briefgen than this one is
refused rather than guessed at. Hosts that start together take turns on an advisory lock.

The SQLite default keeps its own in-place set-up (``PRAGMA user_version``), unchanged.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from briefgen.state.store import StateError

__all__ = ["Feature", "applied", "migrate"]


_TABLE = (
    "CREATE TABLE IF NOT EXISTS briefgen_migrations (feature TEXT NOT NULL, version INTEGER NOT NULL,"
    " applied_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (feature, version))"
)


#: One advisory lock for all schema changes, whoever makes them.
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('briefgen migrations', 0))"


@dataclass(frozen=True)
class Feature:
    """A feature's tables: ``versions[0]`` is version 1, and so on; ``tables`` what check expects."""

    name: str
    versions: Sequence[Sequence[str]]
    tables: Sequence[str]

    @property
    def latest(self) -> int:
        return len(self.versions)


def applied(db: sqlite3.Connection, feature: str) -> int:
    """The feature's schema version in ``db`` (0: none yet)."""
    exists = db.execute("SELECT to_regclass('briefgen_migrations') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = db.execute("SELECT MAX(version) FROM briefgen_migrations WHERE feature = ?", (feature,)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(db: sqlite3.Connection, feature: Feature, where: str) -> list[int]:
    """Bring ``feature`` up to date in ``db``; the versions applied now (none when current)."""
    have = applied(db, feature.name)
    if have > feature.latest:
        raise StateError(
            f"{where}: {feature.name} schema {have} was written by a newer briefgen (this one knows"
            f" {feature.latest}): upgrade briefgen on this host"
        )
    if have == feature.latest:
        return []
    done: list[int] = []
    db.execute("BEGIN")
    try:
        db.execute(_LOCK)
        db.execute(_TABLE)
        have = applied(db, feature.name)  # another host may have migrated while we waited
        for version in range(have + 1, feature.latest + 1):
            for statement in feature.versions[version - 1]:
                db.execute(statement)
            db.execute(
                "INSERT INTO briefgen_migrations (feature, version, applied_at) VALUES (?, ?, ?)",
                (feature.name, version, time.time()),
            )
            done.append(version)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return done


def missing_tables(db: sqlite3.Connection, feature: Feature) -> list[str]:
    """The feature's tables that are not there (PostgreSQL)."""
    return [t for t in feature.tables if not db.execute("SELECT to_regclass(?) IS NOT NULL", (t,)).fetchone()[0]]
