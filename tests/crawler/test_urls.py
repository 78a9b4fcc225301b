"""canonical_url: one key per document, whatever decoration the link carries."""

from __future__ import annotations

import pytest

from crawler.extract.urls import canonical_url

CASES = [
    # El Comercio feed links carry ?ref=ecr / ?ref=rss&outputType=xml
    ("https://elcomercio.pe/politica/fuerza-popular-evaluara-auditoria-noticia/?ref=ecr",
     "https://elcomercio.pe/politica/fuerza-popular-evaluara-auditoria-noticia/"),
    ("https://elcomercio.pe/politica/fuerza-popular-evaluara-auditoria-noticia/?ref=rss&outputType=xml",
     "https://elcomercio.pe/politica/fuerza-popular-evaluara-auditoria-noticia/"),
    # CIDH press releases: the File parameter IS the document
    ("https://oas.org/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2022/280.asp"
     "&utm_content=country-per&utm_term=class-mon",
     "https://oas.org/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2022/280.asp"),
    ("HTTPS://WWW.Example.PE:443/a/b/#section", "https://www.example.pe/a/b/"),
    ("http://example.pe:80", "http://example.pe/"),
    ("http://example.pe:8080/x", "http://example.pe:8080/x"),
    ("https://example.pe/x?b=2&a=1&fbclid=abc&gclid=1&mc_cid=2&_ga=3", "https://example.pe/x?a=1&b=2"),
    ("https://example.pe/x/", "https://example.pe/x/"),  # trailing slash kept
    ("https://example.pe/x", "https://example.pe/x"),
    ("https://bücher.example/ñandú", "https://xn--bcher-kva.example/%C3%B1and%C3%BA"),
    # AMP variants are not merged yet
    ("https://larepublica.pe/politica/x?outputType=amp", "https://larepublica.pe/politica/x?outputType=amp"),
    ("https://larepublica.pe/amp/politica/x", "https://larepublica.pe/amp/politica/x"),
]


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_canonical(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(("url", "_"), CASES)
def test_idempotent(url: str, _: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


def test_relative_with_base() -> None:
    assert canonical_url("../b?utm_source=x#f", base="https://Example.pe/a/c") == "https://example.pe/b"


def test_same_document_same_key() -> None:
    a = canonical_url("https://elcomercio.pe/politica/x-noticia/?ref=ecr")
    b = canonical_url("https://elcomercio.pe/politica/x-noticia/?outputType=xml&ref=rss")
    assert a == b
