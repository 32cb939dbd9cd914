"""``briefgen new``: a fact library, editor schemas, and a skeleton brief for every event kind."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from briefgen import build, load_config
from briefgen.facts.load import load_briefs
from briefgen.facts.schema import KIND_FIELDS
from briefgen.workspace.scaffold import new_workspace
from briefgen.workspace.skeletons import EVENT_KINDS

from ..conftest import run_cli

DAY = dt.date(2030, 3, 4)


def test_new_wires_the_schemas_into_every_input_and_library_file(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    written = new_workspace(root, today=DAY)
    yaml_files = [p for p in written if p.suffix == ".yaml" and p.parent.name in {"inputs", "library"}]
    assert {p.parent.name for p in yaml_files} == {"inputs", "library"}
    for path in yaml_files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        target = "brief.json" if path.parent.name == "inputs" else "library.json"
        assert first == f"# yaml-language-server: $schema=../schema/{target}"
        assert (path.parent / ".." / "schema" / target).resolve().is_file()
    library_schema = json.loads((root / "schema" / "library.json").read_text(encoding="utf-8"))
    assert set(library_schema["properties"]) == {"sources", "actors", "authorities", "actions"}
    (loaded,) = load_briefs([root / "inputs"])
    assert loaded.brief.event is not None and loaded.brief.event.participants[0].name == "I. Halvorsen"
    assert "halvorsen" in loaded.used


def test_every_event_kind_scaffolds_a_brief_that_validates(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    new_workspace(root, today=DAY)
    for kind in EVENT_KINDS:
        (path,) = new_workspace(root, event_kind=kind, today=DAY)  # an existing workspace: the skeleton only
        assert path.parent == root / "inputs" and path.read_text(encoding="utf-8").startswith("# yaml-language-server")
    briefs = {b.brief.brief.id: b.brief for b in load_briefs([root / "inputs"])}
    assert len(briefs) == len(EVENT_KINDS) + 1
    designation = briefs["new-sanctions-designation-2030-03"].event
    assert designation is not None and designation.targets and not designation.participants
    assert briefs["new-signing-2030-03"].agreements[0].status == "signed"
    # each skeleton fills in the fields of its own kind, and builds as that kind
    report = build(config=load_config(root), formats=["html"])
    assert len(report.results) == len(EVENT_KINDS) + 1
    for kind in EVENT_KINDS:
        event = briefs[f"new-{kind}-2030-03"].event
        assert event is not None and event.kind == kind.replace("-", " ")
        own = {name for name in KIND_FIELDS[event.kind] - {"summary"} if getattr(event, name) not in (None, [])}
        assert own, kind
        html = (root / "output" / f"new-{kind}-2030-03.html").read_text(encoding="utf-8")
        assert f"<dd>{event.kind.capitalize()}" in html
    assert "<h3>Readouts</h3>" in (root / "output" / "new-call-2030-03.html").read_text(encoding="utf-8")
    assert "<h3>Results</h3>" in (root / "output" / "new-election-2030-03.html").read_text(encoding="utf-8")


def test_cli_event_kind_refuses_an_unknown_kind_and_library_commands_look_entries_up(tmp_path: Path) -> None:
    result = run_cli("new", "ws", "--event-kind", "picnic", cwd=tmp_path)
    assert result.returncode == 2 and "--event-kind 'picnic': expected one of summit, meeting, call" in result.stderr
    assert not (tmp_path / "ws").exists()  # refused before anything was written
    assert run_cli("new", "ws", cwd=tmp_path).returncode == 0
    listed = run_cli("library", "list", cwd=tmp_path / "ws")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].split()[:3] == ["actors", "halvorsen", "I."]
    shown = run_cli("library", "show", "kessler", cwd=tmp_path / "ws")
    assert "name: M. Kessler" in shown.stdout and "# used by: varna-river-accord-2026-05" in shown.stdout
    missing = run_cli("library", "show", "kesler", cwd=tmp_path / "ws")
    assert missing.returncode == 2 and "unknown id 'kesler'; nearest: kessler" in missing.stderr


def test_the_editor_schema_takes_each_skeleton_and_refuses_a_field_of_another_kind(tmp_path: Path) -> None:
    import jsonschema
    import yaml

    root = tmp_path / "ws"
    new_workspace(root, today=DAY)
    schema = json.loads((root / "schema" / "brief.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for kind in EVENT_KINDS:
        (path,) = new_workspace(root, event_kind=kind, today=DAY)
        # dates as an editor's YAML server reads them: strings
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        assert not list(validator.iter_errors(data)), kind
        if kind == "call":
            data["event"]["formats"] = [{"name": "Plenary"}]  # a summit's field
            assert not validator.is_valid(data)
            data["event"]["kind"] = "summit"
            del data["event"]["readouts"], data["event"]["duration"], data["event"]["initiated_by"]
            del data["event"]["medium"]
            assert validator.is_valid(data)


def test_every_shipped_input_and_library_file_passes_the_editor_schemas() -> None:
    import jsonschema
    import yaml

    from briefgen.facts.library import library_schema
    from briefgen.facts.schema import json_schema

    from ..conftest import REPO

    for schema, folder in ((json_schema(), "inputs"), (library_schema(), "library")):
        validator = jsonschema.Draft202012Validator(schema)
        for path in sorted((REPO / folder).glob("*.yaml")):
            data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
            assert [e.message for e in validator.iter_errors(data)] == [], path.name
    # a library action with a field its kind lacks is flagged in the editor, as on loading
    validator = jsonschema.Draft202012Validator(library_schema())
    delivery = {"id": "d", "kind": "delivery", "title": "Boats", "by": "norland", "item": "Boat"}
    assert validator.is_valid({"actions": [delivery]})
    assert not validator.is_valid({"actions": [{**delivery, "targets": [{"name": "X"}]}]})
