"""``briefgen state migrate|check|copy``, on SQLite and PostgreSQL; the URL's password never shows."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from briefgen.deliver.ledger import DeliveryKey, Ledger
from briefgen.schedule.runs import RunOutcome, RunStore
from briefgen.state.store import StateError

from ..conftest import needs_postgres, postgres_schema_url

SECRET = "pa55-w0rd-never-shown"


def briefgen(workspace: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_")}
    if url:
        env["BRIEFGEN_STATE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "briefgen", *args], cwd=workspace, env=env, capture_output=True, text=True
    )


def with_password(url: str) -> str:
    """The test cluster trusts loopback, so a password is accepted and ignored: it can be checked for leaks."""
    return url.replace("postgresql://briefgen@", f"postgresql://briefgen:{SECRET}@")


def sqlite_state(workspace: Path) -> None:
    """A workspace that has sent once and ticked once, on the default SQLite store."""
    path = workspace / ".briefgen" / "state.db"
    with Ledger(path) as ledger:
        ledger.check_continuity()
        for n in range(3):
            key = DeliveryKey("edition-2021-w49", f"r{n}@example.org", "smtp")
            claim = ledger.claim(key, content_hash="c" * 64, new_message_id=lambda: "<m@example.org>", destination="x")
            assert ledger.committing(key, claim.generation) and ledger.sent(key, claim.generation, "250 OK")
    with RunStore(path) as runs:
        assert runs.claim("weekly", "2021-W49", "2021-12-13T07:00:00+01:00").granted
        runs.finish("weekly", "2021-W49", RunOutcome("sent", "sent to 3 of 3", 3, 3))


def test_check_on_sqlite_says_what_is_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRIEFGEN_STATE_URL", raising=False)
    assert "no state yet" in briefgen(tmp_path, "state", "check").stdout
    sqlite_state(tmp_path)
    checked = briefgen(tmp_path, "state", "check")
    assert checked.returncode == 0
    assert "ledger: ok (3 deliveries" in checked.stdout and "schedule: ok (1 schedule_runs" in checked.stdout


def test_copy_moves_sqlite_state_to_postgres_once_and_the_password_never_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_postgres()
    monkeypatch.delenv("BRIEFGEN_STATE_URL", raising=False)
    url = with_password(postgres_schema_url("t_" + uuid.uuid4().hex[:12]))
    sqlite_state(tmp_path)

    behind = briefgen(tmp_path, "state", "check", url=url)
    assert behind.returncode == 1 and "schema 0 of 1: run `briefgen state migrate`" in behind.stdout
    migrated = briefgen(tmp_path, "state", "migrate", url=url)
    assert "ledger: schema 1 (applied 1)" in migrated.stdout
    assert "up to date" in briefgen(tmp_path, "state", "migrate", url=url).stdout  # never twice

    copied = briefgen(tmp_path, "state", "copy", url=url)
    assert copied.returncode == 0, copied.stderr
    assert "ledger: 3 deliveries" in copied.stdout and "schedule: 1 schedule_runs" in copied.stdout
    again = briefgen(tmp_path, "state", "copy", url=url)
    assert again.returncode == 2 and "state copy only fills an empty store" in again.stderr
    assert "Traceback" not in again.stderr and len(again.stderr.strip().splitlines()) == 1
    checked = briefgen(tmp_path, "state", "check", url=url)
    assert checked.returncode == 0 and "ledger: schema 1, ok (3 deliveries" in checked.stdout
    for result in (behind, migrated, copied, again, checked):
        assert SECRET not in result.stdout + result.stderr
    assert "briefgen:********@127.0.0.1" in checked.stdout

    # The copied ledger is the one this workspace had: sending goes on, nobody is mailed again.
    monkeypatch.setenv("BRIEFGEN_STATE_URL", url)
    with Ledger(tmp_path / ".briefgen" / "state.db") as ledger:
        ledger.check_continuity()
        key = DeliveryKey("edition-2021-w49", "r0@example.org", "smtp")
        claim = ledger.claim(key, content_hash="c" * 64, new_message_id=lambda: "<n@example.org>", destination="x")
        assert not claim.granted and claim.reason == "delivered"
        new = ledger.claim(
            DeliveryKey("e", "r9@example.org", "smtp"),
            content_hash="c",
            new_message_id=lambda: "<k@x>",
            destination="x",
        )
        assert new.granted  # the events' identity continues after the copied rows
    with RunStore(tmp_path / ".briefgen" / "state.db") as runs:
        record = runs.get("weekly", "2021-W49")
        assert record is not None and record.status == "sent" and record.sent == 3


def test_a_schema_from_a_newer_briefgen_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    needs_postgres()
    url = postgres_schema_url("t_" + uuid.uuid4().hex[:12])
    monkeypatch.setenv("BRIEFGEN_STATE_URL", url)
    Ledger(tmp_path / ".briefgen" / "state.db").close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO briefgen_migrations VALUES ('ledger', 2, 0)")
    with pytest.raises(StateError, match="ledger schema 2 was written by a newer briefgen"):
        Ledger(tmp_path / ".briefgen" / "state.db")
    checked = briefgen(tmp_path, "state", "check", url=url)
    assert checked.returncode == 1 and "is newer than this briefgen's 1: upgrade" in checked.stdout


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://briefgen:{SECRET}@127.0.0.1:1/briefgen"
    (tmp_path / "briefgen.toml").write_text('[[schedules]]\nname = "w"\ncron = "0 7 * * MON"\n')
    result = briefgen(tmp_path, "schedule", "status", url=url)
    assert result.returncode == 2, result.stderr
    assert "cannot connect" in result.stderr and "briefgen:********@127.0.0.1:1" in result.stderr
    assert SECRET not in result.stderr and "Traceback" not in result.stderr


def _approvals_and_archive(workspace: Path) -> None:
    """A SQLite state holding approvals (a request, an approval, a decision) and archive records."""
    from briefgen.deliver.approvals import Approvals
    from briefgen.deliver.archive import Archive
    from briefgen.state.url import StateURL

    path = workspace / ".briefgen" / "state.db"
    with Approvals(path) as approvals:
        approvals.request("edition-2021-w49", "a" * 64, "eda@example.org")
        approvals.request("edition-2021-w49", "b" * 64, "eda@example.org")
        approvals.approve("edition-2021-w49", "b" * 64, "eda", "fine")
        approvals.approve("edition-2021-w49", "b" * 64, "ola", None)
        approvals.decide("edition-2021-w48", "weekly", "c" * 64, "skipped")
    with Archive.of_workspace(workspace, StateURL("sqlite", path)) as archive:
        for n in range(3):
            archive.keep(
                document="edition-2021-w49", title="Week 49", day="2021-12-06", variant="all",
                recipient=f"r{n}@example.org", channel="smtp", message=b"message %d" % n, html=b"<p>page</p>", pdf=None,
            )  # fmt: skip


def _rows(workspace: Path, url: str | None) -> dict[str, list[tuple[object, ...]]]:
    from briefgen.state.url import parse_url
    from briefgen.workspace.statedb import FEATURES

    where = parse_url(url, workspace)
    rows = {}
    for store in FEATURES[2:]:  # approvals and the archive
        with store.open(where) as opened:
            for table in store.feature.tables:
                rows[table] = sorted(tuple(row.values()) for row in opened.dump(table))
    return rows


def test_approvals_and_the_archive_survive_a_copy_to_postgres_and_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_postgres()
    monkeypatch.delenv("BRIEFGEN_STATE_URL", raising=False)
    url = postgres_schema_url("t_" + uuid.uuid4().hex[:12])
    first, back = tmp_path / "first", tmp_path / "back"
    first.mkdir()
    back.mkdir()
    _approvals_and_archive(first)
    original = _rows(first, None)
    tables = ("approval_requests", "approvals", "approval_decisions", "archive")
    assert [len(original[t]) for t in tables] == [2, 2, 1, 3]

    there = briefgen(first, "state", "copy", url=url)
    assert there.returncode == 0, there.stderr
    assert "approvals: 2 approvals" in there.stdout and "archive: 3 archive" in there.stdout
    assert _rows(first, url) == original
    checked = briefgen(first, "state", "check", url=url)
    assert "approvals: schema 2, ok (2 approval_requests, 2 approvals, 1 approval_decisions)" in checked.stdout

    home = briefgen(back, "state", "copy", "--from", url)  # into the second workspace's own SQLite file
    assert home.returncode == 0, home.stderr
    assert _rows(back, None) == original
