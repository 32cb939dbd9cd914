"""axe-core in Debian's Chromium: 0 WCAG 2.1 AA violations on every kind of page briefgen makes.

A brief, an edition, the preview server's index (served on loopback) and the HTML part of a
message. axe-core's script comes with the `axe-playwright-python` package and is injected
into each page; nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from briefgen import load_config
from briefgen.config import Stakeholder
from tests.conftest import Built

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: The WCAG 2.0 and 2.1 A and AA rules; best practices are reported but do not fail.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def axe_script() -> str:
    axe = pytest.importorskip("axe_playwright_python")
    return (Path(axe.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    opened = browser.new_page(viewport={"width": 1280, "height": 900})
    yield opened
    opened.close()


def audit(page: Page, axe_script: str) -> dict[str, Any]:
    page.evaluate(axe_script)  # evaluated by the browser itself: the page's CSP (no scripts) stays as it is
    options = {"runOnly": {"type": "tag", "values": WCAG_AA}}
    return page.evaluate("options => axe.run(document, options)", options)  # type: ignore[no-any-return]


def violations(results: dict[str, Any]) -> dict[str, list[str]]:
    return {v["id"]: [" ".join(n["target"]) for n in v["nodes"]] for v in results["violations"]}


def test_every_brief_has_no_violations(built_examples: Built, page: Page, axe_script: str) -> None:
    for result in built_examples.report.results:
        page.goto(built_examples.path(result.brief_id, "html").as_uri())
        results = audit(page, axe_script)
        assert violations(results) == {}, result.brief_id
        assert len(results["passes"]) > 20  # axe really ran: contrast, landmarks, tables, images…
        assert {"bypass", "html-has-lang", "color-contrast"} <= {p["id"] for p in results["passes"]}


def test_axe_catches_what_the_theme_gets_right(built_examples: Built, page: Page, axe_script: str) -> None:
    """The same page with a pale accent and no language fails: the audit bites."""
    page.goto(built_examples.path("india-russia-summit-2021-12", "html").as_uri())
    page.evaluate(
        """() => {
        document.documentElement.removeAttribute('lang');
        document.documentElement.style.setProperty('--accent', '#c8d4e0');
    }"""
    )
    assert {"html-has-lang", "color-contrast"} <= violations(audit(page, axe_script)).keys()


def test_the_edition_has_no_violations(built_edition: Path, page: Page, axe_script: str) -> None:
    (edition,) = built_edition.glob("*.html")
    page.goto(edition.as_uri())
    assert violations(audit(page, axe_script)) == {}


def test_the_preview_index_has_no_violations(built_examples: Built, page: Page, axe_script: str) -> None:
    from briefgen.workspace.serve import PreviewServer

    with PreviewServer(built_examples.workspace, port=0) as server:
        server.wait_for_build()
        page.goto(server.url)
        assert page.locator("h2").count() >= 1
        assert violations(audit(page, axe_script)) == {}


def test_the_message_html_has_no_violations(built_examples: Built, page: Page, axe_script: str) -> None:
    from briefgen.builds.briefs import validate
    from briefgen.builds.workers import jinja_environment
    from briefgen.deliver.compose import brief_article, render_content

    config = load_config(built_examples.workspace)
    env = jinja_environment(config)
    for loaded in validate(config=config):
        brief = loaded.brief
        article = brief_article(built_examples.path(brief.brief.id, "html").read_text(encoding="utf-8"))
        for preference, body in (("html", article), ("pdf", None)):
            reader = Stakeholder(name="Ada Reader", email="ada@example.org", format=preference)  # type: ignore[arg-type]
            content = render_content(env, brief, reader, attachment=None, article=body, sender="desk@example.org")
            page.set_content(content.html)
            assert violations(audit(page, axe_script)) == {}, (brief.brief.id, preference)
