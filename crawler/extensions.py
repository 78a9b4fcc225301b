"""Records one CrawlRun per source run, so a broken or silent source is never invisible."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from config.redact import redact
from crawler.spiders.base import EMPTY_MARK
from pipeline import runs
from pipeline.runs import Database, describe_failure, is_storage_error

log = logging.getLogger(__name__)
CONTEXT_MAX = 200  # a logged error message longer than this goes after its exception (one_line cuts at 300)


@dataclass
class RunCounters:
    """What one source run saw; the progress display and the CrawlRun row read it."""

    source_id: str
    run_id: int | None = None
    pages: int = 0
    items: int = 0
    new: int = 0
    updated: int = 0
    removed: int = 0
    restored: int = 0
    reverted: int = 0  # back to an older stored version (shown, not a CrawlRun column)
    unchanged: int = 0
    not_modified: int = 0  # 304s and identical bodies: counted in ``unchanged`` too
    filtered: int = 0  # feed entries the source's filters left out
    empty_reports: int = 0  # listings/feeds that parsed to nothing (a redesign?)
    errors: int = 0
    first_error: str | None = None
    status: str = "running"
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished: datetime | None = None

    def count(self, result: str) -> None:
        self.items += 1
        if result in ("new", "updated", "removed", "restored", "reverted", "unchanged"):
            setattr(self, result, getattr(self, result) + 1)

    def uncount(self, result: str) -> None:
        """Take back ``count(result)``: that item's write was lost with its batch."""
        self.items -= 1
        if result in ("new", "updated", "removed", "restored", "reverted", "unchanged"):
            setattr(self, result, getattr(self, result) - 1)

    def error(self, message: str) -> None:
        """Count an error; keep the first one, preferring the source's own URLs over robots.txt."""
        self.errors += 1
        if self.first_error is None or ("/robots.txt" in self.first_error and "/robots.txt" not in message):
            self.first_error = one_line(message)

    def empty(self, message: str) -> None:
        """A listing or feed parsed to nothing: not an error of its own, but the run may be ``empty``."""
        self.empty_reports += 1
        if self.first_error is None:
            self.first_error = one_line(message)

    def judge(self, finish_reason: str | None) -> str:
        """ok | partial | failed | empty | cancelled, from what was seen (not from the process exit code).

        A feed that answered "not modified", or whose entries were all filtered out, is a quiet
        day (``ok``); a listing that matched nothing is ``empty``.
        """
        seen = self.items or self.not_modified or self.filtered
        if finish_reason == "shutdown":  # stopped by a signal (the scheduler stopping, Ctrl-C): not the source's fault
            return "cancelled"
        if finish_reason not in (None, "finished"):
            self.error(f"crawl stopped early: {finish_reason}")
            return "partial" if seen else "failed"
        if self.errors:
            return "partial" if seen else "failed"
        if self.empty_reports:
            return "partial" if seen else "empty"
        return "ok" if seen else "empty"


def one_line(message: str, limit: int = 300) -> str:
    """The message as a run records it: one line, credentials removed (it reaches `status`, the API,
    the review page and digests)."""
    line = " ".join(redact(message).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass
class RunContext:
    """What the runner hands each spider (as the ``casewatch`` argument): Scrapy settings are
    deep-copied, so live objects such as the database travel with the spider instead."""

    db: Database
    cases: tuple[Any, ...]
    progress: Callable[[RunCounters], None] | None = None
    results: dict[str, RunCounters] | None = None


class _ErrorCapture(logging.Handler):
    """Counts ERROR log records that belong to one spider (Scrapy passes ``extra={'spider': ...}``)."""

    def __init__(self, spider: Spider, counters: RunCounters, where: str):
        super().__init__(logging.ERROR)
        self.spider, self.counters, self.where = spider, counters, where

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "spider", None) is not self.spider:
            return
        message = record.getMessage()
        if isinstance(record.args, dict) and "item" in record.args:  # "Error processing {the whole item}"
            message = f"storing {getattr(record.args['item'], 'url', '?')}"
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and (is_storage_error(exc) or len(message) > CONTEXT_MAX):
            # the cause first: Scrapy's "Error processing {item}" quotes the item's whole text, and a
            # storage error's own message carries the SQL and its parameters
            message = f"{describe_failure(exc, self.where)} ({message})"
        elif exc is not None and str(exc) not in message:
            message = f"{message}: {exc}"
        if EMPTY_MARK in message:
            self.counters.empty(message)
        else:
            self.counters.error(message)


class CrawlRunRecorder:
    """Opens a CrawlRun when the spider opens and closes it with counts and a status.

    Only spiders started by ``crawler.runner`` (which carry a RunContext) are recorded; golden tests
    and ``scrapy crawl`` run without a database.
    """

    def __init__(self) -> None:
        self._captures: dict[int, _ErrorCapture] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        ext = cls()
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        ctx: RunContext | None = getattr(spider, "casewatch", None)
        if ctx is None:
            return
        source = spider.source  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        run_id = runs.open_run(ctx.db, source.id, now)
        counters = RunCounters(source_id=source.id, run_id=run_id, started=now)
        spider.casewatch_counters = counters  # type: ignore[attr-defined]
        if ctx.results is not None:
            ctx.results[source.id] = counters
        capture = self._captures[id(spider)] = _ErrorCapture(spider, counters, ctx.db.display_url)
        logging.getLogger().addHandler(capture)
        _report(spider, counters)

    def response_received(self, response: Any, request: Any, spider: Spider) -> None:
        counters = getattr(spider, "casewatch_counters", None)
        if counters is not None and not request.url.endswith("/robots.txt"):
            counters.pages += 1
            _report(spider, counters)

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        if (counters := getattr(spider, "casewatch_counters", None)) is not None:
            _report(spider, counters)

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        if (counters := getattr(spider, "casewatch_counters", None)) is not None:
            where = spider.casewatch.db.display_url  # type: ignore[attr-defined]
            counters.error(f"{describe_failure(failure.value, where)} (storing {getattr(item, 'url', '?')})")

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        if (counters := getattr(spider, "casewatch_counters", None)) is not None:
            counters.error(f"{describe_failure(failure.value)} (parsing {getattr(response, 'url', '?')})")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        counters: RunCounters | None = getattr(spider, "casewatch_counters", None)
        ctx: RunContext | None = getattr(spider, "casewatch", None)
        if counters is None or ctx is None:
            return
        if (capture := self._captures.pop(id(spider), None)) is not None:
            logging.getLogger().removeHandler(capture)
        stats = spider.crawler.stats
        if stats is not None:
            counters.not_modified = int(stats.get_value("casewatch/not_modified", 0))
            counters.filtered = int(stats.get_value("casewatch/filtered", 0))
        counters.unchanged += counters.not_modified
        counters.status = counters.judge(reason)
        counters.finished = now = datetime.now(UTC)
        source = spider.source  # type: ignore[attr-defined]
        produced: set[str] = getattr(spider, "produced", set())
        pages = {url: v for url, v in getattr(spider, "fetched", {}).items() if url not in produced}
        runs.finish_run(ctx.db, source.id, source.config_sha(), source.unhealthy_after, runs.FinishedRun(
            run_id=counters.run_id, finished=now, status=counters.status,
            counts={name: getattr(counters, name) for name in runs.COUNTS}, error=counters.first_error,
            not_modified=getattr(spider, "not_modified", set()), pages=pages))
        _report(spider, counters)


def _report(spider: Spider, counters: RunCounters) -> None:
    ctx: RunContext | None = getattr(spider, "casewatch", None)
    if ctx is not None and ctx.progress is not None:
        ctx.progress(counters)
