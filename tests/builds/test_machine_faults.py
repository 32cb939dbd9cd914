"""Faults of the machine, injected for real: a full disk, a read-only output folder, a file
where a folder should be. Each must end in one clear line and exit 2, with every earlier
output byte-identical and no temporary file left behind.

The full disk is a file-size limit (``RLIMIT_FSIZE``) set in the child process only: Python
ignores SIGXFSZ, so a write past the limit fails with EFBIG exactly as one on a full disk
fails with ENOSPC, and no root tricks or mounts are needed. The read-only folder is a real
permission check: tests run as root, who may write anywhere, so the child gives up the
capabilities that let root ignore file modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)
before it runs the command.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ..conftest import DATA, make_workspace

MINIMAL = DATA / "minimal.yaml"
BRIEF = "harbour-conference-2030"


def run(root: Path, *args: str, before: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "briefgen", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=before,
        env={**os.environ, "HOME": str(root)},
    )


def file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def temporary_files(root: Path) -> list[Path]:
    return list(root.rglob("*.tmp"))


def edit(root: Path) -> None:
    path = root / "inputs" / "minimal.yaml"
    path.write_text(path.read_text().replace("Ministers meet", "Ministers met"))


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_a_full_disk_mid_build_leaves_every_earlier_file_as_it_was(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, MINIMAL)
    assert run(root, "build", "-q").returncode == 0
    before = contents(root / "output")
    html, pdf = len(before[f"{BRIEF}.html"]), len(before[f"{BRIEF}.pdf"])
    assert html < 40_000 < pdf  # the new HTML fits under the limit, the PDF does not
    edit(root)
    result = run(root, "build", "-q", before=file_size_limit(40_000))
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line.startswith(f"error: {root / 'output' / BRIEF}.pdf: cannot write (File too large); free some disk")
    # The HTML was written in full before the PDF failed, but is not put in place alone.
    assert contents(root / "output") == before
    assert temporary_files(root) == []
    assert run(root, "build", "-q").returncode == 0  # space again: the build goes through
    assert "Ministers met" in (root / "output" / f"{BRIEF}.html").read_text()


def test_a_full_disk_in_a_worker_process_is_the_same_one_line(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, MINIMAL)
    text = MINIMAL.read_text()
    (root / "inputs" / "second.yaml").write_text(text.replace(f"id: {BRIEF}", "id: second"))
    # A first run elsewhere fills the per-user caches (fonts), so the limit meets our own writes.
    assert run(root, "build", "-q", "-f", "html", "--out", "warm").returncode == 0
    result = run(root, "build", "-q", "-f", "html", "-j", "2", before=file_size_limit(4_000))
    assert result.returncode == 2
    assert "cannot write (File too large)" in one_error_line(result.stderr)
    assert not (root / "output").exists() or contents(root / "output") == {}
    assert temporary_files(root) == []


def test_a_full_disk_while_saving_the_build_cache_is_a_warning(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, MINIMAL)
    # Make the cache the largest file written: many long-named inputs, HTML only.
    for n in range(40):
        name = f"{'x' * 100}-{n}"
        (root / "inputs" / f"{name}.yaml").write_text(MINIMAL.read_text().replace(f"id: {BRIEF}", f"id: {name}"))
    result = run(root, "build", "-q", "-f", "html", before=file_size_limit(20_000))
    assert result.returncode == 0, result.stderr
    assert "build-cache.json: cannot write (File too large)" in one_error_line(result.stderr)
    assert len(list((root / "output").glob("*.html"))) == 41
    assert temporary_files(root) == []


_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def without_permission_override() -> None:
    """Run the command as root without the capabilities that let root ignore file modes.

    Dropped from the bounding set before exec, they are gone from the new program, which
    then meets the same permission checks as any user (the interpreter itself stays readable:
    it belongs to root, whose owner bits allow it)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _can_drop_capabilities() -> bool:
    probe = [sys.executable, "-c", "pass"]
    try:
        return subprocess.run(probe, preexec_fn=without_permission_override, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def test_a_read_only_output_folder_is_one_line(tmp_path: Path) -> None:
    as_root = os.geteuid() == 0
    if as_root and not _can_drop_capabilities():
        pytest.skip("running as root and cannot drop CAP_DAC_OVERRIDE: a read-only folder would not be read-only")
    root = make_workspace(tmp_path, MINIMAL)
    assert run(root, "build", "-q", "-f", "html").returncode == 0
    before = contents(root / "output")
    edit(root)
    (root / "output").chmod(0o555)
    try:
        result = run(root, "build", "-q", "-f", "html", before=without_permission_override if as_root else None)
    finally:
        (root / "output").chmod(0o755)
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line.startswith(f"error: {root / 'output' / BRIEF}.html: cannot write (Permission denied); make")
    assert "writable" in line and "--out" in line
    assert contents(root / "output") == before and temporary_files(root) == []


def test_a_file_where_the_output_folder_should_be(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, MINIMAL)
    (root / "output").write_text("not a folder")
    result = run(root, "build", "-q", "-f", "html")
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert line.startswith(f"error: {root / 'output'}: cannot write (not a folder); a file stands where a folder")
    assert (root / "output").read_text() == "not a folder" and temporary_files(root) == []


def test_a_folder_where_an_output_file_should_be(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, MINIMAL)
    (root / "output" / f"{BRIEF}.html").mkdir(parents=True)
    result = run(root, "build", "-q", "-f", "html")
    assert result.returncode == 2
    assert "a folder stands where this file should be" in one_error_line(result.stderr)
    assert temporary_files(root) == []


def test_the_error_line_keeps_brackets_in_a_path(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, MINIMAL)
    (root / "site[1]").write_text("a file")
    result = run(root, "build", "-q", "-f", "html", "--out", "site[1]")
    assert result.returncode == 2
    assert "site[1]: cannot write (not a folder)" in one_error_line(result.stderr)
