"""TLS: certificates are verified, a private CA is trusted only by the source that names it in tls_ca,
and a tls_ca that cannot be used is one config error line. Real `casewatch crawl` processes against
HTTPS servers on loopback; nothing unverified becomes a version.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from config.schema import ConfigError, load_config
from pipeline.store.session import Database
from tests.support.certs import TestCA, self_signed
from tests.support.httpserver import LocalHTTPSServer
from tests.support.integrity_crawl import Stored, crawl, last_run, lines_naming, page, stored, write_config

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
