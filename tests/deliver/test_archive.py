"""The archive's record and objects on both stores, with the faults that matter: two processes
archiving the same delivery at once, and a process killed with SIGKILL mid-archive."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from briefgen.deliver.archive import ARCHIVE_DIR, INCOMING, Archive
from briefgen.state.url import parse_url

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
