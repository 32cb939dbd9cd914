"""The built HTML briefs in a real browser (headless Chromium): quiet, self-contained, linked,
laid out for a phone and a desktop, and inert whatever the facts contain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

from briefgen import build, load_config

from ..conftest import DATA, Built, make_workspace

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PHONE, DESKTOP = 375, 1280


@dataclass
class Opened:
    """A page and everything it did while loading."""

    page: Page
    console: list[str] = field(default_factory=list)  # "type: text" of errors and warnings
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def hostile_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/data/hostile.yaml built to HTML (no PDF needed here)."""
    workspace = make_workspace(tmp_path_factory.mktemp("hostile"), DATA / "hostile.yaml")
    (result,) = build(config=load_config(workspace), formats=["html"]).results
    html = result.output("html")
    assert html is not None
    return html.path


def _brief_pages(built: Built) -> list[Path]:
    return [built.path(result.brief_id, "html") for result in built.report.results]


class Opener(Protocol):
    def __call__(self, path: Path, width: int = DESKTOP) -> Opened: ...


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Opener]:
    pages: list[Page] = []

    def opener(path: Path, width: int = DESKTOP) -> Opened:
        page = browser.new_page(viewport={"width": width, "height": 900})
        pages.append(page)
        opened = Opened(page)
        page.on(
            "console",
            lambda m: opened.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda error: opened.console.append(f"pageerror: {error}"))
        page.on("request", lambda request: opened.requests.append(request.url))
        page.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(100)  # let anything deferred (it must not exist) have its go
        return opened

    yield opener
    for page in pages:
        page.close()


def test_briefs_load_without_console_errors_or_any_request(built_examples: Built, open_page: Opener) -> None:
    for path in _brief_pages(built_examples):
        opened = open_page(path)
        assert opened.console == [], path.name
        assert opened.requests == [path.as_uri()], path.name  # the document itself, nothing else
        assert opened.page.evaluate("document.scripts.length") == 0


def test_every_internal_link_resolves(built_examples: Built, open_page: Opener) -> None:
    for path in _brief_pages(built_examples):
        page = open_page(path).page
        links = page.evaluate(
            """() => [...document.querySelectorAll('a[href^="#"]')].map(a => ({
                   target: decodeURIComponent(a.getAttribute('href').slice(1)),
                   found: !!document.getElementById(decodeURIComponent(a.getAttribute('href').slice(1))),
                   where: a.closest('nav') ? 'toc' : a.closest('sup.cite') ? 'citation' : 'other'}))"""
        )
        assert [link for link in links if not link["found"]] == [], path.name
        toc = [link["target"] for link in links if link["where"] == "toc"]
        citations = [link["target"] for link in links if link["where"] == "citation"]
        assert "sources" in toc and len(toc) >= 3, path.name
        assert citations and all(t.startswith("src-") for t in citations), path.name
        # Each citation lands on an entry of the sources list.
        in_sources = page.evaluate(
            "ids => ids.every(id => document.getElementById(id).closest('#sources') !== null)", citations
        )
        assert in_sources, path.name


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_layout_holds_without_horizontal_scrolling(built_examples: Built, open_page: Opener, width: int) -> None:
    for path in _brief_pages(built_examples):
        page = open_page(path, width).page
        sizes = page.evaluate(
            "({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: innerWidth})"
        )
        assert sizes["doc"] <= sizes["view"] and sizes["body"] <= sizes["view"], (path.name, sizes)
        # Nothing visible sticks out to the right either (overflow hidden would not show in scrollWidth).
        wide = page.evaluate(
            """w => [...document.querySelectorAll('article *')]
                   .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > w + 1)
                   .map(e => e.tagName + '.' + e.className).slice(0, 5)""",
            width,
        )
        assert wide == [], (path.name, width)


def test_hostile_facts_execute_and_fetch_nothing(hostile_html: Path, open_page: Opener) -> None:
    for width in (PHONE, DESKTOP):
        opened = open_page(hostile_html, width)
        assert opened.dialogs == []
        assert opened.requests == [hostile_html.as_uri()]
        assert opened.console == []  # not even a CSP violation: nothing tried to run or load
        page = opened.page
        assert page.evaluate("document.scripts.length") == 0
        handlers = page.evaluate(
            "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))"
            ".filter(n => n.startsWith('on'))"
        )
        assert handlers == []
        assert page.evaluate("[...document.querySelectorAll('a')].some(a => /^javascript:/i.test(a.href))") is False
        # Nothing in the page points anywhere that could be fetched: only in-page anchors and data:
        # URLs, and plain links (<a>) to the web, which load nothing until followed.
        fetchable = page.evaluate(
            """() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
                   .filter(a => ['src', 'href', 'xlink:href', 'srcset', 'data', 'poster', 'action'].includes(a.name))
                   .filter(a => !/^(#|data:)/i.test(a.value))
                   .filter(a => !(e.tagName === 'A' && a.name === 'href' && /^(https?|mailto):/i.test(a.value)))
                   .map(a => `<${e.tagName.toLowerCase()} ${a.name}="${a.value}">`))"""
        )
        assert fetchable == []
        assert page.evaluate("document.querySelectorAll('article style, iframe, object, embed, link').length") == 0
        # The payloads are there as text, visibly defused.
        assert "<script>alert('title')</script>" in page.locator("h1").inner_text()
