"""The archive's record and objects on both stores, with the faults that matter: two processes
archiving the same delivery at once, a process killed with SIGKILL mid-archive, and a real
``briefgen send`` killed mid-batch (every message the server got is archived once)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from email import message_from_bytes
from pathlib import Path

import pytest

from briefgen import load_config
from briefgen.deliver.archive import ARCHIVE_DIR, INCOMING, Archive, Kept
from briefgen.deliver.send import send
from briefgen.state.url import parse_url
from briefgen.workspace.archive_site import build_site

from ..conftest import Built
from ..mailserver import MailServer, wait_for
from .test_deliver import mail_workspace, many, plain_smtp

pytestmark = pytest.mark.usefixtures("state_store")

#: Python expressions, so the child builds the same bytes (a 200 kB literal is too long an argument).
BYTES = ('b"From: desk\\r\\n\\r\\nthe message"', 'b"<article>the brief</article>"', 'b"%PDF-1.7 " + b"x" * 200_000')
MESSAGE, HTML, PDF = (eval(expression) for expression in BYTES)

#: A child process that archives one delivery; ``{before}`` runs first (a fault to inject).
CHILD = """\
import os, signal, sys, time
from pathlib import Path
from briefgen.deliver.archive import Archive
from briefgen.state.url import parse_url
root = Path(sys.argv[1])
{before}
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))  # every child starts at the same instant
with Archive.of_workspace(root, parse_url(None, root)) as archive:
    archive.keep(document="edition-2021-w49", title="Week 49", day="2021-12-06", variant="all",
                 recipient="asha@example.org", channel="smtp", message={message}, html={html}, pdf={pdf})
print("kept")
"""


def child(root: Path, start: float, before: str = "") -> subprocess.Popen[str]:
    code = CHILD.format(before=textwrap.dedent(before), message=BYTES[0], html=BYTES[1], pdf=BYTES[2])
    return subprocess.Popen(
        [sys.executable, "-c", code, str(root), str(start)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def archive_of(root: Path) -> Archive:
    return Archive.of_workspace(root, parse_url(None, root))


def objects(root: Path) -> list[Path]:
    """Every file among the archive's objects (staging excluded: it is not the archive)."""
    base = root / ARCHIVE_DIR
    return [p for p in base.rglob("*") if p.is_file() and INCOMING not in p.relative_to(base).parts]


def test_two_processes_archiving_the_same_delivery_at_once_keep_one_row(tmp_path: Path) -> None:
    start = time.time() + 1.5
    children = [child(tmp_path, start) for _ in range(3)]
    results = [(c.wait(timeout=60), *c.communicate()) for c in children]
    assert [(code, out.strip()) for code, out, _ in results] == [(0, "kept")] * 3, [err for *_, err in results]
    with archive_of(tmp_path) as archive:
        (kept,) = archive.entries()
        assert archive.get(kept.pdf or "") == PDF
    expected = sorted(hashlib.sha256(data).hexdigest() for data in (MESSAGE, HTML, PDF))
    assert sorted(p.name for p in objects(tmp_path)) == expected


def test_a_kill_mid_archive_leaves_no_partial_object_and_no_record(tmp_path: Path) -> None:
    # The PDF (the last object) is killed after part of it is written, before it is flushed.
    fault = """
    real_fsync = os.fsync
    def fsync(fd):
        if os.fstat(fd).st_size > 100_000:
            os.kill(os.getpid(), signal.SIGKILL)
        real_fsync(fd)
    os.fsync = fsync
    """
    killed = child(tmp_path, 0, fault)
    assert killed.wait(timeout=60) == -9
    assert objects(tmp_path), "the message and HTML went in before the kill"
    for path in objects(tmp_path):  # every object is whole: its name is the hash of its bytes
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    assert hashlib.sha256(PDF).hexdigest() not in {p.name for p in objects(tmp_path)}
    with archive_of(tmp_path) as archive:
        assert archive.entries() == []  # no record of a delivery whose bytes are not all there
        assert archive.sweep(older_than=0) == 1  # the staged half of the PDF, outside the objects

    again = child(tmp_path, 0)
    assert again.wait(timeout=60) == 0
    with archive_of(tmp_path) as archive:
        (kept,) = archive.entries()
        assert [archive.get(d or "") for d in (kept.message, kept.html, kept.pdf)] == [MESSAGE, HTML, PDF]
    assert len(objects(tmp_path)) == 3


# --------------------------------------------------------------------------- a sender killed mid-batch

#: ``briefgen send`` with a fault: killed (SIGKILL) right after the ledger records the first
#: message as sent, before the archive hears of it.
KILLED_AFTER_SENT = """\
import os, signal
from briefgen.deliver.archive import Archive
def promote(self, kept):
    os.kill(os.getpid(), signal.SIGKILL)
Archive.promote = promote
from briefgen.cli import main
main()
"""


def _sender(workspace: Path, code: str | None = None) -> subprocess.Popen[str]:
    argv = ["-c", code] if code else ["-m", "briefgen"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFGEN_") or k == "BRIEFGEN_STATE_URL"}
    return subprocess.Popen(
        [sys.executable, *argv, "send"],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _archived(workspace: Path, state: str | None = "delivered") -> list[Kept]:
    with archive_of(workspace) as archive:
        return archive.entries(state)  # type: ignore[arg-type]


def _message_ids(kept: list[Kept], workspace: Path) -> list[str]:
    with archive_of(workspace) as archive:
        return sorted(str(message_from_bytes(archive.get(k.message))["Message-ID"]) for k in kept)


def _received_ids(server: MailServer) -> list[str]:
    return sorted(str(r.message["Message-ID"]) for r in server.received)


def test_a_sender_killed_after_the_server_took_a_message_loses_no_archive_row(
    tmp_path: Path, built_examples: Built
) -> None:
    people = many(4)
    victim = people[2][1]
    with MailServer() as server:
        server.handler.hang_after_data = victim  # the server has the message; the sender is killed before the answer
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=people)
        process = _sender(workspace)
        wait_for(server.handler.hanging.is_set)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        server.handler.release.set()
        server.handler.hang_after_data = None
        # The two the ledger saw go are archived already (they used to wait for the end of the batch).
        assert sorted(k.recipient for k in _archived(workspace)) == [people[0][1], people[1][1]]
        assert [k.recipient for k in _archived(workspace, "pending")] == [victim]

        send(config=load_config(workspace), environ={})  # the victim is uncertain: kept, not sent again
    delivered = _archived(workspace)
    assert len(server.received) == 4 and _archived(workspace, "pending") == []
    assert _message_ids(delivered, workspace) == _received_ids(server)  # none missing, none twice


def test_a_sender_killed_between_the_ledger_and_the_archive_is_settled_by_the_next_run(
    tmp_path: Path, built_examples: Built
) -> None:
    people = many(3)
    with MailServer() as server:
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=people)
        process = _sender(workspace, KILLED_AFTER_SENT)
        assert process.wait(timeout=60) == -9
        assert len(server.received) == 1 and _archived(workspace) == []
        site = build_site(load_config(workspace))
        assert (site.documents, site.pending) == (0, 1)  # the site lists only what is known to have gone

        send(config=load_config(workspace), environ={})
    delivered = _archived(workspace)
    assert len(server.received) == 3 and _archived(workspace, "pending") == []
    assert _message_ids(delivered, workspace) == _received_ids(server)
    site = build_site(load_config(workspace))
    assert (site.documents, site.pending) == (1, 0)


def test_a_permanent_refusal_leaves_no_archive_row(tmp_path: Path, built_examples: Built) -> None:
    with MailServer() as server:
        server.handler.reject["reader001@example.org"] = "550 5.1.1 <reader001@example.org>: mailbox unavailable"
        workspace = mail_workspace(tmp_path, built_examples, smtp=plain_smtp(server), people=many(3))
        send(config=load_config(workspace), environ={})
    assert sorted(k.recipient for k in _archived(workspace, None)) == ["reader000@example.org", "reader002@example.org"]
    assert _message_ids(_archived(workspace), workspace) == _received_ids(server)


def test_an_archive_from_before_pending_rows_is_migrated_and_its_rows_count_as_delivered(tmp_path: Path) -> None:
    from briefgen.deliver.archive import SCHEMA
    from briefgen.state.migrations import Feature, applied, migrate
    from briefgen.state.store import open_state

    url = parse_url(None, tmp_path)
    url.path.parent.mkdir(parents=True)
    db = open_state(url.path, url.dsn, url.secrets(), url.display())
    if url.postgres:
        migrate(db, Feature("archive", versions=[[SCHEMA]], tables=["archive"]), url.display())
    else:
        db.execute(SCHEMA)
    db.execute(
        "INSERT INTO archive VALUES ('b', 'B', '2021-12-06', 'all', 'old@example.org', 'smtp', 'm', NULL, NULL, 1.0)"
    )
    db.close()
    with archive_of(tmp_path) as archive:
        (old,) = archive.entries()
        assert (old.recipient, old.state) == ("old@example.org", "delivered")
        assert archive.pending() == 0
    if url.postgres:
        db = open_state(url.path, url.dsn, url.secrets(), url.display())
        assert applied(db, "archive") == 2
        db.close()
