"""Reading articles: files of each kind, and URLs fetched from a real HTTP server on loopback."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from briefgen.errors import InputError
from briefgen.facts.article import fetch, read_article

PAGE = """<!doctype html><html lang="en"><head><title>Kestrel Maritime designated | Harbour Gazette</title>
<meta property="og:title" content="Kestrel Maritime designated over fuel transfers">
<meta name="author" content="Mara Velez"><meta property="og:site_name" content="Harbour Gazette">
<meta property="article:published_time" content="2026-03-12T09:00:00Z"></head>
<body><nav>Home | World | Business</nav><article><h1>Kestrel Maritime designated over fuel transfers</h1>
<p>The Treasury Department said on Thursday that it had designated Kestrel Maritime, a shipping firm registered
in Port Lyra, and three of its tankers for moving fuel to the navy of the Republic of Varna.</p>
<p>Officials said the vessels carried about 1.2 million barrels of diesel between June 2025 and January 2026,
worth roughly $96 million at market prices. The firm called the sanctions unlawful.</p>
<script>alert("never run")</script></article><footer>Subscribe to our newsletter</footer></body></html>"""


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        routes = {
            "/article": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE.encode()),
            "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
            "/to-ftp": (301, {"Location": "ftp://127.0.0.1/article"}, b""),
            "/to-article": (302, {"Location": "/article"}, b""),
            "/big": (200, {"Content-Type": "text/html"}, b"<p>" + b"x" * 200_000 + b"</p>"),
            "/missing": (404, {}, b"no"),
        }
        if self.path == "/slow":
            time.sleep(2)
        status, headers, body = routes.get(self.path, (200, {"Content-Type": "text/plain"}, b"late"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_page_gives_its_text_and_metadata_without_navigation_or_scripts(server: str) -> None:
    article = read_article(f"{server}/article")
    assert article.title == "Kestrel Maritime designated over fuel transfers"
    assert (article.author, article.publisher, article.date) == ("Mara Velez", "Harbour Gazette", dt.date(2026, 3, 12))
    assert article.language == "en" and article.url == f"{server}/article"
    assert "$96 million" in article.text
    assert "Subscribe" not in article.text and "alert" not in article.text and "Home | World" not in article.text


def test_a_redirect_within_http_is_followed(server: str) -> None:
    assert "$96 million" in read_article(f"{server}/to-article").text


@pytest.mark.parametrize(
    ("path", "kwargs", "message"),
    [
        ("/to-file", {}, "HTTP 302"),
        ("/to-ftp", {}, "redirect to a ftp: URL refused"),
        ("/big", {"max_bytes": 100_000}, "larger than 100000 bytes"),
        ("/slow", {"timeout": 0.5}, "could not fetch"),
        ("/missing", {}, "HTTP 404"),
    ],
)
def test_a_fetch_that_goes_wrong_is_one_clear_error(
    server: str, path: str, kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(InputError) as caught:
        fetch(f"{server}{path}", **kwargs)  # type: ignore[arg-type]
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_only_http_urls_are_fetched() -> None:
    with pytest.raises(InputError, match="expected an http"):
        read_article("file:///etc/passwd")


def test_markdown_front_matter_and_markup(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text(
        "---\ntitle: Norland call readout\nauthor: Press Office\ndate: 2026-01-20\n"
        "publisher: Norland Chancellery\n---\n"
        "# Norland call readout\n\nThe leaders spoke **today** about the [ceasefire talks](https://example.org).\n",
        encoding="utf-8",
    )
    article = read_article(str(path))
    assert (article.title, article.author, article.publisher) == (
        "Norland call readout",
        "Press Office",
        "Norland Chancellery",
    )
    assert article.date == dt.date(2026, 1, 20)
    assert "The leaders spoke today about the ceasefire talks." in article.text and "https" not in article.text


def test_plain_text_title_and_date_line(tmp_path: Path) -> None:
    article = read_article(str(Path(__file__).parent.parent / "data" / "articles" / "trade.txt"))
    assert article.title and article.title.startswith("Norland and Varna sign trade deal")
    assert article.date == dt.date(2025, 9, 2)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the article"):
        read_article(str(tmp_path / "nope.txt"))


def test_a_saved_html_file_is_read_like_a_page(tmp_path: Path) -> None:
    (tmp_path / "saved.html").write_text(PAGE, encoding="utf-8")
    article = read_article(str(tmp_path / "saved.html"))
    assert article.publisher == "Harbour Gazette" and "$96 million" in article.text and "alert" not in article.text
