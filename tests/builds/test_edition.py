"""Editions: windows, gathering, the merged rendering, and "what changed" between two editions."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader

from briefgen import load_config
from briefgen.analysis.editions import Change, parse_window, window_for
from briefgen.builds.editions import build_edition

from ..conftest import REPO, make_workspace, parse_html, run_cli, text_of

SEED = REPO / "inputs" / "2021-12-06-india-russia-summit.yaml"
CALL = REPO / "inputs" / "2021-12-07-biden-putin-video-call.yaml"
CAMP_DAVID = REPO / "inputs" / "2023-08-18-camp-david-trilateral.yaml"


def test_iso_week_windows() -> None:
    window = window_for(dt.date(2021, 12, 8))
    assert (window.id, window.start, window.last_day) == ("2021-W49", dt.date(2021, 12, 6), dt.date(2021, 12, 12))
    assert parse_window("2021-W49") == window == parse_window("2021-12-12")
    assert window.previous().id == "2021-W48" and window.following().id == "2021-W50"
    assert window_for(dt.date(2021, 1, 1)).id == "2020-W53"  # ISO years differ from calendar years


def test_custom_windows_tile_without_gaps() -> None:
    sunday = window_for(dt.date(2021, 12, 8), week_start="sunday")
    assert sunday.start == dt.date(2021, 12, 5) and sunday.id == "2021-12-05+7d"
    fortnight = window_for(dt.date(2021, 12, 8), length_days=14)
    assert fortnight.end == fortnight.following().start and dt.date(2021, 12, 8) in fortnight
    with pytest.raises(ValueError, match="ISO week"):
        parse_window("2021-W60")
    with pytest.raises(ValueError, match="expected an ISO week"):
        parse_window("next week")


@pytest.fixture(scope="module")
def week49(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    workspace = make_workspace(tmp_path_factory.mktemp("w49"), SEED, CALL, CAMP_DAVID)
    result = build_edition("2021-W49", load_config(workspace))
    return workspace, result


def test_edition_gathers_the_weeks_events(week49) -> None:  # type: ignore[no-untyped-def]
    _, result = week49
    assert result.id == "2021-W49"
    assert result.brief_ids == ["india-russia-summit-2021-12", "biden-putin-call-2021-12"]  # not Camp David (2023)
    assert result.previous_id is None and result.changes == []
    assert {o.format for o in result.outputs} == {"html", "pdf"}


def test_edition_html_structure(week49) -> None:  # type: ignore[no-untyped-def]
    workspace, _ = week49
    root = parse_html((workspace / "output" / "editions" / "2021-W49.html").read_text())
    ids = [s.get("id") for s in root.iter("section")]
    assert ids == [
        "changes", "key-judgments", "event-india-russia-summit-2021-12", "event-biden-putin-call-2021-12",
        "timeline", "sources", "annex",
    ]  # fmt: skip
    judgments = root.find(".//section[@id='key-judgments']")
    assert len(judgments.findall(".//li[@class='judgment']")) == 4 + 2
    # The article both briefs cite is listed once.
    sources = [text_of(li) for li in root.find(".//section[@id='sources']/ol")]
    assert sum("Asia Business Daily" in s for s in sources) == 1
    assert len({li.get("id") for li in root.find(".//section[@id='sources']/ol")}) == len(sources)
    hrefs = {a.get("href")[1:] for a in root.iter("a") if (a.get("href") or "").startswith("#src-")}
    assert hrefs <= {li.get("id") for li in root.find(".//section[@id='sources']/ol")}
    timeline = text_of(root.find(".//figure[@id='timeline-chart']"))
    assert "Biden–Putin secure video call" in timeline and "21st India–Russia Annual Summit" in timeline


def test_edition_pdf(week49) -> None:  # type: ignore[no-untyped-def]
    workspace, result = week49
    reader = PdfReader(workspace / "output" / "editions" / "2021-W49.pdf")
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert titles[:2] == ["What changed", "Key judgments"]
    assert "Biden–Putin video call, 7 December 2021: warnings over Ukraine, talks to continue" in titles
    assert reader.metadata.title == "Weekly edition: 6–12 December 2021"
    assert reader.metadata.creation_date.date() == dt.date(2021, 12, 12)  # the window's last day
    assert result.output("pdf").pages == len(reader.pages)


# --------------------------------------------------------------------------- what changed

WEEK_ONE = """\
brief: {id: port-talks, title: Port talks open, date: 2030-03-06, author: Desk}
sources:
  - {id: a, publisher: Wire, title: Talks open, published: 2030-03-05}
  - {id: b, publisher: Gazette, title: Talks open (2), published: 2030-03-05}
key_judgments:
  - {id: port-deal, text: The parties will sign a port deal this year., likelihood: likely, confidence: low,
     sources: [a]}
event: {kind: talks, title: Port talks, date: 2030-03-05, place: {city: Valletta}, sources: [a]}
agreements:
  - title: Port access memorandum
    kind: memorandum
    parties: [A, B]
    status: under negotiation
    term: {start: 2030, end: 2035}
    sources: [a]
    variants: [{field: term.end, value: "2036", sources: [b]}]
sanction_risk:
  regime: Act 7
  authority: State Z
  legal_basis: The act.
  target: Port operator
  precedents:
    - {date: 2029-01-10, target: Operator One, measures: [asset freeze], sources: [a]}
  sources: [a]
"""

WEEK_TWO = """\
brief: {id: port-signing, title: Port deal signed, date: 2030-03-13, author: Desk}
sources:
  - {id: a, publisher: Wire, title: Deal signed, published: 2030-03-12}
key_judgments:
  - {id: port-deal, text: The parties will carry out the port deal this year., likelihood: very likely,
     confidence: moderate, sources: [a]}
event: {kind: signing, title: Port deal signing, date: 2030-03-12, place: {city: Valletta}, sources: [a]}
agreements:
  - title: Port access memorandum
    kind: memorandum
    parties: [A, B]
    status: signed
    term: {start: 2030, end: 2035}
    sources: [a]
  - {title: Dredging contract, kind: contract, parties: [A], status: signed, sources: [a]}
sanction_risk:
  regime: Act 7
  authority: State Z
  legal_basis: The act.
  target: Port operator
  precedents:
    - {date: 2029-01-10, target: Operator One, measures: [asset freeze], sources: [a]}
    - {date: 2030-03-01, target: Operator Two, measures: [visa ban], sources: [a]}
  sources: [a]
"""


def test_what_changed_between_two_editions(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "one.yaml").write_text(textwrap.dedent(WEEK_ONE))
    (tmp_path / "inputs" / "two.yaml").write_text(textwrap.dedent(WEEK_TWO))
    config = load_config(tmp_path)
    first = build_edition("2030-W10", config, formats=["html"])
    assert first.brief_ids == ["port-talks"] and first.changes == []
    second = build_edition("2030-W11", config, formats=["html"])
    assert second.brief_ids == ["port-signing"] and second.previous_id == "2030-W10"
    assert second.changes == [
        Change("new-event", "Port deal signing"),
        Change("changed-agreement", "Port access memorandum: status", "under negotiation", "signed"),
        Change("new-agreement", "Dredging contract", None, "signed"),
        Change(
            "estimate-moved",
            "The parties will carry out the port deal this year. (likelihood)",
            "likely",
            "very likely",
        ),
        Change("estimate-moved", "The parties will carry out the port deal this year. (confidence)", "low", "moderate"),
        Change("new-precedent", "Operator Two (2030-03-01)"),
        Change("resolved", "Port access memorandum: term.end", "2036", None),
    ]
    root = parse_html((tmp_path / "output" / "editions" / "2030-W11.html").read_text())
    changes = text_of(root.find(".//section[@id='changes']"))
    assert "Compared with edition 2030-W10" in changes
    assert (
        "Estimate moved The parties will carry out the port deal this year. (likelihood): likely → very likely"
        in changes
    )
    snapshot = json.loads((tmp_path / "output" / "editions" / "2030-W11.json").read_text())
    assert snapshot["edition"] == "2030-W11" and "port-deal" in snapshot["judgments"]

    # Rebuilding an edition compares with the one before it, not with itself.
    again = build_edition("2030-W11", config, formats=["html"])
    assert again.changes == second.changes


def test_empty_window_policy(tmp_path: Path) -> None:
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "one.yaml").write_text(textwrap.dedent(WEEK_ONE))
    skipped = build_edition("2030-W20", load_config(tmp_path))
    assert skipped.skipped and skipped.outputs == []
    assert not (tmp_path / "output" / "editions").exists()
    (tmp_path / "briefgen.toml").write_text('[editions]\nempty = "notice"\n')
    notice = build_edition("2030-W20", load_config(tmp_path), formats=["html"])
    assert not notice.skipped
    root = parse_html(notice.output("html").path.read_text())
    assert "No new developments" in text_of(root)


def test_edition_cli(tmp_path: Path) -> None:
    make_workspace(tmp_path, SEED, CALL)
    result = run_cli("edition", "build", "--date", "2021-12-08", "-f", "html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2021-W49: built, 2 event(s), 0 change(s) (first edition)" in result.stdout
    bad = run_cli("edition", "build", "--week", "2021-W99", cwd=tmp_path)
    assert bad.returncode == 2 and "not an ISO week" in bad.stderr
    zone = run_cli("validate", cwd=_with_config(tmp_path, '[editions]\ntimezone = "Mars/Olympus"\n'))
    assert zone.returncode == 2 and "editions.timezone" in zone.stderr and "unknown time zone" in zone.stderr


def _with_config(root: Path, text: str) -> Path:
    (root / "briefgen.toml").write_text(text)
    return root
