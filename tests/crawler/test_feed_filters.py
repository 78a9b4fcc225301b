"""Feed entry filters (params.categories / keywords / exclude_keywords / match): validation messages,
matching rules, and what a fully filtered feed means for the run."""

from __future__ import annotations

from typing import Any

import feedparser
import pytest

from config.schema import Source
from crawler.extract.feeds import feed_text
from crawler.spiders.feed import EntryFilter, FeedEntry, FeedSpider, entry_category_keys
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import run_spider


def source(**params: Any) -> Source:
    return Source.model_validate({"id": "lr-puno", "name": "LR", "kind": "news", "spider": "feed",
                                  "urls": ["https://larepublica.pe/rss/politica.xml"], "params": params})


@pytest.mark.parametrize(("params", "message"), [
    ({"keywords": "Juliaca, Puno"}, "source 'lr-puno': params.keywords: expected a list, like [Juliaca, Puno] "
                                    "(got the string 'Juliaca, Puno')"),
    ({"categories": {"tag": "puno"}}, "source 'lr-puno': params.categories: expected a list of words"),
    ({"categories": ["puno", 2023]}, "source 'lr-puno': params.categories[1]: expected a non-empty text (got 2023"),
    ({"exclude_keywords": ["  "]}, "source 'lr-puno': params.exclude_keywords[0]: expected a non-empty text"),
    ({"categories": ["--"]}, "source 'lr-puno': params.categories: a category has no letters or digits"),
    ({"match": "every"}, "source 'lr-puno': params.match: expected 'any' or 'all' (got 'every')"),
    ({"keyword": ["Juliaca"]}, "source 'lr-puno': params.keyword: unknown parameter (known: categories, "
                               "exclude_keywords, keywords, match)"),
])
def test_bad_params_are_one_clear_line(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        FeedSpider(source=source(**params))
    text = str(info.value)
    assert text.startswith(message)
    assert "\n" not in text


def test_good_params_and_no_params() -> None:
    spider = FeedSpider(source=source(categories=["puno"], keywords=["Juliaca"], exclude_keywords=[], match="all"))
    assert spider.entry_filter.categories == frozenset({"puno"}) and spider.entry_filter.match == "all"
    assert not FeedSpider(source=source()).entry_filter.active


def test_a_subclass_with_its_own_params_is_not_rejected() -> None:
    class NewsSearch(FeedSpider):  # like googlenews: extra params, no PARAMS of its own
        name = "newssearch"

    found = NewsSearch.check_params(source(resolve_links=True, keywords=["Juliaca"]))
    assert found.keywords is not None


def entry(title: str = "", summary: str = "", content: str = "") -> FeedEntry:
    return FeedEntry(url="https://a.pe/x", title=title, summary=summary, content=content)


def test_keywords_ignore_case_and_accents_and_need_whole_words() -> None:
    f = EntryFilter.from_params({"keywords": ["Juliaca", "fiscalía", "masacre de Juliaca"]})
    assert f.accepts(entry(title="JULIACA: vigilia"), [])
    assert f.accepts(entry(summary="La Fiscalia abrió investigación"), [])  # no accent in the text
    assert f.accepts(entry(content="la Masacre  de\nJuliaca"), [])  # phrases span any whitespace
    assert not f.accepts(entry(title="Juliaqueños celebran", summary="Juliacazo"), [])
    assert not f.accepts(entry(title="Fiscalías de Lima"), [])


def test_exclude_vetoes_whatever_else_matched() -> None:
    f = EntryFilter.from_params({"keywords": ["Juliaca"], "exclude_keywords": ["fútbol"]})
    assert not f.accepts(entry(title="Futbol: Binacional vuelve a Juliaca"), [])
    only_exclude = EntryFilter.from_params({"exclude_keywords": ["horóscopo"]})
    assert only_exclude.accepts(entry(title="Cualquier nota"), [])
    assert not only_exclude.accepts(entry(title="Horoscopo de hoy"), [])


def test_match_any_or_all() -> None:
    params: dict[str, Any] = {"categories": ["puno"], "keywords": ["fiscalía"]}
    tagged = entry(title="Vigilia en la plaza")
    assert EntryFilter.from_params(params).accepts(tagged, ["puno"])
    assert not EntryFilter.from_params({**params, "match": "all"}).accepts(tagged, ["puno"])
    both = entry(title="Fiscalía cita a policías")
    assert EntryFilter.from_params({**params, "match": "all"}).accepts(both, ["puno"])


LR_ITEM = b"""<rss version="2.0"><channel><title>LR</title><item><title>t</title><link>https://larepublica.pe/a</link>
<category domain="https://larepublica.pe/sociedad">Sociedad</category>
<category domain="https://larepublica.pe/tag/puno">Regi\xc3\xb3n Puno</category>
<category>Derechos Humanos</category>
<category domain="https://larepublica.pe/tag/masacre-en-juliaca/">Masacre en Juliaca</category>
</item></channel></rss>"""


def test_categories_match_term_and_domain_slug() -> None:
    [parsed] = feedparser.parse(LR_ITEM).entries
    keys = entry_category_keys(parsed)
    assert {"sociedad", "region-puno", "puno", "derechos-humanos", "masacre-en-juliaca"} <= keys
    for wanted in (["puno"], ["Derechos humanos"], ["derechos_humanos"], ["REGIÓN PUNO"], ["masacre-en-juliaca"]):
        assert EntryFilter.from_params({"categories": wanted}).accepts(entry(), keys), wanted
    assert not EntryFilter.from_params({"categories": ["juliaca"]}).accepts(entry(), keys)  # tags are exact


def test_related_story_lines_are_not_article_text() -> None:
    html = ("<p>Cuerpo de la nota.</p><p><b>Lee también:</b> <a href='/x'>Otra nota</a></p>"
            "<p>Te puede interesar: <a href='/y'>Otra más</a></p><p>Lee también el informe completo "
            "de la Defensoría, que detalla las 18 muertes y las circunstancias de cada una, con las necropsias, "
            "los peritajes balísticos y los testimonios recogidos en Juliaca durante los días posteriores.</p>")
    assert feed_text(html) == (
        "Cuerpo de la nota.\n\nLee también el informe completo de la Defensoría, que detalla las 18 muertes y las "
        "circunstancias de cada una, con las necropsias, los peritajes balísticos y los testimonios recogidos en "
        "Juliaca durante los días posteriores."
    )


FEED = """<rss version="2.0"><channel><title>x</title>
<item><title>Juliaca: vigilia</title><link>{base}/a</link><description>d</description></item>
<item><title>Clima en Lima</title><link>{base}/b</link><description>d</description></item>
<item><title>Congreso</title><link>{base}/c</link><description>d</description></item>
</channel></rss>"""


@pytest.mark.slow
def test_filtered_entries_are_counted_not_fetched_and_a_quiet_feed_is_no_error() -> None:
    with LocalHTTPServer() as server:
        server.set_route("/f.xml", body=FEED.replace("{base}", server.base_url),
                         headers={"Content-Type": "application/rss+xml"})
        server.set_route("/a", body="<html><body><article><p>Vigilia en Juliaca.</p></article></body></html>")
        src = {"id": "t", "name": "t", "kind": "news", "spider": "feed", "urls": [server.url("/f.xml")],
               "follow": "auto"}
        some = run_spider(FeedSpider, {**src, "params": {"keywords": ["Juliaca"]}})
        none = run_spider(FeedSpider, {**src, "params": {"keywords": ["Ayacucho"]}})
        requested = list(server.requests)
    assert [i.url.rsplit("/", 1)[1] for i in some.items] == ["a"]
    assert some.stats.get("casewatch/filtered") == 2 and some.errors == []
    assert none.items == [] and none.errors == [] and none.stats.get("casewatch/filtered") == 3
    assert "/b" not in requested and "/c" not in requested


@pytest.mark.slow
def test_a_feed_without_entries_is_still_an_error() -> None:
    empty = b"<rss version='2.0'><channel><title>x</title></channel></rss>"
    with LocalHTTPServer() as server:
        server.set_route("/f.xml", body=empty, headers={"Content-Type": "application/rss+xml"})
        run = run_spider(FeedSpider, {"id": "t", "name": "t", "kind": "news", "spider": "feed",
                                      "urls": [server.url("/f.xml")], "params": {"keywords": ["Juliaca"]}})
    assert run.items == []
    assert any("source t:" in e and "the feed has no entries" in e for e in run.errors)
