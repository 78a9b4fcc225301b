"""Spider behaviour beyond the golden files: limits, follow modes, revisits, config loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.schema import Source
from crawler.extract.feeds import raw_entries
from crawler.spiders.feed import FeedSpider
from crawler.spiders.page import PageSpider
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import run_spider

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "spiders" / "feed"
LR = (FEEDS / "larepublica_politica.xml").read_bytes()

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
  <title>Ojo</title>
  <entry><title type="html">A &amp;lt;b&amp;gt; tag</title><link rel="alternate" href="/4844/masacre-puno"/>
    <id>urn:1</id><updated>2024-01-09T10:00:00-05:00</updated>
    <media:description>caption</media:description>
    <content type="html">&lt;p&gt;Cuerpo &lt;b&gt;completo&lt;/b&gt;.&lt;/p&gt;</content></entry>
</feed>"""


def feed_source(url: str, **extra: object) -> dict[str, object]:
    return {"id": "t", "name": "t", "kind": "news", "spider": "feed", "urls": [url], **extra}


def test_raw_entries_find_content_encoded_under_any_prefix() -> None:
    raws = raw_entries(LR)
    assert raws is not None and len(raws) == 4
    assert raws[0].content_html and raws[0].content_html.lstrip().startswith("<p>Jorge Nieto")
    assert raws[0].xml.startswith(b"<item") and raws[0].xml.endswith(b"</item>")
    assert raw_entries(b"<html><body>no</p></html>") is None


@pytest.mark.slow
def test_atom_feed_and_relative_links() -> None:
    with LocalHTTPServer() as server:
        server.set_route("/atom.xml", body=ATOM, headers={"Content-Type": "application/atom+xml"})
        run = run_spider(FeedSpider, feed_source(server.url("/atom.xml"), follow="never"))
        base = server.base_url
    [item] = run.items
    assert item.url == f"{base}/4844/masacre-puno"
    assert item.text == "Cuerpo completo."  # atom:content, not the media:description caption
    assert item.title == "A <b> tag"
    assert item.published_at is not None and item.published_at.isoformat() == "2024-01-09T10:00:00-05:00"
    assert item.body.startswith(b"<entry")


@pytest.mark.slow
def test_max_items() -> None:
    with LocalHTTPServer() as server:
        server.set_route("/lr.xml", body=LR, headers={"Content-Type": "application/xml"})
        run = run_spider(FeedSpider, feed_source(server.url("/lr.xml"), follow="never", max_items=2))
    assert len(run.items) == 2
    assert run.errors == []


@pytest.mark.slow
def test_follow_always_fetches_the_article_even_with_content() -> None:
    feed = """<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>x</title>
      <item><title>Feed title</title><link>{base}/a?utm_source=rss</link>
      <pubDate>Tue, 10 Jan 2023 14:30:00 +0000</pubDate>
      <content:encoded><![CDATA[<p>Texto del feed.</p>]]></content:encoded></item></channel></rss>"""
    with LocalHTTPServer() as server:
        server.set_route("/feed.xml", body=feed.replace("{base}", server.base_url),
                         headers={"Content-Type": "application/rss+xml"})
        server.set_route("/a", body="<html><body><article><p>Texto completo del artículo.</p></article></body></html>")
        run = run_spider(FeedSpider, feed_source(server.url("/feed.xml"), follow="always"))
        assert "/a" in server.requests
    [item] = run.items
    assert item.text == "Texto completo del artículo."
    assert item.title == "Feed title"  # the page has none
    assert item.published_at is not None and item.published_at.isoformat() == "2023-01-10T14:30:00+00:00"
    assert b"Texto completo" in item.body and item.fetched_url.endswith("/a")


@pytest.mark.slow
def test_revisit_only_what_the_crawl_did_not_produce() -> None:
    with LocalHTTPServer() as server:
        server.set_route("/lr.xml", body=LR, headers={"Content-Type": "application/xml"})
        server.set_route("/old-article", status=404, body="gone")
        in_feed = ("https://larepublica.pe/politica/2026/07/19/buen-gobierno-se-uniria-con-renovacion-popular"
                   "-tras-discrepancias-con-el-bloque-de-izquierda-hnews-1223258?ref=x")
        run = run_spider(FeedSpider, feed_source(server.url("/lr.xml"), follow="never"),
                         revisit=[server.url("/old-article"), in_feed])
        assert server.requests.count("/old-article") == 1
    gone = [i for i in run.items if i.url.endswith("/old-article")]
    assert [(i.status, i.text) for i in gone] == [(404, "")]
    assert len(run.items) == 5  # 4 feed entries + the revisited one; the in-feed URL is not fetched


@pytest.mark.slow
def test_page_changes_between_runs() -> None:
    with LocalHTTPServer() as server:
        server.set_route("/p", body="<html><body><main><p>Versión 1</p></main></body></html>")
        source = {"id": "p", "name": "p", "kind": "court", "spider": "page", "urls": [server.url("/p")]}
        first = run_spider(PageSpider, source)
        server.set_route("/p", status=404, body="no")
        second = run_spider(PageSpider, source)
    assert [(i.status, i.text) for i in first.items] == [(200, "Versión 1")]
    assert [(i.status, i.text) for i in second.items] == [(404, "")]


@pytest.mark.slow
def test_scope_missing_is_an_error_not_an_empty_page() -> None:
    with LocalHTTPServer() as server:
        server.set_route("/p", body="<html><body><main><p>Rediseño</p></main></body></html>")
        source = {"id": "p", "name": "p", "kind": "court", "spider": "page", "urls": [server.url("/p")],
                  "scope": "#contenido"}
        run = run_spider(PageSpider, source)
    assert run.items == []
    assert any("source p:" in e and "'#contenido' matched nothing" in e for e in run.errors)


def test_source_by_id_from_config(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "c.yaml").write_text("id: c\nname: C\nterms: [Juliaca]\n", encoding="utf-8")
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - {id: lr, name: LR, kind: news, spider: feed, urls: ['https://larepublica.pe/rss/politica.xml']}\n",
        encoding="utf-8")
    spider = FeedSpider(source="lr", config=str(tmp_path), revisit="https://a.pe/1, https://a.pe/2")
    assert spider.source.id == "lr" and spider.revisit == ["https://a.pe/1", "https://a.pe/2"]
    with pytest.raises(ValueError, match="unknown source 'nope'"):
        FeedSpider(source="nope", config=str(tmp_path))
    with pytest.raises(ValueError, match="uses spider 'feed', not 'page'"):
        PageSpider(source="lr", config=str(tmp_path))
    with pytest.raises(ValueError, match="needs a source"):
        FeedSpider()
    assert isinstance(spider.source, Source)


@pytest.mark.slow
def test_feed_without_description_has_no_summary_copy() -> None:
    feed = b"""<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>x</title>
      <item><title>t</title><link>https://a.pe/x</link><content:encoded><![CDATA[<p>Cuerpo</p>]]></content:encoded>
      </item></channel></rss>"""
    with LocalHTTPServer() as server:
        server.set_route("/f.xml", body=feed, headers={"Content-Type": "application/xml"})
        run = run_spider(FeedSpider, feed_source(server.url("/f.xml"), follow="auto"))
        assert server.requests == ["/f.xml"] or server.requests == ["/robots.txt", "/f.xml"]
    [item] = run.items
    assert (item.text, item.summary, item.url) == ("Cuerpo", "", "https://a.pe/x")
