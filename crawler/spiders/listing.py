"""HTML listings (section and tag pages) for sites without a usable feed: selectors come from YAML.

Regional outlets (RPP Puno, Diario Correo Puno, La República's tag pages) publish their Juliaca
coverage as card lists. A new site of that kind is a config entry, not code::

    params:
      item: article.news                          # each card (required)
      link: h2.news__title a::attr(href)          # relative to the card; default a::attr(href)
      title: h2.news__title a                     # default: the card's first heading, else link text
      date: time::attr(datetime)                  # text or attribute; Spanish dates are understood
      summary: p.news__summary
      author: span.news__author                   # every match becomes an author
      category: a.news__section                   # every match becomes a tag
      link_pattern: '/puno/.+-noticia-\\d+$'      # optional regex the article URL must match
      next: a.pagination__next::attr(href)        # next-page link (document-level) ...
      pages: "?page={n}"                          # ... or a page URL template (n = 2, 3, ...)
      max_pages: 3                                # pages read per run, default 1 (required with next/pages)

Selectors are CSS (parsel's ``::text`` and ``::attr(name)`` work), or XPath when they start with
``/``, ``(`` or ``./``, or carry an explicit ``xpath:`` prefix (``css:`` forces CSS). Card selectors
are relative to the card: an XPath starting with ``/`` is read as ``./`` (``//h2`` is the card's h2;
write unions as ``.//a | .//b``). A selector matching an element rather than text gives its visible
text (a link: its ``href``; a date: its ``datetime`` attribute, else its text). Prefix selectors
like ``[class^="ListSection_list__section--item"]`` survive the hash suffixes of CSS modules, which
change on every redeploy.

``follow`` (source): ``never`` makes the item from the card (body: the card's HTML, text: its
summary); ``auto``/``always`` fetch the article and extract its main text, with the card's title,
date and summary as fallbacks (``scope``/``ignore`` apply to the article pages).

Bad params are a config error raised before crawling. A site change is an ERROR, never a quiet empty
run: the first page (or one a ``next`` link points to) answering 404 or matching no card; any page
whose cards have no link, or whose every link ``link_pattern`` rejects. Pagination stops quietly at a
templated page past the end (404 or no cards), at a page that only repeats earlier cards, and when
``max_items`` is reached.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urljoin

import scrapy
from parsel import Selector
from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from scrapy.http import Response, TextResponse

from config.schema import Source, check_url
from crawler.extract.selectors import FieldSelector, field_selector, node_text, texts
from crawler.extract.urls import canonical_url
from crawler.items import DocumentItem
from crawler.params import ParamProblem, SpiderParams
from crawler.spiders.base import REMOVED_STATUSES, SourceSpider

MAX_PAGES_LIMIT = 50  # a listing is a recent-news window, not an archive to mirror
CARD_FIELDS: tuple[str, ...] = ("link", "title", "date", "summary", "author", "category")


def _pages_template(source: Source | None, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or "{n}" not in value:
        raise ValueError(f"params.pages: expected a URL template containing {{n}}, like '/page/{{n}}' (got {value!r})")
    try:
        example = value.format(n=2)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"params.pages: only {{n}} may appear in braces (got {value!r}: {exc!r})") from None
    for url in source.urls if source is not None else ():  # relative templates resolve against each listing URL
        try:
            check_url(urljoin(url, example), allow_private=source.allow_private)
        except ValueError as exc:
            raise ValueError(f"params.pages: {exc}") from None
    return value


def _selector(name: str, value: Any, *, relative: bool) -> FieldSelector:
    """``field_selector`` for a params model: the reason without its "params.<name>: " (the model adds it)."""
    try:
        return field_selector(name, value, relative=relative)
    except ValueError as exc:
        raise ValueError(str(exc).removeprefix(f"params.{name}: ")) from None


class ListingParams(SpiderParams):
    """The ``params`` of a listing source: the card selectors, an optional link filter and pagination."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    FAMILY: ClassVar[str] = "listing"

    item: FieldSelector = Field(default=None, validate_default=True)  # type: ignore[assignment]  # required
    link: FieldSelector = Field(default="a::attr(href)", validate_default=True)  # type: ignore[assignment]
    title: FieldSelector | None = None
    date: FieldSelector | None = None
    summary: FieldSelector | None = None
    author: FieldSelector | None = None
    category: FieldSelector | None = None
    link_pattern: re.Pattern[str] | None = None
    next: FieldSelector | None = None
    pages: str | None = None
    max_pages: int = Field(default=1, validate_default=True)

    @classmethod
    def problem(cls, err: Any) -> str:
        if err["type"] == "extra_forbidden":
            return f"unknown parameter (known: {', '.join(sorted(cls.model_fields))})"
        return super().problem(err)

    @field_validator("item", mode="before")
    @classmethod
    def _item(cls, value: Any) -> FieldSelector:
        if value is None:
            raise ValueError("required: the selector of each card, e.g. 'article.news'")
        return _selector("item", value, relative=False)

    @field_validator("link", *CARD_FIELDS[1:], mode="before")
    @classmethod
    def _card_field(cls, value: Any, info: ValidationInfo) -> FieldSelector | None:
        return None if value is None else _selector(str(info.field_name), value, relative=True)

    @field_validator("next", mode="before")
    @classmethod
    def _next(cls, value: Any) -> FieldSelector | None:
        return None if value is None else _selector("next", value, relative=False)

    @field_validator("link_pattern", mode="before")
    @classmethod
    def _link_pattern(cls, value: Any) -> re.Pattern[str] | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ValueError(f"expected a regular expression (got {value!r})")
        try:
            return re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from None

    @field_validator("pages", mode="before")
    @classmethod
    def _pages(cls, value: Any, info: ValidationInfo) -> str | None:
        source = (info.context or {}).get("source")
        try:
            return _pages_template(source, value)
        except ValueError as exc:
            raise ValueError(str(exc).removeprefix("params.pages: ")) from None

    @field_validator("max_pages", mode="before")
    @classmethod
    def _max_pages(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGES_LIMIT:
            raise ValueError(f"expected a whole number from 1 to {MAX_PAGES_LIMIT} (got {value!r})")
        return value

    @model_validator(mode="after")
    def _pagination(self) -> ListingParams:
        if self.next is not None and self.pages is not None:
            raise ParamProblem("use either next (a link on the page) or pages (a URL template), not both", at=".pages")
        if (self.next is not None or self.pages is not None) and "max_pages" not in self.model_fields_set:
            which = "next" if self.next is not None else "pages"
            raise ParamProblem(f"required with params.{which}: how many pages to read per run (e.g. 3)",
                               at=".max_pages")
        return self


@dataclass(frozen=True)
class ListingConfig:
    """A listing source's validated params."""

    item: FieldSelector
    fields: Mapping[str, FieldSelector]
    link_pattern: re.Pattern[str] | None = None
    next: FieldSelector | None = None
    pages: str | None = None
    max_pages: int = 1

    PARAMS: ClassVar[frozenset[str]] = frozenset(ListingParams.model_fields)

    @classmethod
    def from_source(cls, source: Source) -> ListingConfig:
        read = ListingParams.from_params(source.params, context={"source": source})
        fields = {name: sel for name in CARD_FIELDS if (sel := getattr(read, name)) is not None}
        return cls(item=read.item, fields=fields, link_pattern=read.link_pattern, next=read.next, pages=read.pages,
                   max_pages=read.max_pages)


@dataclass
class Card:
    """What a listing says about one document."""

    url: str
    title: str = ""
    published_at: datetime | None = None
    summary: str = ""
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    html: bytes = b""


# "Por Rubén Ccapa" / "By ..." bylines: the name is the author.
_BYLINE = re.compile(r"^(?:escrito\s+)?(?:por|by)\s*:?\s+", re.IGNORECASE)


class ListingSpider(SourceSpider):
    """One item per card of an HTML listing (deduplicated by canonical link), across ``max_pages``."""

    name = "listing"
    PARAMS: ClassVar[frozenset[str]] = ListingConfig.PARAMS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config: ListingConfig = self.check_params(self.source)

    @classmethod
    def check_params(cls, source: Source) -> ListingConfig:
        """Validated params; ValueError naming the source and the param otherwise.

        A classmethod so config checks can validate a source without starting a crawl.
        """
        try:
            return ListingConfig.from_source(source)
        except ValueError as exc:
            raise ValueError(f"source '{source.id}': {exc}") from None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.urls:
            yield self.request(url, self.parse, cb_kwargs={"page": 1, "first": url, "via": ""})

    def parse(self, response: Response, page: int = 1, first: str = "", via: str = "") -> Iterator[Any]:
        """One listing page: its cards, then the next page while there is one and room for more."""
        first = first or response.url
        if self.unchanged(response):  # 304 or the same bytes as after the last clean run: nothing new
            return
        if response.status in REMOVED_STATUSES:
            if page == 1 or via == "next":
                self.report_empty(response.url, f"listing answered HTTP {response.status}")
            return  # a templated page past the end
        if not isinstance(response, TextResponse):
            self.report_empty(response.url, "not an HTML page")
            return
        cards = self.config.item.select(response)
        if not cards:
            if page == 1 or via == "next":
                self.report_empty(response.url, f"selector '{self.config.item}' matched nothing")
            return
        new = linked = matching = 0
        pattern = self.config.link_pattern
        for index, node in enumerate(cards, start=1):
            card = self.card(node, response, index)
            if card is None:
                continue
            linked += 1
            if pattern is not None and not pattern.search(card.url):
                self.crawler.stats.inc_value("casewatch/filtered")  # sponsored cards, other sections
                continue
            matching += 1
            if not self.claim(card.url):
                continue
            new += 1
            yield self.follow_or_item(response, card)
        if linked == 0:
            self.report_empty(response.url, f"none of {len(cards)} cards has a link "
                                            f"(selector '{self.config.fields['link']}')")
            return
        if matching == 0 and pattern is not None:
            # Unlike a feed's keyword filter, a pattern that rejects every article link means the
            # site's URLs changed: the listing would otherwise go quiet for good.
            self.report_empty(response.url, f"link_pattern '{pattern.pattern}' rejected all {linked} card links")
            return
        if page > 1 and new == 0 and not self._full():
            self.logger.info("source %s: %s repeats earlier pages; not paginating further", self.source.id,
                             response.url)
            return
        if page < self.config.max_pages and not self._full():
            if (request := self.next_page(response, page, first)) is not None:
                yield request

    def _full(self) -> bool:
        limit = self.source.max_items
        return limit is not None and len(self.claimed) >= limit

    def next_page(self, response: TextResponse, page: int, first: str) -> scrapy.Request | None:
        """The request for page ``page + 1`` (``next`` link or ``pages`` template), if any."""
        if self.config.pages is not None:
            url = urljoin(first, self.config.pages.format(n=page + 1))
            via = "pages"
        elif self.config.next is not None:
            found = self.config.next.select(response)
            href = ""
            if found:
                node = found[0]
                href = node.root if isinstance(node.root, str) else (node.attrib.get("href") or "")
            if not href.strip():
                return None  # last page
            url = response.urljoin(href.strip())
            via = "next"
        else:
            return None
        if not url.startswith(("http://", "https://")):
            self.logger.warning("source %s: %s: next page %r is not an http(s) URL", self.source.id,
                                response.url, url)
            return None
        return self.request(url, self.parse, cb_kwargs={"page": page + 1, "first": first, "via": via})

    def card(self, node: Selector, response: TextResponse, index: int) -> Card | None:
        """Read one card; None (with a warning) if it has no http(s) link."""
        fields = self.config.fields
        href = self._href(fields["link"], node)
        url = canonical_url(href, base=response.url) if href else ""
        if not url.startswith(("http://", "https://")):
            self.logger.warning("source %s: %s: card %d has no http(s) link (selector '%s')",
                                self.source.id, response.url, index, fields["link"])
            return None
        titles = texts(fields.get("title"), node) if "title" in fields else self._default_title(node)
        summaries = texts(fields.get("summary"), node)
        return Card(
            url=url,
            title=titles[0] if titles else "",
            published_at=self._date(fields.get("date"), node),
            summary=summaries[0] if summaries else "",
            authors=[name for a in texts(fields.get("author"), node) if (name := _BYLINE.sub("", a))],
            tags=texts(fields.get("category"), node),
            html=node.get().encode("utf-8"),
        )

    @staticmethod
    def _href(sel: FieldSelector, card: Selector) -> str:
        for node in sel.select(card):
            if isinstance(node.root, str):
                value = node.root
            else:  # an element: its own href, else its first link's
                value = node.attrib.get("href") or node.xpath(".//a/@href").get() or ""
            if value.strip():
                return value.strip()
        if card.root is not None and getattr(card.root, "tag", "") == "a":  # the card is the link
            return (card.attrib.get("href") or "").strip()
        return ""

    @staticmethod
    def _default_title(card: Selector) -> list[str]:
        for query in (".//*[self::h1 or self::h2 or self::h3 or self::h4]", ".//a[@href]"):
            for node in card.xpath(query):
                if text := node_text(node):
                    return [text]
        return []

    def _date(self, sel: FieldSelector | None, card: Selector) -> datetime | None:
        if sel is None:
            return None
        candidates: list[str] = []
        for node in sel.select(card):
            if isinstance(node.root, str):
                candidates.append(node.root)
            else:
                candidates.extend(node.attrib.get(a, "") for a in ("datetime", "content", "title"))
                candidates.append(node_text(node))
        return self.parse_date(*(c for c in candidates if c and c.strip()))

    def follow_or_item(self, response: Response, card: Card) -> Any:
        """The card itself as the item (``follow: never``), else a request for the article."""
        if self.source.follow == "never":
            item = self.make_item(response, card.url, **self._fields(card), text=card.summary)
            item.body = card.html
            return item
        return self.request(card.url, self.parse_article, cb_kwargs={"card": card})

    @staticmethod
    def _fields(card: Card) -> dict[str, Any]:
        return {"title": card.title, "published_at": card.published_at, "summary": card.summary,
                "authors": list(card.authors), "tags": list(card.tags)}

    def parse_article(self, response: Response, card: Card) -> Iterator[DocumentItem]:
        """A followed article: its main text, with what the card said as fallback."""
        fields = self._fields(card)
        fields["text"] = card.summary
        if (item := self.page_item(response, card.url, **fields)) is not None:
            yield item
