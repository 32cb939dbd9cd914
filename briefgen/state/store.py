"""The workspace's SQLite state database (``.briefgen/state.db``) and its write transactions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from briefgen.errors import StateError
from briefgen.state.url import STATE_DB

__all__ = ["STATE_DB", "StateError", "connect_state"]


def _unreadable(path: Path | str, exc: sqlite3.Error) -> StateError:
    return StateError(
        f"{path}: not a usable briefgen state database ({exc}): move it aside, restore a backup if you have one,"
        " and run again (`briefgen send` then asks for --accept-lost-state)"
    )


def _locked(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def connect_state(path: Path, *, wal: bool = True) -> sqlite3.Connection:
    """Open the workspace's state database (the ledger and the schedule runs share it).

    Autocommit mode: every transaction is explicit (``BEGIN IMMEDIATE ... COMMIT``). WAL lets
    readers work while a run writes; switching to it can report "database is locked" at once,
    without waiting, while another process creates the file, so the switch is retried. A file
    that is not an SQLite database, or a damaged one, is a :class:`StateError`, not a traceback.
    """
    try:
        db = sqlite3.connect(path, timeout=60, isolation_level=None)
    except sqlite3.Error as exc:
        raise _unreadable(path, exc) from None
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout = 60000")
        deadline = time.monotonic() + 60
        while wal:
            try:
                db.execute("PRAGMA journal_mode = WAL")
                break
            except sqlite3.OperationalError as exc:
                if not _locked(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        problems = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(problems))
    except sqlite3.Error as exc:
        db.close()
        raise _unreadable(path, exc) from None
    return db


class StateStore:
    """A connection to the workspace's state database, with one way to write: a
    ``BEGIN IMMEDIATE`` transaction, so concurrent runs serialise instead of interleaving.

    On PostgreSQL (``postgres``) a write is a READ COMMITTED transaction, and a claim first takes
    :meth:`_lock` on its key (a transaction-scoped advisory lock), which does for one key what
    ``BEGIN IMMEDIATE`` does for the whole SQLite file: two hosts claiming the same delivery or
    run take turns, even when the row does not exist yet.
    """

    _db: sqlite3.Connection
    path: Path
    #: Set for PostgreSQL: its URL, password blotted out (what messages name instead of ``path``).
    remote: str | None = None

    @property
    def postgres(self) -> bool:
        return self.remote is not None

    @property
    def where(self) -> str:
        return self.remote or str(self.path)

    def _lock(self, *key: str) -> None:
        """Serialise claims on ``key`` across hosts (PostgreSQL); SQLite's write lock already does."""
        if self.remote is not None:
            self._db.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", ("\x1f".join(key),))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        try:
            yield self._db
        except sqlite3.Error as exc:
            self._db.execute("ROLLBACK")
            raise self._error(exc) from None
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def dump(self, table: str) -> list[dict[str, object]]:
        """Every row of one of the store's own tables (``table`` is a literal of ours, never input)."""
        query = f"SELECT * FROM {table}"  # noqa: S608 (our own table name)
        return [{k: r[k] for k in r.keys()} for r in self._db.execute(query)]  # noqa: SIM118 (sqlite3.Row)

    def count(self, table: str) -> int:
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608 (our own table name)

    def load(self, tables: dict[str, list[dict[str, object]]]) -> None:
        """Insert rows into the store's (empty) tables, all in one transaction."""
        with self._write() as db:
            for table, rows in tables.items():
                for row in rows:
                    names, marks = ", ".join(row), ", ".join("?" * len(row))
                    db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(row.values()))  # noqa: S608
                if self.postgres and rows and "id" in rows[0]:
                    # Rows came with their ids: the identity sequence continues after them.
                    db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")  # noqa: S608

    def _error(self, exc: sqlite3.Error) -> Exception:
        """A damaged database or one of the wrong shape is the user's to fix (one line);
        a lock that outlasted the busy timeout stays what it is."""
        return exc if _locked(exc) else _unreadable(self.where, exc)


def open_state(path: Path, dsn: str | None, secrets: list[str], where: str) -> sqlite3.Connection:
    """The SQLite file at ``path``, or the PostgreSQL database at ``dsn`` when one is given."""
    if dsn is None:
        return connect_state(path)
    from briefgen.state.postgres import connect_postgres

    return connect_postgres(dsn, secrets, where)
