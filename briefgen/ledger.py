"""The delivery ledger: which brief went to whom, when, and what the server answered.

A SQLite file in the workspace (``.briefgen/state.db``), one row per delivery, keyed by
(brief id, recipient, content hash, channel). The channel is ``smtp`` or ``outbox``, so that
writing a message to the outbox never counts as having mailed it.

A row moves through these states, each committed before the next step is taken::

    sending ──(message body written, final "." next)──> committing ──> sent
       │                                                   │    └────> failed (5xx / 4xx after retries)
       └──> failed (refused before the data was complete)   └──> uncertain (no answer to the ".")

Claims are made with ``BEGIN IMMEDIATE``, so two ``send`` runs serialise on each claim and
a recipient claimed by a live run is skipped by the other. A claim whose process is gone
(same host: the pid no longer runs, or runs a different program; any host: no sign of life
for :data:`LEASE_SECONDS`) is stale and may be taken over, see :meth:`Ledger.claim`.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

__all__ = [
    "LEASE_SECONDS", "STATE_DB", "Claim", "DeliveryKey", "Entry", "Event", "Ledger", "Status", "connect_state",
]  # fmt: skip

#: Where the ledger lives, relative to the workspace root.
STATE_DB = Path(".briefgen") / "state.db"
#: A claim nobody has touched for this long is stale even if its owner seems alive (pid reuse,
#: another host). A live run touches its claim at every attempt, well within this.
LEASE_SECONDS = 15 * 60

Status = Literal["sending", "committing", "sent", "failed", "uncertain"]
_IN_FLIGHT = ("sending", "committing")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    brief_id     TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    channel      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('sending', 'committing', 'sent', 'failed', 'uncertain')),
    message_id   TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    owner        TEXT,
    destination  TEXT,
    detail       TEXT,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    sent_at      REAL,
    PRIMARY KEY (brief_id, recipient, content_hash, channel)
);
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
"""


@dataclass(frozen=True)
class DeliveryKey:
    brief_id: str
    recipient: str
    content_hash: str
    channel: str


@dataclass(frozen=True)
class Entry:
    """One row of the ledger."""

    key: DeliveryKey
    status: Status
    message_id: str
    attempts: int
    owner: str | None
    destination: str | None
    detail: str | None
    created_at: float
    updated_at: float
    sent_at: float | None


@dataclass(frozen=True)
class Event:
    at: float
    key: DeliveryKey
    status: str
    detail: str | None


ClaimReason = Literal["new", "retry", "recovered", "resend", "delivered", "busy", "uncertain"]


@dataclass(frozen=True)
class Claim:
    """The answer to "may I send this?". ``granted`` claims carry the Message-ID to use."""

    granted: bool
    reason: ClaimReason
    message_id: str
    entry: Entry | None = None


# --------------------------------------------------------------------------- owners


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), which tells a pid that
    was reused from the one that made a claim; "" where /proc is unavailable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 and fields[0] != "Z" else "zombie"


def make_owner() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}|{pid}|{_start_time(pid)}|{uuid.uuid4().hex[:12]}"


def owner_alive(owner: str | None, touched: float, *, me: str, now: float | None = None) -> bool:
    """Whether the run that wrote ``owner`` may still be working on its claim."""
    if owner is None:
        return False
    if owner == me:
        return True
    if (now or time.time()) - touched > LEASE_SECONDS:
        return False
    try:
        host, pid_text, started, _token = owner.split("|")
        pid = int(pid_text)
    except ValueError:
        return True  # not ours to judge: wait for the lease
    if host != socket.gethostname():
        return True
    if pid == os.getpid():
        return False  # an earlier run in this process, which has returned
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's live process
    now_started = _start_time(pid)
    return not (now_started == "zombie" or (started and now_started and now_started != started))


# --------------------------------------------------------------------------- the ledger


def connect_state(path: Path, *, wal: bool = True) -> sqlite3.Connection:
    """Open the workspace's state database (the ledger and the schedule runs share it).

    Autocommit mode: every transaction is explicit (``BEGIN IMMEDIATE ... COMMIT``). WAL lets
    readers work while a run writes; switching to it can report "database is locked" at once,
    without waiting, while another process creates the file, so the switch is retried.
    """
    db = sqlite3.connect(path, timeout=60, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout = 60000")
    deadline = time.monotonic() + 60
    while wal:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    return db


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        key=DeliveryKey(row["brief_id"], row["recipient"], row["content_hash"], row["channel"]),
        status=row["status"],
        message_id=row["message_id"],
        attempts=row["attempts"],
        owner=row["owner"],
        destination=row["destination"],
        detail=row["detail"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        sent_at=row["sent_at"],
    )


# Every statement is a literal: values only ever travel as ? parameters.
_SELECT = "SELECT * FROM deliveries WHERE brief_id = ? AND recipient = ? AND content_hash = ? AND channel = ?"
_MARK_UNCERTAIN = (
    "UPDATE deliveries SET status = 'uncertain', detail = ?, updated_at = ?"
    " WHERE brief_id = ? AND recipient = ? AND content_hash = ? AND channel = ?"
)
_RECLAIM = (
    "UPDATE deliveries SET status = 'sending', message_id = ?, attempts = attempts + 1, owner = ?,"
    " destination = ?, updated_at = ? WHERE brief_id = ? AND recipient = ? AND content_hash = ? AND channel = ?"
)
_SET_STATUS = (
    "UPDATE deliveries SET status = ?, detail = ?, updated_at = ?"
    " WHERE brief_id = ? AND recipient = ? AND content_hash = ? AND channel = ? AND owner = ?"
)
_SET_SENT = (
    "UPDATE deliveries SET status = ?, detail = ?, updated_at = ?, sent_at = ?"
    " WHERE brief_id = ? AND recipient = ? AND content_hash = ? AND channel = ? AND owner = ?"
)
_RETRY = (
    "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, detail = ?, updated_at = ?"
    " WHERE brief_id = ? AND recipient = ? AND content_hash = ? AND channel = ? AND owner = ?"
)

_KEY_COLUMNS = ("brief_id", "recipient", "content_hash", "channel")


def _params(key: DeliveryKey) -> tuple[str, str, str, str]:
    return (key.brief_id, key.recipient, key.content_hash, key.channel)


class StateStore:
    """A connection to the workspace's state database, with one way to write: a
    ``BEGIN IMMEDIATE`` transaction, so concurrent runs serialise instead of interleaving."""

    _db: sqlite3.Connection

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")


class Ledger(StateStore):
    """A connection to the ledger, owned by one ``send`` run (see :func:`make_owner`)."""

    def __init__(self, path: Path, *, owner: str | None = None, create: bool = True) -> None:
        self.path = path
        self.owner = owner or make_owner()
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.is_file():
            raise FileNotFoundError(path)
        self._db = connect_state(path, wal=create)
        if create:
            with self._write() as db:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
        self._db.execute("PRAGMA synchronous = FULL")

    @classmethod
    def existing(cls, path: Path) -> Ledger | None:
        """The ledger if it exists, else None (for reading: creates nothing)."""
        try:
            return cls(path, create=False)
        except FileNotFoundError:
            return None

    def _log(self, key: DeliveryKey, status: str, detail: str | None, now: float) -> None:
        self._db.execute(
            "INSERT INTO events (at, brief_id, recipient, content_hash, channel, status, detail, owner)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (now, *_params(key), status, detail, self.owner),
        )

    # ---------------------------------------------------------------- reading

    def get(self, key: DeliveryKey) -> Entry | None:
        row = self._db.execute(_SELECT, _params(key)).fetchone()
        return _entry(row) if row else None

    def entries(self, brief_id: str | None = None) -> list[Entry]:
        rows = self._db.execute(
            "SELECT * FROM deliveries WHERE ?1 IS NULL OR brief_id = ?1 ORDER BY brief_id, created_at, recipient",
            (brief_id,),
        ).fetchall()
        return [_entry(r) for r in rows]

    def events(self, brief_id: str | None = None) -> list[Event]:
        rows = self._db.execute(
            "SELECT * FROM events WHERE ?1 IS NULL OR brief_id = ?1 ORDER BY id", (brief_id,)
        ).fetchall()
        return [
            Event(
                r["at"],
                DeliveryKey(r["brief_id"], r["recipient"], r["content_hash"], r["channel"]),
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
        new_message_id: Callable[[], str],
        destination: str,
        resend: bool = False,
        replayable: bool = False,
    ) -> Claim:
        """Take ``key`` for this run, in one ``BEGIN IMMEDIATE`` transaction, or say why not.

        - nothing recorded, or ``failed``: granted (the same Message-ID is kept on a retry);
        - ``sent``: refused as delivered, unless ``resend`` (a new message, new Message-ID);
        - ``sending``/``committing`` by a live run: refused as busy;
        - ``sending`` by a dead run: granted (the data never reached the server's final ".",
          so the server discarded it: sending again cannot duplicate);
        - ``committing`` by a dead run: the server may or may not have the message. It becomes
          ``uncertain`` and is not sent again unless ``resend`` (at most once, never silently:
          see the README). ``replayable`` channels (the outbox, which overwrites its file)
          are simply granted;
        - ``uncertain``: refused unless ``resend``, which keeps the Message-ID, so mail
          clients that de-duplicate by Message-ID show one copy if the first did arrive.
        """
        now = time.time()
        with self._write() as db:
            row = db.execute(_SELECT, _params(key)).fetchone()
            if row is None:
                message_id = new_message_id()
                db.execute(
                    "INSERT INTO deliveries (brief_id, recipient, content_hash, channel, status, message_id, attempts,"
                    " owner, destination, created_at, updated_at) VALUES (?, ?, ?, ?, 'sending', ?, 1, ?, ?, ?, ?)",
                    (*_params(key), message_id, self.owner, destination, now, now),
                )
                self._log(key, "sending", "claimed", now)
                return Claim(True, "new", message_id)
            entry = _entry(row)
            status = entry.status
            if status in _IN_FLIGHT and owner_alive(entry.owner, entry.updated_at, me=self.owner, now=now):
                return Claim(False, "busy", entry.message_id, entry)
            if status == "sent" and not resend:
                return Claim(False, "delivered", entry.message_id, entry)
            if status == "committing" and not resend and not replayable:
                detail = (
                    "the run sending it stopped after handing the message to the server, before the server's "
                    f"answer was recorded (was: {entry.detail or 'no answer'}); it may have arrived"
                )
                db.execute(
                    _MARK_UNCERTAIN,
                    (detail, now, *_params(key)),
                )
                self._log(key, "uncertain", detail, now)
                return Claim(False, "uncertain", entry.message_id, entry)
            if status == "uncertain" and not resend:
                return Claim(False, "uncertain", entry.message_id, entry)
            reason: ClaimReason = (
                "resend" if status in ("sent", "uncertain") else "recovered" if status in _IN_FLIGHT else "retry"
            )
            message_id = entry.message_id if status != "sent" and entry.message_id else new_message_id()
            db.execute(
                _RECLAIM,
                (message_id, self.owner, destination, now, *_params(key)),
            )
            self._log(key, "sending", f"claimed ({reason})", now)
            return Claim(True, reason, message_id, entry)

    # ---------------------------------------------------------------- progress of a claim

    def _update(self, key: DeliveryKey, status: Status, detail: str | None, *, sent: bool = False) -> bool:
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                _SET_SENT if sent else _SET_STATUS,
                (status, detail, now, *((now,) if sent else ()), *_params(key), self.owner),
            )
            if cursor.rowcount:
                self._log(key, status, detail, now)
            return cursor.rowcount == 1

    def retrying(self, key: DeliveryKey, detail: str) -> bool:
        """Another attempt at a claim that is still ours (counts it, renews the lease)."""
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                _RETRY,
                (detail, now, *_params(key), self.owner),
            )
            if cursor.rowcount:
                self._log(key, "sending", f"retry after: {detail}", now)
            return cursor.rowcount == 1

    def committing(self, key: DeliveryKey) -> bool:
        """The message body is out; the final "." goes next. From here the outcome can be unknown."""
        return self._update(key, "committing", None)

    def sent(self, key: DeliveryKey, reply: str) -> bool:
        return self._update(key, "sent", reply, sent=True)

    def failed(self, key: DeliveryKey, error: str) -> bool:
        return self._update(key, "failed", error)

    def uncertain(self, key: DeliveryKey, error: str) -> bool:
        return self._update(key, "uncertain", error)
