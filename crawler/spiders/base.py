"""The base of every spider family: one configured Source in, DocumentItems out.

Spiders only fetch and extract. They never touch the database or the clock, so the same responses
always give the same items (golden tests). Sanity checks turn "the site changed and we parse nothing"
into an ERROR log line naming the source and URL, which the run recorder counts.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from config.schema import Source, load_config
from crawler.extract.dates import parse_date
from crawler.extract.text import ScopeNotFound, SelectorError, main_text
from crawler.extract.urls import canonical_url
from crawler.items import DocumentItem

REMOVED_STATUSES: frozenset[int] = frozenset({404, 410})


def response_headers(response: Response) -> dict[str, str]:
    """Response headers as text (latin-1, first value each): stored as evidence next to the body."""
    out: dict[str, str] = {}
    for key, values in response.headers.items():
        if values:
            out[key.decode("latin-1")] = values[0].decode("latin-1")
    return out


def _split_urls(value: Iterable[str] | str) -> list[str]:
    if isinstance(value, str):  # `scrapy crawl feed -a revisit="url1,url2"`
        return [u for u in re.split(r"[\s,]+", value) if u]
    return [u for u in value if u]


class SourceSpider(scrapy.Spider):
    """Base spider: holds the Source, builds items, limits and sanity-checks output.

    ``source`` is a Source, or a source id looked up in the ``config`` directory (for
    ``scrapy crawl feed -a source=<id>``). ``revisit`` lists URLs of known documents the runner wants
    re-checked (removed? edited?); those not produced by the normal crawl are fetched when the spider
    goes idle, and yield an item with their status (404/410 give empty text).
    """

    def __init__(
        self,
        source: Source | str | None = None,
        config: str | Path = "config",
        revisit: Iterable[str] | str = (),
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.source: Source = self._load_source(source, config)
        self.revisit: list[str] = _split_urls(revisit)
        self.claimed: set[str] = set()  # canonical URLs taken on by this run (dedup + max_items)
        self.produced: set[str] = set()  # canonical URLs that produced an item
        self._revisit_scheduled = False

    def _load_source(self, source: Source | str | None, config: str | Path) -> Source:
        if isinstance(source, Source):
            found = source
        elif isinstance(source, str) and source:
            try:
                found = load_config(config).source(source)
            except KeyError:
                raise ValueError(f"unknown source '{source}' in {config}") from None
        else:
            raise ValueError(f"spider {self.name!r} needs a source (-a source=<id>)")
        if found.spider != self.name:
            raise ValueError(f"source '{found.id}' uses spider '{found.spider}', not '{self.name}'")
        return found

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._schedule_revisits, signal=signals.spider_idle)
        return spider

    # -- requests -------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.urls:
            yield self.request(url, self.parse)

    def request(self, url: str, callback: Callable[..., Any], **kwargs: Any) -> scrapy.Request:
        """A request whose failures are logged against this source."""
        return scrapy.Request(url, callback=callback, errback=self.on_error, **kwargs)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(HttpError):
            status = failure.value.response.status
            self.logger.error("source %s: %s answered HTTP %s", self.source.id, url, status)
        elif failure.check(IgnoreRequest):
            self.logger.warning("source %s: %s not fetched: %s", self.source.id, url, failure.value)
        else:
            self.logger.error("source %s: %s failed: %r", self.source.id, url, failure.value)

    def _schedule_revisits(self, spider: scrapy.Spider) -> None:
        """Once the normal crawl is done, re-check known documents it did not produce."""
        if self._revisit_scheduled or spider is not self:
            return
        self._revisit_scheduled = True
        pending = [u for u in self.revisit if canonical_url(u) not in self.produced]
        if not pending:
            return
        for url in pending:
            req = self.request(url, self.parse_revisit, dont_filter=True, cb_kwargs={"key": canonical_url(url)})
            self.crawler.engine.crawl(req)
        raise DontCloseSpider

    def parse_revisit(self, response: Response, key: str) -> Iterable[DocumentItem]:
        """A known document fetched again: same extraction as a watched page."""
        if (item := self.page_item(response, key)) is not None:
            yield item

    # -- helpers ---------------------------------------------------------------------------------

    def claim(self, url: str) -> bool:
        """Take on a document: False if already taken in this run or ``max_items`` is reached."""
        key = canonical_url(url)
        if key in self.claimed:
            return False
        limit = self.source.max_items
        if limit is not None and len(self.claimed) >= limit:
            return False
        self.claimed.add(key)
        return True

    @staticmethod
    def parse_date(*values: object) -> datetime | None:
        """The first value that parses as a date (feeds and pages offer several candidates)."""
        for value in values:
            if (parsed := parse_date(value)) is not None:
                return parsed
        return None

    def report_empty(self, url: str, reason: str = "") -> None:
        """A listing or feed that parses to nothing is an error: the site probably changed."""
        detail = f": {reason}" if reason else ""
        self.logger.error("source %s: %s yielded no items (structure changed?)%s", self.source.id, url, detail)

    def make_item(self, response: Response, url: str | None = None, **fields: Any) -> DocumentItem:
        """An item for ``response``; ``url`` is the document key (defaults to the response URL)."""
        key = canonical_url(url or response.url)
        headers = response_headers(response)
        self.produced.add(key)
        return DocumentItem(
            source_id=self.source.id,
            url=key,
            status=response.status,
            fetched_url=response.url,
            body=response.body,
            headers=headers,
            content_type=headers.get("Content-Type", ""),
            **fields,
        )

    def page_item(self, response: Response, key: str, **fallback: Any) -> DocumentItem | None:
        """Extract a whole page (scope and ignore selectors from the source) into an item.

        404/410 give an item with that status and empty text: the pipeline decides about removal.
        ``fallback`` supplies title/published_at/etc. where the page lacks them.
        """
        title = fallback.pop("title", "")
        published = fallback.pop("published_at", None)
        text = fallback.pop("text", "")
        if response.status in REMOVED_STATUSES:
            return self.make_item(response, key, title=title, published_at=published, **fallback)
        if not isinstance(response, TextResponse):
            self.logger.warning("source %s: %s is not a text page (%s)", self.source.id, response.url,
                                response.headers.get("Content-Type", b"").decode("latin-1"))
            return self.make_item(response, key, title=title, published_at=published, text=text, **fallback)
        try:
            page = main_text(response.text, url=response.url, scope=self.source.scope,
                             remove=self.source.ignore.selectors)
        except ScopeNotFound as exc:
            self.logger.error("source %s: %s: %s (structure changed?)", self.source.id, response.url, exc)
            return None
        except SelectorError as exc:
            self.logger.error("source %s: %s: %s", self.source.id, response.url, exc)
            return None
        return self.make_item(
            response, key, title=page.title or title, published_at=page.published_at or published,
            text=page.text or text, **fallback,
        )
