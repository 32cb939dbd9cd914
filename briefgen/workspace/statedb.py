"""``briefgen state migrate|check|copy``: the workspace's state store as a whole.

Every feature that keeps state is listed in :data:`FEATURES` (the one place: a new feature adds
its store here), with the tables ``copy`` moves.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from briefgen.config import Config
from briefgen.deliver import approvals, archive, ledger
from briefgen.schedule import runs
from briefgen.state.migrations import Feature, applied, migrate, missing_tables
from briefgen.state.store import StateError, StateStore, open_state
from briefgen.state.url import StateURL, parse_url

__all__ = ["FEATURES", "check", "copy", "migrate_all"]


@dataclass(frozen=True)
class Store:
    """A feature's schema and how to open its store at a location."""

    feature: Feature
    open: Callable[[StateURL], StateStore]


FEATURES: list[Store] = [
    Store(ledger.FEATURE, lambda url: ledger.Ledger(url.path, url=url)),
    Store(runs.FEATURE, lambda url: runs.RunStore(url.path, url=url)),
    Store(approvals.FEATURE, lambda url: approvals.Approvals(url.path, url=url)),
    Store(archive.FEATURE, lambda url: archive.Archive(url.path, url=url)),
]


def migrate_all(config: Config) -> list[str]:
    """Bring every feature's schema up to date; one line per feature."""
    url = parse_url(config.state.url, config.root)
    lines = []
    for store in FEATURES:
        if url.postgres:
            db = open_state(url.path, url.dsn, url.secrets(), url.display())
            try:
                done = migrate(db, store.feature, url.display())
                version = applied(db, store.feature.name)
            finally:
                db.close()
            what = f"applied {', '.join(map(str, done))}" if done else "up to date"
            lines.append(f"{store.feature.name}: schema {version} ({what})")
        else:
            store.open(url).close()  # SQLite sets itself up in place, as it always has
            lines.append(f"{store.feature.name}: ready")
    return lines


def check(config: Config) -> tuple[bool, list[str]]:
    """Whether the store is usable, and what is wrong if not; reads only."""
    url = parse_url(config.state.url, config.root)
    lines = [f"state: {url.display()}"]
    ok = True
    if not url.postgres:
        if not url.path.is_file():
            return True, [*lines, "no state yet (created on first send or tick)"]
        for store in FEATURES:
            with store.open(url) as opened:  # quick_check and the schema's columns; a StateError says what is wrong
                counts = ", ".join(f"{opened.count(t)} {t}" for t in store.feature.tables)
            lines.append(f"{store.feature.name}: ok ({counts})")
        return ok, lines
    db = open_state(url.path, url.dsn, url.secrets(), url.display())
    try:
        for store in FEATURES:
            feature = store.feature
            version = applied(db, feature.name)
            missing = missing_tables(db, feature)
            if version > feature.latest:
                ok = False
                lines.append(
                    f"{feature.name}: schema {version} is newer than this briefgen's {feature.latest}: upgrade"
                )
            elif version < feature.latest:
                ok = False
                lines.append(f"{feature.name}: schema {version} of {feature.latest}: run `briefgen state migrate`")
            elif missing:
                ok = False
                lines.append(f"{feature.name}: tables missing: {', '.join(missing)}: restore a backup")
            else:
                counts = ", ".join(
                    f"{db.execute(f'SELECT COUNT(*) FROM {t}').fetchone()[0]} {t}"  # noqa: S608 (our own table names)
                    for t in feature.tables
                )
                lines.append(f"{feature.name}: schema {version}, ok ({counts})")
    finally:
        db.close()
    return ok, lines


def copy(config: Config, source: str) -> list[str]:
    """Copy every feature's rows from ``source`` (e.g. the old SQLite file) into the configured
    store, which must be empty: nothing there is overwritten. One line per table."""
    src = parse_url(source, config.root) if "://" in source else StateURL("sqlite", config.resolve(Path(source)))
    dst = parse_url(config.state.url, config.root)
    if src.kind == dst.kind and src.path == dst.path and src.dsn == dst.dsn:
        raise StateError(f"state copy: the source is the configured store ({dst.display()}): nothing to do")
    if not src.postgres and not src.path.is_file():
        raise StateError(f"{src.display()}: no such state database")
    lines = []
    with ExitStack() as stack:
        pairs = [(stack.enter_context(s.open(src)), stack.enter_context(s.open(dst)), s.feature) for s in FEATURES]
        for _, target, feature in pairs:
            full = [t for t in feature.tables if target.count(t)]
            if full:
                raise StateError(
                    f"{dst.display()}: already holds {', '.join(full)}: state copy only fills an empty store"
                )
        for origin, target, feature in pairs:
            tables = {t: origin.dump(t) for t in feature.tables}
            target.load(tables)
            lines += [f"{feature.name}: {len(rows)} {t}" for t, rows in tables.items()]
    return [*lines, f"copied {src.display()} -> {dst.display()}"]
