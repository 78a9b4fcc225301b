"""CIDH spider beyond the golden files: link recognition, params, extraction edge cases, probing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from config.schema import Source
from crawler.extract.iachr_links import release_link, release_links
from crawler.extract.iachr_release import extract_release
from crawler.items import DocumentItem
from crawler.runner import params_error
from crawler.spiders.base import NOT_MODIFIED_META
from crawler.spiders.cidh import CidhParams, CidhSpider
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import run_spider

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spiders" / "cidh"
HOME = "https://www.oas.org/es/cidh/"
KEY_006 = "https://www.oas.org/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2023/006.asp"


@pytest.mark.parametrize("href", [
    "/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2023/006.asp",
    "/es/cidh/jsform/?File=/es/CIDH/prensa/comunicados/2023/006.asp",
    "/es/CIDH/jsForm?File=/es/cidh/prensa/comunicados/2023/006.asp",
    "/es/CIDH/jsForm/?File=%2Fes%2Fcidh%2Fprensa%2Fcomunicados%2F2023%2F006.asp",
    "https://www.oas.org/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2023/006.asp#top",
    "/es/CIDH/jsForm/?utm_content=country-per&File=/es/cidh/prensa/comunicados/2023/006.asp&utm_term=class-mon",
])
def test_one_key_for_every_spelling_of_a_release(href: str) -> None:
    link = release_link(href, base=HOME)
    assert link is not None
    assert link.url == KEY_006
    assert (link.year, link.number, link.width) == (2023, 6, 3)


def test_tags_come_from_the_commissions_utm_values() -> None:
    link = release_link("/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2022/280.asp"
                        "&utm_content=country-per&utm_term=class-mon", base=HOME)
    assert link is not None and link.tags == ("country-per", "class-mon")
    assert "utm_" not in link.url


def test_english_and_portuguese_frames() -> None:
    en = release_link("/en/iachr/jsForm/?File=%2Fen%2Fiachr%2Fmedia_center%2FPReleases%2F2025%2F248.asp", base=HOME)
    assert en is not None
    assert en.url == "https://www.oas.org/en/IACHR/jsForm/?File=/en/iachr/media_center/preleases/2025/248.asp"
    mixed = release_link("https://www.oas.org/en/IACHR/jsForm/?File=/es/cidh/prensa/comunicados/2025/093.asp")
    assert mixed is not None
    assert mixed.url == "https://www.oas.org/en/IACHR/jsForm/?File=/es/cidh/prensa/comunicados/2025/093.asp"
    pt = release_link("/pt/CIDH/jsForm/?File=%2Fpt%2Fcidh%2Fprensa%2Fnotas%2F2024%2F192.asp", base=HOME)
    assert pt is not None and pt.url.endswith("/pt/CIDH/jsForm/?File=/pt/cidh/prensa/notas/2024/192.asp")


@pytest.mark.parametrize("href", [
    "/es/CIDH/jsForm/?File=/es/cidh/mandato/que.asp",
    "/es/cidh/prensa/comunicados.asp",
    "/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados.asp&Year=2023",
    "/es/cidh/prensa/comunicados/2023/006.asp",  # the bare file, not the frame
    "/es/cidh/informes/pdfs/2023/Informe-SituacionDDHH-Peru.pdf",
    "/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2023/006.pdf",
    "mailto:cidhprensa@oas.org",
    "javascript:void(0)",
    "#carouselDestacados",
])
def test_other_links_are_not_releases(href: str) -> None:
    assert release_link(href, base=HOME) is None


def test_release_links_dedup_newest_first_tags_merged() -> None:
    links = release_links([
        "/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2022/280.asp",
        "/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2023/005.asp",
        "/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2023/006.asp&utm_content=country-per",
        "/es/cidh/jsForm/?File=/es/cidh/prensa/comunicados/2023/006.asp&utm_term=class-mon",
    ], base=HOME)
    assert [(r.year, r.number) for r in links] == [(2023, 6), (2023, 5), (2022, 280)]
    assert links[0].tags == ("country-per", "class-mon")
    assert links[0].numbered(7).url == KEY_006.replace("006.asp", "007.asp")


def source(**extra: object) -> Source:
    data: dict[str, object] = {"id": "cidh-es", "name": "CIDH", "kind": "iachr", "spider": "cidh",
                               "urls": [HOME], **extra}
    return Source.model_validate(data)


def test_params() -> None:
    assert CidhSpider.check_params(source()) == CidhParams(probe=0)
    assert CidhSpider.check_params(source(params={"probe": 3})).probe == 3


@pytest.mark.parametrize(("params", "message"), [
    ({"probe": "3"}, "source 'cidh-es': params.probe: expected a whole number from 0 to 50, got '3'"),
    ({"probe": -1}, "source 'cidh-es': params.probe: expected a whole number from 0 to 50, got -1"),
    ({"probe": True}, "source 'cidh-es': params.probe: expected a whole number from 0 to 50, got True"),
    ({"probe": 500}, "source 'cidh-es': params.probe: expected a whole number from 0 to 50, got 500"),
    ({"probe_next": 3}, "source 'cidh-es': params.probe_next: unknown parameter for the cidh spider (known: probe)"),
])
def test_bad_params_name_source_and_param(params: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        CidhSpider.check_params(source(params=params))
    assert str(info.value) == message
    assert params_error(CidhSpider, source(params=params)) == message  # what the runner records


PAGE = """<html><head><title>CIDH - Comisión Interamericana de Derechos Humanos</title></head><body>
<header><nav><a href="/es/cidh/">Inicio</a> Oficina de Prensa de la CIDH</nav></header>
<div class="row"><div class="col-9">
  <h6>Comunicado de prensa</h6>
  <h3><strong>CIDH otorga medidas cautelares</strong></h3>
  {date}
  <div>{body}</div>
</div>
<div class="col-3"><h6>Contacto de prensa</h6><p>Oficina de Prensa y Comunicación de la CIDH</p>
<p>1889 F St. NW, Washington, D.C., 20006</p></div></div>
<footer>Washington, D.C. – OEA</footer></body></html>"""


def test_extract_release_date_line_and_time() -> None:
    html = PAGE.format(date="<p>3 de marzo de 2023</p>", body="<p><b>Oficina de Prensa de la CIDH</b></p>"
                       "<p>Washington D.C. – La CIDH otorgó el 1 de marzo de 2023 medidas cautelares.</p>"
                       "<p>No. 041/23</p><p>9:05 p.m.</p>")
    release = extract_release(html)
    assert release is not None
    assert release.title == "CIDH otorga medidas cautelares"
    assert release.text.startswith("Oficina de Prensa de la CIDH\n\nWashington D.C. – La CIDH otorgó")
    assert release.text.endswith("No. 041/23\n\n9:05 p.m.")
    assert "Contacto" not in release.text and "1889" not in release.text
    assert release.published_at is not None and release.published_at.isoformat() == "2023-03-03T21:05:00-05:00"


def test_extract_release_dateline_date_not_a_date_in_the_prose() -> None:
    html = PAGE.format(date="", body="<p>Washington, D.C., 9 de enero de 2023 – La CIDH recuerda los hechos "
                       "del 7 de diciembre de 2022.</p><p>No. 005/23</p>")
    release = extract_release(html)
    assert release is not None and release.published_at is not None
    assert release.published_at.isoformat() == "2023-01-09T00:00:00-05:00"


def test_extract_release_summer_time_in_washington() -> None:
    html = PAGE.format(date="<p>July 1, 2025</p>", body="<p>IACHR Press Office</p><p>Washington, D.C. – The "
                       "IACHR ...</p><p>No. 130/25</p><p>10:00 AM</p>")
    release = extract_release(html)
    assert release is not None and release.published_at is not None
    assert release.published_at.isoformat() == "2025-07-01T10:00:00-04:00"


CONTACT_BOX = ("<div class='contacto'><p><strong>Oficina de Prensa de la CIDH</strong></p>"
               "<p>Contacto: cidhprensa@oas.org</p><p>Tel.: +1 (202) 370-9000</p></div>")
LIMA = ZoneInfo("America/Lima")


@pytest.mark.parametrize(("name", "start", "day", "lima"), [
    # no byline; the time inside the body
    ("es_2026_152.html", "Washington, D.C. – La Comisión", date(2026, 7, 20), "2026-07-20T08:15:00-05:00"),
    # the byline just above the dateline; "No. 153/26 - 6:40 PM" below the body
    ("es_2026_153.html", "Oficina de Prensa de la CIDH\n\nWashington, D.C. – La Comisión", date(2026, 7, 21),
     "2026-07-21T17:40:00-05:00"),
])
def test_contact_box_before_the_dateline_is_not_the_body(name: str, start: str, day: date, lima: str) -> None:
    """The press-contact box opens with the same words as the byline; the body starts at the
    dateline, and the time printed on the page keeps the release on its own day in Lima."""
    release = extract_release((FIXTURES / "releases" / name).read_text(encoding="utf-8"))
    assert release is not None and release.published_at is not None
    assert release.text.startswith(start)
    assert "Juliaca" in release.text and len(release.text) > 1000
    assert "cidhprensa@oas.org" not in release.text and "Fax" not in release.text
    assert release.published_at.astimezone(LIMA).isoformat() == lima
    assert release.published_at.astimezone(LIMA).date() == day


def test_summer_date_without_a_time_stays_on_its_day_in_lima() -> None:
    html = PAGE.format(date="<p>20 de julio de 2026</p>", body=CONTACT_BOX + "<div><p>Washington, D.C. – La "
                       "CIDH saluda la formalización de la investigación por Juliaca.</p><p>No. 152/26</p></div>")
    release = extract_release(html)
    assert release is not None and release.published_at is not None
    assert release.text.startswith("Washington, D.C. – La CIDH saluda")
    assert release.published_at.astimezone(LIMA).date() == date(2026, 7, 20)
    assert release.published_at.astimezone(ZoneInfo("America/New_York")).date() == date(2026, 7, 20)


def test_time_on_the_number_line_and_twenty_four_hour_clock() -> None:
    html = PAGE.format(date="<p>20 de julio de 2026</p>", body="<p>Washington, D.C. – La CIDH saluda la "
                       "formalización.</p><p>No. 152/26 – 21:05</p>")
    release = extract_release(html)
    assert release is not None and release.published_at is not None
    assert release.published_at.isoformat() == "2026-07-20T21:05:00-04:00"


def test_press_office_line_without_dateline_opens_a_body_only_if_one_follows() -> None:
    body = "La Comisión Interamericana de Derechos Humanos saluda la formalización de la investigación. " * 4
    with_body = PAGE.format(date="<p>20 de julio de 2026</p>",
                            body=f"<p>Oficina de Prensa de la CIDH</p><p>{body}</p><p>No. 152/26</p>")
    release = extract_release(with_body)
    assert release is not None and release.text.startswith("Oficina de Prensa de la CIDH\n\nLa Comisión")
    assert extract_release(PAGE.format(date="<p>20 de julio de 2026</p>", body=CONTACT_BOX)) is None


def test_not_a_release_page() -> None:
    # The sidebar's press-office line and the postal address must not pass for a release body.
    html = PAGE.format(date="", body="<p>Lo sentimos, la página solicitada no existe.</p>")
    assert extract_release(html) is None


def cidh_source(url: str, **extra: object) -> dict[str, object]:
    return {"id": "cidh-t", "name": "t", "kind": "iachr", "spider": "cidh", "urls": [url], **extra}


@pytest.mark.slow
def test_home_page_gone_is_reported() -> None:
    with LocalHTTPServer() as server:
        run = run_spider(CidhSpider, cidh_source(server.url("/es/cidh/")))
        base = server.base_url
    assert run.items == []
    assert run.errors == [f"source cidh-t: {base}/es/cidh/ yielded no items (structure changed?): "
                          f"home page answered HTTP 404"]


RELEASE = PAGE.format(date="<p>10 de enero de 2023</p>", body="<p>Oficina de Prensa de la CIDH</p>"
                      "<p>Washington D.C. – Texto.</p><p>No. {n}/23</p>")


@pytest.mark.slow
def test_probe_stops_quietly_at_a_redirect_to_the_sorry_page_and_respects_max_items() -> None:
    frame = "/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2023/"
    home = f'<html><body><a href="{frame}006.asp">a</a> <a href="{frame}005.asp">b</a></body></html>'
    with LocalHTTPServer() as server:
        server.set_route("/es/cidh/", body=home)
        for n in ("005", "006", "007"):
            server.set_route(f"{frame}{n}.asp", body=RELEASE.replace("{n}", n))
        server.set_route(f"{frame}008.asp", status=302, headers={"Location": "/es/cidh/wearesorry.htm"})
        server.set_route("/es/cidh/wearesorry.htm", body="<html><body><p>Lo sentimos.</p></body></html>")
        run = run_spider(CidhSpider, cidh_source(server.url("/es/cidh/"), params={"probe": 5}))
        fetched = set(server.requests)
        limited = run_spider(CidhSpider, cidh_source(server.url("/es/cidh/"), params={"probe": 5}, max_items=1))
    assert sorted(i.url.rsplit("/", 1)[1] for i in run.items) == ["005.asp", "006.asp", "007.asp"]
    assert run.errors == [] and run.warnings == []
    assert f"{frame}009.asp" not in fetched  # stopped at the first number not published
    assert [i.url.rsplit("/", 1)[1] for i in limited.items] == ["006.asp"]  # newest first, no probe


@pytest.mark.slow
def test_revisit_uses_the_release_extraction() -> None:
    frame = "/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2022/"
    with LocalHTTPServer() as server:
        server.set_route("/es/cidh/", body=f'<html><body><a href="{frame}280.asp">x</a></body></html>')
        server.set_route(f"{frame}280.asp", body=RELEASE.replace("{n}", "280"))
        server.set_route(f"{frame}279.asp", body=RELEASE.replace("{n}", "279"))
        run = run_spider(CidhSpider, cidh_source(server.url("/es/cidh/")), revisit=[server.url(f"{frame}279.asp")])
    by_number = {i.url.rsplit("/", 1)[1]: i for i in run.items}
    assert set(by_number) == {"279.asp", "280.asp"}
    assert by_number["279.asp"].text == "Oficina de Prensa de la CIDH\n\nWashington D.C. – Texto.\n\nNo. 279/23"
    assert by_number["279.asp"].title == "CIDH otorga medidas cautelares"


def offline_spider(**extra: object) -> CidhSpider:
    spider = CidhSpider(source=source(**extra))
    spider.crawler = None  # type: ignore[assignment]  # callbacks called directly, no crawl
    return spider


def answer(url: str, body: str = "", status: int = 200, how: str | None = None) -> HtmlResponse:
    meta = {NOT_MODIFIED_META: how} if how else {}
    return HtmlResponse(url, status=status, body=body.encode(), encoding="utf-8", request=Request(url, meta=meta))


def test_unchanged_home_page_follows_nothing_but_still_probes() -> None:
    home = f'<a href="{KEY_006}">a</a> <a href="{KEY_006.replace("006", "005")}">b</a>'
    spider = offline_spider(params={"probe": 2})
    requests = list(spider.parse(answer(HOME, home, how="checksum")))
    assert [r.url for r in requests] == [KEY_006.replace("006", "007")]
    assert list(offline_spider(params={"probe": 2}).parse(answer(HOME, status=304, how="304"))) == []
    fresh = [r.url for r in offline_spider().parse(answer(HOME, home))]
    assert fresh == [KEY_006, KEY_006.replace("006", "005")]


def test_unchanged_release_gives_no_item_and_counts_as_seen() -> None:
    spider = offline_spider()
    link = release_link(KEY_006)
    assert link is not None
    assert list(spider.parse_release(answer(KEY_006, status=304, how="304"), link)) == []
    assert KEY_006 in spider.produced and KEY_006 in spider.not_modified


def test_probe_of_a_known_unchanged_release_goes_on_to_the_next_number() -> None:
    spider = offline_spider(params={"probe": 3})
    link = release_link(KEY_006.replace("006", "007"))
    assert link is not None
    [nxt] = list(spider.parse_probe(answer(link.url, status=304, how="304"), link, remaining=2))
    assert nxt.url == KEY_006.replace("006", "008")


def test_follow_never_makes_items_from_the_home_page_cards() -> None:
    """What `casewatch try-source --file` does with a saved home page: nothing else is fetched."""
    body = (FIXTURES / "home_es.html").read_text(encoding="utf-8").replace("{base}", "https://www.oas.org")
    spider = offline_spider(follow="never")
    items = list(spider.parse(answer(HOME, body)))
    assert all(isinstance(i, DocumentItem) for i in items)
    by_url = {i.url: i for i in items}
    assert list(by_url) == [KEY_006, KEY_006.replace("006", "005"), KEY_006.replace("2023/006", "2022/280")]
    juliaca = by_url[KEY_006]
    assert juliaca.title == ("CIDH condena muertes en el contexto de protestas en Perú y llama a investigar "
                             "los hechos de Juliaca")  # the list's link text, not the carousel's "Leer más"
    assert juliaca.published_at is not None and juliaca.published_at.isoformat() == "2023-01-10T00:00:00-05:00"
    assert juliaca.tags == ["country-per", "class-mon"]
    assert juliaca.body.startswith(b'<div class="col-md-6')
