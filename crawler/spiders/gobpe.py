"""gob.pe institution news (Ministerio Público, Defensoría, ministries, PCM): JSON listing, HTML fallback.

Every institution on the state platform publishes news under the same structure (sources.md A.1);
the source's ``urls`` say which institution:

* ``https://www.gob.pe/institucion/<slug>/noticias.json``: a JSON array of
  ``{title, description, url, image, date}`` (about ten items, ``date`` in Spanish prose such as
  "9 de enero de 2023", description cut at ~150 characters). It is not strictly newest-first (pinned
  items come first) and ``?page=`` is ignored, so items are ordered by the numeric id in
  ``/noticias/<id>-<slug>``, which only grows.
* ``https://www.gob.pe/institucion/<slug>/noticias?sheet=N&sort_by=recent``: the paginated HTML
  listing. Each card is a ``div.p-6`` holding ``h3 a`` (title and link), ``[id$="-description"]``
  (summary) and ``time[datetime]`` (ISO local time without offset, i.e. America/Lima).
* ``/institucion/<slug>/noticias/<id>-<slug>``: the article, whose body is inside ``<main>``.

The JSON listing is the cheap poll. When it fails (error status, not JSON, not an array, empty) the
spider says why in a WARNING and reads ``sheets`` HTML sheets instead; ``backfill_sheets`` reads that
many sheets even when the JSON works, to pick up older news. Sheets are read one after another and
stop early past the last sheet (a sheet with no new article) or once ``max_items`` is reached.
Each article is followed (unless ``follow: never``); the listing's title, date and summary fill in
what the article page lacks. A URL in ``urls`` that is not ``.json`` is read as an HTML listing
(fetched as configured, then ``?sheet=2...``). Only a ``/institucion/<slug>/noticias.json`` URL has
an HTML listing beside it; for any other ``.json`` URL (a saved file) nothing is guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from parsel import Selector
from pydantic import ValidationInfo, field_validator
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from config.schema import Source
from crawler.contenttypes import HTML, JSON
from crawler.extract.text import html_to_text, normalize_text
from crawler.extract.urls import canonical_url
from crawler.items import DocumentItem
from crawler.params import SpiderParams, whole_number
from crawler.spiders.base import ACCEPTS_META, REMOVED_STATUSES, SourceSpider

# /noticias/<id>-<slug>, with or without the slug or a trailing slash.
NEWS_PATH = re.compile(r"/noticias/(?P<id>\d+)(?:-[^/]*)?/?$")
INSTITUTION_PATH = re.compile(r"/institucion/(?P<slug>[a-z0-9][a-z0-9-]*)/noticias(?:\.json)?/?$", re.IGNORECASE)
JSON_LISTING_PATH = re.compile(r"/institucion/[^/]+/noticias\.json$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
MAX_SHEETS = 100  # a typo must not turn into thousands of requests to a state site
CARD_XPATH = "ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' p-6 ')][1]"


class GobPeParams(SpiderParams):
    """The ``params`` a gobpe source may set, validated when the config loads so a typo fails before any
    request."""

    FAMILY: ClassVar[str] = "gobpe"

    sheets: int = 3  # HTML sheets read when the JSON listing fails
    backfill_sheets: int = 0  # HTML sheets read even when the JSON listing works
    institution: str | None = None  # gob.pe slug; by default taken from the URL

    @field_validator("sheets", "backfill_sheets", mode="before")
    @classmethod
    def _sheets(cls, value: Any, info: ValidationInfo) -> int:
        return whole_number(value, 1 if info.field_name == "sheets" else 0, MAX_SHEETS)

    @field_validator("institution", mode="before")
    @classmethod
    def _slug(cls, value: Any) -> str | None:
        if value is None:  # the default: taken from the URL
            return None
        if not isinstance(value, str) or not SLUG.match(value):
            raise ValueError(f"expected a gob.pe institution slug like 'mpfn', got {value!r}")
        return value


@dataclass(frozen=True)
class ListedNews:
    """What a listing (JSON item or HTML card) says about one article."""

    news_id: int  # numeric id from the URL: the order of publication
    url: str  # canonical article URL: the document key
    title: str = ""
    summary: str = ""
    published_at: datetime | None = None
    raw: bytes = b""  # the JSON item or card HTML: the evidence when articles are not followed


def news_link(href: object, base: str) -> tuple[int, str] | None:
    """(id, canonical URL) of a link to a gob.pe article, else None.

    The trailing slash is dropped: gob.pe serves ``<id>-<slug>`` and ``<id>-<slug>/`` alike, and
    links to one article carry either, so keeping it would make two documents of one.
    """
    if not isinstance(href, str) or not href.strip():
        return None
    url = canonical_url(href, base=base)
    parts = urlsplit(url)
    match = NEWS_PATH.search(parts.path)
    if parts.scheme not in ("http", "https") or match is None:
        return None
    return int(match["id"]), urlunsplit(parts._replace(path=parts.path.rstrip("/")))


def has_html_listing(json_url: str) -> bool:
    """Whether a JSON listing URL has the HTML listing beside it (``.../noticias.json``).

    Other ``.json`` URLs (e.g. a saved file served by ``casewatch try-source --file``) have none: guessing
    one would only turn into a misleading "structure changed?" error.
    """
    return JSON_LISTING_PATH.search(urlsplit(json_url).path) is not None


def sheet_url(listing_url: str, sheet: int) -> str:
    """HTML listing sheet ``sheet`` for a JSON or HTML listing URL (other query filters kept).

    ``.../noticias.json`` -> ``.../noticias?sheet=N&sort_by=recent``. ``sort_by=recent`` is forced:
    stopping past the last sheet relies on newest-first order.
    """
    parts = urlsplit(listing_url)
    path = parts.path.removesuffix(".json")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("sheet", "sort_by")]
    query += [("sheet", str(sheet)), ("sort_by", "recent")]
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


def _one_line(value: object) -> str:
    return " ".join(normalize_text(value).split()) if isinstance(value, str) else ""


class GobPeSpider(SourceSpider):
    """News of one gob.pe institution per source URL; one item per article (newest ids first)."""

    name = "gobpe"
    # Where gob.pe renders the article body; used unless the source sets its own ``scope``.
    default_scope: ClassVar[str] = "main"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params = self.check_params(self.source)
        if self.source.scope is None:
            self.source = self.source.model_copy(update={"scope": self.default_scope})
        self.taken_ids: set[int] = set()  # article ids taken on in this run (one article, several slugs)

    @classmethod
    def check_params(cls, source: Source) -> GobPeParams:
        return GobPeParams.from_source(source)

    # -- requests -------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.urls:
            if urlsplit(url).path.endswith(".json"):
                # No retries: a failing JSON listing is not an error but a reason to read the HTML one
                # (whose requests are retried), and the retry middleware logs giving up as an ERROR.
                # An HTML answer reaches json_entries, which says "is not JSON" and falls back.
                yield scrapy.Request(url, callback=self.parse, errback=self.json_failed,
                                     meta={"dont_retry": True, ACCEPTS_META: (JSON, HTML)})
            else:
                yield self.sheet_request(url, 1, self.params.sheets, set(), url=url)  # as configured

    def sheet_request(self, listing_url: str, sheet: int, last: int, seen: set[int],
                      url: str | None = None) -> scrapy.Request:
        """HTML sheet ``sheet`` of ``last`` (at ``url`` if given); ``seen``: ids listed on earlier sheets."""
        return self.request(url or sheet_url(listing_url, sheet), self.parse_sheet,
                            cb_kwargs={"listing_url": listing_url, "sheet": sheet, "last": last, "seen": seen})

    def institution(self, url: str) -> str | None:
        """The institution slug: from params, else from the listing URL (None: any /noticias/ link)."""
        if self.params.institution:
            return self.params.institution
        match = INSTITUTION_PATH.search(urlsplit(url).path)
        return match["slug"].lower() if match else None

    def full(self) -> bool:
        """``max_items`` reached: no point reading more sheets."""
        limit = self.source.max_items
        return limit is not None and len(self.claimed) >= limit

    # -- JSON listing ---------------------------------------------------------------------------

    def parse(self, response: Response) -> Iterator[Any]:
        """The JSON listing; any failure falls back to the HTML listing."""
        if self.unchanged(response):  # 304 or the same bytes as last time: nothing new (no backfill either)
            return
        entries, problem = self.json_entries(response)
        if problem:
            yield from self.fall_back(response.url, problem)
            return
        yield from self.take(response, entries)
        if self.params.backfill_sheets and not self.full():
            if has_html_listing(response.url):
                yield self.sheet_request(response.url, 1, self.params.backfill_sheets, set())
            else:
                self.logger.warning("source %s: %s is not a /institucion/<slug>/noticias.json URL: "
                                    "no HTML listing to back-fill from", self.source.id, response.url)

    def json_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """The JSON request itself failed (HTTP 5xx, timeout...): read the HTML listing instead."""
        url = failure.request.url
        if failure.check(HttpError):
            problem = f"answered HTTP {failure.value.response.status}"
        elif failure.check(IgnoreRequest):
            problem = f"not fetched ({failure.value})"
        else:
            problem = f"failed ({failure.value!r})"
        yield from self.fall_back(url, problem)

    def fall_back(self, json_url: str, problem: str) -> Iterator[scrapy.Request]:
        """Read the HTML listing instead of an unusable JSON one (a WARNING: the source still works)."""
        if not has_html_listing(json_url):
            self.report_empty(json_url, f"JSON listing {problem}; no HTML listing to fall back to "
                                        f"(not a /institucion/<slug>/noticias.json URL)")
            return
        self.logger.warning("source %s: JSON listing %s %s; reading the HTML listing instead",
                            self.source.id, json_url, problem)
        yield self.sheet_request(json_url, 1, self.params.sheets, set())

    def json_entries(self, response: Response) -> tuple[list[ListedNews], str]:
        """The listing's articles, or an empty list and why the JSON is unusable."""
        if response.status in REMOVED_STATUSES:
            return [], f"answered HTTP {response.status}"
        try:
            data = json.loads(response.body)
        except (ValueError, UnicodeDecodeError):
            ctype = response.headers.get("Content-Type", b"").decode("latin-1") or "no Content-Type"
            return [], f"is not JSON ({ctype})"
        if not isinstance(data, list):
            return [], f"is not a JSON array (got {type(data).__name__})"
        if not data:
            return [], "is an empty array"
        entries: list[ListedNews] = []
        undated: list[str] = []
        unlinked = 0
        for obj in data:
            if not isinstance(obj, dict) or (link := news_link(obj.get("url"), response.url)) is None:
                unlinked += 1
                continue
            published = self.parse_date(obj.get("date"))
            if published is None and obj.get("date"):
                undated.append(str(obj["date"]))
            raw = json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8")
            entries.append(ListedNews(link[0], link[1], _one_line(obj.get("title")),
                                      _one_line(obj.get("description")), published, raw))
        if not entries:
            return [], f"has {len(data)} items but none links to a /noticias/<id>-... article"
        if unlinked:
            self.logger.warning("source %s: %s: %d of %d items have no /noticias/<id>-... link (skipped)",
                                self.source.id, response.url, unlinked, len(data))
        if undated:
            self.logger.warning("source %s: %s: %d dates not understood (e.g. %r)", self.source.id,
                                response.url, len(undated), undated[0])
        return entries, ""

    # -- HTML listing ---------------------------------------------------------------------------

    def parse_sheet(self, response: Response, listing_url: str, sheet: int, last: int,
                    seen: set[int]) -> Iterator[Any]:
        """One HTML sheet; the next is requested only if this one listed new articles."""
        if self.unchanged(response):  # newest first: an unchanged sheet means unchanged later ones
            return
        if response.status in REMOVED_STATUSES or not isinstance(response, TextResponse):
            if sheet == 1:
                why = f"listing answered HTTP {response.status}" if response.status in REMOVED_STATUSES \
                    else "not an HTML page"
                self.report_empty(response.url, why)
            return
        entries = self.sheet_entries(response, self.institution(listing_url))
        if not entries:
            if sheet == 1:
                slug = self.institution(listing_url) or "*"
                self.report_empty(response.url, f'no h3 link to /institucion/{slug}/noticias/<id>-...')
            return  # past the last sheet
        new = {e.news_id for e in entries} - seen
        seen.update(new)
        yield from self.take(response, entries)
        if new and sheet < last and not self.full():
            yield self.sheet_request(listing_url, sheet + 1, last, seen)

    def sheet_entries(self, response: TextResponse, slug: str | None) -> list[ListedNews]:
        """Cards of an HTML listing sheet, in page order."""
        pattern = f"/institucion/{slug}/noticias/" if slug else "/noticias/"
        entries: list[ListedNews] = []
        for link in response.css(f'h3 a[href*="{pattern}"]'):
            ref = news_link(link.attrib.get("href"), response.url)
            if ref is None:
                continue
            card = (link.xpath(CARD_XPATH) or link.xpath("ancestor::h3[1]/.."))[0]
            description = card.css('[id$="-description"]')
            entries.append(ListedNews(
                news_id=ref[0],
                url=ref[1],
                title=_one_line(link.xpath("string()").get()),
                summary=html_to_text(description[0].get()) if description else "",
                published_at=self.parse_date(*card.css("time[datetime]::attr(datetime)").getall(),
                                             *(_one_line(t.xpath("string()").get()) for t in card.css("time"))),
                raw=card.get().encode("utf-8"),
            ))
        return entries

    # -- articles -------------------------------------------------------------------------------

    def take(self, response: Response, entries: Iterable[ListedNews]) -> Iterator[Any]:
        """Claim listed articles newest id first (so ``max_items`` keeps the newest, not the pinned)."""
        for entry in sorted(entries, key=lambda e: e.news_id, reverse=True):
            if entry.news_id in self.taken_ids or not self.claim(entry.url):
                continue
            self.taken_ids.add(entry.news_id)
            if self.source.follow == "never":
                item = self.make_item(response, entry.url, title=entry.title, published_at=entry.published_at,
                                      summary=entry.summary, text=entry.summary)
                item.body = entry.raw
                yield item
            else:
                yield self.request(entry.url, self.parse_article, cb_kwargs={"entry": entry})

    def parse_article(self, response: Response, entry: ListedNews) -> Iterator[DocumentItem]:
        """The article page: its main text; its own headline and date first, the listing's as fallback."""
        item = self.page_item(response, entry.url, title=entry.title, published_at=entry.published_at,
                              summary=entry.summary)
        if item is None:
            return
        if response.status not in REMOVED_STATUSES and isinstance(response, TextResponse):
            # page_item prefers og:title, else <title> (gob.pe appends the site name to it).
            item.title = article_title(response) or entry.title or item.title
        yield item

    def parse_revisit(self, response: Response, key: str) -> Iterable[DocumentItem]:
        """A known article fetched again: the same extraction (and key) as when it was listed."""
        ref = news_link(key, key)
        yield from self.parse_article(response, ListedNews(*ref) if ref else ListedNews(0, key))


def article_title(response: TextResponse) -> str:
    """The article's own headline: the first ``main h1``, else og:title."""
    selector: Selector = response.selector
    headline = _one_line(selector.xpath("string((//main//h1)[1])").get())
    return headline or _one_line(selector.css('meta[property="og:title"]::attr(content)').get())
