"""Who receives briefs: loading stakeholder files with positions, picking recipients."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from briefgen.config import Stakeholder, check_address
from briefgen.errors import InputError, Problem, dotted_path

if TYPE_CHECKING:
    from briefgen.config import Config

__all__ = ["DEFAULT_FILE", "load_stakeholders", "select_recipients"]


#: Found at the workspace root without configuration.
DEFAULT_FILE = "stakeholders.yaml"


class _StakeholderFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stakeholders: list[Stakeholder] = Field(default_factory=list)


def _message(error: Any) -> str:
    kind, msg = str(error["type"]), str(error["msg"])
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        return "unknown field (expected name, email, organisation, groups, format)"
    if kind == "string_pattern_mismatch" and error["loc"] and error["loc"][-2:-1] == ("groups",):
        return "expected a group name of lower-case letters, digits, '.', '_' or '-'"
    if kind == "string_pattern_mismatch":
        return "expected one line of text"
    msg = msg.replace("Input should be", "expected").replace("Value error, ", "")
    return msg[0].lower() + msg[1:] if msg else msg


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


#: A stakeholder and where it was defined (file, line, column), for duplicate reports.
_Placed = tuple[Stakeholder, str, int, int]


def _load_file(path: Path) -> list[_Placed]:
    from briefgen.facts.yamldoc import load_yaml

    doc = load_yaml(path)
    name = _display(path)
    # The file is either a list of stakeholders or a mapping with a ``stakeholders`` list.
    offset: tuple[str, ...] = ("stakeholders",) if isinstance(doc.data, list) else ()
    data = {"stakeholders": doc.data} if offset else doc.data
    try:
        people = _StakeholderFile.model_validate(data).stakeholders
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            line, col = doc.locate(loc[len(offset) :] if offset else loc)
            problems.append(Problem(name, line, col, dotted_path(loc) or "(document)", _message(error)))
        raise InputError(problems) from None
    key = () if offset else ("stakeholders",)
    return [(person, name, *doc.locate((*key, i, "email"))) for i, person in enumerate(people)]


def _check_unique(placed: Sequence[_Placed]) -> None:
    first: dict[str, int] = {}
    problems = []
    for index, (person, file, line, col) in enumerate(placed):
        if (seen := first.setdefault(person.key, index)) != index:
            where = placed[seen][1]
            problems.append(Problem(file, line, col, "email", f"{person.email} is already listed in {where}"))
    if problems:
        raise InputError(problems)


def load_stakeholders(config: Config) -> list[Stakeholder]:
    """Every stakeholder of the workspace: ``[[stakeholders]]`` in briefgen.toml, then the file."""
    placed: list[_Placed] = [(p, "briefgen.toml", 0, 0) for p in config.stakeholders]
    configured = config.mail.stakeholders
    path = config.resolve(configured) if configured else config.root / DEFAULT_FILE
    if configured and not path.is_file():
        raise InputError([Problem(_display(path), 0, 0, "mail.stakeholders", "no such file")])
    if path.is_file():
        placed.extend(_load_file(path))
    _check_unique(placed)
    return [person for person, *_ in placed]


def select_recipients(people: Sequence[Stakeholder], to: Sequence[str] = ()) -> list[Stakeholder]:
    """The stakeholders ``to`` names (groups or addresses; every stakeholder when empty).

    An address that is not a stakeholder's is accepted as a one-off recipient.
    """
    if not to:
        if not people:
            # Named as what to create, not as a file at fault: neither file need exist yet.
            raise InputError(
                [
                    Problem(
                        "stakeholders",
                        0,
                        0,
                        "",
                        f"nobody to send to: create {DEFAULT_FILE} at the workspace root (a list of name, email "
                        "and groups; `briefgen new` writes an example) or add [[stakeholders]] to briefgen.toml",
                    )
                ]
            )
        return list(people)
    groups = {g for p in people for g in p.groups}
    chosen: dict[str, Stakeholder] = {}
    problems = []
    for item in to:
        if "@" in item:
            try:
                address = check_address(item)
            except PydanticCustomError as exc:
                problems.append(Problem("--to", 0, 0, "", exc.message()))
                continue
            match = next((p for p in people if p.key == address.lower()), None)
            person = match or Stakeholder.ad_hoc(address)
            chosen.setdefault(person.key, person)
        elif item in groups:
            for person in people:
                if item in person.groups:
                    chosen.setdefault(person.key, person)
        else:
            known = ", ".join(sorted(groups)) or "none"
            problems.append(Problem("--to", 0, 0, "", f"no stakeholder group {item!r}; known groups: {known}"))
    if problems:
        raise InputError(problems)
    return list(chosen.values())
