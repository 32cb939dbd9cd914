"""``briefgen new``: a workspace a user can build straight away.

The starter files (an example brief, example stakeholders, a templates README, a ``.gitignore``) ship in the
package under ``briefgen/starter/``; ``briefgen.toml`` is generated from the option models
in :mod:`briefgen.config`, so it always lists exactly the options briefgen reads.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePath
from typing import Any

from briefgen.errors import UsageError

__all__ = ["STARTER_DIR", "config_template", "new_workspace"]

STARTER_DIR = Path(__file__).parent / "starter"

#: Folders that may already be in a folder that ``briefgen new`` treats as empty.
_IGNORED_WHEN_EMPTY = {".git"}

#: An active example, after the listing: a workspace is complete with a schedule to tick.
_EXAMPLE_SCHEDULE = """\
# An example schedule: the weekly edition, built and sent on Mondays at 07:00 UTC to the
# "leadership" group of stakeholders.yaml. `briefgen schedule tick --now 2026-05-18T07:00Z`
# runs it as if it were then (the example brief's week). Change it, or delete it.
[[schedules]]
name = "weekly"
cron = "0 7 * * MON"
edition = "previous"
groups = ["leadership"]
"""

_CONFIG_HEADER = """\
# briefgen workspace settings. Every option is listed with its default value: uncomment a
# line and change the value to override it. Paths are relative to this folder.
# An option shown without a value is unset by default. Command-line options (e.g.
# `briefgen build --page-size Letter`) override this file.
"""


@dataclass(frozen=True)
class _Option:
    name: str
    value: str | None  # the default as TOML, None when TOML cannot spell it (unset)
    comment: str


def _toml_value(value: object) -> str | None:
    """``value`` as a TOML literal, or None for values TOML has no spelling for (None)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return _toml_value(value.value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, PurePath):
        return json.dumps(value.as_posix(), ensure_ascii=False)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        items = [_toml_value(v) for v in value]
        return None if None in items else "[" + ", ".join(typing.cast(list[str], items)) + "]"
    if isinstance(value, dict):
        pairs = [(k, _toml_value(v)) for k, v in value.items()]
        if any(v is None for _, v in pairs):
            return None
        return "{" + ", ".join(f"{k} = {v}" for k, v in pairs) + "}"
    return None


def _choices(annotation: Any) -> tuple[str, list[object]] | None:
    """("one of", [...]) for a Literal option, ("any of", [...]) for a list of Literals."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "one of", list(typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None) and (found := _choices(arg)):
                return found
    if origin in (list, tuple, set) and (args := typing.get_args(annotation)):
        inner = _choices(args[0])
        if inner:
            return "any of", inner[1]
    return None


@dataclass(frozen=True)
class _Section:
    header: str  # "[build]", or "[[stakeholders]]" for a list of tables
    commented: bool  # the header too: a section that must not be switched on empty
    note: str
    options: list[_Option]


def _section_model(annotation: Any) -> tuple[type[Any] | None, str]:
    """The option model of a ``Config`` field and its kind: "table", "optional table" (``| None``)
    or "array" (a list of tables)."""
    from pydantic import BaseModel

    def is_model(value: Any) -> bool:
        return isinstance(value, type) and issubclass(value, BaseModel)

    args = typing.get_args(annotation)
    if is_model(annotation):
        return annotation, "table"
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        models = [a for a in args if is_model(a)]
        if len(models) == 1:
            return models[0], "optional table" if type(None) in args else "table"
    if typing.get_origin(annotation) in (list, tuple) and args and is_model(args[0]):
        return args[0], "array"
    return None, ""


def _sections() -> Iterator[_Section]:
    """Each section of ``briefgen.toml``, with its options and their defaults."""
    from pydantic_core import PydanticUndefined

    from briefgen.config import Config

    for section, field in Config.model_fields.items():
        if field.exclude:
            continue  # e.g. the workspace root: not a file option
        model, kind = _section_model(field.annotation)
        if model is None:
            continue
        defaults = field.get_default(call_default_factory=True) if kind == "table" else None
        options, any_required = [], False
        for name, option in model.model_fields.items():
            if option.exclude:
                continue
            required = option.is_required()
            any_required = any_required or required
            if defaults is not None and not required:
                value = _toml_value(getattr(defaults, name))
            elif option.default is PydanticUndefined and option.default_factory is None:
                value = None
            else:
                value = _toml_value(option.get_default(call_default_factory=True))
            notes = [option.description.rstrip(".") + "." if option.description else ""]
            if found := _choices(option.annotation):
                notes.append(f"{found[0].capitalize()}: {', '.join(str(c) for c in found[1])}.")
            if required:
                notes.append("Required.")
            options.append(_Option(name, value, " ".join(n for n in notes if n)))
        if kind == "array":
            note = (field.description or "").rstrip(".") + ". " if field.description else ""
            note += "None by default; repeat the block for each entry."
            yield _Section(f"[[{section}]]", True, note, options)
        else:
            # An optional section, or one with a required option, is commented out whole:
            # an empty table would switch it on or fail validation.
            yield _Section(f"[{section}]", kind == "optional table" or any_required, "", options)


def config_template() -> str:
    """``briefgen.toml`` with every option briefgen reads, commented out, at its default."""
    lines = [_CONFIG_HEADER]
    for section in _sections():
        header = f"# {section.header}" if section.commented else section.header
        lines.append(f"{header}  # {section.note}" if section.note else header)
        assignments = [f"# {o.name} = {o.value}" if o.value is not None else f"# {o.name} =" for o in section.options]
        width = max((len(a) for a in assignments), default=0)
        for assignment, option in zip(assignments, section.options, strict=True):
            lines.append(f"{assignment:<{width}}  # {option.comment}" if option.comment else assignment)
        lines.append("")
    return "\n".join(lines)


def _starter_config() -> str:
    """The generated option listing followed by the example schedule."""
    return config_template() + "\n" + _EXAMPLE_SCHEDULE


def _templates_readme() -> str:
    from briefgen.render.theme import builtin_template_names

    text = (STARTER_DIR / "templates" / "README.md").read_text(encoding="utf-8")
    listing = "\n".join(f"- `{name}`" for name in builtin_template_names())
    return text.replace("@TEMPLATES@", listing)


def _starter_files() -> dict[Path, str]:
    """Relative path -> content of every file ``briefgen new`` writes."""
    files = {Path("briefgen.toml"): _starter_config()}
    for example in sorted((STARTER_DIR / "inputs").glob("*.yaml")):
        files[Path("inputs") / example.name] = example.read_text(encoding="utf-8")
    for entry in sorted((STARTER_DIR / "library").glob("*.yaml")):
        files[Path("library") / entry.name] = entry.read_text(encoding="utf-8")
    files.update(schema_files())
    files[Path("stakeholders.yaml")] = (STARTER_DIR / "stakeholders.yaml").read_text(encoding="utf-8")
    files[Path("templates") / "README.md"] = _templates_readme()
    files[Path(".gitignore")] = (STARTER_DIR / "gitignore").read_text(encoding="utf-8")
    return files


def schema_files() -> dict[Path, str]:
    """The JSON Schemas the first line of every input and library file points editors at."""
    import json

    from briefgen.facts.library import library_schema
    from briefgen.facts.schema import json_schema

    def dump(schema: dict[str, object]) -> str:
        return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"

    return {Path("schema") / "brief.json": dump(json_schema()), Path("schema") / "library.json": dump(library_schema())}


def add_skeleton(target: Path, kind: str, today: dt.date) -> list[Path]:
    """A skeleton brief of ``kind`` in an existing workspace's inputs (and its schemas)."""
    from briefgen.workspace.skeletons import EVENT_KINDS, skeleton

    if kind not in EVENT_KINDS:
        raise UsageError(f"--event-kind {kind!r}: expected one of {', '.join(EVENT_KINDS)}")
    name, text = skeleton(kind, today)
    path = target / "inputs" / name
    if path.exists():
        raise UsageError(f"{path} already exists; rename it or edit it")
    written = []
    for relative, content in schema_files().items():
        if not (target / relative).exists():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).write_text(content, encoding="utf-8")
            written.append(target / relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return [*written, path]


def new_workspace(
    target: Path, *, force: bool = False, event_kind: str | None = None, today: dt.date | None = None
) -> list[Path]:
    """Create a workspace in ``target`` and return the files written.

    ``target`` is created if missing. A folder that already has something in it (other
    than ``.git``) is refused unless ``force``; with ``force``, starter files replace
    files of the same name and everything else is left alone. With ``event_kind``, a
    skeleton brief of that kind is added; in an existing workspace (one with ``inputs/``)
    only the skeleton is written.
    """
    from briefgen.workspace.skeletons import EVENT_KINDS

    today = today or dt.date.today()
    if event_kind is not None and event_kind not in EVENT_KINDS:  # refused before anything is written
        raise UsageError(f"--event-kind {event_kind!r}: expected one of {', '.join(EVENT_KINDS)}")
    if event_kind is not None and (target / "inputs").is_dir() and not force:
        return add_skeleton(target, event_kind, today)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder")
    if target.is_dir() and not force:
        present = sorted(p.name for p in target.iterdir() if p.name not in _IGNORED_WHEN_EMPTY)
        if present:
            shown = ", ".join(present[:5]) + (", …" if len(present) > 5 else "")
            raise UsageError(
                f"{target} is not empty ({shown}); choose a new folder, or use --force to add the "
                "starter files to it (files of the same name are overwritten)"
            )
    files = _starter_files()  # everything is prepared before the first write
    written = []
    for relative, content in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    (target / "output").mkdir(exist_ok=True)
    if event_kind is not None:
        written += [p for p in add_skeleton(target, event_kind, today) if p not in written]
    return written
