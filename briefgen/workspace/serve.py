"""``briefgen serve``: the briefs on loopback, rebuilt and reloaded as you edit.

A :class:`PreviewServer` is an HTTP server (the standard library's ``ThreadingHTTPServer``)
in front of a :class:`~briefgen.workspace.preview.Preview`. It serves:

- ``/``: an index of every brief (and of any other output file, e.g. later editions),
  with each brief's problems when its input does not validate;
- the files in the output folder, as built: ``/<id>.html`` and ``/<id>.pdf``;
- ``/_briefgen/view/<id>.pdf``: the PDF in an embedded viewer that follows rebuilds;
- ``/_briefgen/status.json``: the state, for tools; ``/_briefgen/events``: live reload.

Live reload: every HTML page served (never the files on disk) gets one small inline
script. It opens a server-sent-events stream naming the page and a hash of what it was
sent; after every rebuild the server works out what that page would be now and tells the
browser to reload only when it differs. A brief whose input is broken is served as a page
listing the problems (file, line, message) until the file is fixed.

The built pages carry a Content-Security-Policy that forbids scripts and requests. In the
served copy only, that policy is extended by exactly two directives: ``script-src`` with a
fresh random nonce (so only the injected script runs, never anything a fact might smuggle
in) and ``connect-src 'self'`` (for the event stream).

Only loopback is served, and requests must name a loopback host (``127.0.0.1``,
``localhost`` or ``[::1]``), so a web page elsewhere cannot read the briefs through DNS
rebinding.
"""

from __future__ import annotations

import errno
import hashlib
import html
import ipaddress
import json
import mimetypes
import re
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, quote, unquote, urlsplit

from briefgen.errors import BriefgenError, Problem, UsageError
from briefgen.workspace.preview import BriefStatus, Preview, State

__all__ = ["PreviewServer", "serve"]

Log = Callable[[str], None]

LOOPBACK = "127.0.0.1"
_PREFIX = "/_briefgen/"
_HEARTBEAT = 15.0  # seconds between keep-alive comments on an idle event stream
_LOOPBACK_NAMES = {"127.0.0.1", "localhost", "[::1]"}


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Page:
    """A response body; ``live`` HTML pages get the reload script when sent."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: HTTPStatus = HTTPStatus.OK
    live: bool = True
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:16]


_STYLE = """
:root { color-scheme: light; --ink: #1b1f24; --muted: #5b6470; --rule: #d3d9e1; --accent: #1d4e89; --bad: #8f1d1d; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); font: 16px/1.5 system-ui, "Inter", "DejaVu Sans", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
h2 { font-size: 1.05rem; margin: 2rem 0 .6rem; border-bottom: 2px solid var(--accent); padding-bottom: .25rem; }
a { color: var(--accent); }
.muted { color: var(--muted); font-size: .9rem; }
ul.items { list-style: none; padding: 0; margin: 0; }
ul.items > li { padding: .7rem 0; border-bottom: 1px solid var(--rule); }
.title { font-weight: 600; }
.links a { margin-right: .8rem; white-space: nowrap; }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; padding: 0 .4rem; border-radius: .3rem; }
.badge.ok { background: #e5f2e7; color: #2f6b3a; }
.badge.bad { background: #f7e3e3; color: var(--bad); }
.problems { border-left: 4px solid var(--bad); background: #fbf1f1; padding: .6rem .9rem; margin: .6rem 0; }
.problems p { margin: 0 0 .3rem; font-weight: 600; color: var(--bad); }
.problems ol { margin: 0; padding-left: 1.2rem; }
.problems li, .notes li { overflow-wrap: anywhere; }
code { font: .85rem/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
.notes { font-size: .85rem; color: var(--muted); margin: .4rem 0 0; padding-left: 1.2rem; }
iframe { border: 0; width: 100%; height: calc(100vh - 3.2rem); display: block; }
.bar { padding: .6rem 1rem; border-bottom: 1px solid var(--rule); font-size: .9rem; }
"""

# The page's own policy: the reload script's nonce and 'self' for its stream are added when sent.
_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'"


def _document(title: str, body: str, *, status: HTTPStatus = HTTPStatus.OK) -> Page:
    text = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_PAGE_CSP}">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
    return Page(text.encode("utf-8"), status=status)


def _problem_list(problems: tuple[Problem, ...] | list[Problem], heading: str) -> str:
    items = []
    for p in problems:
        where = f"{p.file}:{p.line}:{p.column}" if p.line and p.column else f"{p.file}:{p.line}" if p.line else p.file
        what = f"<code>{html.escape(p.field)}</code>: " if p.field else ""
        items.append(f"<li><code>{html.escape(where)}</code> {what}{html.escape(p.message)}</li>")
    return f'<div class="problems" role="alert"><p>{html.escape(heading)}</p><ol>{"".join(items)}</ol></div>'


def _workspace_problems(state: State) -> str:
    parts = []
    if state.problems:
        parts.append(_problem_list(state.problems, "The workspace has a problem"))
    if state.template_problem is not None:
        parts.append(_problem_list([state.template_problem], "A template failed; no brief is built until it is fixed"))
    return "".join(parts)


def _url(path: Path, output_dir: Path) -> str | None:
    try:
        return "/" + quote(path.relative_to(output_dir).as_posix())
    except ValueError:
        return None


def _status_line(state: State) -> str:
    # Not "building…": the page would reload when a build starts; the reload script shows that.
    if state.finished_at is None:
        return "Building for the first time…"
    when = time.strftime("%H:%M:%S", time.localtime(state.finished_at))
    return f"Last build {when} ({state.seconds:.1f} s). Saving an input, a template or briefgen.toml rebuilds."


def _brief_item(brief: BriefStatus, output_dir: Path) -> str:
    title = html.escape(brief.title or brief.source.name)
    links = []
    html_file = output_dir / f"{brief.brief_id}.html" if brief.brief_id else None
    pdf_file = output_dir / f"{brief.brief_id}.pdf" if brief.brief_id else None
    if html_file is not None and (html_file.is_file() or not brief.ok):
        title = f'<a href="{_url(html_file, output_dir)}">{title}</a>'
        links.append(f'<a href="{_url(html_file, output_dir)}">HTML</a>')
    if pdf_file is not None and pdf_file.is_file():
        pdf_url = _url(pdf_file, output_dir)
        links.append(f'<a href="{pdf_url}">PDF</a>')
        links.append(f'<a href="{_PREFIX}view{pdf_url}">PDF, live view</a>')
    badge = (
        '<span class="badge ok">built</span>'
        if brief.ok and brief.current
        else '<span class="badge bad">problems</span>'
        if not brief.ok
        else '<span class="badge">waiting</span>'
    )
    details = [brief.date or "", f"<code>{html.escape(str(brief.source.name))}</code>"]
    parts = [
        f'<div><span class="title">{title}</span> {badge}</div>',
        f'<div class="muted">{" · ".join(d for d in details if d)}</div>',
        f'<div class="links">{"".join(links)}</div>' if links else "",
    ]
    if brief.problems:
        count = len(brief.problems)
        parts.append(_problem_list(brief.problems, f"{count} problem{'s' * (count != 1)}: this brief is not built"))
    if brief.notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{html.escape(n)}</li>" for n in brief.notes) + "</ul>")
    return f"<li>{''.join(parts)}</li>"


def _other_outputs(state: State, output_dir: Path) -> list[Path]:
    """Files in the output folder that no current brief produced (e.g. editions, old briefs)."""
    known = {output_dir / f"{b.brief_id}.{ext}" for b in state.briefs if b.brief_id for ext in ("html", "pdf")}
    if not output_dir.is_dir():
        return []
    return sorted(
        p
        for p in output_dir.rglob("*")
        if p.is_file()
        and p.suffix in {".html", ".pdf"}
        and p not in known
        and not any(part.startswith(".") for part in p.relative_to(output_dir).parts)
    )


_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _title_of(file: Path) -> str | None:
    with file.open("rb") as handle:
        head = handle.read(8192).decode("utf-8", errors="replace")
    match = _TITLE.search(head)
    return " ".join(html.unescape(match[1]).split()) if match else None


def _file_items(files: list[Path], output_dir: Path) -> str:
    """One row per output name (its HTML and PDF together): the page's title and links."""
    by_stem: dict[Path, list[Path]] = {}
    for file in files:
        by_stem.setdefault(file.with_suffix(""), []).append(file)
    rows = []
    for stem, group in sorted(by_stem.items()):
        links, title = [], stem.name
        for file in sorted(group, key=lambda f: f.suffix != ".html"):  # HTML first
            url = _url(file, output_dir)
            links.append(f'<a href="{url}">{file.suffix[1:].upper()}</a>')
            if file.suffix == ".pdf":
                links.append(f'<a href="{_PREFIX}view{url}">PDF, live view</a>')
            else:
                title = _title_of(file) or title
        rows.append(
            f'<li><div class="title">{html.escape(title)}</div>'
            f'<div class="muted"><code>{html.escape(stem.relative_to(output_dir).as_posix())}</code></div>'
            f'<div class="links">{"".join(links)}</div></li>'
        )
    return f'<ul class="items">{"".join(rows)}</ul>'


def index_page(state: State) -> Page:
    """The list of everything the workspace builds: briefs first, then other output files."""
    config = state.config
    root = html.escape(str(config.root)) if config else ""
    sections = [_workspace_problems(state)]
    if config is not None:
        output_dir = config.output_dir
        items = "".join(_brief_item(b, output_dir) for b in state.briefs)
        sections.append(f'<h2>Briefs</h2>\n<ul class="items">{items}</ul>' if items else "")
        groups: dict[str, list[Path]] = {}
        for file in _other_outputs(state, output_dir):
            parts = file.relative_to(output_dir).parts
            groups.setdefault(parts[0] if len(parts) > 1 else "", []).append(file)
        for folder, files in sorted(groups.items(), key=lambda group: (group[0] == "", group[0])):
            if folder:  # a kind of output of its own, e.g. editions/
                heading, note = folder.replace("-", " ").capitalize(), f"In {output_dir.name}/{folder}/."
            else:
                heading = f"Other files in {output_dir.name}/"
                note = "Not built from the current inputs (e.g. briefs whose input has gone)."
            sections.append(
                f'<h2>{html.escape(heading)}</h2>\n<p class="muted">{html.escape(note)}</p>\n'
                + _file_items(files, output_dir)
            )
    body = (
        f'<main>\n<h1>briefgen preview</h1>\n<p class="muted">{root}</p>\n'
        f'<p class="muted" id="status">{html.escape(_status_line(state))}</p>\n'
        + "\n".join(s for s in sections if s)
        + "\n</main>"
    )
    return _document("briefgen preview", body)


def problems_page(title: str, problems: str) -> Page:
    body = (
        f'<main>\n<p><a href="/">All briefs</a></p>\n<h1>{html.escape(title)}</h1>\n{problems}\n'
        '<p class="muted">This page reloads by itself once the problem is fixed.</p>\n</main>'
    )
    return _document(title, body)


def pdf_view_page(pdf_file: Path, output_dir: Path) -> Page:
    """The PDF in the browser's viewer; the URL names the file's version, so a rebuild reloads it."""
    pdf_url = _url(pdf_file, output_dir.resolve())
    version = pdf_file.stat().st_mtime_ns
    name = html.escape(pdf_file.name)
    body = (
        f'<div class="bar"><a href="/">All briefs</a> · {name} · <a href="{pdf_url}">open the PDF</a></div>\n'
        f'<iframe src="{pdf_url}?v={version}" title="{name}"></iframe>'
    )
    return _document(pdf_file.name, body)


def not_found_page(path: str) -> Page:
    body = (
        f'<main>\n<p><a href="/">All briefs</a></p>\n<h1>Not found</h1>\n<p>Nothing is built at '
        f"<code>{html.escape(path)}</code> (yet). This page reloads by itself if it appears.</p>\n</main>"
    )
    return _document("Not found", body, status=HTTPStatus.NOT_FOUND)


def _output_file(output_dir: Path, url_path: str) -> Path | None:
    """The file under ``output_dir`` a URL names, or None (never anything outside it)."""
    relative = unquote(url_path).lstrip("/")
    if not relative or any(part.startswith(".") for part in relative.split("/")):
        return None
    try:
        base = output_dir.resolve()
        candidate = (base / relative).resolve()
        return candidate if candidate.is_relative_to(base) and candidate.is_file() else None
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte: nothing is there
        return None


def page_for(state: State, url_path: str) -> Page:
    """What ``url_path`` shows in ``state``: the same function answers requests and decides reloads."""
    if url_path in ("/", ""):
        return index_page(state)
    config = state.config
    if config is None:
        return not_found_page(url_path)
    if url_path.startswith(_PREFIX + "view/"):
        pdf_file = _output_file(config.output_dir, url_path.removeprefix(_PREFIX + "view"))
        if pdf_file is None or pdf_file.suffix != ".pdf":
            return not_found_page(url_path)
        return pdf_view_page(pdf_file, config.output_dir)
    name = unquote(url_path).lstrip("/")
    if name.endswith(".html"):
        brief = state.brief(name.removesuffix(".html"))
        if brief is not None and not brief.ok:
            count = len(brief.problems)
            listing = _problem_list(brief.problems, f"{count} problem{'s' * (count != 1)} in {brief.source.name}")
            return problems_page(f"{brief.title or brief.brief_id}: not built", listing)
        if brief is not None and (state.problems or state.template_problem):
            return problems_page(f"{brief.title or brief.brief_id}: not built", _workspace_problems(state))
    file = _output_file(config.output_dir, url_path)
    if file is None:
        return not_found_page(url_path)
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if content_type == "text/html":
        return Page(file.read_bytes())
    headers = {"Content-Disposition": f'inline; filename="{file.name}"'} if file.suffix == ".pdf" else {}
    return Page(file.read_bytes(), content_type, live=False, headers=headers)


# --------------------------------------------------------------------------- live reload

_RELOAD_SCRIPT = """
(() => {
  const query = new URLSearchParams({path: location.pathname, seen: "@DIGEST@"});
  const events = new EventSource("/_briefgen/events?" + query);
  let badge = null;
  const show = (text) => {
    if (!badge && text) {
      badge = document.createElement("div");
      badge.setAttribute("role", "status");
      badge.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:2147483647;padding:.3rem .7rem;" +
        "border-radius:.4rem;background:#1b1f24;color:#fff;font:13px/1.4 system-ui,sans-serif;opacity:.92";
      document.body.append(badge);
    }
    if (badge) { badge.textContent = text; badge.hidden = !text; }
  };
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("building", () => show("Rebuilding…"));
  events.addEventListener("built", () => show(""));
  events.addEventListener("open", () => show(""));
  events.addEventListener("error", () => show("Reconnecting to briefgen serve…"));
})();
"""

_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def relax_csp(policy: str, nonce: str) -> str:
    """``policy`` plus what the reload script needs, and nothing more."""
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    kept = [d for d in directives if d.split()[0].lower() not in {"script-src", "connect-src"}]
    return "; ".join([*kept, f"script-src 'nonce-{nonce}'", "connect-src 'self'"])


def _relax_meta(match: re.Match[str], nonce: str) -> str:
    tag = match.group(0)
    attributes = {name.lower(): _unquote(value) for name, value in _ATTRIBUTE.findall(tag)}
    if attributes.get("http-equiv", "").lower() != "content-security-policy":
        return tag
    policy = relax_csp(html.unescape(attributes.get("content", "")), nonce)
    content = html.escape(policy, quote=False).replace('"', "&quot;")
    return f'<meta http-equiv="Content-Security-Policy" content="{content}">'


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" else value


def with_reload_script(page: bytes, digest: str) -> bytes:
    """The served copy of an HTML page: its CSP admits one nonce'd script, which is appended."""
    nonce = secrets.token_urlsafe(16)
    text = page.decode("utf-8", errors="replace")
    text = _META.sub(lambda m: _relax_meta(m, nonce), text)
    script = f'<script nonce="{nonce}">{_RELOAD_SCRIPT.replace("@DIGEST@", digest)}</script>\n'
    ends = list(_BODY_END.finditer(text))
    text = text[: ends[-1].start()] + script + text[ends[-1].start() :] if ends else text + script
    return text.encode("utf-8")


# --------------------------------------------------------------------------- HTTP


#: Longer URLs are refused with 414; no output name comes near it.
MAX_URL = 4096
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def request_problem(raw_path: str) -> tuple[HTTPStatus, str] | None:
    """Why a request target is malformed (status and reason), or None when it can be served.

    The standard library already answers an unparsable request line (400), a request line
    over 64 KiB (414) and oversized or too many header lines (431).
    """
    if len(raw_path) > MAX_URL:
        return HTTPStatus.REQUEST_URI_TOO_LONG, f"request target longer than {MAX_URL} characters"
    if not raw_path.startswith("/"):
        return HTTPStatus.BAD_REQUEST, "request target must be a path starting with /"
    url = urlsplit(raw_path)
    if _CONTROL.search(raw_path) or _CONTROL.search(unquote(url.path)) or _CONTROL.search(unquote(url.query)):
        return HTTPStatus.BAD_REQUEST, "control characters (such as %00) are not allowed in a request"
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "briefgen-serve"
    # Answer even a request line without a version with a status line (HTTP/0.9 has none),
    # so a garbled request still gets a visible 400.
    default_request_version = "HTTP/1.0"
    _responded = False

    def log_message(self, format: str, *args: object) -> None:
        pass  # requests are not news; builds are logged by the preview

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").lower()
        # "127.0.0.1:8000", "[::1]:8000", or a name without a port ("localhost", "[::1]").
        name, _, port = host.rpartition(":") if ":" in host and not host.endswith("]") else (host, "", "")
        return name in _LOOPBACK_NAMES and port in ("", str(self.server.server_address[1]))

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The standard library answers a method it has no do_* for with 501; to a client
        # that is a request this server does not take (405), not a failure of the server.
        if code == HTTPStatus.NOT_IMPLEMENTED:
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD are served"
        self._responded = True
        super().send_error(code, message, explain)

    def end_headers(self) -> None:
        if getattr(self, "_status", None) == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "GET, HEAD")
        super().end_headers()

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, *, head: bool) -> None:
        """Answer one request; whatever goes wrong, the client gets a status and the log no traceback."""
        self._responded = False
        try:
            self._route(head=head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away
        except Exception as exc:  # one bad request must cost neither a traceback nor the answer
            self.server.note(f"{self.command} {self.path[:200]!r}: {type(exc).__name__}: {exc}")
            if not self._responded:
                body = b"briefgen serve could not answer this request\n"
                self._send(Page(body, "text/plain", HTTPStatus.INTERNAL_SERVER_ERROR, live=False), head=head)

    def _route(self, *, head: bool) -> None:
        if (problem := request_problem(self.path)) is not None:
            status, reason = problem
            self._send(Page(f"{reason}\n".encode(), "text/plain", status, live=False), head=head)
            return
        if not self._host_ok():
            self._send(Page(b"briefgen serve answers loopback host names only\n", "text/plain", HTTPStatus.FORBIDDEN))
            return
        url = urlsplit(self.path)
        if url.path == _PREFIX + "events":
            self._events(parse_qs(url.query))
            return
        state = self.server.preview.state
        if url.path == _PREFIX + "status.json":
            self._send(Page(_status_json(state), "application/json", live=False), head=head)
            return
        self._send(page_for(state, url.path), head=head)

    def _send(self, page: Page, *, head: bool = False) -> None:
        body = (
            with_reload_script(page.body, page.digest)
            if page.live and page.content_type.startswith("text/html")
            else page.body
        )
        self._responded = True
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in page.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self, query: dict[str, list[str]]) -> None:
        """Server-sent events: "reload" when the page at ``path`` is no longer what it was sent,
        "building"/"built" around builds, a comment now and then to keep the stream open."""
        path = (query.get("path") or ["/"])[0]
        seen = (query.get("seen") or [""])[0]
        preview = self.server.preview
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        generation, building = -1, False
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not self.server.stopping.is_set():
                state = preview.state if generation < 0 else preview.wait(generation, _HEARTBEAT)
                if state.generation == generation:
                    self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
                    continue
                generation = state.generation
                if state.building != building:
                    building = state.building
                    self.wfile.write(b"event: building\ndata: \n\n" if building else b"event: built\ndata: \n\n")
                now = page_for(state, path).digest
                if now != seen:
                    seen = now
                    self.wfile.write(b"event: reload\ndata: \n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away (reloaded or closed)


def _status_json(state: State) -> bytes:
    def problem(p: Problem) -> dict[str, object]:
        return {"file": p.file, "line": p.line, "column": p.column, "field": p.field, "message": p.message}

    output_dir = state.config.output_dir if state.config else None
    briefs = []
    for b in state.briefs:
        outputs = {}
        if output_dir is not None and b.brief_id:
            for ext in ("html", "pdf"):
                if (output_dir / f"{b.brief_id}.{ext}").is_file():
                    outputs[ext] = f"/{quote(b.brief_id)}.{ext}"
        briefs.append(
            {
                "source": str(b.source),
                "id": b.brief_id,
                "title": b.title,
                "built": b.ok and b.current,
                "problems": [problem(p) for p in b.problems],
                "notes": list(b.notes),
                "outputs": outputs,
            }
        )
    data = {
        "generation": state.generation,
        "building": state.building,
        "builds": state.builds,
        "problems": [problem(p) for p in state.problems]
        + ([problem(state.template_problem)] if state.template_problem else []),
        "briefs": briefs,
    }
    return json.dumps(data, indent=2).encode("utf-8")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # open event streams must not keep the process alive

    def __init__(self, address: tuple[str, int], preview: Preview, log: Log | None = None) -> None:
        self.preview = preview
        self.log = log
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def note(self, line: str) -> None:
        """One line about a request that failed (never a traceback)."""
        if self.log is not None:
            self.log(f"serve: {line}")

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """The last resort for an error outside a handler's own guard: one line, not a traceback."""
        import sys

        kind, exc = sys.exc_info()[:2]
        if kind is not None and not issubclass(kind, ConnectionError):
            self.note(f"request from {client_address[0]} failed: {kind.__name__}: {exc}")


# --------------------------------------------------------------------------- the server


class PreviewServer:
    """Serve a workspace's briefs on loopback and keep them built::

        with PreviewServer(Path("my-briefs"), port=0) as server:
            print(server.url)
            server.preview.wait(...)  # or just browse

    ``port=0`` picks a free port. :meth:`start` returns at once; the first build runs in
    the background (the index says "Building…" meanwhile).
    """

    def __init__(
        self, root: Path | None = None, *, port: int = 8000, host: str = LOOPBACK, log: Log | None = None
    ) -> None:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise UsageError(f"briefgen serve listens on loopback only, not {host!r}")
        if root is not None and not root.is_dir():
            raise UsageError(f"{root} is not a folder; create a workspace with: briefgen new {root}")
        self.preview = Preview(root, log=log)
        try:
            self._http = _HTTPServer((host, port), self.preview, log)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise BriefgenError(
                    f"port {port} is already in use on {host}; choose another with --port (0 picks a free one)"
                ) from None
            raise BriefgenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = False

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    def start(self) -> None:
        """Serve and watch in background threads."""
        self._started = True
        for target, name in ((self._serve, "briefgen-http"), (self._watch, "briefgen-watch")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self) -> None:
        self._http.serve_forever(poll_interval=0.1)

    def _watch(self) -> None:
        self.preview.watch(self._stop)

    def wait_for_build(self, builds: int = 1, timeout: float = 60.0) -> State:
        """Block until ``builds`` builds have completed (for scripts and tests)."""
        deadline = time.monotonic() + timeout
        state = self.preview.state
        while state.builds < builds or state.building:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no completed build within {timeout} s")
            state = self.preview.wait(state.generation, left)
        return state

    def stop(self) -> None:
        self._stop.set()
        self._http.stopping.set()
        self.preview.wake()
        if self._started:
            self._http.shutdown()
        self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=10)

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def serve(
    root: Path | None = None,
    *,
    port: int = 8000,
    open_browser: bool = False,
    log: Log | None = None,
    announce: Log | None = None,
) -> None:
    """Serve the workspace at or above ``root`` until interrupted (Ctrl+C).

    ``announce`` receives the one line saying where the briefs are served (default: print);
    ``log`` receives what each build did and every problem.
    """
    server = PreviewServer(root, port=port, log=log or print)
    server.start()
    (announce or print)(f"Serving {server.preview.root} at {server.url} (Ctrl+C to stop)")
    if open_browser:
        webbrowser.open(server.url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
