"""Skip work that was already done: content fingerprints of everything an output depends on.

A brief's fingerprint covers its input file, the templates, the assets, the risk model,
``briefgen.toml``, the build options and the versions of briefgen and WeasyPrint. An output
is reused only when the fingerprint matches and its files are exactly as written (same
size and modification time), so a deleted or edited output is rebuilt. This module imports
nothing heavy: a rebuild where nothing changed never loads the renderer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from briefgen.__about__ import __version__
from briefgen.builds.write import atomic_write
from briefgen.errors import WriteFailed

log = logging.getLogger(__name__)

CACHE_FILE = Path(".briefgen") / "build-cache.json"
CACHE_VERSION = 1


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree(hasher: Any, folder: Path, *, contents: bool) -> None:
    if not folder.is_dir():
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hasher.update(str(path.relative_to(folder)).encode())
        if contents:
            hasher.update(path.read_bytes())
        else:  # big binary assets: size and time say enough, and reading them would be slow
            stat = path.stat()
            hasher.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())


def _engine_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("weasyprint")
    except PackageNotFoundError:
        return "?"


def theme_fingerprint(
    *, template_dirs: Sequence[Path], assets: Path, config_file: Path, model: Path | None, options: Mapping[str, object]
) -> str:
    """Everything but the input that decides what a build writes."""
    hasher = hashlib.sha256(f"briefgen {__version__} weasyprint {_engine_version()}\n".encode())
    hasher.update(json.dumps(options, sort_keys=True, default=str).encode())
    for folder in template_dirs:
        _tree(hasher, folder, contents=True)
    _tree(hasher, assets, contents=False)
    for path in (config_file, model):
        if path is not None and path.is_file():
            hasher.update(path.read_bytes())
    return hasher.hexdigest()


def fingerprint(theme: str, parts: Iterable[bytes]) -> str:
    hasher = hashlib.sha256(theme.encode())
    for part in parts:
        hasher.update(hashlib.sha256(part).digest())
    return hasher.hexdigest()


def _stamp(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def _valid_entry(entry: object) -> bool:
    """Whether a stored entry has the shape this module writes (a hand-edited or damaged
    cache must cost a rebuild, never a traceback)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
        return False
    outputs = entry.get("outputs")
    if not isinstance(outputs, list):
        return False
    for output in outputs:
        if not isinstance(output, dict) or not isinstance(output.get("path"), str):
            return False
        stamp = output.get("stamp")
        if not (isinstance(stamp, list) and len(stamp) == 2 and all(type(n) is int for n in stamp)):
            return False
    return True


class BuildCache:
    """``.briefgen/build-cache.json``: key → fingerprint, outputs as written, and extras.

    It is only a cache: one that cannot be read, or has the wrong shape, is ignored with a
    warning (everything is built again), and one that cannot be saved costs the next run a
    rebuild, not this run its outputs.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            self._damaged(getattr(exc, "strerror", None) or str(exc))
            return
        try:
            data = json.loads(text)
        except ValueError as exc:
            self._damaged(f"not JSON: {exc}")
            return
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            self._damaged("not a build cache")
            return
        if data.get("version") != CACHE_VERSION:
            return  # one from another version: build everything, quietly
        entries: dict[str, Any] = data["entries"]
        self._entries = {k: v for k, v in entries.items() if _valid_entry(v)}
        if len(self._entries) != len(entries):
            bad = len(entries) - len(self._entries)
            self._damaged(f"{bad} of {len(entries)} entries have the wrong shape", partly=True)

    def _damaged(self, what: str, *, partly: bool = False) -> None:
        self._dirty = True  # saving replaces the damaged file with a good one
        rebuilt = "what they covered is built again" if partly else "everything is built again"
        log.warning("warning: %s: ignoring the build cache (%s); %s", self.path, what, rebuilt)

    def fresh(self, key: str, fingerprint: str) -> dict[str, Any] | None:
        """The entry for ``key`` if it was built from ``fingerprint`` and its outputs are untouched."""
        entry = self._entries.get(key)
        if entry is None or entry.get("fingerprint") != fingerprint:
            return None
        for output in entry["outputs"]:
            if _stamp(Path(output["path"])) != output["stamp"]:
                return None
        return entry

    def store(self, key: str, fingerprint: str, outputs: Iterable[Path], **extra: Any) -> None:
        self._entries[key] = {
            "fingerprint": fingerprint,
            "outputs": [{"path": str(p), "stamp": _stamp(p)} for p in outputs],
            **extra,
        }
        self._dirty = True

    def forget(self, key: str) -> None:
        if self._entries.pop(key, None) is not None:
            self._dirty = True

    def save(self) -> None:
        """Write the cache; a failure is a warning (the outputs are written already)."""
        if not self._dirty:
            return
        try:
            atomic_write(self.path, json.dumps({"version": CACHE_VERSION, "entries": self._entries}, indent=1))
        except WriteFailed as exc:
            log.warning("warning: %s; the next run builds again", exc)
        self._dirty = False


def input_key(path: Path, output_dir: Path) -> str:
    return f"brief:{os.path.realpath(path)}->{os.path.realpath(output_dir)}"
