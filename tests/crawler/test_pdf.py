"""PDF documents: text and metadata extraction, hostile input, PDF links, and the spider helpers."""

from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from scrapy import Request
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.utils.test import get_crawler

from config.schema import Source
from crawler.extract.pdf import PdfError, PdfText, is_pdf, pdf_links, pdf_text
from crawler.extract.text import ScopeNotFound, SelectorError
from crawler.items import DocumentItem
from crawler.spiders.page import PageSpider

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spiders" / "page"
RESOLUTION = (FIXTURES / "resolucion_fn_123_2023.pdf").read_bytes()
LIMA = timezone(timedelta(hours=-5))

Line = tuple[float, float, float, str]  # x, y (from the bottom), font size, text


def _escape(text: str) -> bytes:
    data = text.encode("cp1252")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def make_pdf(pages: list[list[Line]], info: dict[str, str] | None = None) -> bytes:
    """A hand-written PDF: one BT/ET block per line, Helvetica in WinAnsi (Spanish accents work)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(pages))), len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        content = b"".join(b"BT /F1 %g Tf %g %g Td (%s) Tj ET\n" % (size, x, y, _escape(text))
                           for x, y, size, text in lines)
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i))
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    if info:
        objects.append(b"<< %s >>" % b"".join(b"/%s (%s)" % (k.encode(), _escape(v)) for k, v in info.items()))
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    info_ref = b" /Info %d 0 R" % len(objects) if info else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info_ref, xref)
    return out


def body_lines(*texts: str, top: float = 760, step: float = 14, size: float = 11) -> list[Line]:
    """Lines of body text ``step`` apart; an empty string leaves one line of space (a paragraph gap)."""
    out: list[Line] = []
    y = top
    for text in texts:
        if text:
            out.append((72, y, size, text))
        y -= step
    return out


def writer_from(body: bytes) -> PdfWriter:
    return PdfWriter(clone_from=io.BytesIO(body))


def to_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# -- the fixture: a real two-page resolution ------------------------------------------------------

def test_fixture_title_date_and_pages() -> None:
    pdf = pdf_text(RESOLUTION)
    assert pdf.title == "Resolución de la Fiscalía de la Nación N.° 123-2023-MP-FN"
    assert pdf.published_at == datetime(2023, 1, 9, 18, 30, tzinfo=LIMA)
    assert (pdf.pages, pdf.truncated) == (2, False)


def test_fixture_text_reads_like_html_to_text() -> None:
    text = pdf_text(RESOLUTION).text
    paragraphs = text.split("\n\n")
    assert paragraphs[:5] == [
        "“Año de la Unidad, la Paz y el Desarrollo”",
        "RESOLUCIÓN DE LA FISCALÍA DE LA NACIÓN N.° 123-2023-MP-FN",  # two centred lines, one heading
        "Lima, 9 de enero de 2023",
        "VISTO:",
        "El Oficio N.° 000045-2023-MP-FN-PJFSPUNO, de fecha 9 de enero de 2023, remitido por la Presidencia "
        "de la Junta de Fiscales Superiores del Distrito Fiscal de Puno, que da cuenta de las personas "
        "fallecidas y heridas en la ciudad de Juliaca; y,",
    ]
    assert paragraphs[-3:] == ["Regístrese, comuníquese y publíquese.", "FISCAL DE LA NACIÓN", "Página 2 de 2"]
    assert "en las investigaciones, corresponde emitir" in text  # "investi-" / "gaciones" rejoined
    assert "investi-" not in text
    order = [text.index(s) for s in ("VISTO:", "CONSIDERANDO:", "Página 1 de 2", "SE RESUELVE:",
                                     "Artículo Primero.- CONFORMAR", "Artículo Cuarto.- HACER")]
    assert order == sorted(order)
    assert "\n\n\n" not in text and "  " not in text
    assert all(line == line.strip() for line in text.split("\n"))


def test_fixture_is_deterministic() -> None:
    assert pdf_text(RESOLUTION) == pdf_text(bytes(RESOLUTION))


# -- paragraphs from line positions ---------------------------------------------------------------

def test_wrapped_lines_join_and_gaps_split() -> None:
    body = make_pdf([body_lines(
        "INFORME DE ADJUNTÍA N.° 001-2023-DP",
        "",
        "La Defensoría del Pueblo supervisó la atención de",
        "los heridos en el hospital Carlos Monge Medrano de",
        "Juliaca.",
        "",
        "Segundo párrafo (con paréntesis).",
    )])
    assert pdf_text(body).text == (
        "INFORME DE ADJUNTÍA N.° 001-2023-DP\n\n"
        "La Defensoría del Pueblo supervisó la atención de los heridos en el hospital Carlos Monge Medrano "
        "de Juliaca.\n\n"
        "Segundo párrafo (con paréntesis)."
    )


@pytest.mark.parametrize(("lines", "joined"), [
    (("que se investi-", "gará con cuidado"), "que se investigará con cuidado"),  # hyphenation
    (("Carpeta 506015504-2023-", "12-0 en trámite"), "Carpeta 506015504-2023-12-0 en trámite"),  # a code
    (("Resolución 123-2023-", "MP-FN del Fiscal"), "Resolución 123-2023-MP-FN del Fiscal"),
    (("la ciudad de Puno-", "Juliaca"), "la ciudad de Puno-Juliaca"),  # capital after: a real hyphen
    (("Artículo Primero.-", "CONFORMAR el equipo"), "Artículo Primero.- CONFORMAR el equipo"),
    (("los hechos -", "según el informe"), "los hechos - según el informe"),
])
def test_line_ends(lines: tuple[str, str], joined: str) -> None:
    assert pdf_text(make_pdf([body_lines(*lines)])).text == joined


def test_two_columns_and_pages_are_separate_paragraphs() -> None:
    left = body_lines("Columna uno, línea uno,", "línea dos.")
    right = [(320, y, size, text) for _x, y, size, text in body_lines("Columna dos,", "sigue.")]
    body = make_pdf([left + right, body_lines("Página dos.")])
    assert pdf_text(body).text == "Columna uno, línea uno, línea dos.\n\nColumna dos, sigue.\n\nPágina dos."


def test_double_spaced_text_is_not_one_paragraph() -> None:
    # Double spacing (gap twice the font size): every line stands alone rather than merging a page.
    body = make_pdf([body_lines("Uno.", "Dos.", "Tres.", step=26)])
    assert pdf_text(body).text == "Uno.\n\nDos.\n\nTres."


# -- title and date -------------------------------------------------------------------------------

@pytest.mark.parametrize("junk", ["Microsoft Word - RFN_123-2023-MP-FN.docx", "RFN 123-2023.pdf", "untitled",
                                  "Documento1", "Sin título", "   "])
def test_made_up_metadata_titles_give_way_to_the_first_line(junk: str) -> None:
    body = make_pdf([body_lines("“Año de la Unidad, la Paz y el Desarrollo”", "",
                                "Firmado digitalmente por: FISCALIA DE LA NACION", "",
                                "OFICIO N.° 045-2023-MP-FN", "", "Texto.")], info={"Title": junk})
    assert pdf_text(body).title == "OFICIO N.° 045-2023-MP-FN"


def test_metadata_title_wins_and_long_first_lines_are_clipped() -> None:
    body = make_pdf([body_lines("Texto.")], info={"Title": "Informe Defensorial N.° 190"})
    assert pdf_text(body).title == "Informe Defensorial N.° 190"
    long = make_pdf([body_lines(*["palabra " * 10] * 5)])
    title = pdf_text(long).title
    assert len(title) <= 201 and title.endswith("palabra…")


@pytest.mark.parametrize(("created", "expected"), [
    ("D:20230109183000-05'00'", datetime(2023, 1, 9, 18, 30, tzinfo=LIMA)),
    ("20230109183000-05'00'", datetime(2023, 1, 9, 18, 30, tzinfo=LIMA)),  # producers that omit "D:"
    ("D:20230109", datetime(2023, 1, 9, tzinfo=LIMA)),
    ("ayer", None),
    ("", None),
])
def test_creation_date(created: str, expected: datetime | None) -> None:
    body = make_pdf([body_lines("Lima, 9 de enero de 2023")], info={"CreationDate": created})
    assert pdf_text(body).published_at == expected


def test_no_metadata_no_text() -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    assert pdf_text(to_bytes(writer)) == PdfText(title="", text="", published_at=None, pages=1, truncated=False)


# -- limits and hostile input ---------------------------------------------------------------------

def test_max_pages() -> None:
    pdf = pdf_text(RESOLUTION, max_pages=1)
    assert (pdf.pages, pdf.truncated) == (2, True)
    assert "CONSIDERANDO:" in pdf.text and "SE RESUELVE:" not in pdf.text
    many = make_pdf([body_lines(f"Página {n}.") for n in range(1, 8)])
    assert pdf_text(many, max_pages=3).text == "Página 1.\n\nPágina 2.\n\nPágina 3."


def test_content_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages with too many drawing instructions are skipped, a document over budget is cut."""
    body = make_pdf([body_lines("Corta."), body_lines(*[f"Línea {n} de una página muy cargada." for n in range(40)]),
                     body_lines("Final.")])
    monkeypatch.setattr("crawler.extract.pdf.MAX_PAGE_CONTENT_BYTES", 1000)
    pdf = pdf_text(body)
    assert (pdf.text, pdf.truncated, pdf.pages) == ("Corta.\n\nFinal.", True, 3)
    monkeypatch.setattr("crawler.extract.pdf.MAX_CONTENT_BYTES", 100)
    assert pdf_text(body).text == "Corta."


def test_figure_pages_are_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    text_line = b"BT /F1 11 Tf 72 760 Td (Texto.) Tj ET\n"
    figure = b"q 1 0 0 RG 0 0 m 595 842 l S Q\n"
    body = make_pdf([body_lines("Texto.")]).replace(text_line, figure.ljust(len(text_line)))
    monkeypatch.setattr("crawler.extract.pdf._page_lines", lambda page: pytest.fail("parsed a figure"))
    assert pdf_text(body).text == ""


def test_owner_password_only_opens_like_in_a_viewer() -> None:
    writer = writer_from(RESOLUTION)
    writer.encrypt(user_password="", owner_password="solo-lectura", algorithm="AES-128")
    assert pdf_text(to_bytes(writer)).text == pdf_text(RESOLUTION).text


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_password_protected_is_an_error(algorithm: str) -> None:
    writer = writer_from(RESOLUTION)
    writer.encrypt(user_password="secreto", owner_password="secreto", algorithm=algorithm)
    with pytest.raises(PdfError, match="password"):
        pdf_text(to_bytes(writer))


@pytest.mark.parametrize("body", [
    RESOLUTION[:17000],  # a download cut off half way
    RESOLUTION[:400],
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nthis is not a pdf\n%%EOF\n",
    b"%PDF-1.4\n" + b"\x00" * 100,
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 1 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
    RESOLUTION[:2000] + b"\xff" * 5000 + RESOLUTION[-300:],  # the middle overwritten: a broken page stream
])
def test_corrupt_pdfs_raise_one_line(body: bytes) -> None:
    with pytest.raises(PdfError) as info:
        pdf_text(body)
    message = str(info.value)
    assert message and "\n" not in message and len(message) < 300


@pytest.mark.parametrize("body", [b"", b"<!DOCTYPE html><html>%PDF-1.4</html>", b"PK\x03\x04word"])
def test_not_a_pdf(body: bytes) -> None:
    with pytest.raises(PdfError, match="not a PDF"):
        pdf_text(body)


@pytest.mark.parametrize(("content_type", "body", "expected"), [
    ("application/pdf", b"", True),
    ("Application/PDF; charset=binary", b"", True),
    ("application/x-pdf", b"", True),
    ("application/octet-stream", RESOLUTION, True),
    ("text/html; charset=utf-8", b"\n %PDF-1.4 ...", True),
    ("text/html; charset=utf-8", b"<html>%PDF-</html>", False),
    ("", b"", False),
])
def test_is_pdf(content_type: str, body: bytes, expected: bool) -> None:
    assert is_pdf(content_type, body) is expected


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


def test_reader_sanity() -> None:
    """The fixture is what make_pdf_fixture.py says: two pages, metadata set by the generator."""
    reader = PdfReader(io.BytesIO(RESOLUTION))
    assert len(reader.pages) == 2 and not reader.is_encrypted
    assert reader.metadata is not None and reader.metadata.get("/CreationDate") == "D:20230109183000-05'00'"


def test_parse_pdf_not_modified_is_not_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert list(spider().parse_pdf(pdf_response(body=b"", status=304, content_type=""), key=PDF_URL)) == []
    assert "skipped" not in caplog.text
