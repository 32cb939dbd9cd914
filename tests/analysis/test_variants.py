"""Release markings: a brief filtered down to what one audience may see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from briefgen.analysis.variants import WITHHELD_RISK, release_view
from briefgen.facts.load import load_brief
from briefgen.facts.schema import Brief

from ..conftest import SEED, copy_library

LADDER = ["public", "partners", "internal"]
SECRET = "ZEBRA-CANARY"
PARTNER = "PARTNER-OWL"


def marked_facts() -> dict[str, Any]:
    """The seed brief with an internal source, an internal judgment resting on it, the risk
    assessment's evidence partly internal, and a context item for partners."""
    data = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    data["sources"].append(
        {
            "id": "desk-cable",
            "publisher": f"Northgate desk {SECRET}",
            "title": f"Field note {SECRET} on delivery talks",
            "kind": "other",
            "release": "internal",
        }
    )
    data["key_judgments"].append(
        {
            "text": f"{SECRET}: the desk expects a quiet follow-up order.",
            "likelihood": "likely",
            "confidence": "low",
            "sources": ["desk-cable"],
            "release": "internal",
        }
    )
    data["sanction_risk"]["exposure"][0]["sources"].append("desk-cable")
    data["context"].append(
        {
            "title": "Partner briefing",
            "text": f"{PARTNER}: partners were told of the timing.",
            "sources": [data["sources"][0]["id"]],
            "release": "partners",
        }
    )
    return data


def write_marked(folder: Path) -> Path:
    """The marked brief in ``folder`` (a workspace's inputs), the fact library beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    copy_library(folder.parent)
    path = folder / SEED.name
    path.write_text(yaml.safe_dump(marked_facts(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def marked_brief(tmp_path: Path) -> Brief:
    return load_brief(write_marked(tmp_path / "inputs")).brief


def test_public_variant_holds_nothing_marked_above_it(tmp_path: Path) -> None:
    brief = marked_brief(tmp_path)
    view = release_view(brief, "public", LADDER, {"public": "PUBLIC RELEASE"})
    assert view.brief is not None and view.marked
    dumped = view.brief.model_dump_json()
    assert SECRET not in dumped and PARTNER not in dumped and "internal" not in dumped
    assert len(view.brief.sources) == len(brief.sources) - 1  # renumbered from what is left: no gaps
    assert view.brief.sanction_risk is None  # its evidence is partly withheld
    assert WITHHELD_RISK in (view.brief.brief.summary or "")
    assert view.brief.brief.marking == "PUBLIC RELEASE"


def test_partners_see_their_item_and_internal_sees_everything(tmp_path: Path) -> None:
    brief = marked_brief(tmp_path)
    partners = release_view(brief, "partners", LADDER).brief
    assert partners is not None
    assert PARTNER in partners.model_dump_json() and SECRET not in partners.model_dump_json()
    internal = release_view(brief, "internal", LADDER).brief
    assert internal is not None and SECRET in internal.model_dump_json()
    assert internal.sanction_risk is not None and len(internal.sources) == len(brief.sources)


def test_a_statement_resting_only_on_withheld_sources_is_left_out(tmp_path: Path) -> None:
    data = marked_facts()
    data["key_judgments"][-1].pop("release")  # unmarked, but its only source is internal
    copy_library(tmp_path)
    (tmp_path / "inputs").mkdir(exist_ok=True)
    path = tmp_path / "inputs" / "b.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    view = release_view(load_brief(path).brief, "public", LADDER).brief
    assert view is not None and SECRET not in view.model_dump_json()


def test_an_unknown_marking_withholds_and_an_unmarked_brief_is_untouched(tmp_path: Path) -> None:
    data = marked_facts()
    data["context"][-1]["release"] = "partner"  # a typo: not on the ladder
    copy_library(tmp_path)
    (tmp_path / "inputs").mkdir(exist_ok=True)
    path = tmp_path / "inputs" / "b.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    view = release_view(load_brief(path).brief, "partners", LADDER).brief
    assert view is not None and PARTNER not in view.model_dump_json()
    plain = load_brief(SEED).brief
    same = release_view(plain, "public", LADDER)
    assert same.brief is plain and not same.marked


def test_a_brief_marked_as_a_whole_goes_to_nobody_below(tmp_path: Path) -> None:
    data = marked_facts()
    data["brief"]["release"] = "partners"
    copy_library(tmp_path)
    (tmp_path / "inputs").mkdir(exist_ok=True)
    path = tmp_path / "inputs" / "b.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert release_view(load_brief(path).brief, "public", LADDER).brief is None
