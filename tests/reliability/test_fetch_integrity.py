"""Catalogue rows A3, A4, A5, A19, B6 and the listening-socket check: the crawler as a witness that
cannot be fooled. Real `casewatch crawl` processes against hostile loopback servers, a real database;
nothing forged, truncated or unreadable becomes a version. The TLS checks are in test_fetch_tls.py.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli
import pytest

from crawler.runner import crawler_settings
from crawler.spiders.page import PageSpider
from pipeline.store.session import Database
from tests.support.cli import ROOT, child_env
from tests.support.httpserver import LocalHTTPServer, Route
from tests.support.integrity_crawl import PARAGRAPHS, Stored, crawl, last_run, lines_naming, page, stored, write_config
from tests.support.spiders import run_spider


def deflate(data: bytes) -> bytes:
    return zlib.compress(data)


COMPRESS = {"gzip": gzip.compress, "br": brotli.compress, "deflate": deflate}


# -- A3, A4, A5: incomplete bodies ---------------------------------------------------------------------

HOSTILE = {
    # source id -> how the second crawl answers (the first one serves the whole page)
    "a3-gzip": ("gzip", "length"),
    "a3-br": ("br", "length"),
    "a3-deflate": ("deflate", "length"),
    "a4-short": (None, "short"),
    "a4-chunked": (None, "broken-chunked"),
    "a5-unframed": (None, "none"),
}


@dataclass
class TwoCrawls:
    db: Database
    urls: dict[str, str]
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    after_first: dict[str, Stored]


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoCrawls]:
    """Every hostile source crawled twice: whole pages first, then cut ones (one crawl each)."""
    tmp = tmp_path_factory.mktemp("incomplete")
    db_url = f"sqlite:///{tmp / 'casewatch.db'}"
    with LocalHTTPServer() as server:
        urls = {sid: server.url(f"/{sid}") for sid in HOSTILE}
        for sid, (encoding, _) in HOSTILE.items():
            body = page("Fiscalía amplía la investigación")
            headers = {"Content-Encoding": encoding} if encoding else {}
            server.set_route(f"/{sid}", body=COMPRESS[encoding](body) if encoding else body, headers=headers)
        config = write_config(tmp / "config", [{"id": sid, "urls": [url]} for sid, url in urls.items()])
        first = crawl(config, db_url)
        db = Database(db_url)
        after_first = {sid: stored(db, url) for sid, url in urls.items()}
        for sid, (encoding, framing) in HOSTILE.items():
            # The edited page, cut: stored, its prefix would read as "the rest was deleted".
            body = page("Fiscalía archiva la investigación")
            if encoding:
                whole = COMPRESS[encoding](body)
                server.set_route(f"/{sid}", body=whole[: len(whole) // 2], headers={"Content-Encoding": encoding})
            else:
                server.set_route(f"/{sid}", body=body[: len(body) // 2], framing=framing)
        second = crawl(config, db_url)
        yield TwoCrawls(db, urls, first, second, after_first)
        db.dispose()


def _assert_failed_fetch_keeps_last_version(crawls: TwoCrawls, sid: str, cause: str) -> None:
    url = crawls.urls[sid]
    assert crawls.first.returncode == 0, crawls.first.stdout + crawls.first.stderr
    assert crawls.after_first[sid].versions == 1, crawls.after_first[sid]
    assert crawls.second.returncode == 3, crawls.second.stdout + crawls.second.stderr  # a source failed
    after = stored(crawls.db, url)
    assert after == crawls.after_first[sid]  # the last good version stays; no version, no change
    assert "archiva" not in " ".join(after.texts)
    run = last_run(crawls.db, sid)
    assert run.status == "failed" and run.errors >= 1 and run.items == 0
    assert run.error is not None and url in run.error and re.search(cause, run.error), run.error
    shown = lines_naming(crawls.second.stdout + crawls.second.stderr, url)
    assert shown and all(re.search(cause, line) for line in shown), shown


@pytest.mark.slow
@pytest.mark.parametrize("sid", ["a3-gzip", "a3-br", "a3-deflate"])
def test_A3_truncated_compressed_body_keeps_last_good_version(two_crawls: TwoCrawls, sid: str) -> None:
    encoding = HOSTILE[sid][0]
    _assert_failed_fetch_keeps_last_version(two_crawls, sid, rf"incomplete response: {encoding} stream ends early")


@pytest.mark.slow
@pytest.mark.parametrize("sid", ["a4-short", "a4-chunked"])
def test_A4_body_shorter_than_announced_is_a_failed_fetch(two_crawls: TwoCrawls, sid: str) -> None:
    _assert_failed_fetch_keeps_last_version(two_crawls, sid, r"incomplete response: body shorter than its "
                                                             r"Content-Length \(or a broken chunked stream\)")


@pytest.mark.slow
def test_A5_unframed_response_closed_early_is_a_failed_fetch(two_crawls: TwoCrawls) -> None:
    _assert_failed_fetch_keeps_last_version(two_crawls, "a5-unframed",
                                            r"incomplete response: connection closed without Content-Length "
                                            r"or chunked framing")


# -- B6: content types ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_B6_json_served_to_a_page_source_is_refused_with_one_line(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'casewatch.db'}"
    with LocalHTTPServer() as server:
        server.set_route("/api", body=json.dumps({"title": "Fiscalía amplía la investigación por Juliaca",
                                                  "items": PARAGRAPHS[:5]}),
                         headers={"Content-Type": "application/json"})
        server.set_route("/pagina", body=page("Fiscalía amplía la investigación"))
        url = server.url("/api")
        config = write_config(tmp_path / "config", [{"id": "b6-json", "urls": [url]},
                                                    {"id": "b6-html", "urls": [server.url("/pagina")]}])
        result = crawl(config, db_url)
    db = Database(db_url)
    assert stored(db, url) == Stored(0, 0, [])
    assert stored(db, server.url("/pagina")).versions == 1  # the same crawl stores a real page
    expected = f"b6-json: {url}: unexpected content type application/json (expected HTML or PDF)"
    run = last_run(db, "b6-json")
    assert run.status == "failed" and run.errors == 1 and run.error == expected
    shown = lines_naming(result.stdout + result.stderr, url)
    assert len(shown) == 1 and shown[0].endswith(expected), shown
    db.dispose()


# -- A19: the effective Scrapy settings ----------------------------------------------------------------

AUDITED = ("REMOTE_CONTROL_ENABLED", "TELNETCONSOLE_ENABLED", "DOWNLOAD_VERIFY_CERTIFICATES",
           "DOWNLOAD_FAIL_ON_DATALOSS", "DOWNLOAD_MAXSIZE", "DOWNLOAD_TIMEOUT")


class SettingsProbeSpider(PageSpider):
    """A page spider that writes its crawler's effective settings and running extensions to the stats."""

    async def start(self) -> Any:
        settings, stats = self.crawler.settings, self.crawler.stats
        assert stats is not None
        for key in AUDITED:
            stats.set_value(f"probe/{key}", settings.get(key))
        handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
        stats.set_value("probe/handlers", {scheme: handlers.get(scheme) for scheme in handlers})
        stats.set_value("probe/extensions", sorted(type(e).__name__ for e in self.crawler.extensions.middlewares))
        stats.set_value("probe/middlewares", sorted(
            type(m).__name__ for m in self.crawler.engine.downloader.middleware.middlewares))
        async for request in super().start():
            yield request


def _assert_hardened(values: dict[str, Any], handlers: dict[str, Any]) -> None:
    assert values["REMOTE_CONTROL_ENABLED"] in (False, "False")
    assert values["TELNETCONSOLE_ENABLED"] in (False, "False", 0)
    assert values["DOWNLOAD_VERIFY_CERTIFICATES"] in (True, "True")
    assert values["DOWNLOAD_FAIL_ON_DATALOSS"] in (True, "True")
    assert 0 < int(values["DOWNLOAD_MAXSIZE"]) <= 64 * 1024 * 1024
    assert 0 < float(values["DOWNLOAD_TIMEOUT"]) <= 60
    assert all(handlers.get(scheme) is None for scheme in ("file", "data", "ftp", "s3")), handlers
    assert handlers.get("https") == "crawler.tls.VerifiedHTTPSDownloadHandler", handlers


@pytest.mark.slow
def test_A19_effective_scrapy_settings_are_hardened() -> None:
    # What the runner builds for `casewatch crawl` (project settings plus its run overrides) ...
    built = crawler_settings(LOG_LEVEL="WARNING")
    _assert_hardened({k: built.get(k) for k in AUDITED}, dict(built.getwithbase("DOWNLOAD_HANDLERS")))
    assert built.getint("DOWNLOAD_TIMEOUT") == 30 and built.getint("DOWNLOAD_MAXSIZE") == 32 * 1024 * 1024
    # ... and what a real crawl ends up running with, source settings included.
    with LocalHTTPServer() as server:
        server.set_route("/", body=page("Fiscalía"))
        source = {"id": "probe", "name": "p", "kind": "news", "spider": "page", "urls": [server.url("/")],
                  "max_bytes": 1_000_000}
        run = run_spider(f"{__name__}:SettingsProbeSpider", source)
    values = {k: run.stats[f"probe/{k}"] for k in AUDITED}
    _assert_hardened(values, run.stats["probe/handlers"])
    assert values["DOWNLOAD_MAXSIZE"] == 1_000_000
    assert "RemoteControl" not in run.stats["probe/extensions"]
    assert "TelnetConsole" not in run.stats["probe/extensions"]
    assert {"BodyIntegrityMiddleware", "ContentTypeMiddleware", "AddressGuardMiddleware"} <= set(
        run.stats["probe/middlewares"])
    assert len(run.items) == 1


# -- no listening socket, no job file ------------------------------------------------------------------

def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if match := re.fullmatch(r"socket:\[(\d+)\]", target):
            inodes.add(match[1])
    return inodes


def listening_sockets(pid: int) -> list[str]:
    """TCP sockets of ``pid`` in LISTEN state ("0A"), as local address:port in hex."""
    inodes = _socket_inodes(pid)
    found = []
    for table in ("tcp", "tcp6"):
        for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:
                found.append(f"{table} {fields[1]}")
    return found


@pytest.mark.slow
def test_crawl_opens_no_listening_socket(tmp_path: Path) -> None:
    reached, release = threading.Event(), threading.Event()

    def held(_path: str) -> Route:
        reached.set()  # the crawl is running: its engine started, the page request is in flight
        release.wait(timeout=120)
        return Route(200, page("Fiscalía"), {})

    state = tmp_path / "state"  # where Scrapy's remote control would write its job (token) file
    with LocalHTTPServer(routes={"/held": held}) as server:
        config = write_config(tmp_path / "config", [{"id": "held", "urls": [server.url("/held")]}])
        env = child_env(XDG_STATE_HOME=str(state), HOME=str(tmp_path))
        proc = subprocess.Popen([sys.executable, "-m", "casewatch", "--config", str(config), "--db",
                                 f"sqlite:///{tmp_path / 'casewatch.db'}", "crawl"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not reached.wait(timeout=1):  # the event, or the child dying first
                assert proc.poll() is None, f"the crawl exited ({proc.returncode}) before requesting the page"
            assert listening_sockets(proc.pid) == []
            assert _socket_inodes(proc.pid), "the crawl's own connection should be visible"
            assert not list(state.rglob("*.json")), "a job file with a token was written"
            proc.send_signal(signal.SIGKILL)  # a killed crawl leaves nothing behind either
            proc.wait(timeout=30)
            assert not list(state.rglob("*.json"))
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
