"""Where the state lives: ``sqlite:///.briefgen/state.db`` (the default, a file in the workspace)
or ``postgresql://…`` (one database shared by several hosts), and that URL with its password blotted out."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from briefgen.errors import StateError

__all__ = ["DEFAULT_URL", "URL_VARIABLE", "StateURL", "parse_url"]


#: Where the state database lives by default, relative to the workspace root.
STATE_DB = Path(".briefgen") / "state.db"

DEFAULT_URL = "sqlite:///" + STATE_DB.as_posix()


#: Overrides ``[state] url``: where a password-bearing URL belongs (a service's environment), not in briefgen.toml.
URL_VARIABLE = "BRIEFGEN_STATE_URL"


#: What a password is replaced with wherever a URL is shown (the same mark as SMTP secrets).
MASK = "********"


@dataclass(frozen=True)
class StateURL:
    """A parsed state URL: an SQLite file (``path``) or a PostgreSQL connection string (``dsn``)."""

    kind: str  # "sqlite" or "postgresql"
    path: Path  # the SQLite file; for PostgreSQL, where the workspace keeps its markers (.briefgen/state.db)
    dsn: str | None = None

    @property
    def postgres(self) -> bool:
        return self.kind == "postgresql"

    @property
    def password(self) -> str | None:
        if self.dsn is None:
            return None
        secret = urlsplit(self.dsn).password
        return unquote(secret) if secret else None

    def secrets(self) -> list[str]:
        """What must never be printed or stored: the password, as typed and as decoded."""
        if self.dsn is None or not urlsplit(self.dsn).password:
            return []
        raw = str(urlsplit(self.dsn).password)
        return sorted({raw, unquote(raw)}, key=len, reverse=True)

    def display(self) -> str:
        """The URL as it may be shown: the password replaced by ``********``."""
        if self.dsn is None:
            return str(self.path)
        return redact_url(self.dsn)


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))


def parse_url(url: str | None, root: Path) -> StateURL:
    """``url`` (default: ``BRIEFGEN_STATE_URL``, else the SQLite file in the workspace) resolved
    against the workspace ``root``; an unknown scheme is a one-line :class:`StateError`."""
    text = (os.environ.get(URL_VARIABLE, "").strip() or url or DEFAULT_URL).strip()
    marker = root / STATE_DB
    if text.startswith("sqlite:///"):
        path = Path(text.removeprefix("sqlite:///"))
        return StateURL("sqlite", path if path.is_absolute() else root / path)
    scheme = text.partition("://")[0]
    if scheme in ("postgresql", "postgres"):
        return StateURL("postgresql", marker, text)
    raise StateError(f"state url {redact_url(text)!r}: expected sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE")


def location(path: Path, url: StateURL | None = None) -> StateURL:
    """Where a store opened at ``path`` lives: ``url`` if given, else PostgreSQL when
    ``BRIEFGEN_STATE_URL`` names one, else the SQLite file at ``path``."""
    if url is not None:
        return url
    text = os.environ.get(URL_VARIABLE, "").strip()
    if text and not text.startswith("sqlite:"):
        return parse_url(text, path.parent.parent)
    return StateURL("sqlite", path)
