"""Events of every kind: the kind is one of a fixed set, and each kind has its own fields."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from briefgen.errors import InputError
from briefgen.facts.load import load_brief
from briefgen.facts.schema import EVENT_KINDS, KIND_FIELDS, json_schema

LIBRARY = """\
sources:
  - {id: wire, publisher: Wire, title: Deliveries begin}
actors:
  - {id: norland, name: Norland, kind: state}
  - {id: estmark, name: Estmark, kind: state}
  - {id: halvorsen, name: I. Halvorsen, kind: person, country: Norland}
actions:
  - id: nor-2030-02-first-boats
    kind: delivery
    title: First patrol boats reach Estmark
    date: 2030-02-03
    by: norland
    recipient: estmark
    item: Fjord-class patrol boat
    quantity: "2 of 6"
    contract: boats-2029
    stage: first
    sources: [wire]
  - id: nor-2030-02-statement
    kind: statement
    title: Norland's minister on the boats
    date: 2030-02-04
    by: halvorsen
    statement_type: press release
    key_phrase: a new chapter on the river
    sources: [wire]
"""

HEAD = """\
brief: {id: b, title: A brief, date: 2030-02-05, author: Desk}
sources: [wire]
"""

AGREEMENT = """\
agreements:
  - {id: boats-2029, title: Patrol boat contract, kind: contract, parties: [Norland, Estmark], status: delivering,
     sources: [wire]}
"""


def write(tmp_path: Path, event: str, rest: str = "") -> Path:
    (tmp_path / "library").mkdir(exist_ok=True)
    (tmp_path / "library" / "facts.yaml").write_text(LIBRARY, encoding="utf-8")
    (tmp_path / "inputs").mkdir(exist_ok=True)
    path = tmp_path / "inputs" / "b.yaml"
    path.write_text(HEAD + "event:\n" + textwrap.indent(textwrap.dedent(event), "  ") + rest, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_brief(path)
    return [str(p) for p in info.value.problems]


BASE = """\
title: T
date: 2030-02-03
place: {city: Lindmoor}
sources: [wire]
"""


def test_older_words_for_a_kind_are_read_as_that_kind(tmp_path: Path) -> None:
    for word, kind in [
        ("video call", "call"),
        ("Ministerial meeting", "meeting"),
        ("conference", "meeting"),
        ("Bilateral summit", "summit"),
        ("listing", "sanctions designation"),
        ("speech", "statement"),
    ]:
        extra = "targets: [{name: X}]\n" if kind == "sanctions designation" else ""
        event = load_brief(write(tmp_path, f"kind: {word}\n" + BASE + extra)).brief.event
        assert event is not None and event.kind == kind, word
    call = load_brief(write(tmp_path, "kind: video call\n" + BASE)).brief.event
    assert call is not None and call.medium == "video"  # what the older word said is kept


def test_an_unknown_kind_is_an_error_at_its_line_with_the_nearest_kind(tmp_path: Path) -> None:
    path = write(tmp_path, "kind: sumit\n" + BASE)
    (found,) = problems(path)
    assert found.startswith(f"{path}:4:")
    assert "event.kind: expected one of summit, meeting, call, sanctions designation, signing" in found
    assert found.endswith("got 'sumit'; nearest: summit")


def test_a_field_of_another_kind_is_an_error_at_its_line_naming_both_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, "kind: call\n" + BASE + "formats: [{name: Plenary}]\nduration: two hours\n")
    (found,) = problems(path)
    assert found.startswith(f"{path}:9:") and "event.formats: a call has no 'formats'" in found
    assert "it is a field of a summit or a meeting" in found and "a call has duration, initiated_by" in found
    path = write(tmp_path, "kind: election\n" + BASE + "office: President\nstage: first\n")
    (found,) = problems(path)
    assert (
        found.startswith(f"{path}:10:")
        and "event.stage: an election has no 'stage' (it is a field of a delivery)" in found
    )


def test_each_kind_takes_its_own_fields(tmp_path: Path) -> None:
    cases = {
        "call": "initiated_by: norland\nduration: two hours\n"
        "readouts: [{by: estmark, text: Cordial., sources: [wire]}]",
        "signing": "agreements: [boats-2029]\nsignatories: [{actor: halvorsen, role: Minister}]",
        "statement": "speaker: {actor: halvorsen}\nstatement_type: speech\naudience: Parliament\n"
        "key_phrase: no retreat",
        "exercise": "participants: [{name: Norland navy, role: host}]\ndomain: sea\nscale: 12 ships\narea: the estuary",
        "election": "office: President\njurisdiction: Estmark\nturnout: 61.5\n"
        "candidates: [{name: A. Berg, party: Green, vote_share: 52.1, elected: true},"
        " {name: O. Lind, vote_share: 47.9}]",
    }
    for kind, fields in cases.items():
        event = load_brief(write(tmp_path, f"kind: {kind}\n" + BASE + fields + "\n", AGREEMENT)).brief.event
        assert event is not None and event.kind == kind
        given = {line.split(":")[0] for line in fields.splitlines()}
        assert given <= KIND_FIELDS[kind]
    assert event.candidates[0].elected and event.turnout == 61.5
    signing = load_brief(write(tmp_path, "kind: signing\n" + BASE + "signatories: [{actor: halvorsen}]\n", AGREEMENT))
    assert signing.brief.event is not None and signing.brief.event.signatories[0].name == "I. Halvorsen"
    call = load_brief(write(tmp_path, "kind: call\n" + BASE + "initiated_by: norland\n")).brief.event
    assert call is not None and call.initiated_by == "Norland"  # an actor id reads as the actor's name


def test_a_signing_names_agreements_of_the_brief(tmp_path: Path) -> None:
    path = write(tmp_path, "kind: signing\n" + BASE + "agreements: [boats-2028]\n", AGREEMENT)
    (found,) = problems(path)
    assert found.startswith(f"{path}:9:")
    assert "event.agreements[0]: no agreement of this brief has the id 'boats-2028'; nearest: boats-2029" in found


def test_a_library_action_of_a_kind_fills_the_event_with_its_fields(tmp_path: Path) -> None:
    loaded = load_brief(write(tmp_path, "action: nor-2030-02-first-boats\nplace: {city: Lindmoor}\n", AGREEMENT))
    event = loaded.brief.event
    assert event is not None and event.kind == "delivery" and event.title == "First patrol boats reach Estmark"
    assert (event.supplier, event.recipient, event.item, event.quantity, event.stage) == (
        "Norland",
        "Estmark",
        "Fjord-class patrol boat",
        "2 of 6",
        "first",
    )
    assert event.contract == "boats-2029" and not event.imposed_by and {"norland", "estmark"} <= loaded.used
    statement = load_brief(write(tmp_path, "action: nor-2030-02-statement\nplace: {city: Lindmoor}\n")).brief.event
    assert statement is not None and statement.speaker is not None and statement.speaker.name == "I. Halvorsen"
    assert statement.statement_type == "press release"
    # the contract the action names must be one of the brief's agreements
    (found,) = problems(write(tmp_path, "action: nor-2030-02-first-boats\nplace: {city: Lindmoor}\n"))
    assert "event.contract: no agreement of this brief has the id 'boats-2029'" in found


def test_a_library_action_with_a_field_its_kind_lacks_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "library").mkdir()
    bad = LIBRARY.replace("    stage: first\n", "    stage: first\n    domain: sea\n")
    (tmp_path / "library" / "facts.yaml").write_text(bad, encoding="utf-8")
    (tmp_path / "inputs" / "b.yaml").write_text(HEAD, encoding="utf-8")
    found = problems(tmp_path / "inputs" / "b.yaml")
    assert any(
        ":18:5:" in p and "actions[0].domain: a delivery has no 'domain' (it is a field of an exercise)" in p
        for p in found
    ), found


def test_the_schema_is_a_union_by_kind() -> None:
    event = json_schema()["$defs"]["Event"]
    variants = {v["properties"]["kind"]["enum"][0]: v for v in event["anyOf"] if "enum" in v["properties"]["kind"]}
    assert set(EVENT_KINDS) <= set(variants)
    call = variants["call"]
    assert {"readouts", "initiated_by", "duration"} <= set(call["properties"]) and "formats" not in call["properties"]
    assert call["additionalProperties"] is False and "video call" in call["properties"]["kind"]["enum"]
    assert "targets" in variants["sanctions designation"]["properties"]
    assert "participants" not in variants["sanctions designation"]["properties"]
