"""Editions see the library: an action recorded in the window shows, with no brief about it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from briefgen.builds.editions import build_edition
from briefgen.config import load_config

from ..conftest import parse_html, text_of

BRIEF = """\
brief: {id: week-one, title: Week one, date: 2030-01-02, author: Desk}
sources: [{id: wire, publisher: Wire, title: Ministers meet}]
event: {kind: meeting, title: Ministers meet, date: 2030-01-02, place: {city: Lindmoor}, sources: [wire]}
"""

ACTION = """\
actions:
  - id: nor-2030-01-15-mill
    kind: designation
    title: Norland bars the Estmark paper mill
    date: 2030-01-15
    by: Norland
    targets: [{name: Estmark paper mill, listed_for: Dumping waste}]
    measures: [Import ban]
"""


def test_a_new_library_action_shows_in_its_weeks_edition_and_what_changed(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "one.yaml").write_text(BRIEF, encoding="utf-8")
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "actions.yaml").write_text("actions: []\n", encoding="utf-8")
    config = load_config(tmp_path)
    first = build_edition("2030-W01", config, formats=["html"])
    assert not first.skipped
    quiet = build_edition("2030-W03", config, formats=["html"])
    assert quiet.skipped  # nothing in the week: the default 'skip' holds

    (tmp_path / "library" / "actions.yaml").write_text(textwrap.dedent(ACTION), encoding="utf-8")
    result = build_edition("2030-W03", config, formats=["html"])
    assert not result.skipped and result.brief_ids == []
    assert [c.kind for c in result.changes] == ["new-action"]
    assert result.changes[0].text == "Norland bars the Estmark paper mill (2030-01-15)"
    page = result.output("html")
    assert page is not None
    root = parse_html(page.path.read_text(encoding="utf-8"))
    section = root.find(".//section[@id='actions']")
    assert section is not None and "Estmark paper mill" in text_of(section)
    assert "New action in the library" in text_of(root.find(".//section[@id='changes']"))


def test_every_window_counts_a_week_with_only_a_library_action(tmp_path: Path) -> None:
    from briefgen.builds.editions import build_editions

    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "one.yaml").write_text(BRIEF, encoding="utf-8")
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "actions.yaml").write_text(textwrap.dedent(ACTION), encoding="utf-8")
    results = build_editions(None, load_config(tmp_path), formats=["html"])
    assert [(r.window.id, r.brief_ids) for r in results] == [("2030-W01", ["week-one"]), ("2030-W03", [])]
