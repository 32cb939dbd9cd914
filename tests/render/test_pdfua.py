"""Tagged PDF by default: every shipped brief and an edition pass the PDF/UA checker with 0 failures."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from briefgen import build, load_config
from briefgen.render.pdf import write_pdf
from tests.conftest import REPO, Built, make_workspace
from tests.render.pdfua import check_pdf, table


@pytest.fixture(scope="module")
def shipped_pdfs(built_examples: Built, built_edition: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every shipped input's PDF (those the session has not built yet are built here) and the edition."""
    built = {p.name for p in built_examples.workspace.glob("inputs/*.yaml")}
    rest = [p for p in sorted((REPO / "inputs").glob("*.yaml")) if p.name not in built]
    pdfs = sorted((built_examples.workspace / "output").glob("*.pdf"))
    if rest:
        workspace = make_workspace(tmp_path_factory.mktemp("rest"), *rest)
        build(config=load_config(workspace), formats=["pdf"])
        pdfs += sorted((workspace / "output").glob("*.pdf"))
    return [*pdfs, *sorted(built_edition.glob("*.pdf"))]


def test_every_shipped_pdf_passes_the_checker(shipped_pdfs: list[Path]) -> None:
    reports = [check_pdf(p) for p in shipped_pdfs]
    print("\n" + table(reports))  # the per-document table (pytest -s shows it)
    assert len(reports) == len(list((REPO / "inputs").glob("*.yaml"))) + 1
    assert {r.path.name: r.failures for r in reports if r.failed} == {}
    for report in reports:
        assert report.counts["elements"] > 100 and report.counts["headings"] > 3 and report.counts["tables"] > 0


def test_charts_carry_their_data_and_headers_their_scope(built_examples: Built) -> None:
    from tests.render.pdfua import _elements, _role, _scope

    with pikepdf.open(built_examples.path("india-russia-summit-2021-12", "pdf")) as pdf:
        tree = pdf.Root.StructTreeRoot
        elements = _elements(tree)
        alts = [str(e.Alt) for e in elements if _role(e, None) == "Figure"]
        scopes = {_scope(e) for e in elements if _role(e, None) == "TH"}
        assert str(pdf.Root.Lang) == "en"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
        assert str(pdf.docinfo.Title).startswith("India–Russia summit")
    timeline = next(a for a in alts if a.startswith("Timeline"))
    # the events in order, not just the chart's name
    assert "oldest first" in timeline and timeline.index("CAATSA section 231") < timeline.index("AK-203")
    assert any("US$5.43 billion" in a for a in alts)  # the values chart's figures
    assert scopes == {"/Column"}


def test_an_untagged_pdf_fails_every_structural_check(tmp_path: Path) -> None:
    """The checker is not a rubber stamp: `pdf_standard = "none"` and missing alt text are caught."""
    html = (
        '<html lang="en"><head><title>T</title></head><body><h1>A</h1><h3>skipped a level</h3>'
        "<table><tr><th>h</th></tr><tr><td>d</td></tr></table>"
        '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/'
        'PchI7wAAAABJRU5ErkJggg=="></body></html>'
    )
    day = dt.date(2021, 12, 8)
    plain, tagged = tmp_path / "plain.pdf", tmp_path / "tagged.pdf"
    plain.write_bytes(write_pdf(html, base_dir=tmp_path, allowed_roots=[tmp_path], date=day, standard="none").data)
    tagged.write_bytes(write_pdf(html, base_dir=tmp_path, allowed_roots=[tmp_path], date=day).data)
    untagged = check_pdf(plain)
    assert untagged.failures["structure"] and untagged.failures["title"] and untagged.failures["content"]
    faults = check_pdf(tagged).failures
    assert faults["headings"] == ["H3 follows H1"]
    assert faults["figures"] == ["Figure 1 has no /Alt"]
    assert faults["tables"] == []  # a <th> without scope="…" is a column header


def test_second_opinion_from_the_pdfua_package(shipped_pdfs: list[Path]) -> None:
    """The `pdfua` package's machine-checkable subset finds nothing either."""
    pytest.importorskip("pdfua")
    found = subprocess.run(
        [sys.executable, "-m", "pdfua", "check", "--quiet", *map(str, shipped_pdfs)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.returncode == 0, found.stdout
