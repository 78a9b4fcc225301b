"""A tiny HTTP server on 127.0.0.1 serving fixed routes: the demo's replica and `try-source --file`."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Route = tuple[int, str, bytes]  # status, content type, body
NOT_FOUND: Route = (404, "text/plain", b"not found")


class LocalSite:
    """Serves ``routes`` (path -> Route) on a free loopback port; replace ``routes`` to change the site.

    Like most real servers it sends an ``ETag`` and answers ``If-None-Match`` with 304 (turn off
    with ``etags=False`` to act like the many news sites that send no validators). ``log`` records
    (path, status) of every request.
    """

    def __init__(self, routes: dict[str, Route] | None = None, *, etags: bool = True) -> None:
        self.routes: dict[str, Route] = routes or {}
        self.etags = etags
        self.log: list[tuple[str, int]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, ctype, body = site.routes.get(self.path) or site.routes.get(
                    urlsplit(self.path).path, NOT_FOUND)
                etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"' if site.etags and status == 200 else None
                if etag and self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
                site.log.append((self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
