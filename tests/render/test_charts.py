"""Charts and the analytic sections, checked in the built HTML and PDF of the seed."""

from __future__ import annotations

import itertools
import re

import pytest
from pypdf import PdfReader

from briefgen.facts.load import load_brief
from briefgen.render.charts import timeline, timeline_entries

from ..conftest import DATA, SEED, Built, parse_html, text_of

SEED_ID = "india-russia-summit-2021-12"


@pytest.fixture(scope="module")
def seed_root(built_examples: Built):  # type: ignore[no-untyped-def]
    return parse_html(built_examples.path(SEED_ID, "html").read_text())


@pytest.fixture(scope="module")
def seed_pdf_text(built_examples: Built) -> str:
    reader = PdfReader(built_examples.path(SEED_ID, "pdf"))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


SVG = "{http://www.w3.org/2000/svg}"


def svg(root, chart_id: str):  # type: ignore[no-untyped-def]
    figure = root.find(f".//figure[@id='{chart_id}']")
    assert figure is not None, chart_id
    return figure, figure.find(f"{SVG}svg")


@pytest.mark.parametrize("chart_id", ["timeline-chart", "risk-matrix", "figures"])
def test_charts_are_titled_and_described(seed_root, chart_id: str) -> None:  # type: ignore[no-untyped-def]
    figure, element = svg(seed_root, chart_id)
    assert element.get("role") == "img"
    title, desc = element.find(f"{SVG}title"), element.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and len(desc.text or "") > 20
    labelled = element.get("aria-labelledby").split()
    assert labelled == [title.get("id"), desc.get("id")]
    assert text_of(figure.find("figcaption")) == title.text


def test_every_dated_fact_is_on_the_timeline(seed_root) -> None:  # type: ignore[no-untyped-def]
    brief = load_brief(SEED).brief
    entries = timeline_entries(brief)
    _, element = svg(seed_root, "timeline-chart")
    texts = [t.text or "" for t in element.iter(f"{SVG}text")]
    expected_dates = {
        brief.brief.date, brief.event.date, brief.sanction_risk.enacted,  # type: ignore[union-attr]
        *(p.date for p in brief.sanction_risk.precedents),  # type: ignore[union-attr]
        *(a.signed for a in brief.agreements if a.signed),
        *(a.term.end for a in brief.agreements if a.term and a.term.end),
        *(c.date for c in brief.context if c.date),
        *(w.by for w in brief.outlook if w.by),
    }  # fmt: skip
    assert {e.date.first_day() if hasattr(e.date, "first_day") else e.date for e in entries} >= {
        d.first_day() if hasattr(d, "first_day") else d for d in expected_dates
    }
    for entry in entries:
        assert entry.date.human() in texts
    labels = " ".join(texts)
    for fact in ("CAATSA section 231 enacted", "Sanctioned: Equipment Development", "Sanctioned: Presidency of Defense",
                 "21st India–Russia Annual Summit", "term ends", "Per other sources, term end"):  # fmt: skip
        assert fact in labels, fact
    assert "2030" in texts and "2031" in texts  # both reported end years


def test_crowded_dates_do_not_overlap(seed_root) -> None:  # type: ignore[no-untyped-def]
    _, element = svg(seed_root, "timeline-chart")
    ys = [float(t.get("y")) for t in element.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert ys == sorted(ys)
    assert all(b - a >= 18 for a, b in itertools.pairwise(ys))


def test_timeline_needs_three_dates() -> None:
    assert timeline(load_brief(DATA / "minimal.yaml").brief) is None


def test_risk_matrix_marks_the_model_cell(seed_root) -> None:  # type: ignore[no-untyped-def]
    _, element = svg(seed_root, "risk-matrix")
    assert (
        "likelihood 'very unlikely'" in element.find(f"{SVG}desc").text
        and "impact 'high'" in element.find(f"{SVG}desc").text
    )
    assert len(element.findall(f"{SVG}circle")) >= 1


def test_charts_reach_the_pdf(seed_pdf_text: str) -> None:
    for text in ("TIMELINE: 2 AUG 2017 TO 2031", "RISK MATRIX", "almost no chance", "impact if it happens",
                 "CAATSA section 231 enacted", "STATED VALUES (USD)"):  # fmt: skip
        assert text in seed_pdf_text, text


def test_key_judgments_use_icd_203_language(seed_root) -> None:  # type: ignore[no-untyped-def]
    section = seed_root.find(".//section[@id='key-judgments']")
    for estimate in section.iter("p"):
        if estimate.get("class") == "estimate":
            likelihood, confidence, horizon = (text_of(s) for s in estimate.iter("span"))
            assert re.fullmatch(r"Assessed [a-z ]+ \(\d+–\d+%\)\.", likelihood)
            assert re.fullmatch(r"We have (high|moderate|low) confidence in this judgment\.", confidence)
            assert re.fullmatch(r"Time frame: by \d+ \w+ 20\d\d\.", horizon)  # every judgment has a horizon
            assert "confidence" not in likelihood


def test_factor_table_and_annex(seed_root, seed_pdf_text: str) -> None:  # type: ignore[no-untyped-def]
    table = seed_root.find(".//section[@id='sanction-risk']//table[@class='factors-table']")
    rows = [" | ".join(text_of(td) for td in tr) for tr in table.iter("tr")]
    assert any(r.startswith("Waiver authority") and "| strained |" in r and r.endswith("| −0.50") for r in rows)
    # The purchase counts once: the outweighed members of its group show their effect in brackets.
    assert any(r.startswith("Delivery status") and r.endswith("| (+1.00)") for r in rows)
    assert rows[-1] == "Total log-odds → very unlikely (5–20%) | −2.25"
    assert "How the model rates it" in seed_pdf_text and "overall rating at moderate" in seed_pdf_text
    sensitivity = seed_root.find(".//section[@id='sanction-risk']//table[@class='sensitivity-table']")
    moves = [" | ".join(text_of(td) for td in tr) for tr in sensitivity.iter("tr") if tr.get("class") == "crosses"]
    assert "Buyer's strategic weight to the sanctioning state | high | moderate | +1.25 | unlikely" in moves
    annex = text_of(seed_root.find(".//section[@id='annex']"))
    assert "roughly even chance" in annex and "45–55%" in annex and "Moderate confidence" in annex


def test_source_disagreement_and_summary_in_pdf(seed_pdf_text: str) -> None:
    assert "Sources differ:" in seed_pdf_text and "gives term end 2030" in seed_pdf_text
    assert re.search(r"\d+ sources: \d+ news", seed_pdf_text)
    assert "Oldest" in seed_pdf_text and "newest" in seed_pdf_text


def test_long_timelines_split_into_page_sized_figures() -> None:
    from briefgen.facts.schema import PartialDate
    from briefgen.render.charts import TIMELINE_ROWS, TimelineEntry, timeline_charts

    entries = [TimelineEntry(PartialDate(2000 + i // 12, i % 12 + 1), f"Fact {i}", "event") for i in range(80)]
    parts = timeline_charts(entries)
    assert [c.id for c in parts] == ["timeline-chart", "timeline-chart-2", "timeline-chart-3"]
    assert parts[0].title.endswith("(part 1 of 3)") and f"{TIMELINE_ROWS} dated facts" in parts[0].description
    assert sum(len(c.entries) for c in parts) == 80
    assert len(timeline_charts(entries[:10])) == 1 and "part" not in timeline_charts(entries[:10])[0].title


def test_a_lone_old_date_breaks_the_axis_instead_of_squeezing_the_rest() -> None:
    import datetime as dt

    from briefgen.facts.schema import PartialDate
    from briefgen.render.charts import TimelineEntry, timeline_chart

    dates = ["1952-03-01", "2021-10-01", "2021-11-14", "2021-12-06", "2021-12-08", "2022-06-01"]
    entries = [TimelineEntry(PartialDate.parse(d), f"fact {d}", "context", ()) for d in dates]
    chart = timeline_chart(entries)
    assert "axis broken: 1952–2021 omitted" in chart.title
    # The recent facts get most of the axis: without the break they would share under 1% of it.
    circles = re.findall(r'<circle cx="\d+" cy="([\d.]+)"', chart.svg)
    ys = {e.date.iso(): float(y) for e, y in zip(entries, circles, strict=True)}
    recent = ys["2022-06-01"] - ys["2021-10-01"]
    assert recent > 2 * (ys["2021-10-01"] - ys["1952-03-01"])
    ticks = re.findall(r'<line x1="\d+" y1="([\d.]+)" x2="\d+" y2="\1" stroke="[^"]+" stroke-width="0.6"/>', chart.svg)
    assert len(ticks) == 1  # only 2022's tick; none for the seventy years cut out
    assert dt.date(2022, 1, 1) > dt.date(2021, 12, 8)


def test_sources_differ_shows_dates_as_the_reader_reads_them(seed_root) -> None:  # type: ignore[no-untyped-def]
    notes = [text_of(s) for s in seed_root.iter("span") if s.get("class") == "variance"]
    assert any("deliveries began Nov 2021" in n for n in notes), notes
    assert not any(re.search(r"\d{4}-\d{2}", n) for n in notes)


def test_the_edition_risk_matrix_keeps_the_analysts_mark() -> None:
    from briefgen.analysis.editions import parse_window
    from briefgen.analysis.risk import assess, load_model
    from briefgen.render.edition import EditionInfo, _edition_context

    brief = load_brief(SEED).brief
    context = _edition_context(
        EditionInfo(parse_window("2021-W49"), "Weekly edition", [], None),
        [(brief, assess(brief, load_model()))],
        title="T", author="A", marking="M", organisation=None, language="en", page_size="A4",
    )  # fmt: skip
    chart = context["parts"][0].charts["risk_matrix"]
    assert chart is not None and "stated assessment" in chart.svg  # the text refers to it, so it is drawn
