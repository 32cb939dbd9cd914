"""A big edition's PDF, laid out in parts and bound: it must read as one document.

The parts are forced small here (one event each) so that two events already make a bound PDF;
the same edition laid out whole is the reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from briefgen import load_config
from briefgen.builds.editions import EditionResult, build_edition
from briefgen.render.edition import render_edition_html, render_edition_parts

from ..conftest import REPO, make_workspace

SEED = REPO / "inputs" / "2021-12-06-india-russia-summit.yaml"
CALL = REPO / "inputs" / "2021-12-07-biden-putin-video-call.yaml"
TITLE = "Weekly edition: 6–12 December 2021"


def _edition(root: Path, events_per_part: int, jobs: int) -> tuple[PdfReader, EditionResult]:
    workspace = make_workspace(root, SEED, CALL)
    config = f'[build]\nformats = ["pdf"]\n[editions]\nevents_per_part = {events_per_part}\n'
    (workspace / "briefgen.toml").write_text(config)
    result = build_edition("2021-W49", load_config(workspace), jobs=jobs)
    return PdfReader(workspace / "output" / "editions" / "2021-W49.pdf"), result


@pytest.fixture(scope="module")
def bound(tmp_path_factory: pytest.TempPathFactory) -> tuple[PdfReader, EditionResult]:
    return _edition(tmp_path_factory.mktemp("bound"), events_per_part=1, jobs=2)  # worker processes too


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> PdfReader:
    return _edition(tmp_path_factory.mktemp("whole"), events_per_part=0, jobs=1)[0]


def _outline(reader: PdfReader) -> Iterator[tuple[int, str, int]]:
    """(depth, title, 1-based page) of every outline item, in order."""

    def walk(items: list[Any], depth: int) -> Iterator[tuple[int, str, int]]:
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item) + 1

    yield from walk(reader.outline, 0)


def test_every_page_is_numbered_over_the_whole(bound: tuple[PdfReader, EditionResult]) -> None:
    reader, result = bound
    total = len(reader.pages)
    assert result.output("pdf").pages == total  # type: ignore[union-attr]
    for number, page in enumerate(reader.pages, 1):
        text = page.extract_text()
        assert re.findall(r"Page \d+ of \d+", text) == [f"Page {number} of {total}"]


def test_running_header_on_every_page_but_the_cover(bound: tuple[PdfReader, EditionResult]) -> None:
    reader, _ = bound
    pages = [page.extract_text() for page in reader.pages]
    # The cover shows the title as its heading, not in the header; every later page, in
    # whichever part it was laid out, carries the edition's title and marking above the text.
    assert all(text.count(TITLE) >= 1 and "UNCLASSIFIED" in text for text in pages[1:])


def test_outline_is_the_whole_documents(bound: tuple[PdfReader, EditionResult], whole: PdfReader) -> None:
    reader, _ = bound
    items = list(_outline(reader))
    assert [(d, t) for d, t, _ in items] == [(d, t) for d, t, _ in _outline(whole)]
    assert [t for d, t, _ in items if d == 0][:2] == ["What changed", "Key judgments"]
    pages = [page.extract_text() for page in reader.pages]
    for depth, title, page in items:
        if depth == 0:
            assert title[:40] in pages[page - 1], f"{title!r} is not on page {page}"


def test_contents_give_the_page_of_each_section(bound: tuple[PdfReader, EditionResult]) -> None:
    reader, _ = bound
    sections = {t: p for d, t, p in _outline(reader) if d == 0}
    contents = reader.pages[0].extract_text()
    listed = {}
    for line in contents.splitlines():
        if match := re.match(r"(.+?)[ .]*\.\s*(\d+)$", line.strip()):
            listed[match.group(1).strip()] = int(match.group(2))
    assert listed, contents
    for title, page in listed.items():
        (section,) = [p for t, p in sections.items() if t.startswith(title)]
        assert page == section, f"contents say {title!r} is on page {page}, it is on {section}"
    assert set(listed) >= {"What changed", "Key judgments", "Sources"}


def test_links_land_in_other_parts(bound: tuple[PdfReader, EditionResult]) -> None:
    reader, _ = bound
    names = reader.named_destinations
    targets = []
    for page in reader.pages:
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            if "/Dest" in annotation:
                targets.append(str(annotation["/Dest"]))
    assert targets and set(targets) <= set(names), set(targets) - set(names)
    texts = [page.extract_text() for page in reader.pages]
    # A citation in an event's part leads to the sources list, laid out in another part.
    source_page = reader.get_destination_page_number(names["src-1"])
    assert "Sources" in texts[source_page] and re.search(r"\b1\.", texts[source_page])
    # The contents, laid out in the front part, lead to each event's own section.
    event = reader.get_destination_page_number(names["event-biden-putin-call-2021-12"])
    assert "Biden–Putin" in texts[event]


def test_metadata_match_the_whole(bound: tuple[PdfReader, EditionResult], whole: PdfReader) -> None:
    reader, _ = bound
    for key in ("/Title", "/Author", "/Subject", "/Keywords", "/CreationDate"):
        assert reader.metadata[key] == whole.metadata[key]  # type: ignore[index]
    assert reader.metadata.title == TITLE  # type: ignore[union-attr]


def test_parts_split_long_sections_without_repeating_ids(tmp_path: Path) -> None:
    from briefgen.analysis.editions import parse_window
    from briefgen.builds.workers import jinja_environment
    from briefgen.facts.load import load_brief
    from briefgen.render.edition import EditionInfo

    config = load_config(make_workspace(tmp_path, SEED, CALL))
    briefs = [(load_brief(p).brief, None) for p in (SEED, CALL)]
    info = EditionInfo(parse_window("2021-W49"), "Weekly edition", [], None)
    options: dict[str, Any] = {"title": TITLE, "author": "Desk", "marking": "UNCLASSIFIED"}
    env = jinja_environment(config)
    parts = render_edition_parts(info, briefs, env, events_per_part=1, **options)  # type: ignore[arg-type]
    ids = re.compile(r'\sid="([^"]+)"')
    found = [i for html in [parts.front({}), *parts.bodies] for i in ids.findall(html)]
    assert len(found) == len(set(found))
    assert set(found) == set(ids.findall(render_edition_html(info, briefs, env, **options)))  # type: ignore[arg-type]
    assert len(parts.bodies) >= 3  # each event on its own, and the long lists around them
    # Only the first piece of a split section has the heading.
    assert sum('<h2 id="sources-title"' in body for body in parts.bodies) == 1
