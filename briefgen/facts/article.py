"""Reading an article: plain text, Markdown, HTML (trafilatura) or an http(s) URL, to text and metadata.

Everything read here is untrusted: the text is only ever searched and quoted, never rendered
as HTML, and a URL is fetched with a timeout, a size cap and redirects to http(s) only.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefgen.errors import InputError, Problem

__all__ = ["Article", "fetch", "read_article"]

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 10.0


@dataclass
class Article:
    text: str
    title: str | None = None
    author: str | None = None
    publisher: str | None = None
    date: dt.date | None = None
    language: str | None = None
    url: str | None = None


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another http(s) URL (never file:, ftp:, data:…)."""

    max_redirections = 5

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            raise urllib.error.HTTPError(
                newurl, code, f"redirect to a {scheme or 'relative'}: URL refused", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> tuple[bytes, str]:
    """The body and content type of ``url``; :class:`InputError` on any failure, never a traceback."""
    if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        raise InputError([Problem(url, 0, 0, "", "expected an http:// or https:// URL")])
    opener = urllib.request.build_opener(_HttpOnlyRedirects())
    request = urllib.request.Request(url, headers={"User-Agent": "briefgen-draft"})  # noqa: S310  (http(s) only)
    try:
        with opener.open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise InputError([Problem(url, 0, 0, "", f"the page is larger than {max_bytes} bytes")])
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise InputError([Problem(url, 0, 0, "", f"the page is larger than {max_bytes} bytes")])
            return body, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise InputError([Problem(url, 0, 0, "", f"HTTP {exc.code}: {exc.reason}")]) from None
    except urllib.error.URLError as exc:
        raise InputError([Problem(url, 0, 0, "", f"could not fetch: {exc.reason}")]) from None
    except (TimeoutError, OSError) as exc:
        raise InputError([Problem(url, 0, 0, "", f"could not fetch: {exc or 'timed out'}")]) from None


def read_article(where: str) -> Article:
    """Read a saved article (``.txt``, ``.md``, ``.html``) or fetch an http(s) URL."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", where, re.I):
        body, content_type = fetch(where)
        charset = re.search(r"charset=([\w-]+)", content_type)
        text = body.decode(charset.group(1) if charset else "utf-8", errors="replace")
        kind = "html" if "html" in content_type or text.lstrip()[:1] == "<" else "text"
        article = from_html(text) if kind == "html" else from_text(text)
        article.url = article.url or where
        return article
    path = Path(where)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(where, 0, 0, "", f"cannot read the article: {exc.strerror or exc}")]) from None
    text = raw.decode("utf-8", errors="replace")
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return from_html(text)
    if suffix in (".md", ".markdown"):
        return from_markdown(text)
    return from_text(text)


_DATE_LINE = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}|\d{1,2} [A-Z][a-z]+ \d{4}|[A-Z][a-z]+ \d{1,2}, \d{4})\b",
)


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y"):
        try:
            return dt.datetime.strptime(value[:10] if fmt == "%Y-%m-%d" else value, fmt).date()
        except ValueError:
            continue
    return None


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(line for line in lines if line) + "\n"


def from_text(text: str) -> Article:
    """Plain text: the first line is the title; a date in the first lines is the article's."""
    text = _clean(text)
    lines = text.splitlines()
    date = None
    for line in lines[:4]:
        if m := _DATE_LINE.search(line):
            date = _parse_date(m.group(1))
            if date:
                break
    return Article(text=text, title=lines[0] if lines else None, date=date)


def from_markdown(text: str) -> Article:
    """Markdown: YAML-ish front matter (title, author, date, publisher) and the text without markup."""
    meta: dict[str, str] = {}
    if m := re.match(r"^---\n(.*?)\n---\n", text, re.S):
        for line in m.group(1).splitlines():
            if ":" in line:
                key, _, value = line.partition(":")
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[m.end() :]
    title = meta.get("title")
    plain = []
    for line in text.splitlines():
        heading = re.match(r"^#{1,6}\s+(.*)", line)
        if heading and title is None:
            title = heading.group(1).strip()
        line = re.sub(r"^#{1,6}\s+|^\s*[-*+>]\s+", "", line)
        line = re.sub(r"!\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)", lambda g: g.group(1) or g.group(2) or "", line)
        line = re.sub(r"(\*\*|__|\*|_|`)(.+?)\1", r"\2", line)
        plain.append(line)
    article = from_text("\n".join(plain))
    article.title = title or article.title
    article.author = meta.get("author")
    article.publisher = meta.get("publisher") or meta.get("site")
    article.date = _parse_date(meta.get("date")) or article.date
    article.language = meta.get("lang") or meta.get("language")
    return article


def from_html(html: str) -> Article:
    """HTML: trafilatura finds the article's body and its metadata (title, author, site, date)."""
    import trafilatura

    document = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False)
    if document is None:
        raise InputError([Problem("(article)", 0, 0, "", "no article text found in the HTML")])
    data: dict[str, Any] = document if isinstance(document, dict) else document.as_dict()
    article = from_text(str(data.get("text") or ""))
    if not article.text.strip():
        raise InputError([Problem("(article)", 0, 0, "", "no article text found in the HTML")])
    lang = re.search(r"<html[^>]*\blang=[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)", html, re.I)
    article.title = data.get("title") or article.title
    article.author = data.get("author")
    article.publisher = data.get("sitename") or data.get("hostname")
    article.date = _parse_date(data.get("date")) or article.date
    article.language = data.get("language") or (lang.group(1) if lang else None)
    article.url = data.get("url")
    return article
