"""The PDFs as a reader sees them: every page rendered to an image has content, and no text
runs off its page (checked in WeasyPrint's own layout)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import weasyprint
from PIL import Image

from briefgen.render.pdf import AllowListFetcher, overflowing_boxes
from briefgen.render.theme import builtin_templates_dir

from ..conftest import Built

PDFTOPPM = shutil.which("pdftoppm")


def _page_images(pdf: Path, folder: Path) -> list[Path]:
    assert PDFTOPPM is not None
    subprocess.run([PDFTOPPM, "-r", "40", "-gray", "-png", str(pdf), str(folder / "page")], check=True, timeout=60)
    return sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def _ink(image: Image.Image) -> float:
    """Share of pixels that are not (nearly) white."""
    histogram = image.convert("L").histogram()
    return sum(histogram[:200]) / (image.width * image.height)


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm is missing (scripts/bootstrap installs poppler-utils)")
def test_every_page_has_content_beyond_its_header_and_footer(built_examples: Built, tmp_path: Path) -> None:
    for result in built_examples.report.results:
        pdf = built_examples.path(result.brief_id, "pdf")
        folder = tmp_path / result.brief_id
        folder.mkdir()
        images = _page_images(pdf, folder)
        assert len(images) == result.output("pdf").pages  # type: ignore[union-attr]
        for number, path in enumerate(images, 1):
            with Image.open(path) as page:
                body = page.crop((0, page.height // 8, page.width, page.height * 7 // 8))  # no running header/footer
                assert _ink(body) > 0.005, f"{result.brief_id} page {number} is blank"


def test_no_text_overflows_its_page(built_examples: Built) -> None:
    for result in built_examples.report.results:
        html = built_examples.path(result.brief_id, "html").read_text()
        fetcher = AllowListFetcher([builtin_templates_dir()])
        document = weasyprint.HTML(string=html, url_fetcher=fetcher, media_type="print").render()
        assert len(document.pages) == result.output("pdf").pages  # type: ignore[union-attr]
        overflowing = overflowing_boxes(document)
        assert overflowing == [], [(o.page, o.text[:40]) for o in overflowing]


def test_overflowing_boxes_finds_what_runs_off_the_page() -> None:
    html = (
        "<style>@page { size: A6; margin: 20mm; @top-center { content: 'header' } }</style>"
        "<p>fits</p><p style='white-space: nowrap'>" + "unbreakable " * 30 + "</p>"
    )
    document = weasyprint.HTML(string=html, url_fetcher=AllowListFetcher([])).render()
    (overflow,) = overflowing_boxes(document)
    assert overflow.page == 1 and overflow.text.startswith("unbreakable")
    assert overflow.x + overflow.width > overflow.area[2]
