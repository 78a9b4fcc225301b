"""main_text / html_to_text: deterministic text, scope exactly, boilerplate out."""

from __future__ import annotations

import random
import re
import sys
import unicodedata

import pytest

from crawler.extract.text import OTHER_SPACES, ScopeNotFound, SelectorError, html_to_text, main_text, normalize_text

PAGE = """<!DOCTYPE html><html lang="es"><head><title>Título &amp; sitio</title>
<meta property="og:title" content="  Título   OG ">
<meta property="article:published_time" content="2023-01-09T18:00:00-05:00"></head>
<body><nav>Inicio | Noticias</nav>
<main><div class="counter">Visitas: 123</div>
<article id="nota"><h1>Titular</h1><p>Primer   párrafo
 con salto.</p><p>Segundo<br>con línea.</p><script>var x = 1;</script><div class="ads">Publicidad</div>
<nav>Compartir</nav></article></main></body></html>"""


def test_normalize_text() -> None:
    assert normalize_text(" a \u00a0 b \r\n\r\n\r\n\n c\u200b \n") == "a b\n\nc"
    assert normalize_text("Cafe\u0301") == "Café"  # NFC


def _normalized_line_by_line(text: str) -> str:
    """normalize_text as it was written first (every line split and joined): the reference of its fast path."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub("[\u00ad\u200b\u200c\u200d\u2060\ufeff]", "", text)
    out: list[str] = []
    blank = False
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        if not line:
            blank = True
            continue
        if blank and out:
            out.append("")
        out.append(line)
        blank = False
    return "\n".join(out)


def test_other_spaces_are_every_character_str_split_cuts_at_but_space_and_newline() -> None:
    every = {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    assert set(OTHER_SPACES) == every - {" ", "\n"}


def test_normalize_text_equals_the_line_by_line_reading() -> None:
    rng = random.Random(5)
    pool = ["a", "b", "é", "e\u0301", " ", " ", "\n", "\n", "\r", "\u200b", *OTHER_SPACES]
    texts = ["", "\n", " ", "a", "a\n\n\nb", "\n\na b\n", "a b\nc\n\n\nd e\n\n"]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randrange(1, 40))) for _ in range(3000)]
    texts += ["".join(rng.choice(["palabra", " ", "\n", "\n\n", "x"]) for _ in range(60)) for _ in range(1000)]
    for text in texts:
        assert normalize_text(text) == _normalized_line_by_line(text), repr(text)


def test_html_to_text_blocks_and_entities() -> None:
    html = "<p>Hola&nbsp;<b>mundo</b></p><ul><li>uno</li><li>dos</li></ul>&lt;b&gt;no es html&lt;/b&gt;"
    assert html_to_text(html) == "Hola mundo\n\nuno\n\ndos\n\n<b>no es html</b>"
    assert html_to_text("") == ""
    assert html_to_text("<p>a<br>b</p><script>x()</script><style>p{}</style>") == "a\nb"


def test_scope_takes_exactly_the_region() -> None:
    page = main_text(PAGE, scope="article#nota", remove=[".ads"])
    assert page.text == "Titular\n\nPrimer párrafo con salto.\n\nSegundo\ncon línea."
    assert page.title == "Título OG"
    assert page.published_at is not None and page.published_at.isoformat() == "2023-01-09T18:00:00-05:00"
    assert page.lang == "es"


def test_scope_not_found() -> None:
    with pytest.raises(ScopeNotFound):
        main_text(PAGE, scope="#does-not-exist")


def test_deterministic_and_bytes() -> None:
    a = main_text(PAGE.encode("utf-8"), url="https://example.pe/x")
    b = main_text(PAGE, url="https://example.pe/x")
    assert a == b


def test_without_scope_removes_ignored_and_falls_back() -> None:
    page = main_text(PAGE, remove=[".counter", ".ads"])
    assert "Visitas" not in page.text and "Publicidad" not in page.text and "var x" not in page.text
    assert "Primer párrafo con salto." in page.text
    tiny = main_text("<html><body><main><p>Solo esto.</p></main></body></html>")
    assert tiny.text == "Solo esto."


def test_title_fallbacks() -> None:
    assert main_text("<html><head><title> A  b </title></head><body></body></html>").title == "A b"
    assert main_text("<html><body><h1>Encabezado</h1><p>x</p></body></html>").title == "Encabezado"


@pytest.mark.slow
def test_deep_nesting_does_not_recurse() -> None:
    html = "<div>" * 5000 + "fondo" + "</div>" * 5000
    assert "fondo" in html_to_text(html)


def test_invalid_selector_is_a_clear_error() -> None:
    with pytest.raises(SelectorError, match="invalid CSS selector '###'"):
        main_text(PAGE, remove=["###"])
    with pytest.raises(SelectorError):
        main_text(PAGE, scope="div[")
