"""Each kind of event renders as itself: in a brief, in an edition (HTML and PDF/UA) and in Word."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from briefgen import build, load_config
from briefgen.builds.editions import build_edition
from tests.conftest import parse_html, text_of
from tests.render.pdfua import check_pdf

LIBRARY = """\
sources:
  - {id: wire, publisher: Harbour Wire, title: The week on the river, published: 2030-03-08, reliability: B}
actors:
  - {id: norland, name: Norland, kind: state}
  - {id: estmark, name: Estmark, kind: state}
  - {id: halvorsen, name: Ingrid Halvorsen, kind: person, country: Norland}
actions:
  - {id: nor-2030-03-06-boats, kind: delivery, title: Last patrol boats reach Estmark, date: 2030-03-06, by: norland,
     recipient: estmark, item: Fjord-class patrol boat, quantity: 4 of 6, stage: complete, sources: [wire]}
"""

HEAD = """\
brief: {{id: {slug}, title: "The {kind} of the week", date: 2030-03-08, author: River desk}}
sources: [wire]
agreements:
  - {{id: boats, title: Patrol boat contract, kind: contract, parties: [Norland, Estmark], status: delivering,
     sources: [wire]}}
event:
  kind: {kind}
  title: "{title}"
  date: 2030-03-{day:02d}
  place: {{city: Lindmoor, country: Norland}}
  sources: [wire]
"""

EVENTS = {
    "summit": (
        "Leaders meet on the river",
        "participants: [{actor: halvorsen, role: Host}]\nformats: [{name: Leaders' lunch, sources: [wire]}]",
    ),
    "call": (
        "Ministers speak by video",
        "medium: video\ninitiated_by: estmark\nduration: about forty minutes\n"
        "readouts: [{by: norland, text: Both sides wanted the boats on time., sources: [wire]}]",
    ),
    "signing": (
        "Boat contract signed",
        "agreements: [boats]\nsignatories: [{actor: halvorsen, role: Minister}]\n"
        "witnesses: [{name: Aino Vaara, role: Mayor of Lindmoor}]",
    ),
    "delivery": (
        "First boats arrive",
        "supplier: norland\nrecipient: estmark\nitem: Fjord-class patrol boat\n"
        "quantity: 2 of 6\nstage: first\ncontract: boats",
    ),
    "statement": (
        "Minister on the boats",
        "speaker: {actor: halvorsen, role: Minister of Defence}\n"
        "statement_type: speech\naudience: Norland's parliament\nkey_phrase: a river we guard together",
    ),
    "exercise": (
        "River Shield 2030",
        "participants: [{actor: norland, role: host}, {actor: estmark, role: guest}]\n"
        "domain: sea\nscale: 12 ships and 900 sailors\narea: the lower estuary",
    ),
    "election": (
        "Estmark elects a president",
        "office: President\njurisdiction: Estmark\nturnout: 64.2\n"
        "candidates: [{name: Mara Lind, party: Harbour Party, vote_share: 53.4, votes: 1204310,"
        " elected: true}, {name: Olav Berg, party: Greens, vote_share: 46.6, votes: 1050022}]\n"
        "outcome: Lind won on a promise to finish the boat programme.",
    ),
    "sanctions designation": (
        "Norland lists a mill",
        "imposed_by: Norland\nlegal_basis: River Act section 4\n"
        "targets: [{name: Estmark paper mill, listed_for: Dumping waste}]\n"
        "measures: [Import ban]",
    ),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kinds")
    (root / "library").mkdir()
    (root / "library" / "facts.yaml").write_text(LIBRARY, encoding="utf-8")
    (root / "inputs").mkdir()
    for day, (kind, (title, fields)) in enumerate(EVENTS.items()):
        slug = kind.replace(" ", "-")
        text = HEAD.format(kind=kind, slug=slug, title=title, day=4 + min(day, 6))
        text += "".join(f"  {line}\n" for line in fields.splitlines())
        (root / "inputs" / f"{slug}.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def edition(workspace: Path) -> Path:
    build_edition("2030-W10", load_config(workspace), formats=["html", "pdf"])
    return workspace / "output" / "editions"


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _section(page: object, title: str) -> str:
    """The text of the edition's section on the event ``title``, without white space (cells and
    terms run together; compared with expectations likewise squeezed)."""
    section = next(s for s in page.iter("section") if title in text_of(s))  # type: ignore[attr-defined]
    return _squeezed(text_of(section))


def test_each_kind_shows_its_own_facts_in_the_edition(edition: Path) -> None:
    (html,) = edition.glob("*.html")
    page = parse_html(html.read_text(encoding="utf-8"))
    expected = {
        "Ministers speak by video": [
            "Kind Call (video)",
            "Requested by Estmark",
            "Readouts",
            "Norland [1] Both sides wanted the boats on time.",
        ],
        "Boat contract signed": [
            "Signed Patrol boat contract",
            "Signatories Ingrid Halvorsen, Minister (Norland)",
            "Witnesses Aino Vaara",
        ],
        "First boats arrive": [
            "Item Fjord-class patrol boat",
            "Quantity 2 of 6",
            "Supplier Norland",
            "Recipient Estmark",
            "Stage First delivery",
            "Contract Patrol boat contract",
        ],
        "Minister on the boats": [
            "Speaker Ingrid Halvorsen, Minister of Defence (Norland)",
            "Form Speech",
            "“a river we guard together”",
        ],
        "River Shield 2030": ["Domain Sea", "Area the lower estuary", "Forces taking part Norland, host"],
        "Estmark elects a president": [
            "Turnout 64.2%",
            "Mara Lind (elected) Harbour Party 53.4% 1,204,310",
            "Outcome Lind won",
        ],
        "Norland lists a mill": ["Imposed by Norland", "Targets and measures", "Estmark paper mill"],
        "Leaders meet on the river": ["Formats Leaders' lunch", "Who Ingrid Halvorsen, Host"],
    }
    for title, shown in expected.items():
        text = _section(page, title)
        for words in shown:
            assert _squeezed(words) in text, (title, words)
    assert "Who" not in _section(page, "Norland lists a mill")
    # a library delivery in the week, with no brief of its own: its facts in one line
    actions = next(t for t in page.iter("table") if "actions" in (t.get("class") or ""))
    assert "Fjord-class patrol boat, 4 of 6; Norland → Estmark; complete delivery" in text_of(actions)


def test_the_edition_of_every_kind_passes_the_pdfua_checker(edition: Path) -> None:
    (pdf,) = edition.glob("*.pdf")
    report = check_pdf(pdf)
    assert report.failed == 0, report.failures
    assert report.counts.get("tables", 0) >= 4  # the readouts, results and designation tables among them


def test_word_keeps_a_kind_table_with_its_header_row(workspace: Path) -> None:
    config = load_config(workspace)
    build([workspace / "inputs" / "election.yaml"], config=config, formats=["docx"])
    document = docx.Document(str(workspace / "output" / "election.docx"))
    results = next(t for t in document.tables if t.rows[0].cells[0].text == "Candidate")
    assert [c.text for c in results.rows[0].cells] == ["Candidate", "Party", "Vote share", "Votes", "Seats"]
    assert "Mara Lind" in results.rows[1].cells[0].text and results.rows[1].cells[2].text == "53.4%"
