"""HTML to PDF with WeasyPrint, fetching nothing but the project's own assets.

This module imports WeasyPrint at the top: import it only where a PDF is written, so that
``briefgen --help`` and ``briefgen validate`` stay fast.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = ["AllowListFetcher", "PdfResult", "write_pdf"]


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


def write_pdf(html: str, *, base_dir: Path, allowed_roots: Sequence[Path], date: dt.date) -> PdfResult:
    """Lay out ``html`` and return the PDF bytes.

    ``base_dir`` resolves relative URLs (the workspace's asset folder); only files under
    ``allowed_roots`` can be read.
    """
    fetcher = AllowListFetcher(allowed_roots)
    document = weasyprint.HTML(
        string=html, base_url=base_dir.resolve().as_uri() + "/", url_fetcher=fetcher, media_type="print"
    ).render()
    with _source_date_epoch(date):
        data = document.write_pdf()
    assert data is not None
    return PdfResult(data=data, pages=len(document.pages), refused=fetcher.refused)
