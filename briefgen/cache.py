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
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .write import atomic_write

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


class BuildCache:
    """``.briefgen/build-cache.json``: key → fingerprint, outputs as written, and extras."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") == CACHE_VERSION:
                self._entries = data["entries"]
        except (OSError, ValueError, KeyError, AttributeError):
            pass  # no cache, or one from another version: build everything

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
        if self._dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps({"version": CACHE_VERSION, "entries": self._entries}, indent=1))
            self._dirty = False


def input_key(path: Path, output_dir: Path) -> str:
    return f"brief:{os.path.realpath(path)}->{os.path.realpath(output_dir)}"
