"""parse_date and date_from_url: feed, ISO, Spanish, PDF and URL dates, always timezone-aware."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from scrapy.http import Response

from crawler.extract.dates import date_from_url, parse_date
from crawler.spiders.base import SourceSpider

LIMA = timedelta(hours=-5)
LIMA_TZ = timezone(LIMA)

CASES = [
    # RFC 822 in feeds and HTTP headers
    ("Mon, 20 Jul 2026 03:45:11 GMT", "2026-07-20T03:45:11+00:00"),
    ("Wed, 29 Jul 2026 03:03:59 +0000", "2026-07-29T03:03:59+00:00"),
    ("Wed, 15 Jul 2026 05:01:00 -0500", "2026-07-15T05:01:00-05:00"),
    ("Tue, 14 Jul 2026 09:00:00 PET", "2026-07-14T09:00:00-05:00"),
    ("20 Jul 2026 03:45:11 GMT", "2026-07-20T03:45:11+00:00"),
    # ISO, with and without offset (naive -> America/Lima)
    ("2024-05-17T10:30:00", "2024-05-17T10:30:00-05:00"),
    ("2024-05-17 10:30", "2024-05-17T10:30:00-05:00"),
    ("2024-05-17T10:30:00Z", "2024-05-17T10:30:00+00:00"),
    ("2024-05-17T10:30:00.250Z", "2024-05-17T10:30:00.250000+00:00"),
    ("2024-01-09T08:00:00+00:00", "2024-01-09T08:00:00+00:00"),
    ("2024-01-09T08:00:00-0500", "2024-01-09T08:00:00-05:00"),
    ("2023-01-09", "2023-01-09T00:00:00-05:00"),
    # Spanish long dates (gob.pe, Ojo Público, Venevisión...)
    ("9 de enero de 2023", "2023-01-09T00:00:00-05:00"),
    ("9 DE ENERO DE 2023", "2023-01-09T00:00:00-05:00"),
    ("Lima, 9 de enero de 2023", "2023-01-09T00:00:00-05:00"),
    ("10 Diciembre, 2023", "2023-12-10T00:00:00-05:00"),
    ("19 Febrero, 2023", "2023-02-19T00:00:00-05:00"),
    ("9 Enero, 2024", "2024-01-09T00:00:00-05:00"),
    ("lunes 15 de setiembre de 2025", "2025-09-15T00:00:00-05:00"),
    ("Lunes, 15 de Setiembre de 2025", "2025-09-15T00:00:00-05:00"),
    ("15 de septiembre del 2025", "2025-09-15T00:00:00-05:00"),
    ("1.º de mayo de 2024", "2024-05-01T00:00:00-05:00"),
    ("1ro de mayo de 2024", "2024-05-01T00:00:00-05:00"),
    ("9 ene. 2023", "2023-01-09T00:00:00-05:00"),
    ("Sáb 14 set. 2024", "2024-09-14T00:00:00-05:00"),
    ("Actualización: 6 de enero de 2024 - 10:37", "2024-01-06T10:37:00-05:00"),
    ("13-Enero-2023 2:46", "2023-01-13T02:46:00-05:00"),
    ("17 de mayo de 2024 - 10:30 a. m.", "2024-05-17T10:30:00-05:00"),
    ("15 de setiembre de 2025 - 10:30 a. m.", "2025-09-15T10:30:00-05:00"),
    ("3 de marzo de 2023, 4:30 p. m.", "2023-03-03T16:30:00-05:00"),
    ("3 de marzo de 2023 a las 12:05 a.m.", "2023-03-03T00:05:00-05:00"),
    ("3 de marzo de 2023 | 16:45:10 h", "2023-03-03T16:45:10-05:00"),
    ("9 de enero de 2023 a mediodía", "2023-01-09T00:00:00-05:00"),  # "a m..." is not a.m.
    ("9 de enero de 2023 - 25:70", "2023-01-09T00:00:00-05:00"),  # impossible time: date only
    # numeric, day first (Peru)
    ("Dom, 21/06/2026 - 08:00", "2026-06-21T08:00:00-05:00"),
    ("Mar, 03/03/2026 - 21:15", "2026-03-03T21:15:00-05:00"),  # "Mar" is martes, not marzo
    ("19/08/2025", "2025-08-19T00:00:00-05:00"),
    ("19/08/2025 / Exitosa Noticias / Política", "2025-08-19T00:00:00-05:00"),
    ("9.1.2023", "2023-01-09T00:00:00-05:00"),
    ("Publicado: 2023/01/09", "2023-01-09T00:00:00-05:00"),
    # English templates
    ("July 1, 2025", "2025-07-01T00:00:00-05:00"),
    ("Sunday, March 5th, 2023 10:15 pm", "2023-03-05T22:15:00-05:00"),
    ("enero 9 de 2023", "2023-01-09T00:00:00-05:00"),
    # PDF metadata (ISO 32000 §7.9.4)
    ("D:20230109183000-05'00'", "2023-01-09T18:30:00-05:00"),
    ("D:20230109183000-05'00", "2023-01-09T18:30:00-05:00"),
    ("D:20230109233000Z", "2023-01-09T23:30:00+00:00"),
    ("D:20230109183000+01'30'", "2023-01-09T18:30:00+01:30"),
    ("D:20230109", "2023-01-09T00:00:00-05:00"),
    ("D:20230109233000Z00'00'", "2023-01-09T23:30:00+00:00"),
    ("D:202301091830", "2023-01-09T18:30:00-05:00"),
    # the first date in the text wins, whichever pattern finds it
    ("Publicado el 9 de enero de 2023, actualizado el 10/01/2023", "2023-01-09T00:00:00-05:00"),
    ("10/01/2023 (hechos del 9 de enero de 2023)", "2023-01-10T00:00:00-05:00"),
]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_parse(value: str, expected: str) -> None:
    parsed = parse_date(value)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed.isoformat() == expected


@pytest.mark.parametrize("value", [
    # relative or year-less without a reference: need the clock
    "hace 2 horas", "lunes 15 de setiembre", "15 de setiembre - 10:30 a. m.",
    # numbers that are not dates
    "Ley 31012", "Ley N.° 31012, Ley de Protección Policial", "Expediente 00123-2023",
    "Carpeta fiscal: 506015504-2023-12-0", "Resolución N.° 123-2023-MP-FN", "Oficio N.° 000045-2023",
    "Exp. 00123-10-2023-0-2101-JR-PE-01", "20230109", "v1.2.2023", "1.5 millones en 2023",
    # times alone, impossible or implausible dates, garbage
    "a las 10:30", "10:30 a. m.", "31 de febrero de 2023", "31/02/2023", "13/13/2023", "9 de enero de 0023",
    "9 de mayor de 2023", "D:2023x", "D:2023", "D:202301", "D:20231301", "D:20230109183000 basura",
    "", "   ", "garbage", None, 12, 3.5, b"9 de enero de 2023",
])
def test_unparseable_is_none(value: object) -> None:
    assert parse_date(value) is None


REFERENCE = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)

YEARLESS = [
    ("lunes 15 de setiembre", REFERENCE, "2025-09-15T00:00:00-05:00"),
    ("15 de setiembre - 10:30 a. m.", REFERENCE, "2025-09-15T10:30:00-05:00"),
    ("Miércoles 7 de enero", REFERENCE, "2026-01-07T00:00:00-05:00"),
    ("10 de enero", REFERENCE, "2026-01-10T00:00:00-05:00"),  # the reference day itself is not after it
    ("11 de enero", REFERENCE, "2025-01-11T00:00:00-05:00"),
    ("9 Enero", REFERENCE, "2026-01-09T00:00:00-05:00"),
    ("29 de febrero", REFERENCE, "2024-02-29T00:00:00-05:00"),  # latest leap year
    # the reference is read in Lima time: 02:00 UTC on 11 January is still 10 January in Lima
    ("11 de enero", datetime(2026, 1, 11, 2, 0, tzinfo=UTC), "2025-01-11T00:00:00-05:00"),
    ("11 de enero", datetime(2026, 1, 11, 9, 0), "2026-01-11T00:00:00-05:00"),  # naive reference: Lima
    # a year anywhere wins over the reference
    ("15 de setiembre de 2019", REFERENCE, "2019-09-15T00:00:00-05:00"),
    ("lunes 15 de setiembre, 2025", REFERENCE, "2025-09-15T00:00:00-05:00"),
    ("2026-07-20", REFERENCE, "2026-07-20T00:00:00-05:00"),
]


@pytest.mark.parametrize(("value", "reference", "expected"), YEARLESS)
def test_yearless_with_reference(value: str, reference: datetime, expected: str) -> None:
    parsed = parse_date(value, reference=reference)
    assert parsed is not None
    assert parsed.isoformat() == expected


@pytest.mark.parametrize("value", [
    "hace 2 horas", "30 de febrero", "Ley 31012", "a las 10:30", "el 3 de mar", "1 set", "15 de la mañana",
])
def test_reference_does_not_invent_dates(value: str) -> None:
    assert parse_date(value, reference=REFERENCE) is None


def test_other_inputs() -> None:
    assert parse_date(datetime(2023, 1, 9, 10)).utcoffset() == LIMA
    assert parse_date(datetime(2023, 1, 9, 10, tzinfo=UTC)) == datetime(2023, 1, 9, 10, tzinfo=UTC)
    assert parse_date(date(2023, 1, 9)) == datetime(2023, 1, 9, tzinfo=LIMA_TZ)
    assert parse_date(time.struct_time((2023, 1, 9, 15, 0, 0, 0, 9, 0))) == datetime(2023, 1, 9, 15, tzinfo=UTC)
    assert parse_date("2023-01-09T10:00", default_tz="UTC").utcoffset() == timedelta(0)
    assert parse_date("9 de enero de 2023", default_tz="UTC").utcoffset() == timedelta(0)


URLS = [
    ("https://larepublica.pe/politica/2024/05/17/avanza-la-investigacion-de-fiscalia-por-muertes-de-represion-"
     "en-juliaca-equipo-especial-de-fiscales-ffaa-puno-1515952", "2024-05-17"),
    ("/politica/2024/05/17/slug-1515952", "2024-05-17"),
    ("https://larepublica.pe/politica/judiciales/2023/01/11/slug-hnews-360012", "2023-01-11"),
    ("https://www.infobae.com/peru/2023/02/10/a-un-mes-de-la-masacre-en-juliaca/", "2023-02-10"),
    ("https://www.infobae.com/america/agencias/2023/01/09/slug/", "2023-01-09"),
    ("https://diariosinfronteras.com.pe/2023/02/13/slug/amp", "2023-02-13"),
    ("https://hytimes.pe/2025/03/10/slug", "2025-03-10"),
    ("https://www.servindi.org/actualidad/24/06/2020/slug", "2020-06-24"),
    ("https://www.servindi.org/actualidad-informes/12/04/2024/slug", "2024-04-12"),
    ("epanoticias.pe/08/06/2023/slug", "2023-06-08"),
    ("https://epanoticias.pe/8/6/2023/slug", "2023-06-08"),
    ("https://example.pe/2023/1/9/", "2023-01-09"),
    # year first is preferred when both readings exist
    ("https://example.pe/10/01/2023/2023/01/09/slug", "2023-01-09"),
    # an impossible first triple does not stop the search
    ("https://example.pe/2023/13/45/x/2023/02/28/slug", "2023-02-28"),
]


@pytest.mark.parametrize(("url", "expected"), URLS)
def test_date_from_url(url: str, expected: str) -> None:
    found = date_from_url(url)
    assert found is not None
    assert found.isoformat() == f"{expected}T00:00:00-05:00"


@pytest.mark.parametrize("url", [
    "https://www.gob.pe/institucion/mpfn/noticias/582313-ministerio-publico-logro-impedimento-de-salida",
    "https://www.gob.pe/institucion/mpfn/noticias/1202411-equipo-lava-jato-presenta-acusacion",
    "https://larepublica.pe/politica/2026/01/tomas-galvez-hnews-360012",  # no day
    "https://www.oas.org/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2022/280.asp",  # query only
    "https://example.pe/noticia?fecha=2023/01/09",
    "https://example.pe/x#/2023/01/09",
    "https://example.pe/2023/02/30/slug",  # 30 February
    "https://example.pe/2023/00/10/slug",
    "https://example.pe/1515/95/2/slug",
    "https://example.pe/0023/01/09/slug",  # implausible year
    "https://example.pe/12023/01/09/slug",
    "https://example.pe/2023/001/09/slug",
    "https://example.pe/2023-01-09-slug",  # not path segments
    "https://example.pe/documentos/123/45/6789.pdf",
    "", None,
])
def test_date_from_url_rejects(url: str | None) -> None:
    assert date_from_url(url) is None  # type: ignore[arg-type]


def test_date_from_url_timezone() -> None:
    assert date_from_url("https://x.pe/2023/01/09/a", default_tz="UTC") == datetime(2023, 1, 9, tzinfo=UTC)


# -- the spiders' helper: the HTTP Date header stands in for the clock -----------------------------

def _response(date_header: str | None) -> Response:
    headers = {"Date": date_header} if date_header else {}
    return Response("https://www.gob.pe/institucion/mpfn/noticias.json", headers=headers)


def test_spider_parse_date_uses_the_response_date() -> None:
    response = _response("Sat, 10 Jan 2026 15:00:00 GMT")
    assert SourceSpider.response_date(response) == datetime(2026, 1, 10, 15, tzinfo=UTC)
    found = SourceSpider.parse_date(None, "", "lunes 15 de setiembre", response=response)
    assert found is not None and found.isoformat() == "2025-09-15T00:00:00-05:00"
    # without a response (or without a Date header) a year-less date stays unknown
    assert SourceSpider.parse_date("lunes 15 de setiembre") is None
    assert SourceSpider.parse_date("lunes 15 de setiembre", response=_response(None)) is None
    assert SourceSpider.response_date(_response("mañana")) is None
    # the existing positional form: first value that parses
    assert SourceSpider.parse_date("garbage", "9 de enero de 2023").isoformat() == "2023-01-09T00:00:00-05:00"
