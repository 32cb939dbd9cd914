"""A real HTTP server on loopback that plays a webhook receiver, with scripted faults."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HookServer:
    """``script``: one answer per request, then 200s: an int status, ``"429:SECONDS"`` (with
    Retry-After), ``"timeout"`` (answers too late) or ``"drop"`` (reads the request, closes
    the connection without an answer)."""

    script: list[str | int] = field(default_factory=list)
    slow: float = 1.5
    requests: list[Request] = field(default_factory=list)

    def __enter__(self) -> HookServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.requests.append(Request(self.path, dict(self.headers.items()), body))
                step = owner.script.pop(0) if owner.script else 200
                if step == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if step == "timeout":
                    time.sleep(owner.slow)
                    step = 200
                status, _, wait = str(step).partition(":")
                self.send_response(int(status))
                if wait:
                    self.send_header("Retry-After", wait)
                answer = b"1" if int(status) < 300 else b'{"error": "nope"}'
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/workflows/SECRET-TOKEN-1234/invoke?sig=abcdef123456"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
