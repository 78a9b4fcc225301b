"""A tiny HTTP server on 127.0.0.1: ``LoopbackServer`` answers every GET through an ``answer(path,
headers)`` callable; ``LocalSite`` serves fixed routes with it (the demo's replica and `try-source --file`).
The test suite's and the benchmarks' news sites use the same server with answers of their own."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Route = tuple[int, str, bytes]  # status, content type, body
NOT_FOUND: Route = (404, "text/plain", b"not found")
# (path, request headers) -> (status, response headers, body); called from the server's threads.
Answer = Callable[[str, Message], tuple[int, Mapping[str, str], bytes]]


class LoopbackServer:
    """Serves ``answer`` on a free loopback port (``base``) from daemon threads, once started (``with``).

    ``keep_alive``: HTTP/1.1 connections a client may reuse (a benchmark's crawler and urlwatch);
    otherwise HTTP/1.0, one request per connection. Each response is one write with Nagle off: a
    keep-alive client's delayed ACK would otherwise stall every response ~40 ms (headers and body as two
    small writes), timing the socket rather than the client.
    """

    def __init__(self, answer: Answer, *, keep_alive: bool = True) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
            wbufsize = 1 << 20
            disable_nagle_algorithm = True
            timeout = 30  # a keep-alive connection the client leaves open ends, and its thread

            def do_GET(self) -> None:
                status, headers, body = answer(self.path, self.headers)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalSite(LoopbackServer):
    """Serves ``routes`` (path -> Route) on a free loopback port; replace ``routes`` to change the site.

    Like most real servers it sends an ``ETag`` and answers ``If-None-Match`` with 304 (turn off
    with ``etags=False`` to act like the many news sites that send no validators). ``log`` records
    (path, status) of every request.
    """

    def __init__(self, routes: dict[str, Route] | None = None, *, etags: bool = True) -> None:
        self.routes: dict[str, Route] = routes or {}
        self.etags = etags
        self.log: list[tuple[str, int]] = []
        super().__init__(self._answer, keep_alive=False)

    def _answer(self, path: str, headers: Message) -> tuple[int, dict[str, str], bytes]:
        status, ctype, body = self.routes.get(path) or self.routes.get(urlsplit(path).path, NOT_FOUND)
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"' if self.etags and status == 200 else None
        if etag and headers.get("If-None-Match") == etag:
            status, body = 304, b""
        self.log.append((path, status))
        return status, {"Content-Type": ctype, **({"ETag": etag} if etag else {})}, body

    def __enter__(self) -> LocalSite:
        self.start()
        return self
