"""Google News spider beyond the golden files: params, search URLs, titles, links, following."""

from __future__ import annotations

import base64

import pytest
from scrapy import Request
from scrapy.http import XmlResponse

from config.schema import Source
from crawler.runner import params_error
from crawler.spiders.base import NOT_MODIFIED_META
from crawler.spiders.googlenews import (
    GoogleNewsSpider,
    SearchParams,
    cluster_text,
    decode_article_url,
    default_ceid,
    is_google_article,
    search_url,
    strip_outlet,
    without_query,
)
from tests.support.crawl import HOSTS_SETTING
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import run_spider

ENDPOINT = "https://news.google.com/rss/search"


def gsource(params: dict[str, object], url: str = ENDPOINT, **extra: object) -> Source:
    return Source.model_validate({"id": "g", "name": "g", "kind": "aggregator", "spider": "googlenews",
                                  "urls": [url], "params": params, **extra})


def search(**params: object) -> SearchParams:
    return SearchParams.from_source(gsource(params))


def test_search_url_as_google_writes_it() -> None:
    assert search_url(ENDPOINT, search(query="Juliaca fiscalía")) == (
        "https://news.google.com/rss/search?q=Juliaca+fiscal%C3%ADa&hl=es-419&gl=PE&ceid=PE:es-419")
    assert search_url(ENDPOINT, search(query='"masacre de Juliaca"', when="7d")) == (
        "https://news.google.com/rss/search?q=%22masacre+de+Juliaca%22+when%3A7d&hl=es-419&gl=PE&ceid=PE:es-419")
    assert search_url(ENDPOINT, search(query="Juliaca site:larepublica.pe OR site:rpp.pe", hl="en-US", gl="us")) == (
        "https://news.google.com/rss/search?q=Juliaca+site%3Alarepublica.pe+OR+site%3Arpp.pe&hl=en-US&gl=US&ceid=US:en")


@pytest.mark.parametrize(("hl", "gl", "ceid"), [
    ("es-419", "PE", "PE:es-419"), ("en-US", "US", "US:en"), ("es", "PE", "PE:es"), ("pt-BR", "BR", "BR:pt"),
    ("en-GB", "PE", "PE:en-GB"),
])
def test_default_ceid(hl: str, gl: str, ceid: str) -> None:
    assert default_ceid(hl, gl) == ceid


def test_explicit_ceid_wins() -> None:
    assert search(query="x", hl="en-US", gl="US", ceid="US:en-US").ceid == "US:en-US"


def test_feed_filters_are_accepted_next_to_the_search() -> None:
    found = GoogleNewsSpider.check_params(gsource({"query": "Juliaca", "exclude_keywords": ["fútbol"]}))
    assert found.active


@pytest.mark.parametrize(("params", "message"), [
    ({}, "source 'g': params.query: required: the search, like 'Juliaca fiscalía' or '\"masacre de Juliaca\"'"),
    ({"query": "  "}, "source 'g': params.query: required: the search, like 'Juliaca fiscalía' or "
                      "'\"masacre de Juliaca\"', got '  '"),
    ({"query": "x", "when": "7 days"}, "source 'g': params.when: expected a period like '1h', '7d', '1m' or '1y', "
                                       "got '7 days'"),
    ({"query": "x", "gl": "Peru"}, "source 'g': params.gl: expected a two-letter country code like 'PE', got 'Peru'"),
    ({"query": "x", "hl": "Spanish"}, "source 'g': params.hl: expected an interface language like 'es-419' or "
                                      "'en-US', got 'Spanish'"),
    ({"query": "x", "ceid": "PE"}, "source 'g': params.ceid: expected '<country>:<language>' like 'PE:es-419', "
                                   "got 'PE'"),
    ({"query": "x", "resolve_links": True}, "source 'g': params.resolve_links: unknown parameter (known: categories, "
                                            "ceid, exclude_keywords, gl, hl, keywords, match, query, when)"),
    ({"query": "x", "keywords": "Juliaca"}, "source 'g': params.keywords: expected a list, like [Juliaca, Puno] "
                                            "(got the string 'Juliaca')"),
])
def test_bad_params_name_source_and_param(params: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        GoogleNewsSpider.check_params(gsource(params))
    assert str(info.value) == message
    assert params_error(GoogleNewsSpider, gsource(params)) == message  # what the runner records


def test_the_url_is_the_bare_endpoint() -> None:
    message = ("source 'g': urls[0]: give the bare search endpoint (like https://news.google.com/rss/search); "
               "the search goes in params.query")
    assert params_error(GoogleNewsSpider, gsource({"query": "x"}, url=ENDPOINT + "?q=Juliaca")) == message


def test_titles_lose_only_the_outlet_suffix() -> None:
    assert strip_outlet("Fiscalía abre investigación - La República", "La República") == "Fiscalía abre investigación"
    assert strip_outlet("Puno - Juliaca: pericias - Los Andes", "Los Andes") == "Puno - Juliaca: pericias"
    assert strip_outlet("Fiscalía abre investigación - larepublica.pe", "La República") == (
        "Fiscalía abre investigación - larepublica.pe")
    assert strip_outlet("Fiscalía abre investigación", "") == "Fiscalía abre investigación"
    assert strip_outlet(" - La República", "La República") == " - La República"


def test_google_links() -> None:
    link = "https://news.google.com/rss/articles/CBMiqwFBVV95cUxX?oc=5"
    assert is_google_article(link)
    assert is_google_article("https://news.google.com/articles/CBMiqwFBVV95cUxX?hl=es-419&gl=PE&ceid=PE:es-419")
    assert is_google_article("https://news.google.com/__i/rss/rd/articles/CBMiqwFBVV95cUxX?oc=5")
    assert not is_google_article("https://larepublica.pe/politica/2024/05/17/fiscalia-juliaca/")
    assert not is_google_article("https://news.google.com/stories/CAAqNggKIjBDQklT?hl=es-419")
    assert without_query(link) == "https://news.google.com/rss/articles/CBMiqwFBVV95cUxX"


def test_cluster_text() -> None:
    html = ('<ol><li><a href="https://news.google.com/rss/articles/A?oc=5">Uno</a>&nbsp;&nbsp;'
            '<font color="#6f6f6f">Infobae</font></li><li><a href="https://news.google.com/rss/articles/B">Dos</a>'
            '</li><li><strong><a href="https://news.google.com/stories/C?oc=5">Ver cobertura completa en Google '
            'Noticias</a></strong></li></ol>')
    assert cluster_text(html) == "Uno (Infobae)\n\nDos"
    assert cluster_text("Solo texto &amp; más") == "Solo texto & más"
    assert cluster_text(None) == ""


FEED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>x - Google Noticias</title>
<item><title>Nota directa - Wayka</title><link>{base}/2024/05/17/nota-directa/?utm_source=gn</link>
<guid isPermaLink="false">1</guid><pubDate>Fri, 17 May 2024 15:42:00 GMT</pubDate>
<description>&lt;a href="{base}/2024/05/17/nota-directa/"&gt;Nota directa&lt;/a&gt;&amp;nbsp;&amp;nbsp;
&lt;font color="#6f6f6f"&gt;Wayka&lt;/font&gt;</description>
<source url="https://wayka.pe">Wayka</source></item>
<item><title>Nota de Google - RPP</title><link>{base}/rss/articles/CBMiqwFBVV95cUxX?oc=5</link>
<guid isPermaLink="false">CBMiqwFBVV95cUxX</guid><pubDate>Fri, 17 May 2024 16:00:00 GMT</pubDate>
<description>&lt;a href="{base}/rss/articles/CBMiqwFBVV95cUxX?oc=5"&gt;Nota de Google&lt;/a&gt;&amp;nbsp;&amp;nbsp;
&lt;font color="#6f6f6f"&gt;RPP&lt;/font&gt;</description>
<source url="https://rpp.pe">RPP</source></item>
</channel></rss>"""
ARTICLE = "<html><body><article><h1>Nota directa</h1><p>Texto completo de la nota.</p></article></body></html>"


def gn_source(url: str, **extra: object) -> dict[str, object]:
    return {"id": "gn-t", "name": "t", "kind": "aggregator", "spider": "googlenews", "urls": [url],
            "params": {"query": "Juliaca"}, **extra}


def serve(server: LocalHTTPServer) -> None:
    server.set_route("/rss/search", body=FEED.replace("{base}", server.base_url),
                     headers={"Content-Type": "application/rss+xml"})
    server.set_route("/2024/05/17/nota-directa/", body=ARTICLE)


@pytest.mark.slow
def test_follow_never_keeps_every_result_as_its_headline() -> None:
    with LocalHTTPServer() as server:
        serve(server)
        run = run_spider(GoogleNewsSpider, gn_source(server.url("/rss/search"), follow="never"))
        fetched = [p for p in server.requests if p != "/robots.txt"]
        base = server.base_url
    assert fetched == ["/rss/search?q=Juliaca&hl=es-419&gl=PE&ceid=PE:es-419"]
    assert sorted((i.url, i.title, i.outlet, i.text, i.headline_only) for i in run.items) == [
        (f"{base}/2024/05/17/nota-directa/", "Nota directa", "Wayka", "Nota directa (Wayka)", True),
        (f"{base}/rss/articles/CBMiqwFBVV95cUxX", "Nota de Google", "RPP", "Nota de Google (RPP)", True),
    ]
    assert run.errors == []


@pytest.mark.slow
def test_results_are_resolved_to_the_article_by_default() -> None:
    """A publisher link is fetched; a Google link is followed: an HTTP redirect reaches the article, stored
    under its canonical URL (tracking dropped); Google's JavaScript page leaves the headline, marked."""
    with LocalHTTPServer() as server:
        serve(server)
        server.set_route("/rss/articles/CBMiqwFBVV95cUxX", status=302,
                         headers={"Location": server.url("/rpp/nota-de-google?ref=gnews&utm_medium=rss")})
        server.set_route("/rpp/nota-de-google", body=ARTICLE.replace("Nota directa", "Nota de Google"))
        run = run_spider(GoogleNewsSpider, gn_source(server.url("/rss/search")))
        fetched = sorted(p for p in server.requests if p != "/robots.txt")
        base = server.base_url
    assert fetched == ["/2024/05/17/nota-directa/", "/rpp/nota-de-google?ref=gnews&utm_medium=rss",
                       "/rss/articles/CBMiqwFBVV95cUxX",
                       "/rss/search?q=Juliaca&hl=es-419&gl=PE&ceid=PE:es-419"]
    items = {i.outlet: i for i in run.items}
    assert (items["Wayka"].url, items["Wayka"].text) == (f"{base}/2024/05/17/nota-directa/",
                                                       "Nota directa\n\nTexto completo de la nota.")
    rpp = items["RPP"]
    assert (rpp.url, rpp.title, rpp.text, rpp.headline_only) == (
        f"{base}/rpp/nota-de-google", "Nota de Google", "Nota de Google\n\nTexto completo de la nota.", False)
    assert run.errors == []


@pytest.mark.slow
def test_an_unresolvable_google_link_keeps_the_headline() -> None:
    with LocalHTTPServer() as server:
        serve(server)
        server.set_route("/rss/articles/CBMiqwFBVV95cUxX",
                         body="<html><body><script>location.replace('x')</script>Redirigiendo…</body></html>")
        run = run_spider(GoogleNewsSpider, gn_source(server.url("/rss/search")))
        base = server.base_url
    rpp = next(i for i in run.items if i.outlet == "RPP")
    assert (rpp.url, rpp.text, rpp.headline_only) == (f"{base}/rss/articles/CBMiqwFBVV95cUxX",
                                                      "Nota de Google (RPP)", True)
    assert run.errors == []


@pytest.mark.slow
def test_a_redirect_to_googles_consent_page_is_not_an_article() -> None:
    """Outside Peru Google may redirect to its consent page: that is no publisher, the headline stays."""
    with LocalHTTPServer() as server:
        serve(server)
        port = server.base_url.rsplit(":", 1)[1]
        server.set_route("/rss/articles/CBMiqwFBVV95cUxX", status=302,
                         headers={"Location": f"http://consent.google.com:{port}/ml?continue=x"})
        server.set_route("/ml", body="<html><body><h1>Antes de ir a Google</h1><p>Usamos cookies.</p></body></html>")
        run = run_spider(GoogleNewsSpider, gn_source(server.url("/rss/search")),
                         settings={"TWISTED_DNS_RESOLVER": "tests.support.crawl.HostsResolver",
                                   HOSTS_SETTING: {"consent.google.com": "127.0.0.1"}})
        fetched = [p for p in server.requests if p != "/robots.txt"]
    assert "/ml?continue=x" in fetched  # the redirect was followed, and recognised
    rpp = next(i for i in run.items if i.outlet == "RPP")
    assert rpp.headline_only and rpp.url.endswith("/rss/articles/CBMiqwFBVV95cUxX")


def _old_id(url: str) -> str:
    """An id as Google wrote them until 2024: base64 of a protobuf with the article URL (field 4)."""
    raw = url.encode()
    return base64.urlsafe_b64encode(b"\x08\x13\x22" + bytes([len(raw)]) + raw + b"\xd2\x01\x00").decode().rstrip("=")


@pytest.mark.slow
def test_ids_that_hold_the_url_are_decoded_and_the_article_fetched_directly() -> None:
    assert decode_article_url(f"https://news.google.com/rss/articles/{_old_id('https://rpp.pe/a?x=1')}?oc=5") == (
        "https://rpp.pe/a?x=1")
    assert decode_article_url("https://news.google.com/rss/articles/CBMiqwFBVV95cUxX?oc=5") is None  # truncated
    assert decode_article_url("https://news.google.com/rss/articles/AU_yqLopaque") is None
    assert decode_article_url("https://news.google.com/rss/articles/!!!") is None
    with LocalHTTPServer() as server:
        serve(server)
        gid = _old_id(server.url("/rpp/nota-de-google"))
        server.set_route("/rss/search", body=FEED.replace("{base}", server.base_url).replace("CBMiqwFBVV95cUxX", gid),
                         headers={"Content-Type": "application/rss+xml"})
        server.set_route("/rpp/nota-de-google", body=ARTICLE.replace("Nota directa", "Nota de Google"))
        run = run_spider(GoogleNewsSpider, gn_source(server.url("/rss/search")))
        fetched = [p for p in server.requests if p != "/robots.txt"]
        base = server.base_url
    assert not any("/rss/articles/" in p for p in fetched) and "/rpp/nota-de-google" in fetched
    rpp = next(i for i in run.items if i.outlet == "RPP")
    assert (rpp.url, rpp.headline_only) == (f"{base}/rpp/nota-de-google", False)


def test_unchanged_search_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    spider = GoogleNewsSpider(source=gsource({"query": "Juliaca"}))
    spider.crawler = None  # type: ignore[assignment]  # callbacks called directly, no crawl
    url = search_url(ENDPOINT, spider.search)
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    same = XmlResponse(url, body=empty, request=Request(url, meta={NOT_MODIFIED_META: "checksum"}))
    assert list(spider.parse(same)) == []
    gone = XmlResponse(url, status=304, body=b"", request=Request(url, meta={NOT_MODIFIED_META: "304"}))
    assert list(spider.parse(gone)) == []
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
    fresh = XmlResponse(url, body=empty, request=Request(url))
    assert list(spider.parse(fresh)) == []
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"source g: {url} yielded no items (structure changed?): Google News has no results for 'Juliaca' "
        "(query too narrow?)"]
