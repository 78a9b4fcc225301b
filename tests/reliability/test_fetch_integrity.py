"""Catalogue rows A3, A4, A5, A19, B6 and the TLS / listening-socket checks: the crawler as a witness
that cannot be fooled. Real `casewatch crawl` processes against hostile loopback servers, a real
database; nothing forged, truncated or unreadable becomes a version.
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
import yaml
from sqlalchemy import func, select

from config.schema import ConfigError, load_config
from crawler.runner import crawler_settings
from crawler.spiders.page import PageSpider
from pipeline.store.models import Change, CrawlRun, Document, Version
from pipeline.store.session import Database
from tests.support.certs import TestCA, self_signed
from tests.support.cli import CASE_FILE, ROOT, child_env, run_cli
from tests.support.httpserver import LocalHTTPServer, LocalHTTPSServer, Route
from tests.support.spiders import run_spider

# Long enough that half of it is a real page too: a prefix would look like an edit removing the rest.
PARAGRAPHS = [
    f"Párrafo {i}: la Fiscalía amplió la investigación por la masacre de Juliaca del 9 de enero de 2023, "
    f"en la que murieron 18 personas durante las protestas contra el gobierno de Dina Boluarte."
    for i in range(1, 80)
]


def page(title: str, paragraphs: list[str] = PARAGRAPHS) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"
            ).encode()


def deflate(data: bytes) -> bytes:
    return zlib.compress(data)


COMPRESS = {"gzip": gzip.compress, "br": brotli.compress, "deflate": deflate}


def write_config(directory: Path, sources: list[dict[str, Any]]) -> Path:
    """A config folder with the Juliaca case and ``sources`` (loopback allowed)."""
    (directory / "cases").mkdir(parents=True, exist_ok=True)
    (directory / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    entries = [{"name": s["id"], "kind": "news", "spider": "page", "allow_private": True, **s} for s in sources]
    (directory / "sources.yaml").write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")
    return directory


def crawl(config: Path, db_url: str, *ids: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--config", str(config), "--db", db_url, "crawl", *ids)


@dataclass
class Stored:
    versions: int
    changes: int
    texts: list[str]


def stored(db: Database, url: str) -> Stored:
    with db.read() as s:
        doc = s.scalar(select(Document).where(Document.url == url))
        if doc is None:
            return Stored(0, 0, [])
        versions = s.scalars(select(Version).where(Version.document_id == doc.id).order_by(Version.id)).all()
        changes = s.scalar(select(func.count()).select_from(Change).where(Change.document_id == doc.id)) or 0
        return Stored(len(versions), changes, [v.text for v in versions])


def last_run(db: Database, source_id: str) -> CrawlRun:
    with db.read() as s:
        run = s.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id).order_by(CrawlRun.id.desc())).first()
        assert run is not None
        s.expunge(run)
        return run


def lines_naming(output: str, url: str) -> list[str]:
    return [line for line in output.splitlines() if url in line]


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


# -- TLS: verified certificates, tls_ca for a private CA -------------------------------------------------

@dataclass
class TlsCrawl:
    db: Database
    urls: dict[str, str]
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def tls_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsCrawl]:
    """One crawl of three HTTPS sites on loopback, each asked for as https://localhost:PORT/."""
    tmp = tmp_path_factory.mktemp("tls")
    ca = TestCA.create(tmp / "ca")
    servers = {
        "tls-self-signed": LocalHTTPSServer(*self_signed(tmp / "certs", "localhost")),
        "tls-private-ca": LocalHTTPSServer(*ca.issue(tmp / "certs", "localhost")),
        "tls-other-host": LocalHTTPSServer(*ca.issue(tmp / "certs", "other.example")),
    }
    for server in servers.values():
        server.set_route("/", body=page("Fiscalía amplía la investigación"))
        server.start()
    try:
        urls = {sid: server.url("/") for sid, server in servers.items()}
        config = write_config(tmp / "config", [
            {"id": "tls-self-signed", "urls": [urls["tls-self-signed"]]},
            {"id": "tls-private-ca", "urls": [urls["tls-private-ca"]], "tls_ca": str(ca.cert_file)},
            {"id": "tls-other-host", "urls": [urls["tls-other-host"]], "tls_ca": str(ca.cert_file)},
        ])
        db_url = f"sqlite:///{tmp / 'casewatch.db'}"
        result = crawl(config, db_url)
        db = Database(db_url)
        yield TlsCrawl(db, urls, result)
        db.dispose()
    finally:
        for server in servers.values():
            server.stop()


def _assert_refused(crawl: TlsCrawl, sid: str, cause: str) -> None:
    url = crawl.urls[sid]
    assert stored(crawl.db, url) == Stored(0, 0, [])
    run = last_run(crawl.db, sid)
    expected = f"{sid}: {url}: TLS certificate refused: {cause}"
    assert run.status == "failed" and run.errors == 1 and run.items == 0
    assert run.error is not None and run.error.startswith(expected), run.error
    shown = lines_naming(crawl.result.stdout + crawl.result.stderr, url)
    assert len(shown) == 1 and expected in shown[0], shown


@pytest.mark.slow
def test_tls_self_signed_page_is_a_failed_fetch_and_stores_nothing(tls_crawl: TlsCrawl) -> None:
    _assert_refused(tls_crawl, "tls-self-signed", "not signed by a trusted CA")


@pytest.mark.slow
def test_tls_private_ca_named_in_tls_ca_is_accepted(tls_crawl: TlsCrawl) -> None:
    assert stored(tls_crawl.db, tls_crawl.urls["tls-private-ca"]).versions == 1
    assert last_run(tls_crawl.db, "tls-private-ca").status == "ok"


@pytest.mark.slow
def test_tls_certificate_for_another_host_is_refused_even_from_the_trusted_ca(tls_crawl: TlsCrawl) -> None:
    _assert_refused(tls_crawl, "tls-other-host", "it is not valid for localhost")
    assert tls_crawl.result.returncode == 3


@pytest.mark.parametrize("problem", ["missing", "relative", "not-pem", "unreadable"])
def test_tls_ca_that_cannot_be_used_is_one_config_error_line(tmp_path: Path, problem: str) -> None:
    bundle = tmp_path / "ca.pem"
    if problem == "not-pem":
        bundle.write_text("not a certificate\n", encoding="utf-8")
    elif problem == "unreadable":
        bundle.mkdir()  # a directory: exists, cannot be read as a file (root ignores chmod)
    path = "ca.pem" if problem == "relative" else str(bundle)
    config = write_config(tmp_path / "config", [{"id": "intranet", "urls": ["https://intranet.example/"],
                                                 "tls_ca": path}])
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert len(err.value.lines) == 1
    line = err.value.lines[0]
    assert "sources[0].tls_ca: source 'intranet': CA bundle" in line and path in line, line


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
