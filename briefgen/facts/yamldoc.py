"""Safe YAML loading that remembers where every value came from.

pydantic reports errors by location path (``("agreements", 0, "value")``); users need
``file:line:column``. We compose the YAML node tree once, construct plain Python data
from it with PyYAML's *safe* constructor, and record each path's position.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from briefgen.errors import InputError, Problem

Path_ = tuple[str | int, ...]

#: Inputs are hand-written facts; anything larger is a mistake or an attack.
MAX_BYTES = 2 * 1024 * 1024


#: libyaml's parser when PyYAML was built with it (about eight times faster), else Python's.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


#: Hand-written facts nest a handful of levels; deeper is a mistake or an attack, and
#: (near libyaml's own 1000) deep enough to exhaust Python's recursion limit downstream.
MAX_DEPTH = 64


class _Refused(Exception):
    """A document that parses but that briefgen will not read; ``mark`` is where."""

    def __init__(self, mark: yaml.Mark, message: str) -> None:
        self.mark = mark
        self.message = message


def _key_text(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _check_tree(root: yaml.Node) -> None:
    """Refuse aliases, duplicate keys and nesting deeper than :data:`MAX_DEPTH`, without recursion.

    An alias makes two places share one node; expanding them is how "billion laughs"
    documents blow up. A duplicate key silently replaces the first (a second ``brief:``
    block would replace the whole metadata). Composition is linear, so finding a shared
    node here is safe.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, yaml.Node, int]] = [(root, root, 1)]
    while stack:
        node, parent, depth = stack.pop()
        if id(node) in seen:
            raise _Refused(parent.start_mark, "YAML aliases (*name) are not allowed in briefgen inputs")
        seen.add(id(node))
        if depth > MAX_DEPTH and isinstance(node, yaml.CollectionNode):
            raise _Refused(node.start_mark, f"nested more than {MAX_DEPTH} levels deep; flatten this value")
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], yaml.Node] = {}
            for key, value in node.value:
                text = _key_text(key)
                if text is not None and (earlier := first.setdefault((key.tag, text), key)) is not key:
                    line = earlier.start_mark.line + 1
                    raise _Refused(key.start_mark, f"duplicate key {text!r} (first defined on line {line})")
                stack.append((key, node, depth + 1))
                stack.append((value, node, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, node, depth + 1) for child in node.value)


@dataclass
class YamlDocument:
    """Parsed data plus a map from location path to 1-based (line, column)."""

    path: Path
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: Path_) -> tuple[int, int]:
        """Position of ``loc``, or of its nearest ancestor that exists in the file."""
        for end in range(len(loc), -1, -1):
            if (pos := self.positions.get(tuple(loc[:end]))) is not None:
                return pos
        return (1, 1)


def find_inputs(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to the YAML files they hold, sorted, keeping explicit files."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file()))
        else:
            found.append(path)
    return found


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_yaml(path: Path) -> YamlDocument:
    """Load one YAML file safely; raise :class:`InputError` with the position on failure."""
    name = _display(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(name, 0, 0, "", f"cannot read file: {exc.strerror}")]) from None
    if len(raw) > MAX_BYTES:
        raise InputError([Problem(name, 1, 1, "", f"file is larger than {MAX_BYTES // 1024} KiB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(name, 1, 1, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None

    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError([Problem(name, 1, 1, "", "file is empty; expected a mapping of brief fields")])
        _check_tree(node)
        data = loader.construct_document(node)
    except _Refused as exc:
        raise InputError([Problem(name, exc.mark.line + 1, exc.mark.column + 1, "", exc.message)]) from None
    except RecursionError:  # only the pure-Python parser recurses while composing
        raise InputError([Problem(name, 1, 1, "", f"nested too deeply (more than {MAX_DEPTH} levels)")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        message += _trap_hint(exc, text)
        raise InputError([Problem(name, line, col, "", f"invalid YAML: {message}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, 1, 1, "", f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()

    doc = YamlDocument(path=path, data=data)
    _record(node, (), doc.positions)
    return doc


def _trap_hint(exc: yaml.MarkedYAMLError, text: str) -> str:
    """The usual reason for a parse error a writer of facts meets."""
    if "mapping values are not allowed" in str(exc.problem):
        return (
            "; a value that contains ': ' must be quoted, "
            'e.g. title: "Talks: the outcome" (or written as a >- block on the next lines)'
        )
    return ""


def _record(node: yaml.Node, loc: Path_, positions: dict[Path_, tuple[int, int]]) -> None:
    positions.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            child = (*loc, key_node.value)
            # Point at the key: "parties:" is where a reader looks for the field.
            positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _record(value_node, child, positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, (*loc, index), positions)
