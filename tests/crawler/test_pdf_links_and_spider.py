"""PDF links in a page, and the spider helpers that follow them and turn a PDF response into an item.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pytest
from pypdf import PdfWriter
from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler

from config.schema import Source
from crawler.extract.pdf import pdf_links, pdf_text
from crawler.extract.text import ScopeNotFound, SelectorError
from crawler.items import DocumentItem
from crawler.spiders.page import PageSpider
from tests.support.pdfs import LIMA, RESOLUTION, to_bytes

# -- links to PDFs --------------------------------------------------------------------------------

PAGE = """<html><head><base href="https://www.gob.pe/institucion/defensoria/"></head><body>
<header><a href="/uploads/privacidad.pdf">Privacidad</a></header>
<main><article>
  <a href="informes/190.pdf">Informe Defensorial N.° 190</a>
  <a href="https://cdn.www.gob.pe/uploads/document/file/1/Informe.PDF?v=16#page=3">Resumen ejecutivo</a>
  <a href="https://cdn.www.gob.pe/uploads/document/file/1/Informe.PDF?v=16">Informe (otra vez)</a>
  <a href="/documentos/2" type="application/pdf">Anexo</a>
  <a href="/documentos/3" title="Descargar en PDF (1,2 MB)">Descargar</a>
  <a href="/documentos/4"><span>Ver</span> <b>PDF</b></a>
  <a href="/documentos/5">Notas pdfs y más</a>
  <a href="/informes/190.html">Informe 190 (HTML)</a>
  <a href="mailto:consultas@defensoria.gob.pe?subject=a.pdf">Correo</a>
  <a href="javascript:print()">Imprimir PDF</a>
  <a href="ftp://ftp.example.pe/a.pdf">FTP</a>
  <a href="https://www.gob.pe/institucion/defensoria/informes/190">Esta página en PDF</a>
  <div class="relacionados"><a href="/otros/999.pdf">Otro informe</a></div>
</article></main>
<footer><a href="/uploads/terminos.pdf">Términos</a></footer>
</body></html>"""
PAGE_URL = "https://www.gob.pe/institucion/defensoria/informes/190"


def test_pdf_links_in_scope_minus_ignored() -> None:
    assert pdf_links(PAGE, url=PAGE_URL, scope="main article", remove=[".relacionados"]) == [
        "https://www.gob.pe/institucion/defensoria/informes/190.pdf",
        "https://cdn.www.gob.pe/uploads/document/file/1/Informe.PDF?v=16",
        "https://www.gob.pe/documentos/2",
        "https://www.gob.pe/documentos/3",
        "https://www.gob.pe/documentos/4",
    ]


def test_pdf_links_without_scope_take_the_whole_page() -> None:
    links = pdf_links(PAGE, url=PAGE_URL)
    assert links[0] == "https://www.gob.pe/uploads/privacidad.pdf"
    assert links[-2:] == ["https://www.gob.pe/otros/999.pdf", "https://www.gob.pe/uploads/terminos.pdf"]


def test_pdf_links_errors() -> None:
    with pytest.raises(ScopeNotFound):
        pdf_links(PAGE, url=PAGE_URL, scope="#nada")
    with pytest.raises(SelectorError):
        pdf_links(PAGE, url=PAGE_URL, scope="main[")
    assert pdf_links("", url=PAGE_URL) == []


# -- the spider helpers ---------------------------------------------------------------------------

WATCHED = "https://www.gob.pe/institucion/mpfn/normas-legales/3801234-123-2023-mp-fn"
PDF_URL = "https://cdn.www.gob.pe/uploads/document/file/4011234/RFN_123-2023-MP-FN.pdf"
HTML = f"""<html><body><main><article class="norma"><h1>Resolución N.° 123-2023-MP-FN</h1>
<p>Conforman el Equipo Especial de Fiscales.</p>
<a href="{PDF_URL}">Descargar</a> <a href="/uploads/anexo-1.pdf">Anexo 1</a> <a href="/uploads/anexo-2.pdf">Anexo 2</a>
</article></main></body></html>"""


def spider(**extra: Any) -> PageSpider:
    source = Source.model_validate({"id": "mpfn-normas", "name": "MPFN normas", "kind": "prosecutor",
                                    "spider": "page", "urls": [WATCHED], **extra})
    return PageSpider.from_crawler(get_crawler(PageSpider), source=source)


def page_response(url: str = WATCHED, body: str = HTML) -> HtmlResponse:
    return HtmlResponse(url, body=body.encode(), encoding="utf-8", headers={"Content-Type": "text/html"},
                        request=Request(url))


def pdf_response(url: str = PDF_URL, body: bytes = RESOLUTION, status: int = 200,
                 content_type: str = "application/pdf") -> Response:
    return Response(url, status=status, body=body, headers={"Content-Type": content_type},
                    request=Request(url))


@pytest.mark.slow
def test_follow_pdfs_yields_the_page_then_claimed_pdf_requests() -> None:
    out = list(spider(params={"follow_pdfs": True}).parse(page_response(), key=WATCHED))
    assert isinstance(out[0], DocumentItem) and out[0].url == WATCHED
    requests = out[1:]
    assert [r.url for r in requests] == [PDF_URL, "https://www.gob.pe/uploads/anexo-1.pdf",
                                         "https://www.gob.pe/uploads/anexo-2.pdf"]
    assert all(isinstance(r, Request) and r.callback.__name__ == "parse_pdf" for r in requests)
    assert requests[0].cb_kwargs == {"key": PDF_URL, "page": WATCHED}


def test_follow_pdfs_respects_max_items_and_dedup() -> None:
    s = spider(params={"follow_pdfs": True}, max_items=2)
    out = list(s.parse(page_response(), key=WATCHED))
    assert [type(o).__name__ for o in out] == ["DocumentItem", "Request"]  # the page + one PDF
    assert list(s.follow_pdfs(page_response())) == []  # already claimed / limit reached


@pytest.mark.parametrize("params", [{}, {"follow_pdfs": False}])
def test_follow_pdfs_is_off_by_default(params: dict[str, Any]) -> None:
    out = list(spider(params=params).parse(page_response(), key=WATCHED))
    assert [type(o).__name__ for o in out] == ["DocumentItem"]


def test_follow_pdfs_must_be_a_boolean(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        out = list(spider(params={"follow_pdfs": "yes"}).parse(page_response(), key=WATCHED))
    assert [type(o).__name__ for o in out] == ["DocumentItem"]
    assert "params.follow_pdfs must be true or false, not 'yes'" in caplog.text


def test_parse_pdf_item() -> None:
    [item] = spider().parse_pdf(pdf_response(), key=PDF_URL, page=WATCHED)
    assert item.title == "Resolución de la Fiscalía de la Nación N.° 123-2023-MP-FN"
    assert item.text == pdf_text(RESOLUTION).text
    assert item.published_at == datetime(2023, 1, 9, 18, 30, tzinfo=LIMA)
    assert item.content_type == "application/pdf" and item.body == RESOLUTION


def test_parse_pdf_missing_gives_a_status_item(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        [item] = spider().parse_pdf(pdf_response(body=b"Not Found", status=404, content_type="text/html"),
                                    key=PDF_URL, page=WATCHED)
    assert (item.status, item.text, item.title) == (404, "", "")
    assert f"{WATCHED} links to {PDF_URL}, which answers HTTP 404" in caplog.text


def test_parse_pdf_that_is_not_a_pdf_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    html = pdf_response(body=b"<html><body>Visor</body></html>", content_type="text/html; charset=utf-8")
    with caplog.at_level(logging.WARNING):
        assert list(spider().parse_pdf(html, key=PDF_URL, page=WATCHED)) == []
    assert "as a PDF, but it is text/html" in caplog.text


def test_page_item_on_a_pdf_by_magic_bytes_and_on_a_corrupt_one(caplog: pytest.LogCaptureFixture) -> None:
    s = spider()
    # A server that calls the PDF octet-stream (or text/html): the magic bytes decide.
    for content_type in ("application/octet-stream", "text/html; charset=utf-8"):
        response = TextResponse(PDF_URL, body=RESOLUTION, headers={"Content-Type": content_type},
                                encoding="latin-1", request=Request(PDF_URL))
        item = s.page_item(response, PDF_URL)
        assert item is not None and item.title == "Resolución de la Fiscalía de la Nación N.° 123-2023-MP-FN"
    with caplog.at_level(logging.ERROR):
        assert s.page_item(pdf_response(body=RESOLUTION[:17000]), PDF_URL) is None
    assert f"source mpfn-normas: {PDF_URL}: unreadable PDF" in caplog.text


def test_page_item_warns_about_pdfs_without_text(caplog: pytest.LogCaptureFixture) -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    with caplog.at_level(logging.WARNING):
        item = spider().page_item(pdf_response(body=to_bytes(writer)), PDF_URL, title="Anexo 1")
    assert item is not None and item.title == "Anexo 1" and item.text == ""
    assert "PDF without extractable text" in caplog.text


def test_pdf_links_of_a_pdf_response_is_empty() -> None:
    assert spider(params={"follow_pdfs": True}).pdf_links(pdf_response()) == []
    assert list(spider(scope="#nada", params={"follow_pdfs": True}).follow_pdfs(page_response())) == []


def test_parse_pdf_not_modified_is_not_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert list(spider().parse_pdf(pdf_response(body=b"", status=304, content_type=""), key=PDF_URL)) == []
    assert "skipped" not in caplog.text
