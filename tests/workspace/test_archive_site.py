"""The archive of what went out: content-addressed copies that later edits do not touch, a
static site per audience with an Atom feed, and its search in a real browser."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from briefgen import load_config
from briefgen.deliver.archive import ARCHIVE_DIR
from briefgen.deliver.send import send
from briefgen.workspace.archive_site import build_site

from ..conftest import SECOND, SEED, make_workspace, run_cli

PEOPLE = """stakeholders:
  - {name: Asha Rao, email: asha@example.org, groups: [leadership], format: html}
  - {name: Ben Okafor, email: ben@example.org, groups: [desk], format: html}
"""


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("archive"), SEED, SECOND)
    (root / "briefgen.toml").write_text('[build]\nformats = ["html"]\n', encoding="utf-8")
    (root / "stakeholders.yaml").write_text(PEOPLE, encoding="utf-8")
    report = send(None, load_config(root), environ={})
    assert [d.outcome for d in report.deliveries] == ["sent"] * 4
    build_site(load_config(root))
    return root


def test_every_delivery_is_kept_content_addressed_and_read_only(archived: Path) -> None:
    objects = [p for p in (archived / ARCHIVE_DIR).rglob("*") if p.is_file()]
    assert len(objects) == 4 + 2  # four messages (one per recipient and brief), two pages (shared)
    for path in objects:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
        assert not path.stat().st_mode & 0o222
    outbox = (archived / "output" / "outbox").rglob("*.eml")
    sent = {hashlib.sha256(p.read_bytes()).hexdigest() for p in outbox}
    assert sent <= {p.name for p in objects}  # the bytes each recipient got, exactly


def test_the_site_does_not_change_when_the_inputs_do(archived: Path, tmp_path: Path) -> None:
    site = archived / "output" / "archive"
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    path = archived / "inputs" / SEED.name
    path.write_text(path.read_text(encoding="utf-8").replace("summit", "meeting"), encoding="utf-8")
    result = run_cli("archive", cwd=archived)
    assert result.returncode == 0, result.stderr
    assert "archived 2 document(s) for all in output/archive/" in result.stdout
    after = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before


def test_the_atom_feed_lists_each_document(archived: Path) -> None:
    feed = ET.parse(archived / "output" / "archive" / "all" / "feed.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == 2
    assert all(e.findtext(f"{atom}id", "").startswith("urn:sha256:") for e in entries)


def test_search_finds_documents_in_the_browser(archived: Path, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((archived / "output" / "archive" / "all" / "index.html").as_uri())
    assert page.locator("#all li").count() == 2
    page.fill("#q", "camp david")
    hits = page.locator("#results li.hit")
    assert hits.count() == 1 and "Camp David" in hits.first.inner_text()
    page.fill("#q", "zzyzx-nowhere")
    assert page.locator("#results").inner_text() == "No document mentions that."
    page.fill("#q", "")
    assert page.locator("#all").is_visible()
    page.close()
    assert errors == []
