"""A ``scope`` selector's region read straight from lxml's tree: one parse, no BeautifulSoup tree.

A page watched through ``scope`` needs its title, language, publication date and the text of one
element; building BeautifulSoup's whole-page tree for that was most of a crawl's extraction cost.
This module gives exactly what ``text.main_text`` gives for such a page (tests compare the two on
every page fixture), for the selectors whose meaning is the same in cssselect as in soupsieve:
type, ``#id``, ``.class`` and ``[attr]`` compounds joined by descendant or child
combinators. Any other selector, and anything unusual (bytes, a region an ignore selector removes),
returns None and the caller uses the BeautifulSoup path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from io import StringIO

from cssselect import HTMLTranslator
from cssselect import SelectorError as CssSelectError
from lxml import etree

# Simple selectors only: a compound of type/#id/.class/[attr] (no attribute values: soupsieve compares some
# case-insensitively), joined by " " or ">".
_IDENT = r"-?[_a-zA-Z][_a-zA-Z0-9-]*"
_COMPOUND = rf"(?:{_IDENT}|\*)?(?:#{_IDENT}|\.{_IDENT}|\[\s*{_IDENT}\s*\])*"
_SIMPLE = re.compile(rf"\s*{_COMPOUND}(?:(?:\s*>\s*|\s+){_COMPOUND})*\s*")
CHUNK = 512  # BeautifulSoup feeds lxml's parser 512 characters at a time; so do we (the same tree)
# libxml2 stops building a tree this deep (huge_tree: 2048 levels) where BeautifulSoup's events go on.
MAX_DEPTH = 2000


@lru_cache(maxsize=256)
def xpath_for(selector: str) -> etree.XPath | None:
    """The compiled XPath of a simple selector, None for any other (the BeautifulSoup path reads it)."""
    if not selector.strip() or not _SIMPLE.fullmatch(selector):
        return None
    if any(not part for part in re.split(r"\s*>\s*|\s+", selector.strip())):
        return None
    try:
        return etree.XPath(HTMLTranslator().css_to_xpath(selector))
    except (CssSelectError, etree.XPathError):
        return None


def parse(html: str) -> etree._Element | None:
    """The page's tree as BeautifulSoup's lxml builder sees it (fed in chunks); None if lxml gives none
    or stopped at its depth limit (a hostile page: BeautifulSoup reads it)."""
    parser = etree.HTMLParser(recover=True, huge_tree=True)
    source = StringIO(html)
    try:
        while chunk := source.read(CHUNK):
            parser.feed(chunk)
        root = parser.close()
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    # A parse cut at libxml2's depth limit ends in its deepest element: the last one in document order.
    depth, last = 0, root
    while len(last) and depth < MAX_DEPTH:
        last, depth = last[-1], depth + 1
    return None if depth >= MAX_DEPTH else root


def attr_values(root: etree._Element, tag: str, attr: str, value: str) -> Iterator[str]:
    for el in root.iter(tag):
        if el.get(attr) == value and (content := el.get("content")):
            yield content


def first_tag(root: etree._Element, tag: str) -> etree._Element | None:
    return next(root.iter(tag), None)


def strings(el: etree._Element) -> Iterator[str]:
    """The text strings under ``el`` in document order, as BeautifulSoup's get_text() takes them:
    no comments or processing instructions, nor the content of script, style and template."""
    stack: list[etree._Element | str] = [el]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if node:
                yield node
            continue
        children = list(node)
        for child in reversed(children):
            if child.tail:
                stack.append(child.tail)
            if isinstance(child.tag, str) and child.tag not in ("script", "style", "template"):
                stack.append(child)
        if node.text and isinstance(node.tag, str) and (node is el or node.tag not in ("script", "style", "template")):
            stack.append(node.text)


def json_ld(root: etree._Element) -> Iterator[object]:
    for script in root.iter("script"):
        if script.get("type") == "application/ld+json":
            try:
                yield json.loads(script.text or "")
            except (ValueError, TypeError):
                continue


def collapse(text: str) -> str:
    """``re.sub(r"\\s+", " ", text)`` at a tenth of its cost (str.split splits on the same whitespace)."""
    if "  " not in text and text.isprintable():  # every whitespace character but " " is unprintable: nothing
        return text  # to collapse (most text nodes of a page), and 4x faster than splitting and joining
    words = text.split()
    if not words:
        return " " if text else ""
    out = " ".join(words)
    if text[0].isspace():
        out = " " + out
    return out + " " if text[-1].isspace() else out


def pieces(root: etree._Element, invisible: frozenset[str], blocks: frozenset[str],
           cells: frozenset[str]) -> Iterator[str]:
    """``text._pieces`` over lxml's tree: block boundaries as blank lines, <br> as a newline."""
    stack: list[tuple[etree._Element | str, bool, bool]] = [(root, False, False)]
    while stack:
        node, pre, raw = stack.pop()
        if isinstance(node, str):
            yield node if raw or pre else collapse(node)
            continue
        name = node.tag
        if name in invisible:
            continue
        if name == "br":
            yield "\n"
            continue
        sep = "\n\n" if name in blocks else " " if name in cells else ""
        inner = pre or name == "pre"
        if sep:
            yield sep
            stack.append((sep, False, True))
        for child in reversed(node):
            if child.tail:
                stack.append((child.tail, inner, False))
            if isinstance(child.tag, str):
                stack.append((child, inner, False))
        if node.text:
            stack.append((node.text, inner, False))


def drop(region: etree._Element, xpaths: Sequence[etree.XPath]) -> bool:
    """Remove what the selectors match inside ``region`` (keeping each removed element's tail text, as
    BeautifulSoup's decompose keeps the following string); False if one matches the region or above it."""
    doomed: list[etree._Element] = []
    for xp in xpaths:
        for el in xp(region.getroottree()):
            if el is region or any(a is el for a in region.iterancestors()):
                return False
            if any(a is region for a in el.iterancestors()):
                doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail:
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)
    return True
