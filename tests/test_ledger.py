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

from briefgen.ledger import LEASE_SECONDS, DeliveryKey, Ledger, _start_time, owner_alive

KEY = DeliveryKey("brief-1", "asha@example.org", "c" * 64, "smtp")
_ids = itertools.count(1)


def new_id() -> str:
    return f"<{next(_ids)}@example.org>"


def owner_of(pid: int, started: str | None = None, host: str | None = None) -> str:
    return f"{host or socket.gethostname()}|{pid}|{_start_time(pid) if started is None else started}|feedbeef"


@pytest.fixture
def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def ledger(tmp_path: Path, owner: str | None = None) -> Ledger:
    return Ledger(tmp_path / ".briefgen" / "state.db", owner=owner)


def claim(led: Ledger, resend: bool = False, replayable: bool = False):  # type: ignore[no-untyped-def]
    return led.claim(KEY, new_message_id=new_id, destination="smtp://x:25", resend=resend, replayable=replayable)


def test_a_new_recipient_is_claimed_then_sent_then_skipped(tmp_path: Path) -> None:
    with ledger(tmp_path) as led:
        first = claim(led)
        assert first.granted and first.reason == "new"
        assert led.get(KEY).status == "sending"  # type: ignore[union-attr]
        assert led.committing(KEY) and led.sent(KEY, "250 OK")
        again = claim(led)
        assert not again.granted and again.reason == "delivered"
        entry = led.get(KEY)
        assert entry is not None and entry.status == "sent" and entry.detail == "250 OK" and entry.sent_at
        assert [e.status for e in led.events()] == ["sending", "committing", "sent"]


def test_resend_of_a_delivered_message_is_a_new_message(tmp_path: Path) -> None:
    with ledger(tmp_path) as led:
        first = claim(led)
        led.sent(KEY, "250 OK")
        forced = claim(led, resend=True)
    assert forced.granted and forced.reason == "resend" and forced.message_id != first.message_id


def test_a_failed_recipient_is_retried_with_the_same_message_id(tmp_path: Path) -> None:
    with ledger(tmp_path) as led:
        first = claim(led)
        led.failed(KEY, "451 try later")
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
        theirs.committing(KEY)
    with ledger(tmp_path) as mine:
        refused = claim(mine)
        assert not refused.granted and refused.reason == "uncertain"
        assert mine.get(KEY).status == "uncertain"  # type: ignore[union-attr]
        assert not claim(mine).granted  # stays put on every later run ...
        forced = claim(mine, resend=True)  # ... until someone decides
    assert forced.granted and forced.message_id == first.message_id


def test_the_outbox_simply_writes_its_file_again(tmp_path: Path, dead_pid: int) -> None:
    with ledger(tmp_path, owner=owner_of(dead_pid, started="1")) as theirs:
        claim(theirs, replayable=True)
        theirs.committing(KEY)
    with ledger(tmp_path) as mine:
        assert claim(mine, replayable=True).granted


def test_owner_liveness() -> None:
    me = owner_of(os.getpid())
    assert owner_alive(me, time.time(), me=me)
    parent = owner_of(os.getppid())
    assert owner_alive(parent, time.time(), me=me)
    assert not owner_alive(parent, time.time() - LEASE_SECONDS - 1, me=me)  # the lease ran out
    assert not owner_alive(owner_of(os.getppid(), started="1"), time.time(), me=me)  # the pid was reused
    assert owner_alive(owner_of(1, host="elsewhere.example"), time.time(), me=me)  # another host: wait
    assert not owner_alive(owner_of(os.getpid(), host=socket.gethostname()) + "x", time.time(), me=me)


def test_another_owner_cannot_record_on_my_claim(tmp_path: Path) -> None:
    with ledger(tmp_path) as mine:
        claim(mine)
    with ledger(tmp_path, owner=owner_of(os.getppid())) as other:
        assert not other.sent(KEY, "250 OK")
    with sqlite3.connect(tmp_path / ".briefgen" / "state.db") as db:
        assert db.execute("SELECT status FROM deliveries").fetchone() == ("sending",)


def test_reading_creates_nothing(tmp_path: Path) -> None:
    assert Ledger.existing(tmp_path / ".briefgen" / "state.db") is None
    assert not (tmp_path / ".briefgen").exists()
