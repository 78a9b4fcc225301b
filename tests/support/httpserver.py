"""A local HTTP server for tests: spiders are tested against fixtures, never the internet.

Threaded ``http.server`` on 127.0.0.1 with a random port. Serves routes (path -> status, headers,
body, or a callable producing them) and, optionally, files from a directory. Routes can change
between requests (``set_route``), e.g. to turn a page into a 404 for removal tests. A route's
``framing`` makes a hostile server: a body shorter than its Content-Length, no framing at all, or a
broken chunked stream. ``LocalHTTPSServer`` is the same over TLS with a certificate from
tests/support/certs.py.
"""

from __future__ import annotations

import mimetypes
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit


@dataclass
class Route:
    """A canned response."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # "length": Content-Length, the whole body. Hostile ones close the connection after the body:
    # "short" claims twice the bytes sent; "none" sends neither Content-Length nor chunked encoding;
    # "broken-chunked" announces a chunk longer than the bytes that follow.
    framing: Literal["length", "short", "none", "broken-chunked"] = "length"


Handler = Callable[[str], Route]


@dataclass
class Raw:
    """A route that writes its own answer on the socket: hostile servers (hangs, resets, streams)."""

    write: Callable[[BaseHTTPRequestHandler], None]


def reset_connection(handler: BaseHTTPRequestHandler) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0), as a crashing server or middlebox does."""
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def guess_type(path: str) -> str:
    """Content-Type for a fixture file name (feeds as XML, pages as UTF-8 HTML)."""
    if path.endswith((".xml", ".rss", ".atom")):
        return "application/xml"
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith("json") else kind


class LocalHTTPServer:
    """``with LocalHTTPServer() as srv: srv.set_route("/a", body=b"...")``; ``srv.url("/a")``."""

    def __init__(self, directory: str | Path | None = None, routes: dict[str, Route | Handler | Raw] | None = None):
        self.directory = Path(directory) if directory else None
        self._routes: dict[str, Route | Handler | Raw] = dict(routes or {})
        self._lock = threading.Lock()
        self.requests: list[str] = []  # paths requested, in order (to assert what was fetched)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def set_route(self, path: str, route: Route | Handler | Raw | None = None, *, status: int = 200,
                  body: bytes | str = b"", headers: dict[str, str] | None = None,
                  framing: Literal["length", "short", "none", "broken-chunked"] = "length") -> None:
        """Add or replace the response for ``path`` (path plus optional query)."""
        if route is None:
            data = body.encode("utf-8") if isinstance(body, str) else body
            route = Route(status, data, dict(headers or {}), framing)
        with self._lock:
            self._routes[path] = route

    def remove_route(self, path: str) -> None:
        with self._lock:
            self._routes.pop(path, None)

    def resolve(self, raw_path: str) -> Route | Raw:
        """The response for a request path: exact route, route without query, file, else 404."""
        with self._lock:
            self.requests.append(raw_path)
            route = self._routes.get(raw_path) or self._routes.get(urlsplit(raw_path).path)
        if route is not None:
            return route if isinstance(route, Raw | Route) else route(raw_path)
        if self.directory is not None:
            rel = urlsplit(raw_path).path.lstrip("/")
            target = (self.directory / rel).resolve()
            if target.is_file() and target.is_relative_to(self.directory.resolve()):
                return Route(200, target.read_bytes(), {"Content-Type": guess_type(target.name)})
        return Route(404, b"not found", {"Content-Type": "text/plain; charset=utf-8"})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                route = server.resolve(self.path)
                if isinstance(route, Raw):
                    route.write(self)
                    self.close_connection = True
                    return
                self.send_response(route.status)
                headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                body = route.body
                if route.framing == "length":
                    self.send_header("Content-Length", str(len(body)))
                elif route.framing == "short":
                    self.send_header("Content-Length", str(2 * len(body) + 1))
                elif route.framing == "broken-chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                    body = b"%x\r\n" % (2 * len(body) + 1) + body
                if route.framing != "length":
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        return _Handler

    def start(self) -> LocalHTTPServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalHTTPServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class LocalHTTPSServer(LocalHTTPServer):
    """The same server over TLS: ``LocalHTTPSServer(cert_file, key_file, hostname="localhost")``.

    ``hostname`` is the name URLs use (it resolves to 127.0.0.1); the certificate decides whether a
    client should trust it (tests/support/certs.py makes self-signed, CA-issued and wrong-host ones).
    """

    def __init__(self, cert_file: str | Path, key_file: str | Path, *, hostname: str = "localhost",
                 directory: str | Path | None = None, routes: dict[str, Route | Handler] | None = None):
        super().__init__(directory, routes)
        self.hostname = hostname
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    @property
    def base_url(self) -> str:
        return f"https://{self.hostname}:{self._server.server_address[1]}"
