"""Loading YAML inputs into validated briefs, with ``file:line:column`` for every problem."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from briefgen.errors import InputError, Problem, dotted_path
from briefgen.facts.library import Library, find_library, load_library, resolve
from briefgen.facts.messages import pydantic_message
from briefgen.facts.schema import Brief
from briefgen.facts.yamldoc import YamlDocument, find_inputs, load_yaml

__all__ = ["LoadedBrief", "load_brief", "load_briefs"]


class LoadedBrief:
    """A validated brief together with the file it came from (for error positions)."""

    def __init__(self, brief: Brief, document: YamlDocument, used: frozenset[str] = frozenset()) -> None:
        self.brief = brief
        self.document = document
        self.used = used  # ids of the library entries the brief drew on

    @property
    def path(self) -> Path:
        return self.document.path

    def __repr__(self) -> str:
        return f"LoadedBrief({self.brief.brief.id!r}, {str(self.path)!r})"


def _citation_problems(doc: YamlDocument, name: str, library: Library | None = None) -> list[Problem]:
    """Unknown source ids, found on the raw data so they are reported even when other
    fields fail validation."""
    data = doc.data
    if not isinstance(data, dict):
        return []
    own = data.get("sources") or []
    known = {s.get("id") for s in own if isinstance(s, dict) and isinstance(s.get("id"), str)}
    known |= set(library.sources) if library else set()
    problems: list[Problem] = []

    def walk(value: object, loc: tuple[str | int, ...]) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                here = (*loc, key)
                if key == "sources" and loc and isinstance(child, list):
                    for index, ref in enumerate(child):
                        if isinstance(ref, str) and ref not in known:
                            line, col = doc.locate((*here, index))
                            near = difflib.get_close_matches(ref, sorted(k for k in known if k), n=3, cutoff=0.4)
                            hint = f"; nearest: {', '.join(near)}" if near else ""
                            if not near and 0 < len(known) <= 8:
                                hint = f"; known ids: {', '.join(sorted(k for k in known if k))}"
                            problems.append(
                                Problem(
                                    name, line, col, dotted_path((*here, index)), f"unknown source id {ref!r}{hint}"
                                )
                            )
                else:
                    walk(child, here)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*loc, index))

    walk(data, ())
    return problems


def display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_brief(path: Path, library: Library | None = None) -> LoadedBrief:
    """Load and validate one input file; raise :class:`InputError` listing every problem.

    References to the fact library (``library/`` beside the inputs folder, unless one is
    given) are resolved first, so the brief holds every fact inline.
    """
    doc = load_yaml(path)
    if library is None:
        library = load_library(find_library(path))
    name = display_name(path)
    problems = _citation_problems(doc, name, library)
    data, unresolved, used = resolve(doc.data, library, doc, name)
    problems.extend(unresolved)
    try:
        brief = Brief.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            line, col = doc.locate(loc)
            problems.append(Problem(name, line, col, dotted_path(loc) or "(document)", pydantic_message(error, doc)))
        raise InputError(problems) from None
    if problems:
        raise InputError(problems)
    return LoadedBrief(brief, doc, frozenset(used))


def load_briefs(paths: Iterable[Path]) -> list[LoadedBrief]:
    """Load every input, collecting the problems of all files before failing."""
    problems: list[Problem] = []
    loaded: list[LoadedBrief] = []
    for path in find_inputs(paths):
        try:
            loaded.append(load_brief(path))
        except InputError as exc:
            problems.extend(exc.problems)
    problems.extend(id_collisions(loaded))
    if problems:
        raise InputError(problems)
    return loaded


def id_location(path: Path, document: YamlDocument | None = None) -> str:
    """``file:line`` of the ``brief.id`` in ``path``, for messages that name two files."""
    try:
        line, _ = (document or load_yaml(path)).locate(("brief", "id"))
    except InputError:
        return display_name(path)
    return f"{display_name(path)}:{line}"


def id_collisions(loaded: Iterable[LoadedBrief], taken: dict[str, Path] | None = None) -> list[Problem]:
    """Briefs that would write the same output files as another: a brief's files are named by
    its whole id (``<id>.html``), so equal ids collide. ``taken`` maps ids already in use
    (e.g. by up-to-date briefs that are not loaded) to their input files."""
    first: dict[str, tuple[Path, YamlDocument | None]] = {i: (p, None) for i, p in (taken or {}).items()}
    problems = []
    for item in loaded:
        brief_id = item.brief.brief.id
        other = first.setdefault(brief_id, (item.path, item.document))
        if other[0] == item.path:
            continue
        line, col = item.document.locate(("brief", "id"))
        message = (
            f"id {brief_id!r} is already used by {id_location(*other)}; "
            f"both would write {brief_id}.html/.pdf: give one of them another id"
        )
        problems.append(Problem(display_name(item.path), line, col, "brief.id", message))
    return problems
