"""Reliability catalogue, section A (fetching untrusted sites): hostile servers on 127.0.0.1, real crawls.

Each test runs the real `casewatch crawl` (tests/support/crawl.py: short timeouts, otherwise the project's
Scrapy settings) against local servers that misbehave, and checks what the catalogue expects: an error
line naming the source and the cause (ERR), the last good version kept (KEEP), the other sources of
the same run fetched (ISO). Rows A10, A11 and A16-A18 (redirects, and what a site's headers may
make the crawler do) are in test_fetch_redirects_and_headers.py; A3-A5, A12-A15 and A19 in
test_fetch_integrity.py and test_config_guard.py; the status of every row is in README.md.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import brotli
import pytest
from backports import zstd

from crawler.runner import crawler_settings
from tests.support.crawl import crawl, last_run, stored, write_config
from tests.support.hostile_site import CONTROL, TEXT, Site, page
from tests.support.httpserver import LocalHTTPServer, Raw, reset_connection

# ---------------------------------------------------------------------------------------------- A1

def _bomb(encoding: str, size: int = 100 * 1024 * 1024) -> bytes:
    """``size`` bytes of spaces inside an HTML page, compressed with ``encoding`` (a few hundred KB)."""
    chunk = b" " * (1024 * 1024)
    parts: list[bytes] = []
    if encoding in ("gzip", "deflate"):
        wbits = 31 if encoding == "gzip" else 15
        z = zlib.compressobj(9, zlib.DEFLATED, wbits)
        parts = [z.compress(b"<html><body><main><p>")]
        parts += [z.compress(chunk) for _ in range(size // len(chunk))]
        parts.append(z.compress(b"</p></main></body></html>") + z.flush())
    elif encoding == "br":
        b = brotli.Compressor(quality=5)
        parts = [b.process(b"<html><body><main><p>")] + [b.process(chunk) for _ in range(size // len(chunk))]
        parts.append(b.process(b"</p></main></body></html>") + b.finish())
    elif encoding == "zstd":
        c = zstd.ZstdCompressor(level=3)
        parts = [c.compress(b"<html><body><main><p>")] + [c.compress(chunk) for _ in range(size // len(chunk))]
        parts.append(c.compress(b"</p></main></body></html>") + c.flush())
    return b"".join(parts)


ENCODINGS = ("gzip", "deflate", "br", "zstd")


@pytest.mark.slow
def test_A1_compression_bombs_dropped(server: LocalHTTPServer, tmp_path: Path) -> None:
    """~100 MB bombs in every encoding Scrapy accepts: dropped at DOWNLOAD_MAXSIZE (default 32 MiB)."""
    assert crawler_settings().getint("DOWNLOAD_MAXSIZE") == 32 * 1024 * 1024
    site = Site(server, tmp_path, {f"bomb-{e}": f"/{e}" for e in ENCODINGS})
    site.crawl_good_first()
    for encoding in ENCODINGS:
        body = _bomb(encoding)
        assert len(body) < 1_000_000
        server.set_route(f"/{encoding}", body=body, headers={"Content-Encoding": encoding})
    result = site.crawl()
    for encoding in ENCODINGS:
        line = result.failure(f"bomb-{encoding}")
        assert site.url(f"bomb-{encoding}") in line and "exceeded DOWNLOAD_MAXSIZE" in line, line
        site.assert_kept(f"bomb-{encoding}")
    assert result.max_rss_mb < 400, f"memory not bounded: {result.max_rss_mb:.0f} MB"


# ---------------------------------------------------------------------------------------------- A2

class Stream:
    """An uncompressed body of ``size`` bytes written in 64 KB pieces; counts what the client took."""

    def __init__(self, size: int, *, chunked: bool):
        self.size, self.chunked = size, chunked
        self.written = 0
        self.done = threading.Event()

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        piece = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            if self.chunked:
                handler.send_header("Transfer-Encoding", "chunked")
            else:
                handler.send_header("Content-Length", str(self.size))
            handler.end_headers()
            while self.written < self.size:
                data = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if self.chunked else piece
                handler.wfile.write(data)
                self.written += len(piece)
            if self.chunked:
                handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the crawler hung up: what this test wants
        finally:
            self.done.set()


@pytest.mark.slow
def test_A2_oversize_plain_bodies_aborted(server: LocalHTTPServer, tmp_path: Path) -> None:
    """64 MB bodies, declared (Content-Length) and chunked, at a source limited to 2 MB: aborted early."""
    limit, size = 2_000_000, 64 * 1024 * 1024
    site = Site(server, tmp_path, {"declared": "/declared", "chunked": "/chunked"}, max_bytes=limit)
    site.crawl_good_first()
    streams = {"declared": Stream(size, chunked=False), "chunked": Stream(size, chunked=True)}
    for sid, stream in streams.items():
        server.set_route(site.paths[sid], Raw(stream))
    result = site.crawl()
    for sid, stream in streams.items():
        line = result.failure(sid)
        assert site.url(sid) in line and "too large" in line and str(limit) in line, line
        site.assert_kept(sid)
        assert stream.done.wait(10)
        assert stream.written < 16 * 1024 * 1024, f"{sid}: {stream.written} bytes sent before the abort"


# ---------------------------------------------------------------------------------------------- A6

def _hang(release: threading.Event, *, after_headers: bool) -> Callable[[BaseHTTPRequestHandler], None]:
    def write(handler: BaseHTTPRequestHandler) -> None:
        if after_headers:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", "100000")
            handler.end_headers()
            handler.wfile.write(b"<html><body><main><p>La Fiscal")
            handler.wfile.flush()
        release.wait(60)

    return write


@pytest.mark.slow
def test_A6_hanging_servers_time_out(server: LocalHTTPServer, tmp_path: Path) -> None:
    """A server that never answers, and one that stops after the headers: timeout, retry, ERR; ISO."""
    release = threading.Event()
    site = Site(server, tmp_path, {"silent": "/silent", "stalled": "/stalled"})
    try:
        site.crawl_good_first()
        server.set_route("/silent", Raw(_hang(release, after_headers=False)))
        server.set_route("/stalled", Raw(_hang(release, after_headers=True)))
        result = site.crawl(settings={"DOWNLOAD_TIMEOUT": 1, "RETRY_TIMES": 1})
    finally:
        release.set()
    for sid in ("silent", "stalled"):
        line = result.failure(sid)
        assert site.url(sid) in line and "took longer than 1.0 seconds" in line, line
        assert server.requests.count(site.paths[sid]) == 1 + 2, "one good fetch, then the try and one retry"
        site.assert_kept(sid)


# ---------------------------------------------------------------------------------------------- A7

def _reset(*, after_first_byte: bool) -> Callable[[BaseHTTPRequestHandler], None]:
    def write(handler: BaseHTTPRequestHandler) -> None:
        if after_first_byte:
            handler.send_response(200)
            handler.send_header("Content-Length", "5000")
            handler.end_headers()
            handler.wfile.write(b"<html><body><main><p>La Fisc")
        reset_connection(handler)

    return write


@pytest.mark.slow
def test_A7_connection_resets_retried_then_reported(server: LocalHTTPServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path, {"reset-before": "/before", "reset-after": "/after"})
    site.crawl_good_first()
    server.set_route("/before", Raw(_reset(after_first_byte=False)))
    server.set_route("/after", Raw(_reset(after_first_byte=True)))
    result = site.crawl(settings={"RETRY_TIMES": 2})
    for sid, cause in (("reset-before", "failed 3 times"), ("reset-after", "incomplete response: body shorter")):
        line = result.failure(sid)  # a reset after the first bytes is a body cut short: named as such
        assert site.url(sid) in line and cause in line, line
        assert server.requests.count(site.paths[sid]) == 1 + 3, "one good fetch, then RETRY_TIMES + 1 tries"
        site.assert_kept(sid)


# ---------------------------------------------------------------------------------------------- A8

@pytest.mark.slow
def test_A8_http_errors_retried_reported_and_kept(server: LocalHTTPServer, tmp_path: Path) -> None:
    """5xx/429 retried then ERR; 403 ERR at once; 404 is removal evidence, never an edit to empty text."""
    statuses = {"e500": 500, "e503": 503, "e429": 429, "e403": 403, "e404": 404}
    site = Site(server, tmp_path, {sid: f"/{sid}" for sid in statuses})
    site.crawl_good_first()
    # A watched URL that answers 404 before anything was stored is a wrong URL: ERR, not silence.
    server.set_route("/typo", status=404, body="no")
    config = write_config(tmp_path / "typo", [{"id": "typo", "urls": [server.url("/typo")]}])
    typo = crawl(config, site.db)
    assert typo.returncode == 3 and "HTTP 404 and no version of it is stored" in typo.failure("typo")
    for sid, status in statuses.items():
        server.set_route(f"/{sid}", status=status, body="<html><body><main><p>Error</p></main></body></html>",
                         headers={"Retry-After": "1"} if status in (429, 503) else {})
    result = site.crawl(settings={"RETRY_TIMES": 2})
    for sid, status in statuses.items():
        tries = server.requests.count(f"/{sid}") - 1
        if status == 404:
            assert tries == 1, "a 404 is not retried"
            doc = stored(site.db, site.url(sid))
            assert (doc.versions, doc.changes) == ([TEXT], ["new"]), "one 404 is not yet a removal"
            continue
        line = result.failure(sid)
        assert site.url(sid) in line and str(status) in line, line
        assert tries == (1 if status == 403 else 3), (sid, tries)
        site.assert_kept(sid)
    # A second 404 in a row confirms the removal: a ``removed`` change, the text still stored.
    crawl(site.config, site.db, "e404")
    doc = stored(site.db, site.url("e404"))
    assert (doc.versions, doc.changes, doc.state) == ([TEXT], ["new", "removed"], "removed")


# ---------------------------------------------------------------------------------------------- A9

FLAKY_HOST = "fiscalia-flaky.invalid"


@pytest.mark.slow
def test_A9_dns_failure_isolated_and_cleared(server: LocalHTTPServer, tmp_path: Path) -> None:
    """A source whose name does not resolve fails alone; the next successful crawl clears its error."""
    port = server.base_url.rsplit(":", 1)[1]
    server.set_route("/control", body=page("Control: la audiencia de Juliaca sigue programada."))
    server.set_route("/flaky", body=page())
    db = f"sqlite:///{tmp_path / 'casewatch.db'}"
    config = write_config(tmp_path, [
        {"id": "flaky", "urls": [f"http://{FLAKY_HOST}:{port}/flaky"], "unhealthy_after": 1},
        {"id": CONTROL, "urls": [server.url("/control")]}])
    failed = crawl(config, db)
    assert failed.returncode == 3
    line = failed.failure("flaky")
    assert FLAKY_HOST in line and "DNS lookup failed" in line, line
    assert last_run(db, CONTROL)[0] == "ok"
    status, error, health, reason = last_run(db, "flaky")
    assert status == "failed" and FLAKY_HOST in (error or "") and health == "unhealthy" and reason
    assert "/flaky" not in server.requests

    fixed = crawl(config, db, hosts={FLAKY_HOST: "127.0.0.1"})  # the name resolves again
    assert fixed.returncode == 0, fixed.stderr
    assert last_run(db, "flaky") == ("ok", None, "healthy", None)
    assert stored(db, f"http://{FLAKY_HOST}:{port}/flaky").versions == [TEXT]


# ---------------------------------------------------------------------------------------------- A20

@pytest.mark.slow
def test_A20_deep_and_huge_html_within_the_size_limit(server: LocalHTTPServer, tmp_path: Path) -> None:
    """200,000 nested elements, and a 20 MB text node: parsed (or refused with ERR) in bounded memory."""
    nested = b"<div>" * 200_000 + b"<p>Juliaca</p>" + b"</div>" * 200_000
    deep = b"<html><body><main>" + nested + b"</main></body></html>"
    huge = b"<html><body><main><p>" + b"Juliaca " * 2_500_000 + b"</p></main></body></html>"
    assert len(deep) < 32 * 1024 * 1024 and len(huge) < 32 * 1024 * 1024
    server.set_route("/deep", body=deep)
    server.set_route("/huge", body=huge)
    server.set_route("/control", body=page("Control: la audiencia de Juliaca sigue programada."))
    db = f"sqlite:///{tmp_path / 'casewatch.db'}"
    config = write_config(tmp_path, [{"id": "deep", "urls": [server.url("/deep")]},
                                     {"id": "huge", "urls": [server.url("/huge")]},
                                     {"id": CONTROL, "urls": [server.url("/control")]}])
    result = crawl(config, db, timeout=120)
    assert last_run(db, CONTROL)[0] == "ok"
    for sid in ("deep", "huge"):
        status, error, _, _ = last_run(db, sid)
        assert status == "ok" or (status == "failed" and error and server.url(f"/{sid}") in error), (sid, error)
    assert result.max_rss_mb < 1024, f"memory not bounded: {result.max_rss_mb:.0f} MB"
