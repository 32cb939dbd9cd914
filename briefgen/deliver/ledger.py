"""The delivery ledger: which document went to whom, which version, when, and what the server said.

A SQLite file in the workspace (``.briefgen/state.db``), one row per delivery, keyed by
(document id — a brief or an edition —, recipient, channel). The channel is ``smtp`` or
``outbox``, so that writing a message to the outbox never counts as having mailed it. The
hash of the document's facts is recorded with the row (which version the recipient got), not
part of its identity: a retry after an edit serves only those not yet served, and sending a
changed document again to people who have it is an explicit act (``resend_changed``).

A row moves through these states, each committed before the next step is taken::

    sending ──(message body written, final "." next)──> committing ──> sent
       │                                                   │    └────> failed (5xx / 4xx after retries)
       └──> failed (refused before the data was complete)   └──> uncertain (no answer to the ".")

Claims are made with ``BEGIN IMMEDIATE``, so two ``send`` runs serialise on each claim and
a recipient claimed by a live run is skipped by the other. A claim carries a lease (renewed by
a heartbeat while its run lives, see :meth:`Ledger.heartbeat`) and a generation number that
grows with every take-over: the step to ``committing``, just before the final ".", checks the
generation in the same transaction, so a run whose claim was taken over never sends its ".".

The schema version is ``PRAGMA user_version`` (:data:`SCHEMA_VERSION`); an older ledger is
migrated in place, its old table kept as history. The workspace also remembers, outside the
database (``.briefgen/ledger-id``), that it had a ledger: :meth:`Ledger.check_continuity`
refuses to send when the database is gone or replaced.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from briefgen.state.claims import lease_seconds, make_owner, process_alive
from briefgen.state.migrations import Feature, migrate
from briefgen.state.store import StateError, StateStore, open_state
from briefgen.state.url import StateURL, location

__all__ = ["FEATURE", "SCHEMA_VERSION", "Claim", "DeliveryKey", "Entry", "Event", "Ledger", "Status"]


#: Beside the database: the id of the ledger this workspace has had, so that losing it shows.
LEDGER_ID = "ledger-id"


#: ``PRAGMA user_version`` of the ledger's schema. 0: the first one, keyed with the content hash.
SCHEMA_VERSION = 2


Status = Literal["sending", "committing", "sent", "failed", "uncertain"]


_IN_FLIGHT = ("sending", "committing")


_DELIVERIES = """
CREATE TABLE IF NOT EXISTS deliveries (
    brief_id     TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    channel      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('sending', 'committing', 'sent', 'failed', 'uncertain')),
    message_id   TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    generation   INTEGER NOT NULL DEFAULT 1,
    owner        TEXT,
    destination  TEXT,
    detail       TEXT,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    lease_until  REAL,
    sent_at      REAL,
    PRIMARY KEY (brief_id, recipient, channel)
)"""


_SCHEMA = (
    _DELIVERIES
    + """;
CREATE TABLE IF NOT EXISTS events (
    id           INTEGER PRIMARY KEY,
    at           REAL NOT NULL,
    brief_id     TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    channel      TEXT NOT NULL,
    status       TEXT NOT NULL,
    detail       TEXT,
    owner        TEXT
);
CREATE INDEX IF NOT EXISTS events_by_brief ON events (brief_id, at);
CREATE TABLE IF NOT EXISTS ledger_meta (
    name         TEXT PRIMARY KEY,
    value        TEXT NOT NULL
);
"""
)


_COLUMNS = {
    "brief_id", "recipient", "channel", "content_hash", "status", "message_id", "attempts", "generation", "owner",
    "destination", "detail", "created_at", "updated_at", "lease_until", "sent_at",
}  # fmt: skip


# Version 0 keyed rows by (brief, recipient, content hash, channel). Its table is kept, renamed,
# as history; the new table gets one row per (brief, recipient, channel): the one that says
# most about what the recipient has (sent or maybe-sent first), then the newest.
_MIGRATE_FROM_0 = (
    "ALTER TABLE deliveries RENAME TO deliveries_v0",
    _DELIVERIES,
    "INSERT INTO deliveries (brief_id, recipient, channel, content_hash, status, message_id, attempts, generation,"
    " owner, destination, detail, created_at, updated_at, lease_until, sent_at)"
    " SELECT brief_id, recipient, channel, content_hash, status, message_id, attempts, 1, owner, destination,"
    " detail, created_at, updated_at, NULL, sent_at FROM deliveries_v0 AS old WHERE old.rowid = ("
    "  SELECT rowid FROM deliveries_v0 AS o WHERE o.brief_id = old.brief_id AND o.recipient = old.recipient"
    "  AND o.channel = old.channel"
    "  ORDER BY o.status IN ('sent', 'uncertain', 'committing') DESC, o.updated_at DESC LIMIT 1)",
)


#: The ledger's tables on PostgreSQL, version by version (SQLite keeps its own set-up above).
#: Times are DOUBLE PRECISION: PostgreSQL's REAL is 4 bytes, a second's worth of rounding.
FEATURE = Feature(
    "ledger",
    versions=[
        [
            "CREATE TABLE IF NOT EXISTS deliveries (brief_id TEXT NOT NULL, recipient TEXT NOT NULL,"
            " channel TEXT NOT NULL, content_hash TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN"
            " ('sending', 'committing', 'sent', 'failed', 'uncertain')), message_id TEXT NOT NULL,"
            " attempts INTEGER NOT NULL DEFAULT 0, generation INTEGER NOT NULL DEFAULT 1, owner TEXT,"
            " destination TEXT, detail TEXT, created_at DOUBLE PRECISION NOT NULL,"
            " updated_at DOUBLE PRECISION NOT NULL, lease_until DOUBLE PRECISION, sent_at DOUBLE PRECISION,"
            " PRIMARY KEY (brief_id, recipient, channel))",
            "CREATE TABLE IF NOT EXISTS events (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            " at DOUBLE PRECISION NOT NULL, brief_id TEXT NOT NULL, recipient TEXT NOT NULL,"
            " content_hash TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, detail TEXT, owner TEXT)",
            "CREATE INDEX IF NOT EXISTS events_by_brief ON events (brief_id, at)",
            "CREATE TABLE IF NOT EXISTS ledger_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ],
    ],
    tables=["deliveries", "events", "ledger_meta"],
)


@dataclass(frozen=True)
class DeliveryKey:
    """What a delivery is: a document (brief or edition id), a recipient, a channel."""

    brief_id: str
    recipient: str
    channel: str


@dataclass(frozen=True)
class Entry:
    """One row of the ledger."""

    key: DeliveryKey
    content_hash: str  # the version this recipient got (or is getting)
    status: Status
    message_id: str
    attempts: int
    generation: int
    owner: str | None
    destination: str | None
    detail: str | None
    created_at: float
    updated_at: float
    lease_until: float | None
    sent_at: float | None

    def held(self, *, me: str, now: float | None = None) -> bool:
        """Whether a run (other than ``me``) may still be working on this claim."""
        if self.status not in _IN_FLIGHT:
            return False
        now = time.time() if now is None else now
        expiry = self.lease_until if self.lease_until is not None else self.updated_at + lease_seconds()
        return now <= expiry and process_alive(self.owner, me=me)


@dataclass(frozen=True)
class Event:
    at: float
    key: DeliveryKey
    content_hash: str
    status: str
    detail: str | None


ClaimReason = Literal["new", "retry", "recovered", "resend", "changed", "delivered", "busy", "uncertain"]


@dataclass(frozen=True)
class Claim:
    """The answer to "may I send this?". ``granted`` claims carry the Message-ID to use."""

    granted: bool
    reason: ClaimReason
    message_id: str
    entry: Entry | None = None
    generation: int = 0


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        key=DeliveryKey(row["brief_id"], row["recipient"], row["channel"]),
        content_hash=row["content_hash"],
        status=row["status"],
        message_id=row["message_id"],
        attempts=row["attempts"],
        generation=row["generation"],
        owner=row["owner"],
        destination=row["destination"],
        detail=row["detail"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        lease_until=row["lease_until"],
        sent_at=row["sent_at"],
    )


# Every statement is a literal: values only ever travel as ? parameters.
_SELECT = "SELECT * FROM deliveries WHERE brief_id = ? AND recipient = ? AND channel = ?"


_MARK_UNCERTAIN = (
    "UPDATE deliveries SET status = 'uncertain', detail = ?, updated_at = ?"
    " WHERE brief_id = ? AND recipient = ? AND channel = ?"
)


_RECLAIM = (
    "UPDATE deliveries SET status = 'sending', content_hash = ?, message_id = ?, attempts = attempts + 1,"
    " generation = generation + 1, owner = ?, destination = ?, updated_at = ?, lease_until = ?"
    " WHERE brief_id = ? AND recipient = ? AND channel = ?"
)


_SET_STATUS = (
    "UPDATE deliveries SET status = ?, detail = ?, updated_at = ?"
    " WHERE brief_id = ? AND recipient = ? AND channel = ? AND owner = ? AND generation = ?"
)


_SET_SENT = (
    "UPDATE deliveries SET status = ?, detail = ?, updated_at = ?, sent_at = ?"
    " WHERE brief_id = ? AND recipient = ? AND channel = ? AND owner = ? AND generation = ?"
)


_COMMITTING = (
    "UPDATE deliveries SET status = 'committing', detail = NULL, updated_at = ?, lease_until = ?"
    " WHERE brief_id = ? AND recipient = ? AND channel = ? AND owner = ? AND generation = ? AND status = 'sending'"
)


_RETRY = (
    "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, detail = ?, updated_at = ?, lease_until = ?"
    " WHERE brief_id = ? AND recipient = ? AND channel = ? AND owner = ? AND generation = ?"
)


_HASH_OF = "SELECT content_hash FROM deliveries WHERE brief_id = ? AND recipient = ? AND channel = ?"


_RENEW = "UPDATE deliveries SET lease_until = ? WHERE owner = ? AND status IN ('sending', 'committing')"


def _params(key: DeliveryKey) -> tuple[str, str, str]:
    return (key.brief_id, key.recipient, key.channel)


class Ledger(StateStore):
    """A connection to the ledger, owned by one ``send`` run (see :func:`make_owner`)."""

    def __init__(
        self,
        path: Path,
        *,
        owner: str | None = None,
        create: bool = True,
        lease: float | None = None,
        url: StateURL | None = None,
    ) -> None:
        self.url = location(path, url)
        self.path = path
        self.owner = owner or make_owner()
        self.lease = lease_seconds(lease)
        if self.url.postgres:
            self.remote = self.url.display()
            path.parent.mkdir(parents=True, exist_ok=True)  # the ledger-id marker stays in the workspace
        elif create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.is_file():
            raise FileNotFoundError(path)
        self._db = open_state(path, self.url.dsn, self.url.secrets(), self.where)
        try:
            if self.postgres:
                migrate(self._db, FEATURE, self.where)
            else:
                self._set_up()
                self._db.execute("PRAGMA synchronous = FULL")
        except BaseException:
            self._db.close()
            raise

    def _set_up(self) -> None:
        """Create the tables, or migrate an older ledger; refuse one of an unknown shape."""
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StateError(
                    f"{self.path}: written by a newer briefgen (ledger schema {version}, this one knows"
                    f" {SCHEMA_VERSION}): upgrade briefgen, or move the file aside"
                )
            columns = {r["name"] for r in db.execute("PRAGMA table_info(deliveries)")}
            if version < SCHEMA_VERSION and columns and "generation" not in columns:
                for statement in _MIGRATE_FROM_0:
                    db.execute(statement)
            elif version == SCHEMA_VERSION and columns != _COLUMNS:
                raise StateError(
                    f"{self.path}: the deliveries table has the wrong columns for ledger schema {version}:"
                    " move the file aside and restore a backup"
                )
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            columns = {r["name"] for r in db.execute("PRAGMA table_info(deliveries)")}
            if columns != _COLUMNS:
                raise StateError(
                    f"{self.path}: the deliveries table is not a briefgen ledger's (columns:"
                    f" {', '.join(sorted(columns))}): move the file aside and restore a backup"
                )
            if version != SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @classmethod
    def existing(cls, path: Path, url: StateURL | None = None) -> Ledger | None:
        """The ledger if it exists, else None (for reading: creates no file)."""
        try:
            return cls(path, create=False, url=url)
        except FileNotFoundError:
            return None

    # ---------------------------------------------------------------- continuity

    def check_continuity(self, *, accept_lost: bool = False) -> None:
        """Refuse to go on when this workspace had another ledger (deleted, replaced, or reset):
        without its rows, a send would mail everyone again. ``accept_lost`` starts anew on purpose.

        The ledger's id lives in the database and, once it is there, in ``.briefgen/ledger-id``.
        """
        marker = self.path.parent / LEDGER_ID
        try:
            remembered = marker.read_text(encoding="utf-8").strip() if marker.is_file() else None
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"{marker}: cannot read it ({exc}): delete it to start a new ledger") from None
        with self._write() as db:
            row = db.execute("SELECT value FROM ledger_meta WHERE name = 'ledger_id'").fetchone()
            current = row["value"] if row else None
            if remembered and remembered != current and not accept_lost:
                what = "was replaced by another one" if current else "is gone (a new, empty one is in its place)"
                raise StateError(
                    f"{self.where}: the delivery ledger this workspace had ({remembered}) {what}: sending now could"
                    " mail everyone again. Restore it from a backup, or run `briefgen send --accept-lost-state`"
                    " to start a new one on purpose (Message-IDs stay the same, so receivers can drop copies)"
                )
            if current is None or (accept_lost and remembered and remembered != current):
                current = uuid.uuid4().hex
                db.execute(
                    "INSERT INTO ledger_meta (name, value) VALUES ('ledger_id', ?)"
                    " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (current,),
                )
        if remembered != current:
            from briefgen.builds.write import atomic_write

            atomic_write(marker, (current + "\n").encode())

    # ---------------------------------------------------------------- reading

    def _log(self, key: DeliveryKey, content_hash: str, status: str, detail: str | None, now: float) -> None:
        self._db.execute(
            "INSERT INTO events (at, brief_id, recipient, content_hash, channel, status, detail, owner)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (now, key.brief_id, key.recipient, content_hash, key.channel, status, detail, self.owner),
        )

    def get(self, key: DeliveryKey) -> Entry | None:
        row = self._db.execute(_SELECT, _params(key)).fetchone()
        return _entry(row) if row else None

    def entries(self, brief_id: str | None = None) -> list[Entry]:
        if brief_id is None:
            rows = self._db.execute("SELECT * FROM deliveries ORDER BY brief_id, created_at, recipient").fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM deliveries WHERE brief_id = ? ORDER BY brief_id, created_at, recipient", (brief_id,)
            ).fetchall()
        return [_entry(r) for r in rows]

    def events(self, brief_id: str | None = None) -> list[Event]:
        if brief_id is None:
            rows = self._db.execute("SELECT * FROM events ORDER BY id").fetchall()
        else:
            rows = self._db.execute("SELECT * FROM events WHERE brief_id = ? ORDER BY id", (brief_id,)).fetchall()
        return [
            Event(
                r["at"],
                DeliveryKey(r["brief_id"], r["recipient"], r["channel"]),
                r["content_hash"],
                r["status"],
                r["detail"],
            )
            for r in rows
        ]

    # ---------------------------------------------------------------- claiming

    def claim(
        self,
        key: DeliveryKey,
        *,
        content_hash: str,
        new_message_id: Callable[[], str],
        destination: str,
        resend: bool = False,
        resend_changed: bool = False,
        replayable: bool = False,
        fresh_message_id: Callable[[int], str] | None = None,
    ) -> Claim:
        """Take ``key`` for this run, in one ``BEGIN IMMEDIATE`` transaction, or say why not.

        - nothing recorded, or ``failed``: granted (the same Message-ID is kept on a retry),
          to send the current version (``content_hash``);
        - ``sent``: refused as delivered, whatever version the recipient got, unless ``resend``,
          or ``resend_changed`` and the recipient's version is not the current one: a new
          message, with ``fresh_message_id(generation)`` (default: ``new_message_id()``);
        - ``sending``/``committing`` by a live run whose lease holds: refused as busy;
        - ``sending`` by a dead or stalled run: granted, generation + 1 (the data never reached
          the server's final ".", so the server discarded it, and the old run, should it wake,
          finds its generation gone and does not send its ".");
        - ``committing`` by a dead or stalled run: the server may or may not have the message.
          It becomes ``uncertain`` and is not sent again unless ``resend`` (at most once, never
          silently: see the README). ``replayable`` channels (the outbox, which overwrites its
          file) are simply granted;
        - ``uncertain``: refused unless ``resend``, which keeps the Message-ID, so mail
          clients that de-duplicate by Message-ID show one copy if the first did arrive.
        """
        now = time.time()
        lease_until = now + self.lease
        with self._write() as db:
            self._lock("ledger", *_params(key))
            row = db.execute(_SELECT, _params(key)).fetchone()
            if row is None:
                message_id = new_message_id()
                db.execute(
                    "INSERT INTO deliveries (brief_id, recipient, channel, content_hash, status, message_id, attempts,"
                    " generation, owner, destination, created_at, updated_at, lease_until)"
                    " VALUES (?, ?, ?, ?, 'sending', ?, 1, 1, ?, ?, ?, ?, ?)",
                    (*_params(key), content_hash, message_id, self.owner, destination, now, now, lease_until),
                )
                self._log(key, content_hash, "sending", "claimed", now)
                return Claim(True, "new", message_id, generation=1)
            entry = _entry(row)
            status = entry.status
            if entry.held(me=self.owner, now=now):
                return Claim(False, "busy", entry.message_id, entry)
            changed = entry.content_hash != content_hash
            if status == "sent" and not (resend or (resend_changed and changed)):
                return Claim(False, "delivered", entry.message_id, entry)
            if status == "committing" and not resend and not replayable:
                detail = (
                    "the run sending it stopped after handing the message to the server, before the server's "
                    f"answer was recorded (was: {entry.detail or 'no answer'}); it may have arrived"
                )
                db.execute(_MARK_UNCERTAIN, (detail, now, *_params(key)))
                self._log(key, entry.content_hash, "uncertain", detail, now)
                return Claim(False, "uncertain", entry.message_id, entry)
            if status == "uncertain" and not resend:
                return Claim(False, "uncertain", entry.message_id, entry)
            generation = entry.generation + 1
            reason: ClaimReason = (
                ("changed" if changed and not resend else "resend")
                if status in ("sent", "uncertain")
                else "recovered"
                if status in _IN_FLIGHT
                else "retry"
            )
            if status == "sent" or not entry.message_id:
                message_id = fresh_message_id(generation) if fresh_message_id else new_message_id()
            else:
                message_id = entry.message_id
            db.execute(_RECLAIM, (content_hash, message_id, self.owner, destination, now, lease_until, *_params(key)))
            self._log(key, content_hash, "sending", f"claimed ({reason})", now)
            return Claim(True, reason, message_id, entry, generation)

    # ---------------------------------------------------------------- progress of a claim

    def _update(self, key: DeliveryKey, generation: int, status: Status, detail: str | None, sent: bool) -> bool:
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                _SET_SENT if sent else _SET_STATUS,
                (status, detail, now, *((now,) if sent else ()), *_params(key), self.owner, generation),
            )
            if cursor.rowcount:
                self._log(key, _hash_of(db, key), status, detail, now)
            return cursor.rowcount == 1

    def retrying(self, key: DeliveryKey, generation: int, detail: str) -> bool:
        """Another attempt at a claim that is still ours (counts it, renews the lease)."""
        now = time.time()
        with self._write() as db:
            cursor = db.execute(_RETRY, (detail, now, now + self.lease, *_params(key), self.owner, generation))
            if cursor.rowcount:
                self._log(key, _hash_of(db, key), "sending", f"retry after: {detail}", now)
            return cursor.rowcount == 1

    def committing(self, key: DeliveryKey, generation: int) -> bool:
        """The message body is out; the final "." goes next, if and only if this returns True:
        the claim is still this run's, at this generation (the fencing check), and now says so.
        From here the outcome can be unknown."""
        now = time.time()
        with self._write() as db:
            cursor = db.execute(_COMMITTING, (now, now + self.lease, *_params(key), self.owner, generation))
            if cursor.rowcount:
                self._log(key, _hash_of(db, key), "committing", None, now)
            return cursor.rowcount == 1

    def sent(self, key: DeliveryKey, generation: int, reply: str) -> bool:
        return self._update(key, generation, "sent", reply, True)

    def failed(self, key: DeliveryKey, generation: int, error: str) -> bool:
        return self._update(key, generation, "failed", error, False)

    def uncertain(self, key: DeliveryKey, generation: int, error: str) -> bool:
        return self._update(key, generation, "uncertain", error, False)

    # ---------------------------------------------------------------- keeping claims alive

    def renew(self, db: sqlite3.Connection | None = None) -> int:
        """Extend the lease of every claim this run holds; how many there were."""
        db = db or self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            count = db.execute(_RENEW, (time.time() + self.lease, self.owner)).rowcount
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return count

    @contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Renew this run's leases every third of a lease, from a thread with its own
        connection, while the block runs: a slow but live send is not taken over, and a
        stopped process (whose threads stop too) loses its claims once the lease runs out."""
        stop = threading.Event()

        def beat() -> None:
            db: sqlite3.Connection | None = None
            try:
                db = open_state(self.path, self.url.dsn, self.url.secrets(), self.where)
                while not stop.wait(self.lease / 3):
                    try:
                        self.renew(db)
                    except sqlite3.Error:
                        continue  # busy for a moment: the next beat comes well within the lease
            except StateError:
                return
            finally:
                if db is not None:
                    db.close()

        thread = threading.Thread(target=beat, name="briefgen-lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def _hash_of(db: sqlite3.Connection, key: DeliveryKey) -> str:
    row = db.execute(_HASH_OF, _params(key)).fetchone()
    return str(row[0]) if row else ""
