"""A ``scope`` page read from lxml's tree says exactly what the BeautifulSoup reading says.

``main_text`` takes the lxml path for simple scope selectors (crawler.extract.scope); the change
detection hashes its text, so any difference would be reported to people as an edit of every page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract import scope as lx
from crawler.extract.text import ScopeNotFound, _scoped, _soup_main_text, main_text

FIXTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures").rglob("*.htm*"))
HOSTILE = [
    "<html lang=' es '><head><title> A <!-- c --> t&amp;x </title><meta property='og:title' content=''></head>"
    "<body><article id=a>x<!--c-->y <b>z</b>\n<pre>  a\n   b</pre><br>q<table><tr><td>1</td><td>2</td></tr>"
    "</table><nav>N</nav>t<script>s</script>u<div class=ad>AD</div>tail<p>p1<p>p2</article></body></html>",
    "<h1>H <span>1</span><script>x</script></h1><main><time datetime='2024-05-01'>x</time><article><nav>"
    "<article>in</article></nav>t</article></main>",
    "<?xml version='1.0' encoding='utf-8'?><html><body><article>Á&nbsp;b\u00ad c\u200b d</article></body></html>",
    "<article><svg><title>svgt</title></svg>text<template>T</template><noscript>n</noscript></article>",
    "<html><head><script type='application/ld+json'>{\"@graph\":[{\"datePublished\":\"2023-01-09\"}]}</script>"
    "<meta name=date content='2020-01-01'></head><body><div class='x y'>a<div class=ad>b</div>c</div></body></html>",
    "", "<p>no scope here</p>",
    "<article>" + "<div>" * 300 + "deep" + "</div>" * 300 + "</article>",
    "<body><article>" + "<div>" * 2500 + "deep" + "</div>" * 2500 + "</article><p>after</p></body>",
]
SCOPES = ["article#articulo", "article", "main", "body", "div", ".x", "main article", "div > div", "p", "[id]", "*"]
REMOVES: list[tuple[str, ...]] = [(), (".ad",), ("footer", ".ad"), ("nav",), ("article",)]


def _reference(html: str, scope: str, remove: tuple[str, ...]) -> object:
    try:
        return _soup_main_text(html, url=None, scope=scope, remove=remove)
    except ScopeNotFound:
        return "scope not found"


@pytest.mark.parametrize("html", [p.read_text(encoding="utf-8", errors="replace") for p in FIXTURES] + HOSTILE,
                         ids=[p.name for p in FIXTURES] + [f"hostile-{i}" for i in range(len(HOSTILE))])
def test_lxml_reading_equals_the_soup_reading(html: str) -> None:
    taken = 0
    for scope in SCOPES:
        for remove in REMOVES:
            page = _scoped(html, scope, remove)
            if page is not None:
                taken += 1
                assert page == _reference(html, scope, remove), (scope, remove)
    if "<article" in html and lx.parse(html) is not None:
        assert taken > 0  # the fast path is actually taken, not always handed back


def test_selectors_outside_the_simple_set_go_through_soup() -> None:
    for selector in ("a:not(.x)", "a + b", "a ~ b", "[lang=es]", "a, b", "p:nth-child(2)", "", ">", "a > > b"):
        assert lx.xpath_for(selector) is None, selector
    for selector in ("article#articulo", "main article.news-detail", "div > .x", "[id]", "*"):
        assert lx.xpath_for(selector) is not None, selector


def test_a_hostile_depth_is_read_by_soup() -> None:
    html = "<body><article>" + "<div>" * 2500 + "deep" + "</div>" * 2500 + "</article><p>after</p></body>"
    assert lx.parse(html) is None
    assert main_text(html, scope="article").text == "deep"


def test_scope_not_found_and_bad_selectors_still_fail_clearly() -> None:
    with pytest.raises(ScopeNotFound):
        main_text("<p>x</p>", scope="article#nothing")
    from crawler.extract.text import SelectorError
    with pytest.raises(SelectorError):
        main_text("<article>x</article>", scope="article[")


def test_collapse_is_the_regex() -> None:
    import random
    import re
    import sys
    samples = ["", " ", "a", " a ", "a\n\t b", "\xa0x\u3000", "\x1cy\x85", "a\u200bb", "  \n  ", "Uno dos, tres."]
    every = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    # The short path returns a printable text without a double space as it is: no space but " " is printable.
    assert [c for c in every if c.isspace() and c.isprintable()] == [" "]
    samples += [f"a{c}b" for c in every if not c.isprintable()]
    rng = random.Random(2)
    pool = ["a", "é", " ", " ", "\n", "\t", "\xa0", "\u2009", "\u200b", "\x85", "x"]
    samples += ["".join(rng.choice(pool) for _ in range(rng.randrange(0, 20))) for _ in range(3000)]
    for s in samples:
        assert lx.collapse(s) == re.sub(r"\s+", " ", s), repr(s)
