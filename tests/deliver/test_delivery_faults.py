"""Fault injection for delivery: a misbehaving SMTP server on loopback (see mailserver.py),
the real library or CLI in separate processes where the fault needs it, and per-recipient
counts at the end: nobody lost, nobody served twice, "uncertain" only where the client
cannot know (the server kept the message, its answer never came back)."""

from __future__ import annotations

import base64
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from briefgen import load_config
from briefgen.deliver.send import deliveries

from ..conftest import SEED, Built, run_cli
from ..mailserver import PASSWORD, MailServer, Received, Recorder, wait_for
from .test_deliver import SEED_ID, cli_env, mail_workspace, many, plain_smtp, run, statuses


@dataclass(frozen=True)
class Tally:
    """Per-recipient outcome of a fault: the issue's closing table, one row."""

    expected: int  # recipients who should have the message (the server accepts them)
    received: int  # of those, how many have it
    duplicated: int  # extra copies beyond one per recipient
    uncertain: int  # recipients the ledger reports as "uncertain"


def tally(received: list[Received], expected: list[str], workspace: Path) -> Tally:
    counts = Counter(r.rcpt_tos[0] for r in received)
    state = statuses(workspace)
    return Tally(
        expected=len(expected),
        received=sum(1 for address in expected if counts[address]),
        duplicated=sum(count - 1 for count in counts.values()),
        uncertain=sum(1 for status in state.values() if status == "uncertain"),
    )


PEOPLE = many(5)
EVERYONE = [p[1] for p in PEOPLE]
VICTIM = PEOPLE[2][1]


def edit_settings(workspace: Path, old: str, new: str) -> None:
    """Change briefgen.toml, keeping its time: the build on disk stays fresh (no PDF re-layout)."""
    toml = workspace / "briefgen.toml"
    stamp = toml.stat().st_mtime
    toml.write_text(toml.read_text().replace(old, new))
    os.utime(toml, (stamp, stamp))


def _revive(handler: Recorder) -> None:
    handler.dead, handler.die_after = False, None


#: name: (set the fault up, between the first run and the rerun, settings to change, the tally)
FAULTS: dict[str, tuple[Callable[[Recorder], None], Callable[[Recorder], None] | None, str, Tally]] = {
    "550 at RCPT": (lambda h: h.reject.update({VICTIM: "550 5.1.1 no such user"}), None, "", Tally(4, 4, 0, 0)),
    "451 at RCPT, once": (lambda h: h.reject_once.update({VICTIM: "451 4.3.0 try later"}), None, "", Tally(5, 5, 0, 0)),
    "451 after DATA, once": (
        lambda h: h.fail_data_once.update({VICTIM: "451 4.3.0 queue full"}), None, "", Tally(5, 5, 0, 0)
    ),
    "drop at MAIL": (lambda h: h.drop_at_mail.add(3), None, "", Tally(5, 5, 0, 0)),
    "drop mid-DATA": (lambda h: h.drop_mid_data.add(VICTIM), None, "", Tally(5, 5, 0, 0)),
    "drop after the message is kept": (
        lambda h: setattr(h, "drop_after_data", VICTIM), None, "", Tally(5, 5, 0, 1)
    ),
    "dies after 2 messages, back later": (lambda h: setattr(h, "die_after", 2), _revive, "", Tally(5, 5, 0, 0)),
    "slow 354 (0.5 s)": (lambda h: setattr(h, "delay_354", 0.5), None, "", Tally(5, 5, 0, 0)),
    "slow final reply (0.5 s)": (lambda h: setattr(h, "delay", 0.5), None, "", Tally(5, 5, 0, 0)),
    "final reply after the timeout": (
        lambda h: h.delay_for.update({VICTIM: 2.5}), None, "timeout = 1\n", Tally(5, 5, 0, 1)
    ),
}  # fmt: skip


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_loses_nothing_and_duplicates_nothing(tmp_path: Path, built_examples: Built, fault: str) -> None:
    arrange, between, settings, expected = FAULTS[fault]
    with MailServer() as server:
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=PEOPLE)
        if settings:
            edit_settings(workspace, "timeout = 10\n", settings)
        arrange(server.handler)
        first = run(workspace)
        if between is not None:
            between(server.handler)
        second = run(workspace)  # a rerun (the next tick): settles what can be settled, sends no copy
    served = [r for r in server.received if r.rcpt_tos[0] != VICTIM or "550" not in fault]
    wanted = [a for a in EVERYONE if a != VICTIM or "550" not in fault]
    outcomes = [(d.recipient, d.outcome, d.detail) for d in first.deliveries + second.deliveries]
    assert tally(served, wanted, workspace) == expected, outcomes
    assert second.count("sent") + first.count("sent") <= len(EVERYONE)
    if expected.uncertain:  # reported, not silently retried
        assert [d.recipient for d in second.deliveries if d.outcome == "uncertain"] == [VICTIM]


# --------------------------------------------------------------------------- class 1: retry after an edit


def test_a_retry_after_an_edit_serves_only_those_not_yet_served(tmp_path: Path, built_examples: Built) -> None:
    people = many(20)
    refused = people[7][1]
    with MailServer() as server:
        server.handler.reject[refused] = "550 5.1.1 mailbox unavailable"
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=people)
        first = run(workspace)
        assert first.count("sent") == 19 and first.count("failed") == 1
        before = {e.key.recipient: e.content_hash for e in deliveries(config=load_config(workspace))}

        source = workspace / "inputs" / SEED.name  # the analyst corrects a fact
        source.write_text(source.read_text().replace("author: briefgen example desk", "author: corrected desk"))
        del server.handler.reject[refused]  # and the mailbox is fixed
        retry = run(workspace)
        assert retry.count("sent") == 1 and retry.count("delivered") == 19

        counts = Counter(r.rcpt_tos[0] for r in server.received)
        assert counts == Counter({p[1]: 1 for p in people})  # 20 expected, 20 received, 0 copies
        after = {e.key.recipient: e.content_hash for e in deliveries(config=load_config(workspace))}
        assert after[refused] != before[refused]  # the retry sent the current version ...
        assert all(after[a] == before[a] for a in after if a != refused)  # ... the others keep theirs

        # Sending the changed brief to those with the old version is explicit.
        explicit = run_cli("send", "--resend-changed", cwd=workspace, env=cli_env())
        assert explicit.returncode == 0, explicit.stderr
        assert "19 sent, 1 already delivered" in explicit.stdout
    counts = Counter(r.rcpt_tos[0] for r in server.received)
    assert counts == Counter({p[1]: 1 if p[1] == refused else 2 for p in people})
    newest = {}
    for r in server.received:
        newest[r.rcpt_tos[0]] = r.message["Message-ID"]
    first_ids = {r.rcpt_tos[0]: r.message["Message-ID"] for r in reversed(server.received)}
    assert all(newest[a] != first_ids[a] for a in newest if a != refused)  # a new message, a new id


# --------------------------------------------------------------------------- class 2: stalled sender


def _send_process(workspace: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "briefgen", "send", *args],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_sender_that_lost_its_claim_never_sends(tmp_path: Path, built_examples: Built) -> None:
    """SIGSTOP the first sender while the server holds its DATA; its lease runs out, a second
    process takes the claim over and sends; SIGCONT the first: it finds its generation gone
    and hangs up without the final "."."""
    people = many(4)
    victim = people[1][1]
    env = cli_env(BRIEFGEN_LEASE_SECONDS="1.5")
    with MailServer() as server:
        server.handler.hang_354 = victim
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=people)
        edit_settings(workspace, "timeout = 10", "timeout = 120")
        first = _send_process(workspace, env)
        wait_for(server.handler.hanging.is_set, timeout=60)
        first.send_signal(signal.SIGSTOP)
        try:
            time.sleep(2.5)  # past the lease: nobody renews a stopped process's claims
            second = run_cli("send", cwd=workspace, env=env)
            assert second.returncode == 0, second.stderr
            assert f"sent        {SEED_ID}  Reader 1 <{victim}>" in second.stdout  # taken over
            server.handler.release.set()  # the held 354 goes out to the stopped sender
        finally:
            first.send_signal(signal.SIGCONT)
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert "taken over by another run" in out
        wait_for(lambda: server.handler.mails >= 5)
        time.sleep(0.2)  # let the server finish with the first sender's abandoned transaction
    counts = Counter(r.rcpt_tos[0] for r in server.received)
    assert counts == Counter({p[1]: 1 for p in people})  # 4 expected, 4 received, 0 copies
    assert set(statuses(workspace).values()) == {"sent"}


def test_a_slow_but_live_sender_keeps_its_claim(tmp_path: Path, built_examples: Built) -> None:
    people = many(2)
    slow = people[0][1]
    env = cli_env(BRIEFGEN_LEASE_SECONDS="2")
    with MailServer() as server:
        server.handler.delay_for[slow] = 4.5  # over two leases before the server answers
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=people)
        first = _send_process(workspace, env)
        wait_for(lambda: len(server.received) >= 1, timeout=60)  # the slow message is in, unanswered
        time.sleep(2.5)  # longer than one lease: only the heartbeat keeps the claim
        second = run_cli("send", "--to", slow, cwd=workspace, env=env)
        _out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert second.returncode == 0 and "1 being sent by another run" in second.stdout, second.stdout
    assert Counter(r.rcpt_tos[0] for r in server.received) == Counter({p[1]: 1 for p in people})


# --------------------------------------------------------------------------- class 3: state loss


def test_a_lost_ledger_stops_send_and_message_ids_stay_the_same(tmp_path: Path, built_examples: Built) -> None:
    with MailServer() as server:
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server))
        assert run_cli("send", cwd=workspace, env=cli_env()).returncode == 0
        first_ids = {r.rcpt_tos[0]: r.message["Message-ID"] for r in server.received}
        state = workspace / ".briefgen" / "state.db"
        for path in state.parent.glob("state.db*"):
            path.unlink()

        refused = run_cli("send", cwd=workspace, env=cli_env())
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        (line,) = refused.stderr.strip().splitlines()
        assert str(state) in line and "--accept-lost-state" in line
        assert len(server.received) == 3  # nothing sent

        again = run_cli("send", "--accept-lost-state", cwd=workspace, env=cli_env())
        assert again.returncode == 0, again.stderr
        assert run_cli("send", cwd=workspace, env=cli_env()).stdout.startswith("skipped")
    # The resend after a loss on purpose carries the same Message-IDs: receivers drop the copies.
    assert len(server.received) == 6
    assert all(r.message["Message-ID"] == first_ids[r.rcpt_tos[0]] for r in server.received[3:])


SCHEDULE = '\n[[schedules]]\nname = "weekly"\ncron = "0 8 * * 1"\ntimezone = "UTC"\nedition = "current"\n'


@pytest.mark.parametrize(
    "damage",
    [b"not a database" * 200, b"SQLite format 3\x00" + bytes(range(256)) * 16],
    ids=["garbage", "bad-header"],
)
def test_a_corrupt_state_db_is_one_line_in_every_command(tmp_path: Path, built_examples: Built, damage: bytes) -> None:
    workspace = mail_workspace(tmp_path, built_examples, smtp=SCHEDULE)
    state = workspace / ".briefgen" / "state.db"
    state.parent.mkdir()
    state.write_bytes(damage)
    commands = [
        ["send"],
        ["deliveries"],
        ["schedule", "status"],
        ["schedule", "tick"],
        ["schedule", "tick", "--dry-run"],
    ]
    for command in commands:
        result = run_cli(*command, cwd=workspace, env=cli_env())
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert str(state) in line and "not a usable briefgen state database" in line and "move it aside" in line
    assert state.read_bytes() == damage  # untouched
    assert not (workspace / "output" / "outbox").exists()


# --------------------------------------------------------------------------- class 5: echoed password


USERNAME = "briefs@example.org"


def _secret_forms() -> list[str]:
    plain = f"\0{USERNAME}\0{PASSWORD}".encode()
    return [
        PASSWORD,
        base64.b64encode(PASSWORD.encode()).decode(),  # AUTH LOGIN's password line
        base64.b64encode(plain).decode(),  # AUTH PLAIN
        base64.b64encode(plain).decode()[:24],  # ... and pieces of it
        base64.b64encode(plain).decode()[-24:],
    ]


@pytest.mark.parametrize("echo", ["full", "partial", "wrapped"])
def test_an_echoing_server_never_gets_the_password_written(tmp_path: Path, built_examples: Built, echo: str) -> None:
    with MailServer(echo_auth=echo) as server:
        smtp = plain_smtp(server) + f'username = "{USERNAME}"\n'
        workspace = mail_workspace(tmp_path, built_examples, smtp=smtp)
        env = cli_env(BRIEFGEN_SMTP_PASSWORD=PASSWORD)
        result = run_cli("send", cwd=workspace, env=env)
        listing = run_cli("deliveries", cwd=workspace, env=env)
    assert server.handler.auth_lines and server.received == []  # it did echo, nothing was sent
    assert result.returncode == 1 and "535" in result.stderr and "Traceback" not in result.stderr
    texts = [result.stdout, result.stderr, listing.stdout, listing.stderr]
    files = [p for p in workspace.rglob("*") if p.is_file() and ("state.db" in p.name or "outbox" in p.parts)]
    assert any(p.name == "state.db" for p in files)
    with sqlite3.connect(workspace / ".briefgen" / "state.db") as db:  # the WAL checkpointed or not
        texts += [str(row) for row in db.execute("SELECT * FROM deliveries")]
        texts += [str(row) for row in db.execute("SELECT * FROM events")]
    blobs = [p.read_bytes() for p in files]
    for form in _secret_forms():
        assert not any(form in text for text in texts), form
        assert not any(form.encode() in blob for blob in blobs), form
