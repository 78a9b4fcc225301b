"""Certificates are verified, with no way around it; a source's private CA vouches for its own hosts only.

(The self-signed / private-CA / wrong-host crawls are in tests/reliability/test_fetch_integrity.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.certs import TestCA, self_signed
from tests.support.httpserver import LocalHTTPSServer
from tests.support.spiders import run_spider

PAGE = "crawler.spiders.page:PageSpider"
FEED = "crawler.spiders.feed:FeedSpider"
HTML = "<html><body><main><p>Texto de la nota.</p></main></body></html>"


@pytest.mark.slow
def test_turning_verification_off_does_not_fetch_unverified(tmp_path: Path) -> None:
    with LocalHTTPSServer(*self_signed(tmp_path, "localhost")) as server:
        server.set_route("/", body=HTML)
        run = run_spider(PAGE, {"id": "off", "name": "o", "kind": "news", "spider": "page", "urls": [server.url("/")]},
                         settings={"DOWNLOAD_VERIFY_CERTIFICATES": False})
    assert run.items == []
    assert server.requests == []  # not even robots.txt: https has no handler without verification
    why = "casewatch fetches https only with DOWNLOAD_VERIFY_CERTIFICATES = True"
    assert any(e.startswith(f"source off: {server.url('/')} failed: ") and why in e for e in run.errors), run.errors


@pytest.mark.slow
def test_a_private_ca_is_trusted_for_the_source_hosts_only(tmp_path: Path) -> None:
    ca = TestCA.create(tmp_path / "ca")
    feed_server = LocalHTTPSServer(*ca.issue(tmp_path / "feed", "localhost"), hostname="localhost")
    # Same CA, another host: a link in the feed may not borrow the source's trust.
    article_server = LocalHTTPSServer(*ca.issue(tmp_path / "article", "127.0.0.1"), hostname="127.0.0.1")
    with feed_server, article_server:
        article_server.set_route("/nota", body=HTML)
        feed_server.set_route("/propia", body=HTML)
        feed_server.set_route("/feed", headers={"Content-Type": "application/rss+xml"}, body=f"""<?xml version="1.0"?>
            <rss version="2.0"><channel><title>t</title>
            <item><title>Propia</title><link>{feed_server.url('/propia')}</link></item>
            <item><title>Ajena</title><link>{article_server.url('/nota')}</link></item>
            </channel></rss>""")
        run = run_spider(FEED, {"id": "intranet", "name": "i", "kind": "news", "spider": "feed",
                                "urls": [feed_server.url("/feed")], "follow": "always",
                                "tls_ca": str(ca.cert_file)})
    assert [i.url for i in run.items] == [feed_server.url("/propia")]
    assert run.errors == [f"intranet: {article_server.url('/nota')}: TLS certificate refused: not signed by a "
                          f"trusted CA (self-signed, expired or from a private CA; for a private CA set the "
                          f"source's tls_ca)"]
