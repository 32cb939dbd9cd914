"""PostgreSQL behind the small part of the ``sqlite3`` connection interface the stores use.

The ledger and the schedule runs are written once, in SQL both databases speak; this adapter
turns ``?`` into psycopg's ``%s`` and ``BEGIN IMMEDIATE`` into ``BEGIN``, gives rows that
answer to a name and to a position (as ``sqlite3.Row`` does), and reports psycopg's errors as
``sqlite3`` ones, so a store handles both the same way. psycopg is imported only here, only
when a ``postgresql://`` URL is used.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from briefgen.state.url import MASK

if TYPE_CHECKING:
    import psycopg

__all__ = ["connect_postgres"]


class Row(dict[str, Any]):
    """A row by column name or by position; iterating it gives its values, as ``sqlite3.Row``
    does (so ``tuple(row)`` is the same on both databases; ``keys()`` gives the names)."""

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int):
            return list(self.values())[key]
        return super().__getitem__(key)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self.values()))


def _row_factory(cursor: psycopg.Cursor[Any]) -> Callable[[Sequence[Any]], Row]:
    names = [c.name for c in cursor.description or ()]
    return lambda values: Row(zip(names, values, strict=True))


@functools.lru_cache(maxsize=256)
def _translate(sql: str) -> str:
    if sql.strip().upper() == "BEGIN IMMEDIATE":
        return "BEGIN"
    return re.sub(r"\?", "%s", sql)  # our statements hold no literal '?' or '%'


class Cursor:
    def __init__(self, cursor: psycopg.Cursor[Row]) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class Connection:
    """One autocommit psycopg connection; transactions are the explicit BEGIN … COMMIT the stores issue."""

    def __init__(self, conn: psycopg.Connection[Row], secrets: Sequence[str]) -> None:
        self._conn = conn
        self._secrets = secrets

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        import psycopg

        try:
            cursor = self._conn.cursor()
            cursor.execute(_translate(sql), tuple(params))
        except psycopg.Error as exc:
            raise _as_sqlite(exc, self._secrets) from None
        return Cursor(cursor)

    def close(self) -> None:
        self._conn.close()


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def _as_sqlite(exc: Exception, secrets: Sequence[str]) -> sqlite3.Error:
    import psycopg

    text = _scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, secrets)
    if isinstance(exc, psycopg.errors.IntegrityError):
        return sqlite3.IntegrityError(text)
    if isinstance(exc, psycopg.OperationalError):
        return sqlite3.OperationalError(text)
    return sqlite3.DatabaseError(text)


def connect_postgres(dsn: str, secrets: Sequence[str], where: str) -> sqlite3.Connection:
    """Connect to PostgreSQL; returned as the ``sqlite3.Connection`` subset the stores call
    (``execute``, ``close``, rows by name or position, ``rowcount``)."""
    from briefgen.errors import StateError

    try:
        import psycopg
    except ImportError:
        raise StateError(
            f"{where}: a postgresql:// state url needs psycopg: pip install 'briefgen[postgres]'"
        ) from None
    try:
        conn = psycopg.connect(dsn, autocommit=True, row_factory=_row_factory, connect_timeout=10)
    except psycopg.Error as exc:
        raise StateError(f"{where}: cannot connect ({_as_sqlite(exc, secrets)})") from None
    return cast(sqlite3.Connection, Connection(conn, secrets))
