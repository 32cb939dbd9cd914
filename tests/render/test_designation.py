"""A sanctions designation renders as a designation: its own table, on the timeline once."""

from __future__ import annotations

from pathlib import Path

from briefgen.facts.load import load_brief
from briefgen.render.brief import render_html
from briefgen.render.charts import timeline_entries
from briefgen.render.environment import make_environment
from briefgen.render.theme import template_dirs

from ..conftest import REPO, SEED, make_workspace, parse_html, text_of

TURKEY = REPO / "inputs" / "2020-12-14-us-sanctions-turkey-ssb.yaml"


def test_designation_shows_targets_and_measures_not_participants() -> None:
    root = parse_html(render_html(load_brief(TURKEY).brief, make_environment(template_dirs(None))))
    section = root.find(".//section[@id='event']")
    assert section is not None
    table = section.find(".//table[@class='designation']")
    assert table is not None
    rows = [text_of(tr) for tr in table.findall(".//tbody/tr")]
    assert len(rows) == 5 and rows[0].startswith("Presidency of Defense Industries (SSB) (Turkey)")
    assert "Cap on loans from US financial institutions" in rows[0] and "Asset freeze" in rows[1]
    text = text_of(section)
    assert "Legal basisCAATSA section 231" in text and "Imposed byUS Department of State" in text
    assert section.find(".//ul[@class='people']") is None and "Who" not in [text_of(h) for h in section.iter("h3")]


def test_an_event_that_is_also_a_precedent_is_on_the_timeline_once(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, TURKEY)
    path = workspace / "inputs" / TURKEY.name
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "precedents: [us-2018-09-20-edd]", "precedents: [us-2018-09-20-edd, us-2020-12-14-ssb]"
        ),
        encoding="utf-8",
    )
    brief = load_brief(path).brief
    assert brief.sanction_risk is not None and len(brief.sanction_risk.precedents) == 2
    dated = [e for e in timeline_entries(brief) if str(e.date) == "2020-12-14"]
    assert [e.kind for e in dated] == ["event"]


def test_sources_differ_prints_a_date_as_a_date(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, SEED)
    path = workspace / "inputs" / SEED.name
    text = path.read_text(encoding="utf-8").replace('value: "2030"', 'value: "2030-06"')
    path.write_text(text, encoding="utf-8")
    root = parse_html(render_html(load_brief(path).brief, make_environment(template_dirs(None))))
    agreements = text_of(root.find(".//section[@id='agreements']"))
    assert "gives term end Jun 2030" in agreements and "2030-06" not in agreements
