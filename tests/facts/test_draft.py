"""The names a draft matches come from the fact library: actors, their aliases and countries, authorities."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from briefgen.facts.draft import library_names
from briefgen.facts.extract import NameMatcher, extract
from briefgen.facts.library import load_library

LIBRARY = """\
actors:
  - {id: brandt, name: Aldous Brandt, kind: person, country: Norland}
  - {id: ofac, name: Office of Foreign Assets Control (US Treasury), kind: organisation, aliases: [OFAC]}
authorities:
  - id: gmaa-s7
    title: GMAA section 7
    instrument: Global Maritime Accountability Act (Public Law 1-23)
    imposed_by: Norland
    legal_basis: Lets the government list ships that carry fuel to embargoed navies.
"""


def test_library_entries_are_matched_by_name_alias_surname_country_instrument_and_acronym(tmp_path: Path) -> None:
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "facts.yaml").write_text(LIBRARY, encoding="utf-8")
    matcher = NameMatcher(library_names(load_library(tmp_path / "library")))
    text = (
        "Chancellor Aldous Brandt said Norland would act. Brandt added that the Office of Foreign Assets "
        "Control agreed. Listings under the Global Maritime Accountability Act follow; GMAA cases take weeks."
    )
    found = {(c.text, c.kind, c.value["id"]) for c in extract(text, dt.date(2026, 1, 1), matcher) if "id" in c.value}
    assert found == {
        ("Aldous Brandt", "actor", "brandt"),
        ("Norland", "actor", "norland"),
        ("Office of Foreign Assets Control", "actor", "ofac"),
        ("Global Maritime Accountability Act", "authority", "gmaa-s7"),
    }
    mentions = {c.value["id"]: c.value["mentions"] for c in extract(text, None, matcher) if "id" in c.value}
    assert mentions["brandt"] == 2 and mentions["gmaa-s7"] == 2  # the surname, the acronym
