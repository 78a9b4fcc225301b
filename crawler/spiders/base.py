"""The base of every spider family: one configured Source in, DocumentItems out.

Spiders only fetch and extract. They never touch the database or the clock, so the same responses
always give the same items (golden tests). Sanity checks turn "the site changed and we parse nothing"
into an ERROR log line naming the source and URL, which the run recorder counts.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from config.schema import Source, load_config
from crawler.contenttypes import DOCUMENT, ContentKind
from crawler.extract.dates import parse_date
from crawler.extract.pdf import PdfError, is_pdf, pdf_links, pdf_text
from crawler.extract.text import ScopeNotFound, SelectorError, main_text
from crawler.extract.urls import canonical_url
from crawler.integrity import RefusedResponse
from crawler.items import DocumentItem

REMOVED_STATUSES: frozenset[int] = frozenset({404, 410})
EMPTY_MARK = "yielded no items"  # in report_empty's ERROR line; the run recorder counts it apart
NOT_MODIFIED_META = "casewatch_not_modified"  # request.meta flag set by ConditionalRequestMiddleware
ACCEPTS_META = "casewatch_accepts"  # request.meta: the ContentKinds its callback reads (else spider.accepts)
Validators = tuple[str | None, str | None, str]  # etag, last-modified, sha256 of the raw body


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
    goes idle, and yield an item with their status (404/410 give empty text). ``fragments`` names
    those of them whose stored text came from another response (a feed entry, a listing card): they
    are only checked for presence (``recheck_fragment``), so a revisit compares like with like.

    ``accepts`` is what the family's own source URLs may answer with; documents it follows (and
    revisits) are pages or PDFs. The ContentTypeMiddleware refuses anything else before a callback
    sees it, with one ERROR line naming the source, the URL and the type.
    """

    accepts: ClassVar[tuple[ContentKind, ...]] = DOCUMENT

    def __init__(
        self,
        source: Source | str | None = None,
        config: str | Path = "config",
        revisit: Iterable[str] | str = (),
        known: Mapping[str, Validators] | None = None,
        fragments: Iterable[str] | str = (),
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.source: Source = self._load_source(source, config)
        self.revisit: list[str] = _split_urls(revisit)
        # Those of ``revisit`` whose stored text is a fragment of another response (a feed entry's own
        # text, a listing card): their page is not what was stored, so only its presence is checked.
        self.fragments: set[str] = {canonical_url(u) for u in _split_urls(fragments)}
        # What the last fetches returned (canonical URL -> etag, last-modified, body sha256): the
        # ConditionalRequestMiddleware asks "changed since?" with it and flags unchanged answers.
        self.known: Mapping[str, Validators] = known or {}
        self.fetched: dict[str, Validators] = {}  # validators seen in this run (listing pages are saved)
        self.not_modified: set[str] = set()  # documents that answered 304 or an identical body
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
    def check_params(cls, source: Source) -> object:
        """Validate ``source.params`` without crawling; ValueError (one line, naming the source) if bad.

        Spider families with params override it; the runner calls it before starting a crawl so a
        config mistake is reported as such, not as a traceback inside Scrapy.
        """
        return None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._schedule_revisits, signal=signals.spider_idle)
        return spider

    # -- requests -------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.urls:
            yield self.request(url, self.parse)

    def request(self, url: str, callback: Callable[..., Any], *, accepts: tuple[ContentKind, ...] | None = None,
                **kwargs: Any) -> scrapy.Request:
        """A request whose failures are logged against this source; ``accepts`` overrides the
        family's content kinds for it (e.g. a feed following an article page)."""
        if accepts is not None:
            kwargs["meta"] = {**kwargs.get("meta", {}), ACCEPTS_META: accepts}
        return scrapy.Request(url, callback=callback, errback=self.on_error, **kwargs)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(HttpError):
            status = failure.value.response.status
            self.logger.error("source %s: %s answered HTTP %s", self.source.id, url, status)
        elif failure.check(RefusedResponse):  # incomplete body, unexpected content type: nothing stored
            self.logger.error("%s: %s: %s", self.source.id, url, failure.value.reason)
        elif failure.check(IgnoreRequest):  # refused by design: robots.txt, address guard, size, loops
            self.logger.error("source %s: %s not fetched: %s", self.source.id, url, failure.value)
        elif failure.check(DownloadCancelledError):  # DOWNLOAD_MAXSIZE (a chunked body says nothing more)
            limit = self.crawler.settings.getint("DOWNLOAD_MAXSIZE") if self.crawler is not None else 0
            self.logger.error("source %s: %s refused, response too large (over DOWNLOAD_MAXSIZE, %d bytes)%s",
                              self.source.id, url, limit, f": {failure.value}" if str(failure.value) else "")
        else:
            exc = failure.value
            self.logger.error("source %s: %s failed: %s: %s", self.source.id, url, type(exc).__name__,
                              exc or "(no detail)")

    def _schedule_revisits(self, spider: scrapy.Spider) -> None:
        """Once the normal crawl is done, re-check known documents it did not produce."""
        if self._revisit_scheduled or spider is not self:
            return
        self._revisit_scheduled = True
        pending = [u for u in self.revisit if canonical_url(u) not in self.produced]
        if not pending:
            return
        for url in pending:
            key = canonical_url(url)
            callback = self.recheck_fragment if key in self.fragments else self.parse_revisit
            req = self.request(url, callback, accepts=DOCUMENT, dont_filter=True, cb_kwargs={"key": key})
            self.crawler.engine.crawl(req)
        raise DontCloseSpider

    def parse_revisit(self, response: Response, key: str) -> Iterable[DocumentItem]:
        """A known document fetched again: same extraction as a watched page."""
        if (item := self.page_item(response, key)) is not None:
            yield item

    def recheck_fragment(self, response: Response, key: str) -> Iterable[DocumentItem]:
        """A document stored from a fragment of another response (a feed entry's own text, a listing
        card), re-checked at its own URL: is it still there?

        Its page is not what was stored: read as a page, its title and text differ from the feed's
        and every revisit would record an edit. So its words are not compared: 404/410 gives an item
        with that status (the pipeline's removal rule), any other answer counts as checked and
        unchanged. Its edits are found while its feed or listing shows it, read as before.
        """
        if self.unchanged(response, key):
            return
        if response.status in REMOVED_STATUSES:
            yield self.make_item(response, key)
            return
        canonical = canonical_url(key)
        self.produce(canonical)
        self.not_modified.add(canonical)  # recorded as a check (last_checked_at), not as a version
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("casewatch/not_modified")
            self.crawler.stats.inc_value("casewatch/not_modified/fragment")

    # -- helpers ---------------------------------------------------------------------------------

    def produce(self, key: str) -> None:
        """``key`` (canonical) produced its item or its "not modified": the run recorder keeps the
        validators of the other pages only (listings, feeds), so this one's are dropped now rather than
        held to the end of the crawl (~0.4 KB a page: 4 MB for a source of 10,000 pages)."""
        self.produced.add(key)
        self.fetched.pop(key, None)

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
    def parse_date(*values: object, response: Response | None = None) -> datetime | None:
        """The first value that parses as a date (feeds and pages offer several candidates).

        With ``response``, its HTTP Date header dates values without a year ("lunes 15 de
        setiembre"): spiders must not read the clock, the server's answer time stands in for it.
        """
        reference = SourceSpider.response_date(response) if response is not None else None
        for value in values:
            if (parsed := parse_date(value, reference=reference)) is not None:
                return parsed
        return None

    @staticmethod
    def response_date(response: Response) -> datetime | None:
        """When the server says it answered (HTTP Date header), or None: the spiders' "now"."""
        raw = response.headers.get(b"Date")
        return parse_date(raw.decode("latin-1")) if raw else None

    def report_empty(self, url: str, reason: str = "") -> None:
        """A listing or feed that parses to nothing is an error: the site probably changed."""
        detail = f": {reason}" if reason else ""
        self.logger.error("source %s: %s %s (structure changed?)%s", self.source.id, url, EMPTY_MARK, detail)

    def unchanged(self, response: Response, key: str | None = None) -> bool:
        """True if ``response`` is a 304 or repeats the last body byte for byte: nothing to extract.

        ``key`` names the document it stands for (not given for feeds and listings).
        """
        how = response.meta.get(NOT_MODIFIED_META) or ("304" if response.status == 304 else None)
        if not how:
            return False
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value("casewatch/not_modified")
            self.crawler.stats.inc_value(f"casewatch/not_modified/{how}")
        if key:
            canonical = canonical_url(key)
            self.produce(canonical)
            self.not_modified.add(canonical)
        return True

    def make_item(self, response: Response, url: str | None = None, **fields: Any) -> DocumentItem:
        """An item for ``response``; ``url`` is the document key (defaults to the response URL)."""
        key = canonical_url(url or response.url)
        headers = response_headers(response)
        self.produce(key)
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
        A PDF (by Content-Type or by its ``%PDF-`` magic bytes) is read by ``pdf_item``.
        ``fallback`` supplies title/published_at/etc. where the page lacks them.
        """
        if self.unchanged(response, key):
            return None
        title = fallback.pop("title", "")
        published = fallback.pop("published_at", None)
        text = fallback.pop("text", "")
        if response.status in REMOVED_STATUSES:
            return self.make_item(response, key, title=title, published_at=published, **fallback)
        if is_pdf(response.headers.get(b"Content-Type", b"").decode("latin-1"), response.body):
            return self.pdf_item(response, key, title=title, published_at=published, text=text, **fallback)
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

    # -- PDF documents (resolutions, reports) ---------------------------------------------------

    def pdf_item(self, response: Response, key: str, *, title: str = "", published_at: datetime | None = None,
                 text: str = "", **fallback: Any) -> DocumentItem | None:
        """A PDF as a document: its text, title and creation date; None (ERROR logged) if unreadable."""
        try:
            pdf = pdf_text(response.body)
        except PdfError as exc:
            self.logger.error("source %s: %s: %s", self.source.id, response.url, exc)
            return None
        if pdf.truncated:
            self.logger.warning("source %s: %s: PDF of %d pages only read in part (size limits)",
                                self.source.id, response.url, pdf.pages)
        if not pdf.text:
            self.logger.warning("source %s: %s: PDF without extractable text (scanned? damaged?); no OCR is done",
                                self.source.id, response.url)
        return self.make_item(response, key, title=pdf.title or title, published_at=pdf.published_at or published_at,
                              text=pdf.text or text, **fallback)

    def pdf_links(self, response: Response) -> list[str]:
        """Links to PDFs in the page's scope (minus ignored regions): absolute, http(s), in page order.

        A scope that matches nothing or a bad selector gives [] here: ``page_item`` reports it.
        """
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if not isinstance(response, TextResponse) or is_pdf(content_type, response.body):
            return []
        try:
            return pdf_links(response.text, url=response.url, scope=self.source.scope,
                             remove=self.source.ignore.selectors)
        except (ScopeNotFound, SelectorError):
            return []

    @cached_property
    def following_pdfs(self) -> bool:
        """``params.follow_pdfs`` of the source (default false); anything but a boolean is an error."""
        value = self.source.params.get("follow_pdfs", False)
        if not isinstance(value, bool):
            self.logger.error("source %s: params.follow_pdfs must be true or false, not %r; PDFs not followed",
                              self.source.id, value)
            return False
        return value

    def follow_pdfs(self, response: Response) -> Iterator[scrapy.Request]:
        """Requests for the PDFs a page links to, if the source sets ``params.follow_pdfs: true``.

        Each PDF is a document of its own, versioned like a page; ``claim`` deduplicates them and
        counts them against ``max_items``.
        """
        if not self.following_pdfs:
            return
        for url in self.pdf_links(response):
            if self.claim(url):
                yield self.request(url, self.parse_pdf, accepts=DOCUMENT, cb_kwargs={"key": url, "page": response.url})

    def parse_pdf(self, response: Response, key: str, page: str = "") -> Iterator[DocumentItem]:
        """A linked PDF. A 404/410 still gives an item (the pipeline counts a known document as
        missing and ignores an unknown one); a 2xx answer that is not a PDF is skipped with a warning
        (anything else, e.g. a 304, goes to ``page_item`` as for any page)."""
        if response.status in REMOVED_STATUSES:
            self.logger.warning("source %s: %s links to %s, which answers HTTP %s",
                                self.source.id, page or "a page", response.url, response.status)
        elif 200 <= response.status < 300 and not is_pdf(
                response.headers.get(b"Content-Type", b"").decode("latin-1"), response.body):
            self.logger.warning("source %s: %s links to %s as a PDF, but it is %s; skipped", self.source.id,
                                page or "a page", response.url,
                                response.headers.get(b"Content-Type", b"?").decode("latin-1"))
            return
        if (item := self.page_item(response, key)) is not None:
            yield item
