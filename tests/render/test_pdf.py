"""The PDFs, read back with pypdf: text, pages, outline, metadata, reproducibility, fetching."""

from __future__ import annotations

import datetime as dt
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from pypdf import PdfReader

from briefgen import build, load_config
from briefgen.facts.load import load_brief
from briefgen.render.pdf import AllowListFetcher, FetchRefused, write_pdf

from ..conftest import SEED, Built, make_workspace

SEED_ID = "india-russia-summit-2021-12"
SECOND_ID = "camp-david-trilateral-2023-08"


@pytest.fixture(scope="module")
def seed_pdf(built_examples: Built) -> PdfReader:
    return PdfReader(built_examples.path(SEED_ID, "pdf"))


@pytest.fixture(scope="module")
def seed_text(seed_pdf: PdfReader) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in seed_pdf.pages)


def test_both_examples_build_html_and_pdf(built_examples: Built) -> None:
    for brief_id in (SEED_ID, SECOND_ID):
        pdf = built_examples.path(brief_id, "pdf")
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert built_examples.path(brief_id, "html").read_text().startswith("<!doctype html>")
    results = {r.brief_id: r for r in built_examples.report.results}
    assert results[SEED_ID].output("pdf").pages == len(PdfReader(built_examples.path(SEED_ID, "pdf")).pages)


def test_seed_pdf_pages_and_size(seed_pdf: PdfReader) -> None:
    assert 3 <= len(seed_pdf.pages) <= 15  # grading, scenarios and the sensitivity table added pages
    box = seed_pdf.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4


@pytest.mark.parametrize(
    "fact",
    ["New Delhi", "2+2", "AK-203", "S-400", "CAATSA", "Turkey", "2031", "2025", "30 billion", "Rosoboronexport"],
)
def test_seed_pdf_carries_the_summits_facts(seed_text: str, fact: str) -> None:
    assert fact in seed_text


def test_seed_pdf_mentions_ten_year_term_and_trade_target(seed_text: str) -> None:
    assert "2021 – 2031" in seed_text or "2021–2031" in seed_text
    assert "about US$30 billion per year" in seed_text


def test_running_header_footer_and_toc_page_numbers(seed_pdf: PdfReader) -> None:
    pages = [" ".join((p.extract_text() or "").split()) for p in seed_pdf.pages]
    total = len(pages)
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {total}" in text
        assert "UNCLASSIFIED // FOR EXAMPLE USE" in text
    assert "CONTENTS" in pages[0]
    # The table of contents gives each section's real page, as the PDF's own bookmarks do.
    toc = {m[1]: int(m[2]) for m in re.finditer(r"([A-Z][\w:\- ]+?)[ .]*\. (\d+)\n", seed_pdf.pages[0].extract_text())}
    for item in seed_pdf.outline:
        if not isinstance(item, list):
            assert toc[item.title] == seed_pdf.get_destination_page_number(item) + 1, item.title


def test_outline_lists_every_section(seed_pdf: PdfReader) -> None:
    top = [item.title for item in seed_pdf.outline if not isinstance(item, list)]
    assert top == [
        "Key judgments",
        "The summit",
        "Agreements",
        "Context",
        "Timeline",
        "Sanction-risk assessment",
        "Alternative outcomes",
        "Outlook: what to watch",
        "Sources",
        "Annex: estimative language",
    ]


def test_metadata(seed_pdf: PdfReader) -> None:
    brief = load_brief(SEED).brief
    info = seed_pdf.metadata
    assert info is not None
    assert info.title == brief.brief.title
    assert info.author == brief.brief.author
    assert info.subject is not None and brief.brief.summary is not None
    assert info.subject.split()[:8] == brief.brief.summary.split()[:8]
    assert "CAATSA" in info["/Keywords"]
    assert info.creation_date is not None and info.creation_date.date() == brief.brief.date
    assert info.creator.startswith("briefgen ")
    assert seed_pdf.trailer["/Root"]["/Lang"] == "en"


def test_same_input_gives_same_bytes(built_examples: Built, tmp_path: Path) -> None:
    again = build([SEED], load_config(make_workspace(tmp_path)), formats=["pdf"])
    (result,) = again.results
    assert result.output("pdf").path.read_bytes() == built_examples.path(SEED_ID, "pdf").read_bytes()


def test_letter_page_size(tmp_path: Path) -> None:
    from ..conftest import DATA

    report = build([DATA / "minimal.yaml"], load_config(make_workspace(tmp_path), {"build.page_size": "Letter"}))
    box = PdfReader(report.results[0].output("pdf").path).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


# --------------------------------------------------------------------------- fetching


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback that records every request it receives."""
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    finally:
        server.shutdown()
        server.server_close()


def test_loopback_server_is_reachable(loopback_server: tuple[str, list[str]]) -> None:
    """Guards the test below: the server does record a request when one is made."""
    import urllib.request

    url, hits = loopback_server
    urllib.request.urlopen(f"{url}/probe", timeout=5).close()
    assert hits == ["/probe"]


def test_facts_cannot_make_the_pdf_fetch_anything(loopback_server: tuple[str, list[str]], tmp_path: Path) -> None:
    url, hits = loopback_server
    text = (Path(__file__).parent.parent / "data" / "hostile.yaml").read_text().replace("http://127.0.0.1:9", url)
    source = tmp_path / "hostile.yaml"
    source.write_text(text)
    report = build([source], load_config(make_workspace(tmp_path)))
    pdf = report.results[0].output("pdf").path
    assert hits == []
    assert b"root:" not in pdf.read_bytes()
    assert PdfReader(pdf).attachments == {}


def test_templates_cannot_fetch_outside_the_allow_list(loopback_server: tuple[str, list[str]], tmp_path: Path) -> None:
    """Even a template (trusted more than facts) gets nothing from the network or the disk."""
    url, hits = loopback_server
    html = f"""<html><head><link rel="attachment" href="file:///etc/passwd">
    <link rel="stylesheet" href="{url}/style.css"></head><body>
    <img src="file:///etc/passwd"><img src="{url}/x.png"><p style="background: url({url}/bg.png)">x</p>
    <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/%3E">
    </body></html>"""
    result = write_pdf(html, base_dir=tmp_path, allowed_roots=[tmp_path], date=dt.date(2030, 1, 1))
    assert hits == []
    assert PdfReader(__import__("io").BytesIO(result.data)).attachments == {}
    assert "file:///etc/passwd" in result.refused
    assert f"{url}/x.png" in result.refused and f"{url}/style.css" in result.refused
    assert not any(u.startswith("data:") for u in result.refused)


def test_fetcher_serves_only_allowed_files(tmp_path: Path) -> None:
    allowed = tmp_path / "assets"
    allowed.mkdir()
    (allowed / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("secret")
    fetcher = AllowListFetcher([allowed])
    assert fetcher.fetch((allowed / "logo.svg").as_uri()).read().startswith(b"<svg")
    for refused in (
        (tmp_path / "secret.txt").as_uri(),
        (allowed / ".." / "secret.txt").as_uri(),
        "http://127.0.0.1:1/",
        "https://example.org/",
        "ftp://example.org/x",
    ):
        with pytest.raises(FetchRefused):
            fetcher.fetch(refused)
