"""Exceptions that carry what a user needs to fix the problem: file, line, field, expectation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one input, located as precisely as the source allows."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


def dotted_path(loc: Iterable[str | int]) -> str:
    """A pydantic error location as a reader writes it: ``agreements[0].value.currency``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class BriefgenError(Exception):
    """Base class of every error briefgen reports to a user (no traceback needed)."""

    exit_code = 1


class InputError(BriefgenError):
    """One or more inputs (facts, config) are invalid; every problem is listed."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type, tuple[list[Problem]]]:  # crosses process boundaries (--jobs)
        return (type(self), (self.problems,))


class LintFailed(BriefgenError):
    """Lint findings that fail the run (errors, or warnings under ``--strict``)."""

    exit_code = 2

    def __init__(self, findings: list[object]) -> None:
        self.findings = findings
        super().__init__("\n".join(str(f) for f in findings))

    def __reduce__(self) -> tuple[type, tuple[list[object]]]:
        return (type(self), (self.findings,))


class TemplateError(BriefgenError):
    """A template failed to compile or render; names the template file and line."""

    def __init__(self, file: str | Path, line: int | None, message: str) -> None:
        self.file = str(file)
        self.line = line
        self.message = message
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: template error: {message}")

    def __reduce__(self) -> tuple[type, tuple[str, int | None, str]]:  # crosses process boundaries (--jobs)
        return (type(self), (self.file, self.line, self.message))


class UsageError(BriefgenError):
    """The command cannot do what was asked as asked (e.g. it would overwrite files without --force)."""

    exit_code = 2


class WriteFailed(BriefgenError, OSError):
    """The machine refused a write (disk full, read-only folder, a file where a folder should be).

    One line: the path, what happened, what to do. Exit code 2, like bad input: the user can
    fix it and run again, and nothing was half-written. Still an :class:`OSError`, so code that
    handles I/O errors (the outbox transport) keeps working.
    """

    exit_code = 2

    def __init__(self, path: str | Path, errno_: int | None, strerror: str | None, advice: str) -> None:
        OSError.__init__(self, errno_, strerror or "write failed", str(path))
        self.advice = advice

    def __str__(self) -> str:
        return f"{self.filename}: cannot write ({self.strerror}); {self.advice}"

    def __reduce__(self) -> tuple[type, tuple[str, int | None, str | None, str]]:  # crosses process boundaries
        return (type(self), (str(self.filename), self.errno, self.strerror, self.advice))


class StateError(BriefgenError):
    """The state database is unreadable, of the wrong shape, or gone: one line saying which
    file, what happened and what to do."""

    exit_code = 2
