"""`briefgen serve`: the index, the served pages, live reload, problems shown in the page.

Most tests talk HTTP to a server running in this process (fast); one drives the real
command in a child process from a real browser.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from briefgen.errors import BriefgenError, UsageError
from briefgen.workspace.preview import State
from briefgen.workspace.scaffold import new_workspace
from briefgen.workspace.serve import PreviewServer, relax_csp, with_reload_script

from ..conftest import REPO, run_cli

if TYPE_CHECKING:
    from playwright.sync_api import Browser

EXAMPLE_ID = "varna-river-accord-2026-05"


def html_only_workspace(root: Path) -> Path:
    """A fresh `briefgen new` workspace that builds HTML only (no PDF layout: fast)."""
    new_workspace(root)
    config = root / "briefgen.toml"
    config.write_text(config.read_text().replace('# formats = ["html", "pdf"]', 'formats = ["html"]  '))
    return root


def example_input(root: Path) -> Path:
    (path,) = (root / "inputs").glob("*.yaml")
    return path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PreviewServer]:
    with PreviewServer(html_only_workspace(tmp_path / "ws"), port=0) as running:
        running.wait_for_build()
        yield running


def get(server: PreviewServer, path: str, host: str | None = None) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", path, headers={"Host": host} if host else {})
    response = connection.getresponse()
    body = response.read().decode("utf-8", errors="replace")
    connection.close()
    return response.status, dict(response.getheaders()), body


def wait_for(server: PreviewServer, condition: Callable[[State], bool], timeout: float = 20.0) -> State:
    """The first idle state after the next change that satisfies ``condition``."""
    deadline = time.monotonic() + timeout
    state = server.preview.state
    while not (condition(state) and not state.building):
        left = deadline - time.monotonic()
        assert left > 0, f"timed out; last state: {state}"
        state = server.preview.wait(state.generation, left)
    return state


def save(path: Path, text: str) -> None:
    """Write like an editor does, making sure the change is seen as one (mtime granularity)."""
    path.write_text(text)
    os.utime(path)


# --------------------------------------------------------------------------- pages


def test_index_lists_each_brief_with_its_outputs(server: PreviewServer) -> None:
    status, headers, body = get(server, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"] == "no-store"
    assert "Norland and Estmark agree to share flood data" in body
    assert f'href="/{EXAMPLE_ID}.html"' in body
    data = json.loads(get(server, "/_briefgen/status.json")[2])
    (brief,) = data["briefs"]
    assert brief["id"] == EXAMPLE_ID and brief["built"] and brief["problems"] == []
    assert brief["outputs"] == {"html": f"/{EXAMPLE_ID}.html"}


def test_served_copy_gets_the_reload_script_and_the_file_on_disk_does_not(server: PreviewServer) -> None:
    on_disk = (server.preview.root / "output" / f"{EXAMPLE_ID}.html").read_text()
    assert "<script" not in on_disk and "script-src" not in on_disk
    _, _, first = get(server, f"/{EXAMPLE_ID}.html")
    _, _, second = get(server, f"/{EXAMPLE_ID}.html")
    nonces = [re.search(r"<script nonce=\"([\w-]+)\">", page)[1] for page in (first, second)]  # type: ignore[index]
    assert nonces[0] != nonces[1]
    (policy,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', first)
    assert policy == relax_csp(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:", nonces[0]
    )
    assert first.count("<script") == 1 and first.index("<script") > first.index("</article>")


def test_relax_csp_adds_only_the_nonce_and_the_event_stream() -> None:
    assert relax_csp("default-src 'none'; script-src 'unsafe-inline' ; img-src data:", "abc") == (
        "default-src 'none'; img-src data:; script-src 'nonce-abc'; connect-src 'self'"
    )
    page = b"<html><head><meta content='default-src none' http-equiv=content-security-policy></head><body></body>"
    served = with_reload_script(page, "d1").decode()
    assert "content=\"default-src none; script-src 'nonce-" in served
    assert served.endswith("</script>\n</body>")


def test_other_hosts_and_paths_outside_the_output_folder_are_refused(server: PreviewServer) -> None:
    assert get(server, "/", host="attacker.example")[0] == 403
    assert get(server, "/", host=f"attacker.example:{server.port}")[0] == 403
    assert get(server, "/", host=f"localhost:{server.port}")[0] == 200
    for path in ("/../briefgen.toml", "/%2e%2e/briefgen.toml", "/..%2fbriefgen.toml", "/.gitignore", "/nope.html"):
        status, _, body = get(server, path)
        assert status == 404 and "[paths]" not in body, path


def test_a_broken_input_is_shown_in_the_page_until_it_is_fixed(server: PreviewServer) -> None:
    source = example_input(server.preview.root)
    good = source.read_text()
    save(source, good.replace("date: 2026-05-14", "date: someday", 1))
    wait_for(server, lambda s: not s.briefs[0].ok)
    _, _, page = get(server, f"/{EXAMPLE_ID}.html")
    assert "not built" in page and "brief.date" in page
    assert re.search(r"inputs/2026-05-12-varna-river-accord\.yaml:\d+:\d+</code>", page)
    assert "brief.date" in get(server, "/")[2]  # the index says so too

    save(source, good.replace("share flood data", "share river data"))
    wait_for(server, lambda s: s.briefs[0].ok and s.briefs[0].current)
    _, _, page = get(server, f"/{EXAMPLE_ID}.html")
    assert "share river data" in page and "not built" not in page


def test_a_broken_template_is_shown_and_fixing_it_brings_the_briefs_back(server: PreviewServer) -> None:
    partial = server.preview.root / "templates" / "partials" / "title.html.j2"
    partial.parent.mkdir()
    save(partial, "<h1>{{ meta.title }}</h1>\n{% if %}\n")
    state = wait_for(server, lambda s: s.template_problem is not None)
    assert state.template_problem is not None and state.template_problem.line == 2
    _, _, page = get(server, f"/{EXAMPLE_ID}.html")
    assert "A template failed" in page and "title.html.j2:2" in page

    save(partial, "<h1 class=mine>{{ meta.title }}</h1>\n")
    wait_for(server, lambda s: s.template_problem is None and s.briefs[0].current)
    assert "<h1 class=mine>" in get(server, f"/{EXAMPLE_ID}.html")[2]


def test_dotted_ids_are_served_with_their_own_outputs(server: PreviewServer) -> None:
    # Ids "summit.v1" and "summit.v2" once shared output/summit.html, and the index showed no outputs.
    source = example_input(server.preview.root)
    for version in ("v1", "v2"):
        text = source.read_text().replace(f"id: {EXAMPLE_ID}", f"id: summit.{version}")
        save(source.with_name(f"{version}.yaml"), text.replace("flood data", f"flood data ({version})"))
    source.unlink()
    wait_for(server, lambda s: len(s.briefs) == 2 and all(b.current for b in s.briefs))
    data = json.loads(get(server, "/_briefgen/status.json")[2])
    assert [b["outputs"] for b in data["briefs"]] == [{"html": "/summit.v1.html"}, {"html": "/summit.v2.html"}]
    for version in ("v1", "v2"):
        status, _, body = get(server, f"/summit.{version}.html")
        assert status == 200 and f"flood data ({version})" in body


def test_new_and_removed_inputs_come_and_go(server: PreviewServer) -> None:
    source = example_input(server.preview.root)
    copy = source.with_name("second.yaml")
    save(copy, source.read_text().replace(f"id: {EXAMPLE_ID}", "id: second-brief"))
    wait_for(server, lambda s: len(s.briefs) == 2 and all(b.current for b in s.briefs))
    assert 'href="/second-brief.html"' in get(server, "/")[2]
    assert get(server, "/second-brief.html")[0] == 200

    save(copy, source.read_text())  # now a duplicate id
    state = wait_for(server, lambda s: any(not b.ok for b in s.briefs))
    (duplicate,) = [b for b in state.briefs if not b.ok]
    assert duplicate.source.name == "second.yaml" and "already used by" in duplicate.problems[0].message

    copy.unlink()
    wait_for(server, lambda s: len(s.briefs) == 1)
    _, _, index = get(server, "/")
    assert "second.yaml" not in index and "Other files in output/" in index  # the old output is still listed


def test_a_config_problem_is_shown_and_a_new_output_folder_is_used(server: PreviewServer) -> None:
    config = server.preview.root / "briefgen.toml"
    good = config.read_text()
    save(config, good.replace('# page_size = "A4"', 'page_size = "A3"'))
    wait_for(server, lambda s: bool(s.problems))
    assert "build.page_size" in get(server, "/")[2]
    save(config, good.replace('# output = "output"', 'output = "site"'))
    wait_for(server, lambda s: not s.problems and (server.preview.root / "site" / f"{EXAMPLE_ID}.html").is_file())
    assert get(server, f"/{EXAMPLE_ID}.html")[0] == 200


def listen(server: PreviewServer, path: str) -> queue.Queue[str]:
    """The names of the events the server sends a page at ``path`` as it is now."""
    _, _, page = get(server, path)
    seen = re.search(r'seen: "(\w+)"', page)[1]  # type: ignore[index]
    events: queue.Queue[str] = queue.Queue()
    started = threading.Event()

    def run() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", f"/_briefgen/events?path={path}&seen={seen}")
        response = connection.getresponse()
        assert response.getheader("Content-Type") == "text/event-stream"
        for line in response:
            started.set()
            if line.startswith(b"event: "):
                events.put(line.decode().strip().removeprefix("event: "))

    threading.Thread(target=run, daemon=True).start()
    assert started.wait(10)
    return events


def expect_event(events: queue.Queue[str], name: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while events.get(timeout=max(0.1, deadline - time.monotonic())) != name:
        pass


def test_event_stream_says_reload_only_when_the_page_changes(server: PreviewServer) -> None:
    events = listen(server, f"/{EXAMPLE_ID}.html")
    builds = server.preview.state.builds
    config = server.preview.root / "briefgen.toml"
    save(config, config.read_text() + "\n")  # rebuilds everything, but the page comes out the same
    wait_for(server, lambda s: s.builds > builds)
    time.sleep(0.3)
    assert "reload" not in list(events.queue)

    source = example_input(server.preview.root)
    save(source, source.read_text().replace("share flood data", "share gauge data"))
    expect_event(events, "reload")


def test_outputs_of_other_commands_are_listed_and_the_index_reloads(server: PreviewServer) -> None:
    events = listen(server, "/")
    editions = server.preview.root / "output" / "editions"
    editions.mkdir()
    (editions / "2026-W20.html").write_text("<!doctype html><title>Week 20 &amp; more</title><p>The week</p>")
    (editions / "2026-W20.pdf").write_bytes(b"%PDF-1.7\n")
    expect_event(events, "reload")
    _, _, index = get(server, "/")
    assert "<h2>Editions</h2>" in index and "Week 20 &amp; more" in index
    assert 'href="/editions/2026-W20.pdf"' in index and 'href="/_briefgen/view/editions/2026-W20.pdf"' in index
    assert get(server, "/editions/2026-W20.html")[0] == 200
    status, _, view = get(server, "/_briefgen/view/editions/2026-W20.pdf")
    assert status == 200 and re.search(r'<iframe src="/editions/2026-W20\.pdf\?v=\d+"', view)


def test_port_in_use_and_a_non_loopback_address_are_clear_errors(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(BriefgenError, match=f"port {port} is already in use"):
            PreviewServer(tmp_path, port=port)
    with pytest.raises(UsageError, match="loopback only"):
        PreviewServer(tmp_path, port=0, host="0.0.0.0")


# --------------------------------------------------------------------------- in the browser


def _status(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url + "_briefgen/status.json", timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_live_reload_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    """`briefgen new` then `briefgen serve`, as the README walks through; edits show in the open page."""
    from playwright.sync_api import expect

    assert run_cli("new", "my-briefs", cwd=tmp_path).returncode == 0
    child = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "serve", "my-briefs", "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first_line = child.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", first_line)[0]  # type: ignore[index]
        deadline = time.monotonic() + 60
        while not ((data := _status(url))["builds"] and not data["building"]):
            assert time.monotonic() < deadline, data
            time.sleep(0.1)
        assert data["briefs"][0]["outputs"] == {"html": f"/{EXAMPLE_ID}.html", "pdf": f"/{EXAMPLE_ID}.pdf"}

        page = browser.new_page(viewport={"width": 1000, "height": 1250})
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        page.get_by_role("link", name="Norland and Estmark agree to share flood data on the Varna").click()
        expect(page.locator("h1")).to_have_text("Norland and Estmark agree to share flood data on the Varna")
        _screenshot(page, tmp_path)

        source = example_input(tmp_path / "my-briefs")
        good = source.read_text()
        save(source, good.replace("share flood data", "share live data"))
        expect(page.locator("h1")).to_contain_text("share live data", timeout=20_000)

        save(source, good.replace("date: 2026-05-14", "date: someday", 1))
        expect(page.get_by_role("alert")).to_contain_text("brief.date", timeout=20_000)
        expect(page.get_by_role("alert")).to_contain_text("2026-05-12-varna-river-accord.yaml:")

        save(source, good)
        expect(page.locator("h1")).to_have_text(
            "Norland and Estmark agree to share flood data on the Varna", timeout=20_000
        )
        pdf = page.request.get(url + f"{EXAMPLE_ID}.pdf")
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")
        assert errors == []
        page.close()
    finally:
        child.terminate()
        child.wait(timeout=20)


def _screenshot(page: Any, tmp_path: Path) -> None:
    """The README's picture of the brief: kept small (a palette PNG); written to docs/ only on request,
    so a test run leaves the work tree alone: BRIEFGEN_UPDATE_SCREENSHOT=1 pytest -k live_reload."""
    from PIL import Image

    raw = tmp_path / "screenshot.png"
    page.screenshot(path=str(raw))
    small = tmp_path / "screenshot-small.png"
    Image.open(raw).convert("RGB").quantize(colors=64).save(small, optimize=True)
    assert 10_000 < small.stat().st_size < 300_000
    if os.environ.get("BRIEFGEN_UPDATE_SCREENSHOT"):
        (REPO / "docs").mkdir(exist_ok=True)
        (REPO / "docs" / "screenshot.png").write_bytes(small.read_bytes())


def _raw(port: int, request: bytes) -> int | None:
    """Send raw bytes; the status code answered, or None if the connection closed unanswered."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # The server may answer and close before a huge request is all sent.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        reply = b""
        with contextlib.suppress(ConnectionResetError):
            while b"\r\n" not in reply and (chunk := sock.recv(4096)):
                reply += chunk
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", reply)
    return int(match[1]) if match else None


MALFORMED = [
    (b"GET /%00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET /a%00.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET /_briefgen/view/x%00.pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET /_briefgen/events?path=/%00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET /a\x00b.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET /%0d%0aSet-Cookie:%20x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET /" + b"a" * 300 + b".html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),  # longer than a file name may be
    (b"GET /" + b"a/" * 2000 + b"x.pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    (b"GET /_briefgen/view/" + b"b" * 1000 + b".pdf HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
    (b"GET /%ff%fe%fd.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404),
    (b"GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/1.1.1\r\n\r\n", 400),
    (b"G\x00T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405),
    (b"DELETE /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + b"h" * 70_000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Many: 1\r\n" * 150 + b"\r\n", 431),
]


def test_malformed_requests_get_a_4xx_and_the_real_server_keeps_serving(tmp_path: Path) -> None:
    root = html_only_workspace(tmp_path / "ws")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "serve", "--port", "0"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        announce = process.stdout.readline()
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", announce)[1])  # type: ignore[index]
        answered = [(request[:40], _raw(port, request)) for request, _ in MALFORMED]
        assert answered == [(request[:40], status) for request, status in MALFORMED]
        assert _raw(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") == 200  # still serving
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    assert "Traceback" not in out + err and "Error" not in err, out + err
