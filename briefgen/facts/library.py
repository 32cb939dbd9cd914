"""The fact library: sources, actors, authorities and actions written once, used by every brief.

A workspace keeps them in ``library/*.yaml`` beside ``inputs/``. A brief refers to an entry by
id; :func:`resolve` replaces each reference with the entry's facts before the brief is
validated, so analysis and rendering only ever see resolved, inline facts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from briefgen.errors import InputError, Problem, dotted_path
from briefgen.facts.messages import pydantic_message  # one wording for every file
from briefgen.facts.schema import (
    KIND_FIELDS,
    Cited,
    KindedFacts,
    Markdown,
    Model,
    PartialDate,
    Slug,
    Source,
    SourceId,
    Text,
    canonical_kind,
    check_field_of_kind,
    union_by_kind,
)
from briefgen.facts.yamldoc import YamlDocument, find_inputs, load_yaml

__all__ = [
    "Action",
    "Actor",
    "Authority",
    "Library",
    "LibraryFile",
    "find_library",
    "load_library",
    "resolve",
]

#: The folder name, beside the inputs folder.
LIBRARY_DIR = "library"


class Role(Model):
    """A post an actor held, for as long as the sources say."""

    title: Text
    of: Text | None = Field(None, description="Organisation or country the role belongs to.")
    start: PartialDate | None = None
    end: PartialDate | None = None


class Actor(Model):
    """A person, organisation or state that briefs mention again and again."""

    id: Slug
    name: Text
    kind: Literal["person", "organisation", "state"]
    country: Text | None = Field(None, description="State the actor belongs to; a participant's affiliation.")
    aliases: list[Text] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    affiliations: list[Text] = Field(default_factory=list)
    sources: list[SourceId] = Field(default_factory=list)
    note: Markdown | None = None


class Section(Model):
    number: Text = Field(description="e.g. '231' or '1294'.")
    title: Text
    text: Markdown | None = None


class Authority(Cited):
    """A legal instrument: a statute or an executive order, its sections and waivers."""

    id: Slug
    title: Text = Field(description="Short name as briefs use it, e.g. 'CAATSA section 231'.")
    instrument: Text = Field(description="Full title of the law or order.")
    imposed_by: Text = Field(description="Who imposes measures under it.")
    enacted: PartialDate | None = None
    legal_basis: Markdown = Field(description="What it requires, in a brief's words.")
    sections: list[Section] = Field(default_factory=list)
    waiver: Markdown | None = Field(None, description="Waiver provisions, if any.")


class ActionTarget(Model):
    actor: Slug | None = Field(None, description="Id of a library actor.")
    name: Text | None = None
    listed_for: Markdown | None = None
    measures: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _named(self) -> ActionTarget:
        if not (self.actor or self.name):
            raise PydanticCustomError("target_name", "a target needs an 'actor' id or a 'name'")
        return self


ActionKind = Literal[
    "designation", "listing", "delisting", "waiver", "delivery", "signing", "statement", "call", "exercise", "election"
]

#: What an action's ``by`` (who acted) is, in the event a brief makes of it.
_BY_AS = {"sanctions designation": "imposed_by", "delivery": "supplier", "call": "initiated_by"}

#: Action kinds a brief's event can be; waivers and delistings are facts of a brief, not its event.
EVENT_ACTION_KINDS = ("designation", "listing", "delivery", "signing", "statement", "call", "exercise", "election")


class Action(KindedFacts):
    """Something an authority or government did on a day: a designation, a listing, a waiver, a
    delivery, a signing, a statement… with the fields of its kind, as a brief's event has them."""

    model_config = ConfigDict(title="action")

    kind: ActionKind
    id: Slug
    title: Text
    date: PartialDate | None = Field(None, description="When it took effect; undated actions stay off timelines.")
    by: Text = Field(description="Who acted: a library actor id or a name.")
    law: Slug | None = Field(None, description="Id of the library authority it was taken under.")
    sanctions_list: Text | None = Field(None, description="A listing: the list the target was put on.")
    country: Text | None = Field(None, description="The country the targets belong to.")
    targets: list[ActionTarget] = Field(default_factory=list)
    measures: list[Text] = Field(default_factory=list, description="Measures on every target.")
    summary: Markdown | None = None
    origin: Literal["discretionary", "mandated"] | None = Field(
        None, description="How it came about: the executive's own choice, or required (or forced) by a law."
    )
    origin_note: Markdown | None = Field(None, description="Why: e.g. the law that required it.")

    @field_validator("law", "targets", "measures")
    @classmethod
    def _designation_fields(cls, value: object, info: ValidationInfo) -> object:
        return check_field_of_kind(info.data.get("kind"), str(info.field_name), value)


class LibraryFile(Model):
    """One file of the library: any of the four kinds of entry."""

    model_config = ConfigDict(title="briefgen library file")

    sources: list[Source] = Field(default_factory=list)
    actors: list[Actor] = Field(default_factory=list)
    authorities: list[Authority] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)


KINDS = ("sources", "actors", "authorities", "actions")


@dataclass
class Library:
    """Every entry of the library, by id, with where each was defined."""

    sources: dict[str, Source] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    authorities: dict[str, Authority] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)  # id -> file:line
    files: list[Path] = field(default_factory=list)

    def entries(self) -> Iterator[tuple[str, str, Model]]:
        """(kind, id, entry) for every entry, kinds in a fixed order, ids sorted."""
        for kind in KINDS:
            table: dict[str, Any] = getattr(self, kind)
            for ident in sorted(table):
                yield kind, ident, table[ident]

    def get(self, ident: str) -> tuple[str, Model] | None:
        for kind in KINDS:
            table: dict[str, Any] = getattr(self, kind)
            if ident in table:
                return kind, table[ident]
        return None

    def named(self, action: Action) -> Action:
        """``action`` with each target's name filled in from its actor, and actor ids where a
        name goes (who acted, a supplier, a recipient) read as names: for showing it."""
        targets = [
            t.model_copy(update={"name": self.actors[t.actor].name}) if t.name is None and t.actor in self.actors else t
            for t in action.targets
        ]
        update: dict[str, Any] = {"targets": targets}
        for name in ("by", "supplier", "recipient", "initiated_by"):
            value = getattr(action, name)
            if isinstance(value, str) and value in self.actors:
                update[name] = self.actors[value].name
        return action.model_copy(update=update)

    def nearest(self, ident: str, kind: str | None = None) -> list[str]:
        pool = list(getattr(self, kind)) if kind else [i for _, i, _ in self.entries()]
        return difflib.get_close_matches(ident, pool, n=3, cutoff=0.4)


def library_schema() -> dict[str, Any]:
    """The JSON Schema of a library file, for editors."""
    schema = LibraryFile.model_json_schema()
    union_by_kind(schema, "Action", {k: canonical_kind(k) for k in ActionKind.__args__})  # type: ignore[attr-defined]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def find_library(input_path: Path) -> Path | None:
    """The library folder for an input: ``library/`` beside the input's folder, or inside it."""
    folder = input_path.resolve().parent
    for candidate in (folder.parent / LIBRARY_DIR, folder / LIBRARY_DIR):
        if candidate.is_dir():
            return candidate
    return None


def workspace_library(inputs_dir: Path) -> Path | None:
    """The library of a workspace whose inputs live in ``inputs_dir``."""
    return find_library(inputs_dir / "_")


def library_files(folder: Path | None) -> list[Path]:
    return find_inputs([folder]) if folder is not None and folder.is_dir() else []


def load_library(folder: Path | None) -> Library:
    """Load and validate every library file; raise :class:`InputError` listing every problem."""
    files = library_files(folder)
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _load(stamp)


@cache
def _load(stamp: tuple[tuple[str, int, int], ...]) -> Library:
    library = Library()
    problems: list[Problem] = []
    docs: list[tuple[YamlDocument, LibraryFile]] = []
    loaded: list[YamlDocument] = []
    for name, _, _ in stamp:
        path = Path(name)
        library.files.append(path)
        try:
            loaded.append(load_yaml(path))
        except InputError as exc:
            problems.extend(exc.problems)
    names = _actor_names(loaded)
    for doc in loaded:
        shown = _display(doc.path)
        try:
            parsed = LibraryFile.model_validate(_named_people(doc.data, names))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(error["loc"])
                line, col = doc.locate(loc)
                problems.append(Problem(shown, line, col, dotted_path(loc) or "(document)", pydantic_message(error)))
            continue
        docs.append((doc, parsed))
        for kind in KINDS:
            for index, entry in enumerate(getattr(parsed, kind)):
                line, col = doc.locate((kind, index, "id"))
                if entry.id in library.where:
                    message = f"id {entry.id!r} is already defined at {library.where[entry.id]}"
                    problems.append(Problem(shown, line, col, f"{kind}[{index}].id", message))
                    continue
                library.where[entry.id] = f"{shown}:{line}"
                getattr(library, kind)[entry.id] = entry
    for doc, parsed in docs:
        problems.extend(_dangling(library, doc, parsed))
    if problems:
        raise InputError(problems)
    return library


def _actor_names(docs: list[YamlDocument]) -> dict[str, str]:
    """Every actor's name by id, from the raw files (before validation)."""
    names: dict[str, str] = {}
    for doc in docs:
        actors = doc.data.get("actors") if isinstance(doc.data, dict) else None
        for actor in actors if isinstance(actors, list) else []:
            if isinstance(actor, dict) and isinstance(actor.get("id"), str) and isinstance(actor.get("name"), str):
                names.setdefault(actor["id"], actor["name"])
    return names


#: The people of an action that may be given as ``{actor: ID, …}`` alone.
_PEOPLE = ("participants", "signatories", "witnesses", "candidates")


def _named_people(data: Any, names: dict[str, str]) -> Any:
    """``data`` with a name for each person of an action given by actor id (as a brief gets one)."""
    actions = data.get("actions") if isinstance(data, dict) else None
    if not isinstance(actions, list):
        return data
    import copy

    data = copy.deepcopy(data)
    for action in data["actions"]:
        if not isinstance(action, dict):
            continue
        people = [p for key in _PEOPLE if isinstance(action.get(key), list) for p in action[key]]
        people += [action["speaker"]] if isinstance(action.get("speaker"), dict) else []
        for person in people:
            if isinstance(person, dict) and isinstance(person.get("actor"), str) and "name" not in person:
                person["name"] = names.get(person["actor"], person["actor"])
    return data


def _dangling(library: Library, doc: YamlDocument, parsed: LibraryFile) -> Iterator[Problem]:
    """References between library entries that name no entry."""
    resolver = Resolver(library, doc, _display(doc.path))
    for kind in KINDS:
        for index, entry in enumerate(getattr(parsed, kind)):
            here: tuple[str | int, ...] = (kind, index)
            for i, ident in enumerate(getattr(entry, "sources", [])):
                resolver.entry("sources", ident, (*here, "sources", i))
            if isinstance(entry, Action):
                if entry.law:
                    resolver.entry("authorities", entry.law, (*here, "law"))
                for i, target in enumerate(entry.targets):
                    if target.actor:
                        resolver.entry("actors", target.actor, (*here, "targets", i, "actor"))
                people: list[tuple[tuple[str | int, ...], str | None]] = [
                    (("participants", i), p.actor) for i, p in enumerate(entry.participants)
                ]
                people += [(("signatories", i), p.actor) for i, p in enumerate(entry.signatories)]
                people += [(("witnesses", i), p.actor) for i, p in enumerate(entry.witnesses)]
                people += [(("candidates", i), p.actor) for i, p in enumerate(entry.candidates)]
                people += [(("speaker",), entry.speaker.actor)] if entry.speaker else []
                for where, actor in people:
                    if actor:
                        resolver.entry("actors", actor, (*here, *where, "actor"))
    yield from resolver.problems


# --------------------------------------------------------------------------- resolving


class Resolver:
    """Replaces library references in a brief's raw data with the entries' facts."""

    def __init__(self, library: Library, doc: YamlDocument, name: str) -> None:
        self.library = library
        self.doc = doc
        self.name = name
        self.problems: list[Problem] = []
        self.used: set[str] = set()
        self.cited: list[str] = []  # library source ids cited, in order

    def unknown(self, loc: tuple[str | int, ...], ident: object, kind: str) -> None:
        line, col = self.doc.locate(loc)
        near = self.library.nearest(str(ident), kind)
        hint = f"; nearest: {', '.join(near)}" if near else ""
        singular = {"actions": "action", "actors": "actor", "authorities": "authority", "sources": "source"}[kind]
        message = f"unknown {singular} id {ident!r}{hint}"
        self.problems.append(Problem(self.name, line, col, dotted_path(loc), message))

    def entry(self, kind: str, ident: object, loc: tuple[str | int, ...]) -> Any:
        table: dict[str, Any] = getattr(self.library, kind)
        if not isinstance(ident, str) or ident not in table:
            self.unknown(loc, ident, kind)
            return None
        self.used.add(ident)
        return table[ident]

    def cite(self, ids: list[str]) -> list[str]:
        for ident in ids:
            if ident in self.library.sources and ident not in self.cited:
                self.cited.append(ident)
        return list(ids)

    def actor_name(self, ident: str) -> str:
        actor = self.library.actors.get(ident)
        if actor is not None:
            self.used.add(ident)
            return actor.name
        return ident

    def participant(self, item: dict[str, Any], loc: tuple[str | int, ...]) -> None:
        if "actor" in item:
            actor = self.entry("actors", item["actor"], (*loc, "actor"))
            if actor is None:  # reported once, as an unknown id, not again as a missing name
                item.setdefault("name", str(item["actor"]))
            else:
                item.setdefault("name", actor.name)
                if actor.country or actor.kind == "state":
                    item.setdefault("affiliation", actor.country or actor.name)

    def target(self, item: dict[str, Any], loc: tuple[str | int, ...]) -> None:
        if "actor" in item:
            actor = self.entry("actors", item["actor"], (*loc, "actor"))
            if actor is None:
                item.setdefault("name", str(item["actor"]))
            else:
                item.setdefault("name", actor.name)
                if actor.country:
                    item.setdefault("country", actor.country)

    def kind_fields(self, event: dict[str, Any], loc: tuple[str | int, ...], agreements: object) -> None:
        """Actor ids in the fields of the event's kind, and the agreements a signing or delivery names."""
        for key in ("signatories", "witnesses"):
            for i, item in enumerate(event.get(key) or []):
                if isinstance(item, dict):
                    self.participant(item, (*loc, key, i))
        if isinstance(event.get("speaker"), dict):
            self.participant(event["speaker"], (*loc, "speaker"))
        for i, item in enumerate(event.get("candidates") or []):
            if isinstance(item, dict) and "actor" in item:
                actor = self.entry("actors", item["actor"], (*loc, "candidates", i, "actor"))
                item.setdefault("name", actor.name if actor is not None else str(item["actor"]))
        for key in ("supplier", "recipient", "initiated_by"):
            if isinstance(event.get(key), str):
                event[key] = self.actor_name(event[key])
        for item in event.get("readouts") or []:
            if isinstance(item, dict) and isinstance(item.get("by"), str):
                item["by"] = self.actor_name(item["by"])
        ids = [a.get("id") for a in agreements if isinstance(a, dict)] if isinstance(agreements, list) else []
        known = sorted(i for i in ids if isinstance(i, str))
        refs: list[tuple[tuple[str | int, ...], object]] = [
            ((*loc, "agreements", i), ident) for i, ident in enumerate(event.get("agreements") or [])
        ]
        if "contract" in event:
            refs.append(((*loc, "contract"), event["contract"]))
        for where, ident in refs:
            if isinstance(ident, str) and ident not in known:
                line, col = self.doc.locate(where)
                near = difflib.get_close_matches(ident, known, n=3, cutoff=0.4)
                hint = (
                    f"; nearest: {', '.join(near)}"
                    if near
                    else (f"; the brief's agreement ids: {', '.join(known)}" if known else "; give the agreement an id")
                )
                message = f"no agreement of this brief has the id {ident!r}{hint}"
                self.problems.append(Problem(self.name, line, col, dotted_path(where), message))

    def authority_into(self, data: dict[str, Any], loc: tuple[str | int, ...], fields: dict[str, str]) -> None:
        if "law" not in data:
            return
        authority = self.entry("authorities", data["law"], (*loc, "law"))
        if authority is None:
            return
        for ours, theirs in fields.items():
            value = getattr(authority, theirs)
            if value is not None:
                data.setdefault(ours, str(value) if isinstance(value, PartialDate) else value)
        # The facts drawn from the authority rest on its sources.
        given = data.get("sources")
        own: list[Any] = given if isinstance(given, list) else []
        data["sources"] = self.cite(list(dict.fromkeys([*own, *authority.sources])))

    def action_as_event(self, event: dict[str, Any], loc: tuple[str | int, ...]) -> None:
        action = self.entry("actions", event["action"], (*loc, "action"))
        if action is None:
            return
        if action.kind not in EVENT_ACTION_KINDS:
            line, col = self.doc.locate((*loc, "action"))
            message = (
                f"action {action.id!r} is a {action.kind}, which is not an event; "
                f"an event can be a library action of kind {', '.join(EVENT_ACTION_KINDS)}"
            )
            self.problems.append(Problem(self.name, line, col, dotted_path((*loc, "action")), message))
            return
        kind = canonical_kind(action.kind) or action.kind
        event.setdefault("kind", kind)
        event.setdefault("title", action.title)
        if action.date is not None:
            event.setdefault("date", str(action.date))
        if kind in _BY_AS:
            event.setdefault(_BY_AS[kind], self.actor_name(action.by))
        elif kind == "statement":
            event.setdefault(
                "speaker", {"actor": action.by} if action.by in self.library.actors else {"name": action.by}
            )
        # The fields of its kind, as the library records them; the brief's own win.
        given = action.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        for name in sorted(KIND_FIELDS.get(kind, frozenset()) & set(KindedFacts.model_fields) & set(given)):
            event.setdefault(name, given[name])
        if kind == "sanctions designation":
            if action.law:
                event.setdefault("law", action.law)
            if action.measures:
                event.setdefault("measures", list(action.measures))
            event.setdefault("targets", [self._target(t) for t in action.targets])
        if action.summary:
            event.setdefault("summary", action.summary)
        event.setdefault("sources", self.cite(list(action.sources)))
        if action.release:  # an internal action stays internal in every brief that draws on it
            event.setdefault("release", action.release)

    def _target(self, t: ActionTarget) -> dict[str, Any]:
        out: dict[str, Any] = {"name": t.name or self.actor_name(t.actor or "")}
        if t.actor:
            out["actor"] = t.actor
            actor = self.library.actors.get(t.actor)
            if actor is not None and actor.country:
                out["country"] = actor.country
        if t.listed_for:
            out["listed_for"] = t.listed_for
        if t.measures:
            out["measures"] = list(t.measures)
        return out

    def action_of(self, item: object, loc: tuple[str | int, ...]) -> tuple[dict[str, Any], Action] | None:
        """The brief's own fields and the library action that ``id`` or ``{action: id, …}`` names;
        None for an inline fact, or for an unknown id (reported at its line)."""
        own, ident, loc = _reference(item, loc)
        if ident is None:
            return None
        action = self.entry("actions", ident, loc)
        return None if action is None else (own, action)

    def precedent(self, item: object, loc: tuple[str | int, ...]) -> Any:
        """An action id, or ``{action: id, …}`` whose own fields win over the action's."""
        found = self.action_of(item, loc)
        if found is None:
            return item
        own, action = found
        names = [t.name or self.actor_name(t.actor or "") for t in action.targets]
        measures = list(dict.fromkeys([*action.measures, *(m for t in action.targets for m in t.measures)]))
        out: dict[str, Any] = {
            "action": action.id,
            "target": _people(names) if names else action.title,
            "measures": measures or [action.title],
        }
        if action.date is not None:
            out["date"] = str(action.date)
        if action.country:
            out["country"] = action.country
        if action.summary:
            out["reason"] = action.summary
        if action.origin:
            out["origin"] = action.origin
        if action.origin_note:
            out["origin_note"] = action.origin_note
        if action.release:
            out["release"] = action.release
        return self._merge(out, own, list(action.sources))

    def listing(self, item: object, loc: tuple[str | int, ...]) -> Any:
        found = self.action_of(item, loc)
        if found is None:
            return item
        own, action = found
        out: dict[str, Any] = {"name": action.sanctions_list or action.title}
        if action.date is not None:
            out["listed"] = str(action.date)
        if action.summary:
            out["note"] = action.summary
        if action.release:
            out["release"] = action.release
        return self._merge(out, own, list(action.sources))

    def _merge(self, out: dict[str, Any], own: dict[str, Any], sources: list[str]) -> dict[str, Any]:
        out.update({k: v for k, v in own.items() if k not in {"action", "sources"}})
        # Sources given at the reference replace the action's: the brief says what it rests on.
        local = [s for s in own.get("sources") or [] if isinstance(s, str)]
        out["sources"] = self.cite(local or sources)
        return out

    def citations(self, value: object, loc: tuple[str | int, ...]) -> None:
        """Note every library source a statement cites, anywhere in the brief."""
        if isinstance(value, dict):
            for key, child in value.items():
                if key == "sources" and loc and isinstance(child, list):
                    self.cite([c for c in child if isinstance(c, str)])
                else:
                    self.citations(child, (*loc, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.citations(item, (*loc, index))


def _reference(item: object, loc: tuple[str | int, ...]) -> tuple[dict[str, Any], str | None, tuple[str | int, ...]]:
    """(own fields, action id, location of the id) of ``id`` or ``{action: id, …}``."""
    if isinstance(item, str):
        return {}, item, loc
    if isinstance(item, dict) and "action" in item:
        return item, item["action"], (*loc, "action")
    return {}, None, loc


def _people(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and 3 others``: a precedent's target in one line."""
    if len(names) <= 2:
        return " and ".join(names)
    return f"{names[0]}, {names[1]} and {len(names) - 2} others"


def resolve(data: Any, library: Library, doc: YamlDocument, name: str) -> tuple[Any, list[Problem], set[str]]:
    """The brief's raw data with every library reference replaced, the problems, and the ids used.

    Works on a copy: positions in ``doc`` still point at the references, so an error in a
    resolved fact is reported at the line that referred to it.
    """
    if not isinstance(data, dict):
        return data, [], set()
    import copy

    data = copy.deepcopy(data)
    r = Resolver(library, doc, name)
    event = data.get("event")
    if isinstance(event, dict):
        if "action" in event:
            r.action_as_event(event, ("event", "action"))
        r.authority_into(event, ("event",), {"legal_basis": "title", "imposed_by": "imposed_by"})
        for key in ("participants",):
            for i, item in enumerate(event.get(key) or []):
                if isinstance(item, dict):
                    r.participant(item, ("event", key, i))
        for f, fmt in enumerate(event.get("formats") or []):
            if isinstance(fmt, dict):
                for i, item in enumerate(fmt.get("participants") or []):
                    if isinstance(item, dict):
                        r.participant(item, ("event", "formats", f, "participants", i))
        for i, item in enumerate(event.get("targets") or []):
            if isinstance(item, dict):
                r.target(item, ("event", "targets", i))
        r.kind_fields(event, ("event",), data.get("agreements"))
    risk = data.get("sanction_risk")
    if isinstance(risk, dict):
        r.authority_into(
            risk,
            ("sanction_risk",),
            {"regime": "title", "authority": "imposed_by", "legal_basis": "legal_basis", "enacted": "enacted"},
        )
        for key, fn in (("precedents", r.precedent), ("listings", r.listing)):
            items = risk.get(key)
            if isinstance(items, list):
                risk[key] = [fn(item, ("sanction_risk", key, i)) for i, item in enumerate(items)]
    # Sources: ids in the brief's own list, and library sources cited anywhere, join the list.
    own = data.get("sources")
    own_list = own if isinstance(own, list) else []
    inline: list[Any] = []
    for i, item in enumerate(own_list):
        if isinstance(item, str):
            source = r.entry("sources", item, ("sources", i))
            if source is not None:
                r.cite([item])
        else:
            inline.append(item)
    r.citations(data, ())
    defined = {s.get("id") for s in inline if isinstance(s, dict)}
    for ident in r.cited:
        if ident not in defined:
            r.used.add(ident)
            inline.append(library.sources[ident].model_dump(mode="json", exclude_none=True))
    if own is not None or inline:
        data["sources"] = inline
    return data, r.problems, r.used


def unused(library: Library, used: set[str]) -> list[tuple[str, str, str]]:
    """(kind, id, file:line) of every entry no brief refers to."""
    return [(kind, ident, library.where[ident]) for kind, ident, _ in library.entries() if ident not in used]
