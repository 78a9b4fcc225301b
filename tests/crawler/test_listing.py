"""The listing spider beyond its golden files: param validation messages, XPath selectors, cards
without links, broken pagination."""

from __future__ import annotations

from typing import Any

import pytest

from config.schema import Source
from crawler.extract.selectors import field_selector
from crawler.spiders.listing import ListingSpider
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import run_spider

GOOD = {"item": "article.news", "link": "h2 a::attr(href)"}


def source(allow_private: bool = False, **params: Any) -> Source:
    return Source.model_validate({"id": "rpp-puno", "name": "RPP", "kind": "news", "spider": "listing",
                                  "urls": ["https://rpp.pe/peru/puno"], "allow_private": allow_private,
                                  "params": params})


@pytest.mark.parametrize(("params", "message"), [
    ({}, "source 'rpp-puno': params.item: required: the selector of each card"),
    ({"item": "article..news"}, "source 'rpp-puno': params.item: invalid CSS selector 'article..news': "
                                "Expected ident, got <DELIM '.' at 8>"),
    ({**GOOD, "title": "h2 a::foo"}, "source 'rpp-puno': params.title: invalid CSS selector 'h2 a::foo': "
                                     "The pseudo-element ::foo is unknown"),
    ({**GOOD, "date": "//time[@datetime"}, "source 'rpp-puno': params.date: invalid XPath selector "
                                           "'//time[@datetime': XPath error"),
    ({**GOOD, "summary": "xpath:p[@class="}, "source 'rpp-puno': params.summary: invalid XPath selector"),
    ({**GOOD, "author": ""}, "source 'rpp-puno': params.author: expected a CSS or XPath selector (got '')"),
    ({**GOOD, "item": ["article.news"]}, "source 'rpp-puno': params.item: expected a CSS or XPath selector"),
    ({**GOOD, "selector": "x"}, "source 'rpp-puno': params.selector: unknown parameter (known: author, category"),
    ({**GOOD, "link_pattern": "(noticia"}, "source 'rpp-puno': params.link_pattern: invalid regular expression"),
    ({**GOOD, "next": "a.next"}, "source 'rpp-puno': params.max_pages: required with params.next"),
    ({**GOOD, "pages": "/peru/puno?page={n}"}, "source 'rpp-puno': params.max_pages: required with params.pages"),
    ({**GOOD, "next": "a.next", "pages": "?page={n}", "max_pages": 2},
     "source 'rpp-puno': params.pages: use either next"),
    ({**GOOD, "pages": "/peru/puno/page/2", "max_pages": 2}, "source 'rpp-puno': params.pages: expected a URL "
                                                             "template containing {n}"),
    ({**GOOD, "pages": "/p/{page}/{n}", "max_pages": 2}, "source 'rpp-puno': params.pages: only {n} may appear"),
    ({**GOOD, "pages": "http://127.0.0.1/{n}", "max_pages": 2}, "source 'rpp-puno': params.pages: URL points to "
                                                                "a private or loopback address"),
    ({**GOOD, "pages": "ftp://rpp.pe/{n}", "max_pages": 2}, "source 'rpp-puno': params.pages: only http and https"),
    ({**GOOD, "max_pages": 0}, "source 'rpp-puno': params.max_pages: expected a whole number from 1 to 50 (got 0)"),
    ({**GOOD, "max_pages": "3"}, "source 'rpp-puno': params.max_pages: expected a whole number"),
    ({**GOOD, "max_pages": True}, "source 'rpp-puno': params.max_pages: expected a whole number"),
])
def test_bad_params_are_one_clear_line(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        ListingSpider(source=source(**params))
    text = str(info.value)
    assert text.startswith(message), text
    assert "\n" not in text


def test_good_params() -> None:
    spider = ListingSpider(source=source(
        item='[class^="ListSection_list__section--item"]', title="h2 a", date="time", summary="p",
        author="span.author", category="a.category", link_pattern=r"-noticia-\d+$",
        next="a.pagination__next::attr(href)", max_pages=3,
    ))
    assert spider.config.max_pages == 3 and spider.config.next is not None
    assert set(spider.config.fields) == {"link", "title", "date", "summary", "author", "category"}
    assert ListingSpider.check_params(source(item="article")).fields["link"].expr == "a::attr(href)"


def test_selector_syntax() -> None:
    assert field_selector("item", "//article", relative=False) == field_selector("item", "xpath://article",
                                                                                 relative=False)
    assert field_selector("title", "//h2", relative=True).expr == ".//h2"  # inside the card, not the page
    assert field_selector("title", "(.//h2)[1]", relative=True).xpath
    assert not field_selector("title", ".news__title a", relative=True).xpath  # a CSS class, not XPath
    css = field_selector("title", "css:h2 > a::text", relative=True)
    assert (css.xpath, css.expr) == (False, "h2 > a::text")


PAGE = """<html><body><nav><a href="/politica">Política</a></nav>
<ul class="cards">
  <li class="card"><h3>Juliaca: vigilia por las víctimas</h3><a href="/n/1?utm_source=home">ver</a>
      <time class="when">Martes 28 de julio del 2026 | 10:35 a. m.</time></li>
  <li class="card"><a href="/n/2"><strong>Puno: audiencia del caso Juliaca</strong></a>
      <time class="when" datetime="2026-07-27T08:00:00-05:00">ayer</time></li>
  <li class="card"><span>Publicidad</span></li>
  <li class="card"><a href="javascript:void(0)">Cargar más</a></li>
</ul></body></html>"""


@pytest.mark.slow
def test_xpath_cards_default_title_dates_and_cards_without_links() -> None:
    with LocalHTTPServer() as server:
        server.set_route("/puno", body=PAGE)
        run = run_spider(ListingSpider, {
            "id": "t", "name": "t", "kind": "news", "spider": "listing", "urls": [server.url("/puno")],
            "follow": "never",
            "params": {"item": "//li[@class='card']", "date": "//time"},  # the card's time, not the page's
        })
        base = server.base_url
    items = {i.url: i for i in run.items}
    assert set(items) == {f"{base}/n/1", f"{base}/n/2"}
    one, two = items[f"{base}/n/1"], items[f"{base}/n/2"]
    assert one.title == "Juliaca: vigilia por las víctimas"  # first heading
    assert two.title == "Puno: audiencia del caso Juliaca"  # else the link text
    assert one.published_at is not None and one.published_at.isoformat() == "2026-07-28T10:35:00-05:00"
    assert two.published_at is not None and two.published_at.isoformat() == "2026-07-27T08:00:00-05:00"
    assert two.body.startswith(b"<li") and b"audiencia" in two.body
    assert run.errors == []
    assert sum("has no http(s) link" in w for w in run.warnings) == 2


@pytest.mark.slow
def test_no_links_a_broken_next_page_and_a_stale_link_pattern_are_errors() -> None:
    no_links = "<html><body><article class='news'><h2>Sin enlace</h2></article></body></html>"
    page1 = ("<html><body><article class='news'><h2><a href='/n/1'>Juliaca</a></h2></article>"
             "<a class='next' href='/puno?page=2'>Siguiente</a></body></html>")
    with LocalHTTPServer() as server:
        server.set_route("/vacia", body=no_links)
        server.set_route("/puno", body=page1)
        server.set_route("/puno?page=2", status=404, body="no")
        src = {"id": "t", "name": "t", "kind": "news", "spider": "listing", "follow": "never"}
        linkless = run_spider(ListingSpider, {**src, "urls": [server.url("/vacia")],
                                              "params": {"item": "article.news"}})
        paged = run_spider(ListingSpider, {**src, "urls": [server.url("/puno")],
                                           "params": {"item": "article.news", "next": "a.next", "max_pages": 3}})
        moved = run_spider(ListingSpider, {**src, "urls": [server.url("/puno")],
                                           "params": {"item": "article.news", "link_pattern": r"-noticia/$"}})
    assert linkless.items == []
    assert any("none of 1 cards has a link (selector 'a::attr(href)')" in e for e in linkless.errors)
    assert [i.title for i in paged.items] == ["Juliaca"]
    assert any("/puno?page=2 yielded no items" in e and "HTTP 404" in e for e in paged.errors)
    # article URLs no longer match the pattern: reported, not a quiet empty run
    assert moved.items == []
    assert any("link_pattern '-noticia/$' rejected all 1 card links" in e for e in moved.errors)
