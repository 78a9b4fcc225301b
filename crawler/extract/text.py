"""Main text of a page or of a feed's HTML, normalised so the same page always gives the same text.

Change detection hashes this text: any nondeterminism here (whitespace, entity spelling, a visit
counter) would be reported to people as an edit. Two modes: with a ``scope`` selector we take exactly
that region (watching one part of a page, no heuristics); without one, trafilatura removes the
boilerplate of article pages.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from crawler.extract import scope as lx
from crawler.extract.dates import parse_date

# BeautifulSoup (and soupsieve) load when a page first needs them: a scoped page is read from lxml's tree
# alone (``_scoped``), and importing them cost ~50 ms of CPU in every crawl process.
if TYPE_CHECKING:
    from bs4 import BeautifulSoup, NavigableString, Tag

BLOCK_TAGS: frozenset[str] = frozenset({
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
    "thead", "tfoot", "tr", "ul", "body", "html",
})
CELL_TAGS: frozenset[str] = frozenset({"td", "th"})
# Never visible text: dropped in every mode.
INVISIBLE_TAGS: tuple[str, ...] = ("script", "style", "noscript", "template", "head", "svg", "iframe")
# Page furniture dropped in scope mode (besides the invisible tags) and in the no-trafilatura fallback.
SCOPE_DROP: tuple[str, ...] = ("nav",)
FALLBACK_DROP: tuple[str, ...] = ("nav", "header", "footer", "aside", "form")
# Metadata holding the publication date, most specific first.
DATE_META: tuple[tuple[str, str], ...] = (
    ("property", "article:published_time"), ("name", "article:published_time"),
    ("itemprop", "datePublished"), ("name", "pubdate"), ("name", "publishdate"),
    ("name", "DC.date.issued"), ("name", "dcterms.date"), ("name", "date"),
)
_INVISIBLE_CHARS = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


@dataclass(frozen=True)
class ExtractedPage:
    """What a page says, independent of how it was fetched."""

    title: str
    text: str
    published_at: datetime | None = None
    lang: str | None = None


class ScopeNotFound(ValueError):
    """The scope selector matched nothing: the page's structure changed (never silently empty)."""


# Every character ``str.split`` cuts at, but the space and the newline (tests/crawler/test_text.py checks the
# list against every code point).
OTHER_SPACES = ("\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_BLANK_LINES = re.compile(r"\n\n+")


def normalize_text(text: str) -> str:
    """NFC, one space between words, stripped lines, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE_CHARS.sub("", text)
    if _lines_are_clean(text):
        # Each line is its own " ".join(line.split()): only the blank lines are left to collapse, and the
        # text is not cut into its thousands of words and joined again (every page's text comes here).
        return _BLANK_LINES.sub("\n\n", text.strip("\n"))
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


def _lines_are_clean(text: str) -> bool:
    """No line starts or ends with a space, none holds two in a row, and no other space character occurs."""
    return not ("  " in text or " \n" in text or "\n " in text or text[:1] == " " or text[-1:] == " "
                or any(c in text for c in OTHER_SPACES))


def _one_line(text: str) -> str:
    return " ".join(normalize_text(text).split())


def _pieces(root: Tag) -> Iterator[str]:
    """Text of a tree with block boundaries as blank lines and <br> as newlines (iterative: deep
    nesting in hostile pages must not hit the recursion limit)."""
    from bs4 import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

    stack: list[tuple[Tag | NavigableString | str, bool]] = [(root, False)]
    while stack:
        node, pre = stack.pop()
        if type(node) is str:
            yield node
        elif isinstance(node, NavigableString):
            if isinstance(node, Comment | Declaration | Doctype | ProcessingInstruction):
                continue
            yield str(node) if pre else lx.collapse(str(node))
        elif isinstance(node, Tag):
            name = node.name
            if name in INVISIBLE_TAGS:
                continue
            if name == "br":
                yield "\n"
                continue
            sep = "\n\n" if name in BLOCK_TAGS else " " if name in CELL_TAGS else ""
            inner = pre or name == "pre"
            if sep:
                yield sep
                stack.append((sep, False))
            stack.extend((child, inner) for child in reversed(node.contents))


def block_text(root: Tag) -> str:
    """Visible text of an element, block-aware and normalised."""
    return normalize_text("".join(_pieces(root)))


def html_to_text(fragment: str | bytes | None) -> str:
    """Plain text of an HTML fragment (feed ``content:encoded``/description); entities decoded once,
    so markup that was shown as text (``&lt;b&gt;``) stays literal text."""
    if not fragment:
        return ""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "lxml")
    return block_text(soup)


def _soup(html: str | bytes) -> BeautifulSoup:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "lxml")


class SelectorError(ValueError):
    """A scope or ignore selector from the config is not valid CSS."""


def _select(soup: BeautifulSoup | Tag, selector: str) -> list[Tag]:
    from soupsieve import SelectorSyntaxError

    try:
        return list(soup.select(selector))
    except SelectorSyntaxError as exc:
        raise SelectorError(f"invalid CSS selector {selector!r}: {str(exc).splitlines()[0]}") from None


def _drop(soup: BeautifulSoup | Tag, selectors: Sequence[str]) -> None:
    for selector in selectors:
        for el in _select(soup, selector):
            el.decompose()


def page_title(soup: BeautifulSoup) -> str:
    """og:title, else <title>, else the first <h1>."""
    from bs4 import Tag

    og = soup.find("meta", attrs={"property": "og:title"})
    if isinstance(og, Tag) and (content := og.get("content")) and _one_line(str(content)):
        return _one_line(str(content))
    for name in ("title", "h1"):
        el = soup.find(name)
        if isinstance(el, Tag) and (text := _one_line(el.get_text(" "))):
            return text
    return ""


def _json_ld_dates(soup: BeautifulSoup) -> Iterator[str]:
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.get_text())
        except (ValueError, TypeError):
            continue
        stack = [data]
        while stack:
            obj = stack.pop()
            if isinstance(obj, dict):
                if isinstance(obj.get("datePublished"), str):
                    yield obj["datePublished"]
                stack.extend(obj.values())
            elif isinstance(obj, list):
                stack.extend(reversed(obj))


def published_date(soup: BeautifulSoup, region: Tag | None = None) -> datetime | None:
    """Publication date from meta tags, JSON-LD, else a <time datetime> inside the article region.

    Not trafilatura/htmldate: they compare with today's date, and spiders must not read the clock.
    """
    from bs4 import Tag

    candidates: list[str] = []
    for attr, value in DATE_META:
        for meta in soup.find_all("meta", attrs={attr: value}):
            if content := meta.get("content"):
                candidates.append(str(content))
    candidates.extend(_json_ld_dates(soup))
    region = region or soup.find("article") or soup.find("main")
    if isinstance(region, Tag):
        for el in region.select("time[datetime]"):
            candidates.append(str(el["datetime"]))
    for value in candidates:
        if (parsed := parse_date(value)) is not None:
            return parsed
    return None


def _lang(soup: BeautifulSoup) -> str | None:
    from bs4 import Tag

    html = soup.find("html")
    lang = html.get("lang") if isinstance(html, Tag) else None
    return (str(lang).strip() or None) if lang else None


def _trafilatura(html: str, url: str | None) -> str:
    # favor_precision: a boilerplate line (newsletter box, "lee también") would be a false change.
    # Tables kept: legal documents put names, dates and case numbers in tables.
    import trafilatura  # loaded by the first page without a scope, not by every crawl process

    text = trafilatura.extract(
        html, url=url, favor_precision=True, include_comments=False, include_tables=True,
        include_images=False, include_links=False, deduplicate=False, with_metadata=False,
        output_format="txt",
    )
    if not text:
        return ""
    # trafilatura puts one paragraph per line; we separate paragraphs with a blank line.
    return normalize_text("\n\n".join(text.splitlines()))


def main_text(
    html: str | bytes,
    *,
    url: str | None = None,
    scope: str | None = None,
    remove: Sequence[str] = (),
) -> ExtractedPage:
    """Title, main text, publication date and language of an HTML page.

    With ``scope``: exactly the text of the first element it selects, minus ``remove``, scripts,
    styles and nav (raises ScopeNotFound if nothing matches, SelectorError for invalid CSS).
    Without: ``remove`` first, then trafilatura, falling back to the <main>/<article>/<body> text
    when trafilatura finds nothing.
    """
    if scope and isinstance(html, str) and (page := _scoped(html, scope, remove)) is not None:
        return page
    return _soup_main_text(html, url=url, scope=scope, remove=remove)


def _soup_main_text(html: str | bytes, *, url: str | None, scope: str | None, remove: Sequence[str]) -> ExtractedPage:
    """``main_text`` through BeautifulSoup: every page without a scope, and scopes lxml's path leaves."""
    from bs4 import Tag

    soup = _soup(html)
    title = page_title(soup)
    lang = _lang(soup)
    if scope:
        region = next(iter(_select(soup, scope)), None)
        if region is None:
            raise ScopeNotFound(f"scope selector {scope!r} matched nothing")
        published = published_date(soup, region)
        _drop(soup, remove)
        _drop(region, SCOPE_DROP)
        return ExtractedPage(title, block_text(region), published, lang)
    published = published_date(soup)
    _drop(soup, remove)
    text = _trafilatura(str(soup), url)
    if not text:
        _drop(soup, FALLBACK_DROP)
        region = soup.find("main") or soup.find("article") or soup.find("body") or soup
        text = block_text(region) if isinstance(region, Tag) else ""
    return ExtractedPage(title, text, published, lang)


_INVISIBLE = frozenset(INVISIBLE_TAGS)
_SCOPE_DROP_XPATHS = tuple(xp for sel in SCOPE_DROP if (xp := lx.xpath_for(sel)) is not None)


def _scoped(html: str, scope: str, remove: Sequence[str]) -> ExtractedPage | None:
    """``main_text`` with a scope, read from lxml's tree (crawler.extract.scope): the same title,
    text, date and language; None when that path does not apply (the BeautifulSoup path then runs)."""
    xpaths = [lx.xpath_for(sel) for sel in (scope, *remove)]
    if any(xp is None for xp in xpaths):
        return None
    root = lx.parse(html)
    if root is None:
        return None
    scope_xp, *remove_xps = xpaths
    region = next(iter(scope_xp(root)), None)  # type: ignore[misc]
    if region is None:
        return None  # the BeautifulSoup path raises ScopeNotFound or reads what lxml could not
    title = _lx_title(root)
    html_el = lx.first_tag(root, "html")
    lang = html_el.get("lang") if html_el is not None else None
    lang = (lang.strip() or None) if lang else None
    published = _lx_published(root, region)
    if not lx.drop(region, [*remove_xps, *_SCOPE_DROP_XPATHS]):  # type: ignore[list-item]
        return None
    text = normalize_text("".join(lx.pieces(region, _INVISIBLE, BLOCK_TAGS, CELL_TAGS)))
    return ExtractedPage(title, text, published, lang)


def _lx_title(root: lx.etree._Element) -> str:
    """``page_title`` over lxml's tree."""
    og = next((m for m in root.iter("meta") if m.get("property") == "og:title"), None)
    if og is not None and (content := og.get("content")) and _one_line(content):
        return _one_line(content)
    for name in ("title", "h1"):
        el = lx.first_tag(root, name)
        if el is not None and (text := _one_line(" ".join(lx.strings(el)))):
            return text
    return ""


def _lx_published(root: lx.etree._Element, region: lx.etree._Element) -> datetime | None:
    """``published_date`` over lxml's tree."""
    candidates: list[str] = []
    for attr, value in DATE_META:
        candidates.extend(lx.attr_values(root, "meta", attr, value))
    for data in lx.json_ld(root):
        stack = [data]
        while stack:
            obj = stack.pop()
            if isinstance(obj, dict):
                if isinstance(obj.get("datePublished"), str):
                    candidates.append(obj["datePublished"])
                stack.extend(obj.values())
            elif isinstance(obj, list):
                stack.extend(reversed(obj))
    candidates.extend(el.get("datetime") for el in region.iterdescendants("time") if el.get("datetime") is not None)
    for value in candidates:
        if (parsed := parse_date(value)) is not None:
            return parsed
    return None
