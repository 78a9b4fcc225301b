"""Refused by design, each with a clear error line naming the source and URL (real crawls, loopback only).

A source may be allowed a list of private hosts (its own server): a redirect elsewhere is refused.
"""

from __future__ import annotations

import pytest

from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import run_spider

PAGE = "crawler.spiders.page:PageSpider"
FEED = "crawler.spiders.feed:FeedSpider"


def _source(url: str, **extra: object) -> dict[str, object]:
    return {"id": "refusals", "name": "r", "kind": "news", "spider": "page", "urls": [url], **extra}


@pytest.mark.slow
def test_feed_links_to_file_and_data_urls_are_never_fetched() -> None:
    feed = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>Archivo</title><link>file:///etc/passwd</link><description>a</description></item>
    <item><title>Datos</title><link>data:text/html,hola</link><description>b</description></item>
    <item><title>Bien</title><link>{base}/ok</link><description>c</description></item>
    </channel></rss>"""
    with LocalHTTPServer() as server:
        server.set_route("/feed", body=feed.replace("{base}", server.base_url),
                         headers={"Content-Type": "application/rss+xml"})
        server.set_route("/ok", body="<html><body><main><p>Texto de la nota.</p></main></body></html>")
        run = run_spider(FEED, {**_source(server.url("/feed")), "spider": "feed", "follow": "always"})
    assert [i.url for i in run.items] == [server.url("/ok")]
    assert all(b"root:" not in i.body for i in run.items)
    refused = [w for w in run.warnings if "has no http(s) link" in w]
    assert len(refused) == 2 and all("source refusals" in w for w in refused)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["http://localhost:{port}/admin", "http://169.254.169.254/latest/meta-data/",
                                    "http://10.0.0.1/"])
def test_redirect_to_a_private_address_is_refused(target: str) -> None:
    """The source may reach 127.0.0.1 (its own server), not whatever a redirect points at."""
    with LocalHTTPServer() as server:
        location = target.format(port=server.base_url.rsplit(":", 1)[1])
        server.set_route("/moved", status=302, headers={"Location": location})
        server.set_route("/admin", body="<html><body><main><p>panel interno</p></main></body></html>")
        run = run_spider(PAGE, _source(server.url("/moved")), allow_private=["127.0.0.1"])
        assert server.requests == ["/robots.txt", "/moved"]
    assert run.items == []
    assert any("address guard refused" in e and location in e and "private, loopback or link-local" in e
               for e in run.errors), run.errors


@pytest.mark.slow
def test_redirect_to_loopback_followed_when_the_source_allows_every_private_host() -> None:
    with LocalHTTPServer() as server:
        port = server.base_url.rsplit(":", 1)[1]
        server.set_route("/moved", status=302, headers={"Location": f"http://localhost:{port}/admin"})
        server.set_route("/admin", body="<html><body><main><p>panel interno</p></main></body></html>")
        run = run_spider(PAGE, _source(server.url("/moved")), allow_private=True)
    assert [i.fetched_url for i in run.items] == [f"http://localhost:{port}/admin"]
