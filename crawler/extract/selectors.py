"""Selectors from configuration: CSS or XPath (``xpath:``/``css:`` prefixes, or guessed from the first
character), checked once when the config loads, and the visible text of what they match on a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cssselect import SelectorError as CSSSelectorError
from parsel import Selector, SelectorList

from crawler.extract.text import normalize_text

_PROBE = Selector(text="<html><body><p>probe</p></body></html>")


@dataclass(frozen=True)
class FieldSelector:
    """One configured selector, already validated; ``param`` names it in messages."""

    param: str
    expr: str
    xpath: bool

    def select(self, node: Selector | SelectorList[Selector]) -> SelectorList[Selector]:
        return node.xpath(self.expr) if self.xpath else node.css(self.expr)

    def __str__(self) -> str:
        return self.expr


def field_selector(param: str, value: Any, *, relative: bool) -> FieldSelector:
    """Parse and check a selector from config; ValueError naming the param if it is unusable."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"params.{param}: expected a CSS or XPath selector (got {value!r})")
    expr = value.strip()
    if expr.startswith("xpath:"):
        is_xpath, expr = True, expr[len("xpath:"):].strip()
    elif expr.startswith("css:"):
        is_xpath, expr = False, expr[len("css:"):].strip()
    else:
        is_xpath = expr.startswith(("/", "(", "./", "../"))
    if not expr:
        raise ValueError(f"params.{param}: empty selector after the prefix (got {value!r})")
    if is_xpath and relative and expr.startswith("/"):
        expr = "." + expr  # "//h2" inside a card means the card's h2, not the page's first one
    try:  # parsel only raises when a selector is used: use it once on a tiny page
        _PROBE.xpath(expr) if is_xpath else _PROBE.css(expr)
    except (ValueError, CSSSelectorError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        kind = "XPath" if is_xpath else "CSS"
        raise ValueError(f"params.{param}: invalid {kind} selector {value!r}: {detail}") from None
    return FieldSelector(param, expr, is_xpath)


def _one_line(text: str) -> str:
    return " ".join(normalize_text(text).split())


def node_text(node: Selector) -> str:
    """Visible text of a match: a string result as is, an element's text without scripts/styles."""
    if isinstance(node.root, str):
        return _one_line(node.root)
    parts = node.xpath(".//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]").getall()
    return _one_line(" ".join(parts))


def texts(sel: FieldSelector | None, card: Selector) -> list[str]:
    """The distinct visible texts ``sel`` matches in ``card``, in order (none without a selector)."""
    if sel is None:
        return []
    out: list[str] = []
    for node in sel.select(card):
        if (text := node_text(node)) and text not in out:
            out.append(text)
    return out
