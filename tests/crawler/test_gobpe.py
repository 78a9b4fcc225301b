"""gob.pe spider beyond the golden files: params, id order, JSON fallbacks, listing-only items, revisits."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from config.schema import Source
from crawler.spiders.gobpe import GobPeParams, GobPeSpider, news_link, sheet_url
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import run_spider

JSON_URL = "https://www.gob.pe/institucion/mpfn/noticias.json"
JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}
HTML_TYPE = {"Content-Type": "text/html; charset=utf-8"}


def gobpe_source(url: str = JSON_URL, **extra: Any) -> dict[str, Any]:
    return {"id": "mpfn", "name": "MPFN", "kind": "prosecutor", "spider": "gobpe", "urls": [url], **extra}


def news(news_id: int, date: str = "15 de setiembre de 2025", slash: str = "") -> dict[str, str]:
    return {"title": f"Noticia {news_id}", "description": f"Resumen {news_id}...", "image": "",
            "url": f"/institucion/mpfn/noticias/{news_id}-noticia-{news_id}{slash}", "date": date}


SHEET = """<html><body><main><ul>
<li><div class="p-6"><h3><a href="/institucion/mpfn/noticias/1250002-dos">Dos</a></h3>
  <div id="noticia-1250002-description"><p>Resumen dos.</p></div>
  <p><time datetime="2025-09-02T10:00:00">2 de setiembre de 2025</time></p></div></li>
<li><div class="p-6"><h3><a href="/institucion/mpfn/noticias/1250001-uno">Uno</a></h3>
  <div id="noticia-1250001-description"><p>Resumen uno.</p></div>
  <p><time datetime="2025-09-01T08:30:00">1 de setiembre de 2025</time></p></div></li>
</ul></main></body></html>"""


# -- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "message"), [
    ({"sheets": "tres"}, "source 'mpfn': params.sheets: expected a whole number from 1 to 100, got 'tres'"),
    ({"sheets": 0}, "params.sheets: expected a whole number from 1 to 100, got 0"),
    ({"sheets": True}, "params.sheets: expected a whole number"),
    ({"backfill_sheets": -1}, "source 'mpfn': params.backfill_sheets: expected a whole number from 0 to 100"),
    ({"backfill_sheets": 500}, "params.backfill_sheets: expected a whole number from 0 to 100, got 500"),
    ({"institution": "MPFN/../x"}, "source 'mpfn': params.institution: expected a gob.pe institution slug"),
    ({"sheet": 2}, "source 'mpfn': params.sheet: unknown parameter for the gobpe spider "
                   "(known: backfill_sheets, institution, sheets)"),
])
def test_bad_params_are_one_clear_line(params: dict[str, Any], message: str) -> None:
    source = Source.model_validate(gobpe_source(params=params))
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        GobPeSpider(source=source)
    assert "\n" not in str(info.value)


def test_params_defaults_and_scope() -> None:
    spider = GobPeSpider(source=Source.model_validate(gobpe_source()))
    assert spider.params == GobPeParams(sheets=3, backfill_sheets=0, institution=None)
    assert spider.source.scope == "main"  # gob.pe renders the article body inside <main>
    assert spider.institution(JSON_URL) == "mpfn"
    custom = GobPeSpider(source=Source.model_validate(gobpe_source(
        scope="main article", params={"sheets": 5, "backfill_sheets": 15, "institution": "defensoria"})))
    assert custom.source.scope == "main article"
    assert custom.params == GobPeParams(sheets=5, backfill_sheets=15, institution="defensoria")
    assert custom.institution(JSON_URL) == "defensoria"


# -- URLs ----------------------------------------------------------------------------------------


def test_news_link_is_id_and_canonical_url() -> None:
    base = "https://www.gob.pe/institucion/mpfn/noticias.json"
    assert news_link("/institucion/mpfn/noticias/582313-ministerio-publico-logro-impedimento/?utm_source=x#top",
                     base) == (582313, "https://www.gob.pe/institucion/mpfn/noticias/582313-ministerio-publico-logro-impedimento")
    assert news_link("https://WWW.gob.pe/institucion/mpfn/noticias/1202411", base) == (
        1202411, "https://www.gob.pe/institucion/mpfn/noticias/1202411")
    for not_news in ("/institucion/mpfn/noticias", "/institucion/mpfn/noticias?sheet=2",
                     "/institucion/mpfn/campañas/4512-denuncia", "mailto:prensa@mpfn.gob.pe", "", None, 42):
        assert news_link(not_news, base) is None


def test_sheet_url_from_json_or_html_listing() -> None:
    assert sheet_url(JSON_URL, 1) == "https://www.gob.pe/institucion/mpfn/noticias?sheet=1&sort_by=recent"
    filtered = "https://www.gob.pe/institucion/mpfn/noticias?filter%5Bterms%5D=juliaca&sheet=&sort_by=relevance"
    assert sheet_url(filtered, 4) == (
        "https://www.gob.pe/institucion/mpfn/noticias?filter%5Bterms%5D=juliaca&sheet=4&sort_by=recent")


# -- crawling ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_newest_ids_first_not_the_pinned_item() -> None:
    listing = [news(700001, "9 de enero de 2023", slash="/"), news(1250003), news(1250001), news(1250002),
               news(1250002, slash="/")]  # pinned first; the last repeats an article with a trailing slash
    with LocalHTTPServer() as server:
        server.set_route("/institucion/mpfn/noticias.json", body=json.dumps(listing), headers=JSON_TYPE)
        run = run_spider(GobPeSpider, gobpe_source(server.url("/institucion/mpfn/noticias.json"),
                                                   follow="never", max_items=2))
        base = server.base_url
    assert [i.url for i in run.items] == [f"{base}/institucion/mpfn/noticias/1250003-noticia-1250003",
                                          f"{base}/institucion/mpfn/noticias/1250002-noticia-1250002"]
    first = run.items[0]
    assert (first.title, first.text, first.summary) == ("Noticia 1250003", "Resumen 1250003...", "Resumen 1250003...")
    assert first.published_at is not None and first.published_at.isoformat() == "2025-09-15T00:00:00-05:00"
    assert json.loads(first.body)["url"].endswith("/1250003-noticia-1250003")  # the JSON item is the evidence
    assert run.errors == []
    assert sorted(server.requests) == ["/institucion/mpfn/noticias.json", "/robots.txt"]  # no HTML sheet


@pytest.mark.slow
@pytest.mark.parametrize(("body", "headers", "why"), [
    ('{"data": []}', JSON_TYPE, "is not a JSON array (got dict)"),
    ("[]", JSON_TYPE, "is an empty array"),
    ("<!DOCTYPE html><html><body><div id='app'></div></body></html>", HTML_TYPE,
     "is not JSON (text/html; charset=utf-8)"),
    ('[{"title": "Sin enlace", "url": "/institucion/mpfn/campañas/1-x"}]', JSON_TYPE,
     "has 1 items but none links to a /noticias/<id>-... article"),
])
def test_unusable_json_falls_back_to_the_html_listing(body: str, headers: dict[str, str], why: str) -> None:
    with LocalHTTPServer() as server:
        server.set_route("/institucion/mpfn/noticias.json", body=body, headers=headers)
        server.set_route("/institucion/mpfn/noticias?sheet=1&sort_by=recent", body=SHEET, headers=HTML_TYPE)
        server.set_route("/institucion/mpfn/noticias?sheet=2&sort_by=recent", body=SHEET, headers=HTML_TYPE)
        json_url = server.url("/institucion/mpfn/noticias.json")
        run = run_spider(GobPeSpider, gobpe_source(json_url, follow="never"))
        base = server.base_url
    assert f"source mpfn: JSON listing {json_url} {why}; reading the HTML listing instead" in run.warnings
    # Newest id first; the card's <time datetime> is Lima time.
    assert [(i.title, i.summary, i.published_at.isoformat() if i.published_at else None) for i in run.items] == [
        ("Dos", "Resumen dos.", "2025-09-02T10:00:00-05:00"), ("Uno", "Resumen uno.", "2025-09-01T08:30:00-05:00")]
    assert all(i.fetched_url == f"{base}/institucion/mpfn/noticias?sheet=1&sort_by=recent" for i in run.items)
    assert run.items[0].body.startswith(b'<div class="p-6">')  # the card is the evidence
    # Sheet 2 repeats sheet 1 (nothing new): the spider stops there instead of reading sheet 3.
    assert "/institucion/mpfn/noticias?sheet=3&sort_by=recent" not in server.requests
    assert run.errors == []


@pytest.mark.slow
def test_json_error_status_falls_back_without_error_lines() -> None:
    with LocalHTTPServer() as server:
        server.set_route("/institucion/mpfn/noticias.json", status=503, body="Service Unavailable")
        server.set_route("/institucion/mpfn/noticias?sheet=1&sort_by=recent", body=SHEET, headers=HTML_TYPE)
        run = run_spider(GobPeSpider, gobpe_source(server.url("/institucion/mpfn/noticias.json"), follow="never",
                                                   params={"sheets": 1}))
    assert len(run.items) == 2
    assert run.errors == []  # the fallback worked: a warning, not an error
    assert any("answered HTTP 503; reading the HTML listing instead" in w for w in run.warnings)


@pytest.mark.slow
def test_dates_not_understood_are_reported_once() -> None:
    listing = [news(1250001, "hace 2 horas"), news(1250002, "ayer"), news(1250003)]
    with LocalHTTPServer() as server:
        server.set_route("/institucion/mpfn/noticias.json", body=json.dumps(listing), headers=JSON_TYPE)
        url = server.url("/institucion/mpfn/noticias.json")
        run = run_spider(GobPeSpider, gobpe_source(url, follow="never"))
    assert [i.published_at is None for i in run.items] == [False, True, True]  # newest id first
    assert run.warnings == [f"source mpfn: {url}: 2 dates not understood (e.g. 'hace 2 horas')"]


@pytest.mark.slow
def test_html_listing_url_and_revisit_of_a_removed_article() -> None:
    article = ("<html><head><title>Uno - Noticias - Plataforma del Estado Peruano</title></head><body>"
               "<nav>Menú</nav><main><h1>Uno, titular completo</h1><p>Cuerpo de la noticia.</p></main>"
               "<footer>Plataforma digital única del Estado Peruano</footer></body></html>")
    with LocalHTTPServer() as server:
        server.set_route("/institucion/mpfn/noticias?sheet=1&sort_by=recent", body=SHEET, headers=HTML_TYPE)
        server.set_route("/institucion/mpfn/noticias/1250001-uno", body=article, headers=HTML_TYPE)
        server.set_route("/institucion/mpfn/noticias/1250002-dos", status=404, body="No existe")
        server.set_route("/institucion/mpfn/noticias/1100000-antigua/", status=410, body="Retirada")
        run = run_spider(GobPeSpider, gobpe_source(server.url("/institucion/mpfn/noticias?sheet=1&sort_by=recent"),
                                                   params={"sheets": 1}),
                         revisit=[server.url("/institucion/mpfn/noticias/1100000-antigua/")])
        base = server.base_url
    items = {i.url.removeprefix(base): i for i in run.items}
    assert sorted(items) == ["/institucion/mpfn/noticias/1100000-antigua", "/institucion/mpfn/noticias/1250001-uno",
                             "/institucion/mpfn/noticias/1250002-dos"]
    uno = items["/institucion/mpfn/noticias/1250001-uno"]
    # Its own headline (not the <title> with the site name), the listing's summary and date.
    assert (uno.title, uno.summary) == ("Uno, titular completo", "Resumen uno.")
    assert uno.text == "Uno, titular completo\n\nCuerpo de la noticia."
    assert uno.published_at is not None and uno.published_at.isoformat() == "2025-09-01T08:30:00-05:00"
    dos = items["/institucion/mpfn/noticias/1250002-dos"]
    assert (dos.status, dos.title, dos.text) == (404, "Dos", "")
    # Revisiting an old link with a trailing slash: fetched as given, keyed like listed links.
    assert items["/institucion/mpfn/noticias/1100000-antigua"].status == 410
    assert run.errors == []


@pytest.mark.slow
def test_json_url_without_html_listing_never_guesses_one() -> None:
    """A .json URL that is not .../institucion/<slug>/noticias.json (a saved file) has no sheets beside it."""
    with LocalHTTPServer() as server:
        server.set_route("/guardado.json", body=json.dumps([news(1250001)]), headers=JSON_TYPE)
        server.set_route("/vacio.json", body="[]", headers=JSON_TYPE)
        good = server.url("/guardado.json")
        ok = run_spider(GobPeSpider, gobpe_source(good, follow="never", params={"backfill_sheets": 2}))
        empty = run_spider(GobPeSpider, gobpe_source(server.url("/vacio.json"), follow="never"))
        requested = set(server.requests)
    assert len(ok.items) == 1 and ok.errors == []
    assert ok.warnings == [f"source mpfn: {good} is not a /institucion/<slug>/noticias.json URL: "
                           "no HTML listing to back-fill from"]
    assert empty.items == [] and len(empty.errors) == 1
    assert "yielded no items (structure changed?): JSON listing is an empty array; no HTML listing" in empty.errors[0]
    assert not any("sheet=" in path for path in requested)
