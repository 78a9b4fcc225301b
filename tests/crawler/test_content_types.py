"""Each spider family reads what it can; anything else is one ERROR line naming source, URL and type.

Pages, listings, gob.pe and CIDH read HTML (and PDFs); feeds read RSS/Atom/XML, and the articles a
feed follows are pages again. A missing or generic type is judged by the body's first bytes.
"""

from __future__ import annotations

import pytest

from crawler.contenttypes import DOCUMENT, FEED, unexpected
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import run_spider

FEED_SPIDER = "crawler.spiders.feed:FeedSpider"
PAGE_SPIDER = "crawler.spiders.page:PageSpider"
HTML = b"<!DOCTYPE html><html><body><main><p>Texto de la nota.</p></main></body></html>"
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/html; charset=utf-8", HTML),
    ("application/xhtml+xml", HTML),
    ("application/pdf", b"%PDF-1.7 ..."),
    ("application/octet-stream", b"%PDF-1.4 ..."),  # PDFs often come with a generic type
    ("text/plain", b"\xef\xbb\xbf  <!-- cms --><html lang=es><p>x</p></html>"),
    ("", b"<!doctype html><p>x</p>"),
])
def test_documents_accept_pages_and_pdfs(content_type: str, body: bytes) -> None:
    assert unexpected(content_type, body, DOCUMENT) is None


@pytest.mark.parametrize(("content_type", "body", "declared"), [
    ("application/json", b'{"title": "x"}', "application/json"),
    ("image/png", b"\x89PNG\r\n", "image/png"),
    ("", b'{"title": "x"}', "(none)"),
    ("text/plain", b"just words", "text/plain"),
    ("application/rss+xml", RSS, "application/rss+xml"),
])
def test_documents_refuse_everything_else(content_type: str, body: bytes, declared: str) -> None:
    assert unexpected(content_type, body, DOCUMENT) == f"unexpected content type {declared} (expected HTML or PDF)"


def test_feeds_accept_xml_and_refuse_html() -> None:
    for content_type in ("application/rss+xml", "application/atom+xml", "text/xml; charset=iso-8859-1",
                         "application/xml"):
        assert unexpected(content_type, RSS, (FEED,)) is None
    assert unexpected("text/plain", RSS, (FEED,)) is None
    assert unexpected("text/html", HTML, (FEED,)) == "unexpected content type text/html (expected RSS/Atom/XML)"


@pytest.mark.slow
def test_a_feed_follows_articles_as_pages_and_refuses_a_json_article() -> None:
    feed = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>Nota</title><link>{base}/nota</link><description>a</description></item>
    <item><title>API</title><link>{base}/api</link><description>b</description></item>
    </channel></rss>"""
    with LocalHTTPServer() as server:
        server.set_route("/feed", body=feed.replace("{base}", server.base_url),
                         headers={"Content-Type": "application/rss+xml"})
        server.set_route("/nota", body=HTML)
        server.set_route("/api", body=b'{"title": "API"}', headers={"Content-Type": "application/json"})
        source = {"id": "ct-feed", "name": "f", "kind": "news", "spider": "feed", "urls": [server.url("/feed")],
                  "follow": "always"}
        run = run_spider(FEED_SPIDER, source)
    assert [i.url for i in run.items] == [server.url("/nota")]
    assert run.errors == [f"ct-feed: {server.url('/api')}: unexpected content type application/json "
                          f"(expected HTML or PDF)"]


@pytest.mark.slow
def test_a_page_source_answered_with_an_image_stores_nothing() -> None:
    with LocalHTTPServer() as server:
        server.set_route("/foto", body=b"\x89PNG\r\n\x1a\n....", headers={"Content-Type": "image/png"})
        run = run_spider(PAGE_SPIDER, {"id": "ct-page", "name": "p", "kind": "news", "spider": "page",
                                       "urls": [server.url("/foto")]})
    assert run.items == []
    assert run.errors == [f"ct-page: {server.url('/foto')}: unexpected content type image/png (expected HTML or PDF)"]
    assert run.stats.get("casewatch/refused/content_type") == 1
