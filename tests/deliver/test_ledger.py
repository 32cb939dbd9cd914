"""The delivery ledger's claims: who may send what, and what a dead run leaves behind."""

from __future__ import annotations

import itertools
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from briefgen.deliver.ledger import DeliveryKey, Ledger
from briefgen.state.claims import LEASE_SECONDS, owner_alive, start_time
from briefgen.state.store import StateError

KEY = DeliveryKey("brief-1", "asha@example.org", "smtp")
VERSION = "c" * 64
_ids = itertools.count(1)


#: Every test here runs on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("state_store")


def new_id() -> str:
    return f"<{next(_ids)}@example.org>"


def owner_of(pid: int, started: str | None = None, host: str | None = None) -> str:
    return f"{host or socket.gethostname()}|{pid}|{start_time(pid) if started is None else started}|feedbeef"


@pytest.fixture
def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def ledger(tmp_path: Path, owner: str | None = None) -> Ledger:
    return Ledger(tmp_path / ".briefgen" / "state.db", owner=owner)


def claim(  # type: ignore[no-untyped-def]
    led: Ledger, resend: bool = False, replayable: bool = False, version: str = VERSION, resend_changed: bool = False
):
    return led.claim(
        KEY,
        content_hash=version,
        new_message_id=new_id,
        destination="smtp://x:25",
        resend=resend,
        resend_changed=resend_changed,
        replayable=replayable,
    )


def test_a_new_recipient_is_claimed_then_sent_then_skipped(tmp_path: Path) -> None:
    with ledger(tmp_path) as led:
        first = claim(led)
        assert first.granted and first.reason == "new"
        assert led.get(KEY).status == "sending"  # type: ignore[union-attr]
        assert led.committing(KEY, first.generation) and led.sent(KEY, first.generation, "250 OK")
        again = claim(led)
        assert not again.granted and again.reason == "delivered"
        entry = led.get(KEY)
        assert entry is not None and entry.status == "sent" and entry.detail == "250 OK" and entry.sent_at
        assert [e.status for e in led.events()] == ["sending", "committing", "sent"]


def test_resend_of_a_delivered_message_is_a_new_message(tmp_path: Path) -> None:
    with ledger(tmp_path) as led:
        first = claim(led)
        led.sent(KEY, first.generation, "250 OK")
        forced = claim(led, resend=True)
    assert forced.granted and forced.reason == "resend" and forced.message_id != first.message_id


def test_a_failed_recipient_is_retried_with_the_same_message_id(tmp_path: Path) -> None:
    with ledger(tmp_path) as led:
        first = claim(led)
        led.failed(KEY, first.generation, "451 try later")
        retry = claim(led)
    assert retry.granted and retry.reason == "retry" and retry.message_id == first.message_id


def test_a_live_run_s_claim_is_busy_for_everyone_else(tmp_path: Path) -> None:
    parent = owner_of(os.getppid())  # the process that started pytest: alive
    with ledger(tmp_path, owner=parent) as theirs:
        assert claim(theirs).granted
    with ledger(tmp_path) as mine:
        refused = claim(mine, resend=True)
    assert not refused.granted and refused.reason == "busy"


def test_a_dead_run_s_claim_before_the_final_dot_is_taken_over(tmp_path: Path, dead_pid: int) -> None:
    with ledger(tmp_path, owner=owner_of(dead_pid, started="1")) as theirs:
        first = claim(theirs)
    with ledger(tmp_path) as mine:
        taken = claim(mine)
    assert taken.granted and taken.reason == "recovered" and taken.message_id == first.message_id


def test_a_dead_run_s_claim_after_the_final_dot_becomes_uncertain(tmp_path: Path, dead_pid: int) -> None:
    with ledger(tmp_path, owner=owner_of(dead_pid, started="1")) as theirs:
        first = claim(theirs)
        theirs.committing(KEY, first.generation)
    with ledger(tmp_path) as mine:
        refused = claim(mine)
        assert not refused.granted and refused.reason == "uncertain"
        assert mine.get(KEY).status == "uncertain"  # type: ignore[union-attr]
        assert not claim(mine).granted  # stays put on every later run ...
        forced = claim(mine, resend=True)  # ... until someone decides
    assert forced.granted and forced.message_id == first.message_id


def test_the_outbox_simply_writes_its_file_again(tmp_path: Path, dead_pid: int) -> None:
    with ledger(tmp_path, owner=owner_of(dead_pid, started="1")) as theirs:
        theirs.committing(KEY, claim(theirs, replayable=True).generation)
    with ledger(tmp_path) as mine:
        assert claim(mine, replayable=True).granted


@pytest.mark.sqlite_only("keeps no state")
def test_owner_liveness() -> None:
    me = owner_of(os.getpid())
    assert owner_alive(me, time.time(), me=me)
    parent = owner_of(os.getppid())
    assert owner_alive(parent, time.time(), me=me)
    assert not owner_alive(parent, time.time() - LEASE_SECONDS - 1, me=me)  # the lease ran out
    assert not owner_alive(owner_of(os.getppid(), started="1"), time.time(), me=me)  # the pid was reused
    assert owner_alive(owner_of(1, host="elsewhere.example"), time.time(), me=me)  # another host: wait
    assert not owner_alive(owner_of(os.getpid(), host=socket.gethostname()) + "x", time.time(), me=me)


@pytest.mark.sqlite_only
def test_another_owner_cannot_record_on_my_claim(tmp_path: Path) -> None:
    with ledger(tmp_path) as mine:
        mine_claim = claim(mine)
    with ledger(tmp_path, owner=owner_of(os.getppid())) as other:
        assert not other.sent(KEY, mine_claim.generation, "250 OK")
    with sqlite3.connect(tmp_path / ".briefgen" / "state.db") as db:
        assert db.execute("SELECT status FROM deliveries").fetchone() == ("sending",)


@pytest.mark.sqlite_only
def test_reading_creates_nothing(tmp_path: Path) -> None:
    assert Ledger.existing(tmp_path / ".briefgen" / "state.db") is None
    assert not (tmp_path / ".briefgen").exists()


# --------------------------------------------------------------------------- versions, fencing, leases


def test_identity_is_document_recipient_channel_and_the_version_is_recorded(tmp_path: Path) -> None:
    with ledger(tmp_path) as led:
        first = claim(led)
        led.sent(KEY, first.generation, "250 OK")
        edited = claim(led, version="d" * 64)  # a retry after an edit: not a new delivery
        assert not edited.granted and edited.reason == "delivered"
        assert led.get(KEY).content_hash == VERSION  # type: ignore[union-attr]
        same = claim(led, resend_changed=True)  # they have the current version already
        assert not same.granted and same.reason == "delivered"
        changed = claim(led, version="d" * 64, resend_changed=True)
        assert changed.granted and changed.reason == "changed" and changed.message_id != first.message_id
        assert led.get(KEY).content_hash == "d" * 64  # type: ignore[union-attr]
        assert len(led.entries()) == 1


def test_a_failed_recipient_is_retried_with_the_current_version(tmp_path: Path) -> None:
    with ledger(tmp_path) as led:
        first = claim(led)
        led.failed(KEY, first.generation, "550 no such user")
        retry = claim(led, version="e" * 64)
        assert retry.granted and retry.reason == "retry" and retry.generation == first.generation + 1
        assert led.get(KEY).content_hash == "e" * 64  # type: ignore[union-attr]


def test_a_claim_taken_over_cannot_commit_or_record(tmp_path: Path) -> None:
    """The fencing token: a live owner whose lease ran out loses its claim, and its step to
    "committing" (just before the final ".") fails, so it never sends the "."."""
    stalled = Ledger(tmp_path / ".briefgen" / "state.db", lease=0.2)
    with stalled:
        theirs = claim(stalled)
        time.sleep(0.3)
        with ledger(tmp_path) as mine:
            taken = claim(mine)
            assert taken.granted and taken.reason == "recovered" and taken.generation == theirs.generation + 1
            assert not stalled.committing(KEY, theirs.generation)
            assert not stalled.sent(KEY, theirs.generation, "250 OK")
            assert not stalled.retrying(KEY, theirs.generation, "451")
            assert mine.committing(KEY, taken.generation) and mine.sent(KEY, taken.generation, "250 OK")
        assert stalled.get(KEY).status == "sent"  # type: ignore[union-attr]


def test_the_heartbeat_keeps_a_slow_live_claim(tmp_path: Path) -> None:
    slow = Ledger(tmp_path / ".briefgen" / "state.db", lease=0.3, owner=owner_of(os.getppid()))  # alive
    with slow, slow.heartbeat():
        mine = claim(slow)
        time.sleep(1.0)  # three leases
        with ledger(tmp_path) as other:
            assert claim(other).reason == "busy"
        assert slow.committing(KEY, mine.generation)


@pytest.mark.sqlite_only
def test_an_old_ledger_is_migrated_keeping_its_history(tmp_path: Path) -> None:
    path = tmp_path / ".briefgen" / "state.db"
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE deliveries (brief_id TEXT NOT NULL, recipient TEXT NOT NULL, content_hash TEXT NOT NULL,"
            " channel TEXT NOT NULL, status TEXT NOT NULL, message_id TEXT NOT NULL, attempts INTEGER NOT NULL"
            " DEFAULT 0, owner TEXT, destination TEXT, detail TEXT, created_at REAL NOT NULL, updated_at REAL NOT"
            " NULL, sent_at REAL, PRIMARY KEY (brief_id, recipient, content_hash, channel));"
            "INSERT INTO deliveries VALUES ('brief-1', 'asha@example.org', 'old', 'smtp', 'sent', '<1@x>', 1,"
            " NULL, 'smtp://x:25', '250 OK', 1, 1, 1);"
            "INSERT INTO deliveries VALUES ('brief-1', 'asha@example.org', 'new', 'smtp', 'failed', '<2@x>', 1,"
            " NULL, 'smtp://x:25', '451 later', 2, 2, NULL);"
        )
    with ledger(tmp_path) as led:
        entry = led.get(KEY)
        assert entry is not None and entry.status == "sent" and entry.content_hash == "old"
        assert not claim(led, version="new").granted  # she has it: the edit does not re-send
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
        assert db.execute("SELECT count(*) FROM deliveries_v0").fetchone() == (2,)


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"this is not a database at all, just some text" * 100, "not a usable briefgen state database"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "not a usable briefgen state database"),
    ],
)
def test_a_corrupt_state_db_is_one_clear_error(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / ".briefgen" / "state.db"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(StateError) as raised:
        ledger(tmp_path)
    message = str(raised.value)
    assert message.startswith(str(path)) and expected in message and "\n" not in message
    assert path.read_bytes() == content  # left as it was


@pytest.mark.sqlite_only
def test_a_newer_or_foreign_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / ".briefgen" / "state.db"
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 9")
    with pytest.raises(StateError, match="newer briefgen"):
        ledger(tmp_path)
    path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE deliveries (something TEXT)")
        db.execute("PRAGMA user_version = 2")
    with pytest.raises(StateError, match="wrong columns"):
        ledger(tmp_path)


@pytest.mark.sqlite_only
def test_a_lost_ledger_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / ".briefgen" / "state.db"
    with ledger(tmp_path) as led:
        led.check_continuity()
    remembered = (path.parent / "ledger-id").read_text()
    path.unlink()
    with ledger(tmp_path) as fresh:
        with pytest.raises(StateError, match="is gone"):
            fresh.check_continuity()
        with pytest.raises(StateError, match="is gone"):  # and on every run after
            fresh.check_continuity()
        fresh.check_continuity(accept_lost=True)
        fresh.check_continuity()
    assert (path.parent / "ledger-id").read_text() != remembered
