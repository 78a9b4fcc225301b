"""PDF documents: text and metadata extraction (the real fixture and hand-written PDFs), limits and
hostile input, and telling a PDF from other bodies.
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from pypdf import PdfReader, PdfWriter

from crawler.extract.pdf import PdfError, PdfText, is_pdf, pdf_text
from tests.support.pdfs import LIMA, RESOLUTION, body_lines, make_pdf, to_bytes, writer_from

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


def test_reader_sanity() -> None:
    """The fixture is what make_pdf_fixture.py says: two pages, metadata set by the generator."""
    reader = PdfReader(io.BytesIO(RESOLUTION))
    assert len(reader.pages) == 2 and not reader.is_encrypted
    assert reader.metadata is not None and reader.metadata.get("/CreationDate") == "D:20230109183000-05'00'"


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
