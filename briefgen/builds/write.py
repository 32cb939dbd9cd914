"""The only module that writes outputs: atomically, so a failed build leaves old files intact.

A write the machine refuses (disk full, a read-only folder, a file where a folder should
be) becomes one :class:`~briefgen.errors.WriteFailed` line naming the path and what to do;
the temporary file is removed and the earlier file is left as it was.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from briefgen.config import Format
from briefgen.errors import WriteFailed

_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def _advice(path: Path, exc: OSError) -> str:
    if exc.errno in _FULL:
        return "free some disk space (or raise the file-size limit) and run again; earlier files are unchanged"
    if exc.errno in _DENIED:
        return f"make {path.parent} writable, or write elsewhere (e.g. --out); earlier files are unchanged"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a file stands where a folder should be; move it away, or write elsewhere (e.g. --out)"
    if exc.errno == errno.EISDIR:
        return "a folder stands where this file should be; move it away and run again"
    return "check the folder and the disk, then run again; earlier files are unchanged"


def _failed(path: Path, exc: OSError) -> WriteFailed:
    if isinstance(exc, WriteFailed):
        return exc
    where = Path(exc.filename) if exc.errno in (errno.ENOTDIR, errno.EEXIST) and exc.filename else path
    what = "not a folder" if exc.errno in (errno.ENOTDIR, errno.EEXIST) else exc.strerror
    return WriteFailed(where, exc.errno, what, _advice(where, exc))


def _stage(path: Path, payload: bytes) -> Path:
    """Write ``payload`` to a flushed temporary file beside ``path``; remove it on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename over ``path``."""
    atomic_write_many([(path, data)])


def atomic_write_many(files: Sequence[tuple[Path, bytes | str]]) -> None:
    """Write several files all or nothing, as far as a file system allows: every file is
    staged (written and flushed) before any is renamed into place, so a full disk or a
    refused folder part-way leaves every earlier file as it was."""
    staged: list[tuple[Path, Path]] = []
    current = files[0][0] if files else Path()
    try:
        for current, data in files:
            staged.append((_stage(current, data.encode("utf-8") if isinstance(data, str) else data), current))
        while staged:
            tmp, current = staged[0]
            tmp.replace(current)
            staged.pop(0)
    except OSError as exc:
        raise _failed(current, exc) from None
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class Output:
    path: Path
    format: Format
    size: int
    pages: int | None = None


def output_file(folder: Path, document_id: str, fmt: str) -> Path:
    """Where a document's ``fmt`` file goes: its whole id plus the format (``summit.v1.html``).

    Never ``Path.with_suffix``: that would cut ``summit.v1`` at its last dot, and two ids
    would share one file.
    """
    return folder / f"{document_id}.{fmt}"


def write_outputs(
    folder: Path,
    document_id: str,
    formats: Sequence[Format],
    html: str,
    pdf_bytes: bytes | None,
    pages: int | None,
    extra: Sequence[tuple[Path, str]] = (),
    docx_bytes: bytes | None = None,
) -> list[Output]:
    """Write a document's files together (see :func:`atomic_write_many`)."""
    outputs, files = [], []
    if "html" in formats:
        data = html.encode("utf-8")
        files.append((output_file(folder, document_id, "html"), data))
        outputs.append(Output(files[-1][0], "html", len(data)))
    if pdf_bytes is not None:
        files.append((output_file(folder, document_id, "pdf"), pdf_bytes))
        outputs.append(Output(files[-1][0], "pdf", len(pdf_bytes), pages))
    if docx_bytes is not None:
        files.append((output_file(folder, document_id, "docx"), docx_bytes))
        outputs.append(Output(files[-1][0], "docx", len(docx_bytes)))
    atomic_write_many([*files, *extra])
    return outputs
