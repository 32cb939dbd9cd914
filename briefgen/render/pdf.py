"""HTML to PDF with WeasyPrint, fetching nothing but the project's own assets.

This module imports WeasyPrint at the top: import it only where a PDF is written, so that
``briefgen --help`` and ``briefgen validate`` stay fast.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import logging
import mimetypes
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from briefgen.render.bind import PdfPart
from briefgen.render.tagging import tag_table_scopes_and_chart_text

__all__ = [
    "STANDARDS",
    "AllowListFetcher",
    "Embedded",
    "Overflow",
    "PdfResult",
    "overflowing_boxes",
    "write_part",
    "write_pdf",
]

#: ``build.pdf_standard`` → WeasyPrint's PDF variant. The PDF/A ones are tagged too, so an
#: archived brief stays as accessible as the default one.
STANDARDS: dict[str, str | None] = {
    "ua-1": "pdf/ua-1",
    "ua-2": "pdf/ua-2",
    "a-3b": "pdf/a-3b",
    "a-3u": "pdf/a-3u",
    "a-3a": "pdf/a-3a",
    "none": None,
}

tag_table_scopes_and_chart_text()


@dataclass(frozen=True)
class Embedded:
    """A file carried inside the PDF (PDF/A-3 associated file), e.g. the brief's facts."""

    name: str
    data: bytes
    description: str
    relationship: str = "Source"


class FetchRefused(ValueError):
    """Raised for a URL outside the allow-list. WeasyPrint logs it and leaves the resource out."""


class AllowListFetcher(URLFetcher):  # type: ignore[misc]
    """Serves ``data:`` URLs and files under the allowed folders; refuses everything else.

    No network, no ``file://`` outside the theme and asset folders, no redirects. The same
    instance must be given to every ``HTML``, ``CSS`` and ``Attachment``: each builds a
    permissive default fetcher of its own when given none.
    """

    def __init__(self, allowed_roots: Sequence[Path]) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, timeout=1)
        self.allowed_roots = [Path(r).resolve() for r in allowed_roots]
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path.is_file() and any(path.is_relative_to(root) for root in self.allowed_roots):
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})
        self.refused.append(url)
        raise FetchRefused(f"briefgen does not fetch {url!r} (only data: URLs and the project's own assets)")


@dataclass
class PdfResult:
    data: bytes
    pages: int
    refused: list[str] = field(default_factory=list)


@contextmanager
def _source_date_epoch(when: dt.date) -> Iterator[None]:
    """fontTools stamps the current time into subset fonts unless SOURCE_DATE_EPOCH is set;
    pinning it to the brief's date makes the same input give the same bytes."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    if previous is None:
        stamp = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC).timestamp()
        os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


class _Quiet(logging.Filter):
    """Our own refusals are reported by briefgen; keep WeasyPrint from repeating them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "briefgen does not fetch" not in record.getMessage()


_quiet = _Quiet()
weasyprint.LOGGER.addFilter(_quiet)


@cache
def _font_config() -> FontConfiguration:
    """One font configuration per process. A new one per document builds a new Pango font map
    each time, which is slower and keeps native memory growing over many builds."""
    return FontConfiguration()


def write_pdf(
    html: str,
    *,
    base_dir: Path,
    allowed_roots: Sequence[Path],
    date: dt.date,
    standard: str = "ua-1",
    embedded: Sequence[Embedded] = (),
) -> PdfResult:
    """Lay out ``html`` and return the PDF bytes.

    ``base_dir`` resolves relative URLs (the workspace's asset folder); only files under
    ``allowed_roots`` can be read. ``standard`` is a key of :data:`STANDARDS` (tagged PDF/UA-1
    by default); ``embedded`` files are attached only to the PDF/A-3 standards.
    """
    fetcher = AllowListFetcher(allowed_roots)
    document = _render(html, base_dir, fetcher)
    data = _finish(document, date, standard, embedded, fetcher)
    result = PdfResult(data=data, pages=len(document.pages), refused=fetcher.refused)
    del document
    _after_document()
    return result


def write_part(
    html: str, *, base_dir: Path, allowed_roots: Sequence[Path], date: dt.date, standard: str = "ua-1"
) -> PdfPart:
    """Lay out one part of a document that :func:`briefgen.render.bind.bind` puts together.

    Links to anchors in other parts are kept (WeasyPrint drops a link whose anchor it cannot
    find): each gets a stand-in anchor here, and ``bind`` points the name at the real place.
    """
    fetcher = AllowListFetcher(allowed_roots)
    document = _render(html, base_dir, fetcher)
    anchors: dict[str, tuple[int, float, float]] = {}
    targets: set[str] = set()
    bookmarks: list[tuple[int, str, int, float, float]] = []
    for index, page in enumerate(document.pages):
        for name, (x, y, *_) in page.anchors.items():
            # CSS pixels from the top left → PDF points from the bottom left
            anchors.setdefault(name, (index, x * 0.75, (page.height - y) * 0.75))
        targets.update(target for kind, target, *_ in page.links if kind == "internal")
        for level, label, (x, y), _state in page.bookmarks:
            bookmarks.append((level, label, index, x * 0.75, (page.height - y) * 0.75))
    if document.pages:
        stand_ins = document.pages[-1].anchors
        for name in targets - anchors.keys():
            stand_ins[name] = (0, 0, 0, 0)
    part = PdfPart(
        _finish(document, date, standard, (), fetcher), len(document.pages), anchors, bookmarks, fetcher.refused
    )
    del document
    _after_document()
    return part


def _render(html: str, base_dir: Path, fetcher: AllowListFetcher) -> weasyprint.Document:
    return weasyprint.HTML(
        string=html, base_url=base_dir.resolve().as_uri() + "/", url_fetcher=fetcher, media_type="print"
    ).render(font_config=_font_config())


def _finish(
    document: weasyprint.Document,
    date: dt.date,
    standard: str,
    embedded: Sequence[Embedded],
    fetcher: AllowListFetcher,
) -> bytes:
    variant = STANDARDS[standard]
    options: dict[str, Any] = {"pdf_variant": variant, "pdf_tags": variant is not None}
    if variant is not None and variant.startswith("pdf/a-3"):
        # Dated to the brief, not the clock: the same input must give the same bytes.
        stamp = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)
        options["attachments"] = [
            weasyprint.Attachment(
                string=item.data,
                name=item.name,
                description=item.description,
                relationship=item.relationship,
                created=stamp,
                modified=stamp,
                url_fetcher=fetcher,
            )
            for item in embedded
        ]
    with _source_date_epoch(date):
        data = document.write_pdf(**options)
    assert isinstance(data, bytes)
    return data


def _after_document() -> None:
    _counter.rendered += 1
    if _counter.rendered > 1:  # a one-document process is about to exit: collecting would only cost time
        _release_memory()


class _counter:  # a namespace, not a type
    rendered = 0


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc: nothing to do


def _release_memory() -> None:
    """Hand the layout's freed memory back to the system. A laid-out document is hundreds of
    thousands of small objects; without this, glibc keeps the fragmented heap and a long-running
    process (serve, schedule run, many builds) creeps upwards."""
    gc.collect()
    if (trim := _malloc_trim()) is not None:
        trim(0)


@dataclass(frozen=True)
class Overflow:
    """A box of text (or an image) reaching outside the area it must stay in.

    Coordinates are CSS pixels from the page's top-left corner; ``area`` is the allowed
    (left, top, right, bottom).
    """

    page: int  # 1-based
    text: str  # the box's text, or "<img>" and the like for an image
    x: float
    y: float
    width: float
    height: float
    area: tuple[float, float, float, float]


def _boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child)


def overflowing_boxes(document: weasyprint.Document, *, tolerance: float = 1.0) -> list[Overflow]:
    """Text and images of a laid-out document that overflow: flow content beyond its page's
    content area, running headers and footers (which live in the margins) beyond the page.

    ``document`` is what ``weasyprint.HTML(...).render()`` returns; nothing is written.
    """
    from weasyprint.formatting_structure import boxes

    found = []
    for number, page in enumerate(document.pages, 1):
        page_box = page._page_box  # WeasyPrint keeps each page's layout tree here
        left, top = page_box.content_box_x(), page_box.content_box_y()
        content = (left, top, left + page_box.width, top + page_box.height)
        whole = (0.0, 0.0, float(page.width), float(page.height))
        for child in page_box.children:
            area = whole if isinstance(child, boxes.MarginBox) else content
            for box in _boxes(child):
                if not isinstance(box, boxes.TextBox | boxes.ReplacedBox):
                    continue
                x, y = box.border_box_x(), box.border_box_y()
                width, height = box.border_width(), box.border_height()
                if (
                    x < area[0] - tolerance
                    or y < area[1] - tolerance
                    or x + width > area[2] + tolerance
                    or y + height > area[3] + tolerance
                ):
                    text = box.text if isinstance(box, boxes.TextBox) else f"<{box.element_tag}>"
                    found.append(Overflow(number, text, x, y, width, height, area))
    return found
