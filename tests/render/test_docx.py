"""--format docx: an editable Word document, opened again with python-docx."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from briefgen import build, load_config
from tests.conftest import REPO, SEED, make_workspace, run_cli

BRIEF = "india-russia-summit-2021-12"


@pytest.fixture(scope="module")
def word(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = make_workspace(tmp_path_factory.mktemp("docx"), SEED)
    result = run_cli("build", "--format", "docx", "-q", cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (workspace / "output").iterdir()) == [f"{BRIEF}.docx"]
    return workspace / "output" / f"{BRIEF}.docx"


def test_headings_are_word_headings(word: Path) -> None:
    document = docx.Document(str(word))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == ("Heading 1", document.core_properties.title)
    level2 = [text for style, text in headings if style == "Heading 2"]
    assert level2[:2] == ["Key judgments", "The summit"] and "Sources" in level2
    assert document.core_properties.language == "en"


def test_tables_keep_their_header_rows(word: Path) -> None:
    document = docx.Document(str(word))
    assert len(document.tables) >= 4
    for table in document.tables:
        first = table.rows[0]
        assert first._tr.trPr is not None and first._tr.trPr.find(qn("w:tblHeader")) is not None
    agreements = next(t for t in document.tables if t.rows[0].cells[0].text == "Agreement")
    assert any("AK-203" in row.cells[0].text for row in agreements.rows[1:])


def test_citations_link_to_the_numbered_sources(word: Path) -> None:
    body = docx.Document(str(word)).element.body
    anchors = {link.get(qn("w:anchor")) for link in body.iter(qn("w:hyperlink")) if link.get(qn("w:anchor"))}
    marks = {mark.get(qn("w:name")) for mark in body.iter(qn("w:bookmarkStart"))}
    cited = {a for a in anchors if a.startswith("src_")}
    assert {"src_1", "src_2"} <= cited and cited <= marks  # every citation lands on its source


def test_charts_are_images_with_their_text_alternative(word: Path) -> None:
    document = docx.Document(str(word))
    alts = [shape._inline.docPr.get("descr") for shape in document.inline_shapes]
    assert len(alts) == 3  # the values, the timeline, the risk matrix
    assert any("places the risk at likelihood" in a for a in alts)
    assert any(a.startswith("Timeline") and "oldest first" in a for a in alts)
    assert any("US$5.43 billion" in a for a in alts)


def test_marking_in_header_and_footer_and_same_bytes_twice(word: Path, tmp_path: Path) -> None:
    document = docx.Document(str(word))
    for section in document.sections:
        assert section.header.paragraphs[0].text == "UNCLASSIFIED // FOR EXAMPLE USE"
        assert section.footer.paragraphs[0].text == "UNCLASSIFIED // FOR EXAMPLE USE"
    again = make_workspace(tmp_path, SEED)
    build(config=load_config(again), formats=["docx"])
    assert (again / "output" / word.name).read_bytes() == word.read_bytes()


def test_an_edition_as_word(tmp_path: Path) -> None:
    from briefgen.builds.editions import build_edition

    workspace = make_workspace(tmp_path, *sorted((REPO / "inputs").glob("2021-12-*.yaml")))
    build_edition("2021-W49", load_config(workspace), formats=["docx"])
    document = docx.Document(str(workspace / "output" / "editions" / "2021-W49.docx"))
    level2 = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert "Key judgments" in level2 and "Sources" in level2
    assert len(document.inline_shapes) >= 1 and all(s._inline.docPr.get("descr") for s in document.inline_shapes)
