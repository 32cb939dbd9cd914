"""The fact library: entries written once, resolved into briefs, every mistake at its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from briefgen.errors import InputError
from briefgen.facts.library import load_library
from briefgen.facts.load import load_brief, load_briefs
from briefgen.facts.schema import json_schema

from ..conftest import REPO

TURKEY = REPO / "inputs" / "2020-12-14-us-sanctions-turkey-ssb.yaml"
SEED = REPO / "inputs" / "2021-12-06-india-russia-summit.yaml"

LIBRARY = """\
sources:
  - {id: wire, publisher: Wire, title: Ministers meet}
actors:
  - {id: halvorsen, name: I. Halvorsen, kind: person, country: Norland}
authorities:
  - id: river-act
    title: River Act section 4
    instrument: The River Act
    imposed_by: Norland
    enacted: 2020-03
    legal_basis: Lets the ministry bar firms that pollute the river.
    sources: [wire]
actions:
  - id: nor-2030-01-01-mill
    kind: designation
    title: Norland bars the Estmark paper mill
    date: 2030-01-01
    by: Norland
    law: river-act
    targets: [{name: Estmark paper mill, listed_for: Dumping waste}]
    measures: [Import ban]
    sources: [wire]
"""

BRIEF = """\
brief: {id: b, title: A brief, date: 2030-01-02, author: Desk}
sources: [wire]
event:
  kind: meeting
  title: Ministers meet
  date: 2030-01-02
  place: {city: Lindmoor}
  participants:
    - {actor: halvorsen, role: Minister}
  sources: [wire]
sanction_risk:
  law: river-act
  target: Estmark
  precedents: [nor-2030-01-01-mill]
"""


def workspace(tmp_path: Path, brief: str = BRIEF, library: str = LIBRARY) -> Path:
    (tmp_path / "library").mkdir(exist_ok=True)
    (tmp_path / "library" / "facts.yaml").write_text(textwrap.dedent(library), encoding="utf-8")
    (tmp_path / "inputs").mkdir(exist_ok=True)
    path = tmp_path / "inputs" / "b.yaml"
    path.write_text(textwrap.dedent(brief), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_brief(path)
    return [str(p) for p in info.value.problems]


def test_references_resolve_into_inline_facts(tmp_path: Path) -> None:
    loaded = load_brief(workspace(tmp_path))
    brief = loaded.brief
    assert brief.event is not None and brief.event.participants[0].name == "I. Halvorsen"
    assert brief.event.participants[0].affiliation == "Norland"
    risk = brief.sanction_risk
    assert risk is not None and risk.regime == "River Act section 4" and risk.authority == "Norland"
    assert str(risk.enacted) == "2020-03" and "pollute" in risk.legal_basis
    (precedent,) = risk.precedents
    assert precedent.target == "Estmark paper mill" and precedent.measures == ["Import ban"]
    assert [s.id for s in brief.sources] == ["wire"]  # a library source, listed once
    assert loaded.used == {"wire", "halvorsen", "river-act", "nor-2030-01-01-mill"}


def test_unknown_ids_name_the_line_and_the_nearest_ids(tmp_path: Path) -> None:
    text = BRIEF.replace("actor: halvorsen", "actor: halvorson").replace("[nor-2030-01-01-mill]", "[nor-2030-mill]")
    found = problems(workspace(tmp_path, text))
    path = tmp_path / "inputs" / "b.yaml"
    assert any(
        p.startswith(f"{path}:9:")
        and "unknown actor id 'halvorson'; nearest: halvorsen" in p
        and "event.participants[0].actor" in p
        for p in found
    ), found
    assert any(
        p.startswith(f"{path}:14:") and "unknown action id 'nor-2030-mill'; nearest: nor-2030-01-01-mill" in p
        for p in found
    ), found


def test_library_errors_carry_file_and_line(tmp_path: Path) -> None:
    broken = LIBRARY.replace("law: river-act", "law: river-ac").replace("country: Norland}", "country: Norland, x: 1}")
    workspace(tmp_path, library=broken)
    with pytest.raises(InputError) as info:
        load_library(tmp_path / "library")
    text = str(info.value)
    assert f"{tmp_path / 'library' / 'facts.yaml'}:4:" in text and "actors[0].x: unknown field" in text
    (tmp_path / "library" / "facts.yaml").write_text(broken.replace(", x: 1", ""), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_library(tmp_path / "library")
    assert ":19:" in str(info.value) and "unknown authority id 'river-ac'; nearest: river-act" in str(info.value)
    (tmp_path / "library" / "more.yaml").write_text("actors: [{id: halvorsen, name: X, kind: person}]\n")
    with pytest.raises(InputError) as info:
        load_library(tmp_path / "library")
    assert "id 'halvorsen' is already defined at" in str(info.value)


def test_each_shared_fact_is_defined_once() -> None:
    """The shipped inputs define no source, actor or law the library holds."""
    library = load_library(REPO / "library")
    inputs = sorted((REPO / "inputs").glob("*.yaml"))
    for path in inputs:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        own = {s["id"] for s in data.get("sources", []) if isinstance(s, dict)}
        assert not own & set(library.sources), path
        titles = {s.title for s in library.sources.values()}
        assert not {s.get("title") for s in data.get("sources", []) if isinstance(s, dict)} & titles, path
        text = path.read_text(encoding="utf-8")
        assert "Countering America's Adversaries Through Sanctions Act (Public" not in text, path
    used = {i for b in load_briefs(inputs) for i in b.used}
    assert {"caatsa-s231", "us-2020-12-14-ssb", "us-2018-09-20-edd", "putin", "biden"} <= used


def test_turkey_brief_is_a_designation_sharing_the_seeds_facts() -> None:
    turkey, seed = load_brief(TURKEY), load_brief(SEED)
    event = turkey.brief.event
    assert event is not None and event.kind == "sanctions designation" and not event.participants
    assert [t.name for t in event.targets][:2] == ["Presidency of Defense Industries (SSB)", "Ismail Demir"]
    assert event.legal_basis == "CAATSA section 231" and event.imposed_by == "US Department of State"
    assert {"caatsa-s231", "us-2018-09-20-edd", "ros-caatsa-231-list"} <= turkey.used & seed.used
    assert "us-2020-12-14-ssb" in turkey.used & seed.used  # the Turkey event is the seed's precedent


def test_a_designation_takes_targets_not_participants(tmp_path: Path) -> None:
    text = BRIEF.replace("kind: meeting", "kind: sanctions designation")
    (found,) = [p for p in problems(workspace(tmp_path, text)) if "event" in p]
    assert "event.participants: a sanctions designation has no 'participants'" in found and ":8:" in found
    assert "list who was designated under 'targets'" in found


def test_the_schema_accepts_library_ids() -> None:
    schema = json_schema()
    precedent = schema["$defs"]["SanctionRisk"]["properties"]["precedents"]["items"]
    assert {"type": "string"}.items() <= precedent["anyOf"][1].items()
    assert "actor" in schema["$defs"]["Participant"]["properties"]
    assert "name" not in schema["$defs"]["Participant"].get("required", [])


# --------------------------------------------------------------------------- YAML traps


def test_unquoted_colon_in_a_value_gets_a_hint(tmp_path: Path) -> None:
    (found,) = problems(workspace(tmp_path, BRIEF.replace("title: Ministers meet", "title: Talks: the outcome")))
    assert ":5:" in found and "a value that contains ': ' must be quoted" in found


def test_comma_in_a_flow_mapping_gets_a_hint(tmp_path: Path) -> None:
    text = BRIEF.replace("{city: Lindmoor}", "{city: Washington, D.C.}")
    (found,) = problems(workspace(tmp_path, text))
    assert ":7:" in found and "event.place.D.C.: unknown field" in found
    assert 'put a value that holds a comma in quotes, e.g. city: "Washington, D.C."' in found


def test_a_date_where_text_goes_gets_a_hint(tmp_path: Path) -> None:
    text = BRIEF.replace("  sources: [wire]\nsanction", "  sources: [wire]\n  summary: 2030-01-02\nsanction")
    (found,) = problems(workspace(tmp_path, text))
    assert "event.summary" in found and 'YAML read 2030-01-02 as a date: put it in quotes ("2030-01-02")' in found


def test_a_variants_field_must_be_a_field_of_the_fact(tmp_path: Path) -> None:
    text = BRIEF + "agreements:\n  - {title: Accord, kind: accord, parties: [A], status: signed,\n"
    text += "     variants: [{field: term.ends, value: '2031', sources: [wire]}]}\n"
    (found,) = problems(workspace(tmp_path, text))
    assert "agreements[0]" in found and "variant field 'term.ends' is not a field of this fact" in found


def test_an_internal_action_stays_internal_in_the_briefs_that_draw_on_it(tmp_path: Path) -> None:
    from briefgen.analysis.variants import release_view

    library = LIBRARY.replace("    sources: [wire]\n", "    sources: [wire]\n    release: internal\n")
    library = library.replace("    release: internal\n", "", 1)  # the authority stays unmarked; only the action is
    as_event = BRIEF.replace(
        "event:\n  kind: meeting\n  title: Ministers meet\n  date: 2030-01-02\n  place: {city: Lindmoor}\n"
        "  participants:\n    - {actor: halvorsen, role: Minister}\n  sources: [wire]\n",
        "event:\n  action: nor-2030-01-01-mill\n  place: {city: Lindmoor}\n",
    )
    for text, where in ((BRIEF, "precedent"), (as_event, "event")):
        brief = load_brief(workspace(tmp_path, text, library)).brief
        assert brief.sanction_risk is not None
        marked = brief.sanction_risk.precedents[0] if where == "precedent" else brief.event
        assert marked is not None and marked.release == "internal", where
        public = release_view(brief, "public", ["public", "partners", "internal"]).brief
        shown = "" if public is None else public.model_dump_json()
        assert "Estmark paper mill" not in shown, where
