"""Runs the spiders of several sources in one Scrapy process and stores what they find.

Twisted's reactor runs once per process, so each call of ``run_crawls`` belongs in its own process
(``casewatch crawl`` is one; the scheduler starts one per crawl).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.reactor import install_reactor

from config.schema import Case, ConfigError, ParamsCheck, Source, params_errors
from crawler.extensions import RunContext, RunCounters
from crawler.items import DocumentItem
from crawler.tls import TLS_CA_HOSTS_SETTING, TLS_CA_SETTING
from pipeline import revisit as revisit_policy
from pipeline import runs
from pipeline.runs import Database, describe_failure

DEFAULT_TIME_LIMIT = 900  # seconds a single source may crawl before it is closed


def crawler_settings(**overrides: object) -> Settings:
    """Our Scrapy project settings (crawler/settings.py) plus per-run overrides."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for key, value in overrides.items():
        settings.set(key, value, priority="cmdline")
    return settings


def spider_names() -> list[str]:
    """Spider families that exist (the ``spider:`` values a source may use)."""
    return sorted(SpiderLoader.from_settings(crawler_settings()).list())


def source_settings(source: Source) -> dict[str, object]:
    """Per-source Scrapy settings taken from its config entry."""
    out: dict[str, object] = {}
    if source.download_delay is not None:
        out.update(DOWNLOAD_DELAY=source.download_delay, AUTOTHROTTLE_START_DELAY=source.download_delay)
    if source.concurrency is not None:  # AutoThrottle aims at this many requests in flight, no more
        from crawler import settings as project_settings  # read when a crawl is set up: it reads the environment

        out.update(CONCURRENT_REQUESTS_PER_DOMAIN=source.concurrency,
                   AUTOTHROTTLE_TARGET_CONCURRENCY=float(source.concurrency),
                   CONCURRENT_REQUESTS=max(source.concurrency, project_settings.CONCURRENT_REQUESTS))
    if source.max_bytes is not None:
        out.update(DOWNLOAD_MAXSIZE=source.max_bytes, DOWNLOAD_WARNSIZE=min(source.max_bytes, 8 * 1024 * 1024))
    if source.tls_ca is not None:  # trusted for the source's own hosts only
        hosts = sorted({h for url in source.urls if (h := urlsplit(url).hostname)})
        out.update({TLS_CA_SETTING: source.tls_ca, TLS_CA_HOSTS_SETTING: hosts})
    return out


def source_crawler(process: CrawlerProcess, spider_cls: type, source: Source,
                   overrides: Mapping[str, Any] | None = None) -> Crawler:
    """A crawler for ``source``: the process's settings, then the source's own (limits, ``tls_ca``),
    then ``overrides`` (tests). Every crawl is built here, so its effective settings are these."""
    crawler = process.create_crawler(spider_cls)
    crawler.settings.setdict(source_settings(source), priority="cmdline")
    crawler.settings.setdict(dict(overrides or {}), priority="cmdline")
    return crawler


def spider_checks() -> dict[str, ParamsCheck | None]:
    """Spider families that exist, each with its params check: what ``load_config(spiders=...)`` takes, so
    a wrong spider param is reported when the config loads."""
    loader = SpiderLoader.from_settings(crawler_settings())
    return {name: getattr(loader.load(name), "check_params", None) for name in sorted(loader.list())}


def params_error(spider_cls: type, source: Source) -> str | None:
    """The one-line reason ``source``'s params are unusable for its spider, else None."""
    check = getattr(spider_cls, "check_params", None)
    return next(iter(params_errors(check, source)), None) if check is not None else None


def _record_refused(db: Database, source: Source, error: str, results: dict[str, RunCounters]) -> None:
    """A source whose config its spider refuses: a failed run, so health and `sources` show it."""
    now = datetime.now(UTC)
    run_id = runs.record_refused(db, source.id, source.unhealthy_after, error, now)
    results[source.id] = RunCounters(source_id=source.id, run_id=run_id, status="failed", errors=1,
                                     first_error=error, started=now, finished=now)


def run_crawls(
    sources: Sequence[Source],
    *,
    cases: Iterable[Case],
    db: Database,
    revisit: Mapping[str, Sequence[str]] | None = None,
    progress: Callable[[RunCounters], None] | None = None,
    log_level: str = "WARNING",
    time_limit: int = DEFAULT_TIME_LIMIT,
    conditional: bool = True,
) -> dict[str, RunCounters]:
    """Crawl ``sources`` concurrently (one Scrapy crawler each); returns each source's counters.

    ``conditional`` sends the stored validators (ETag, Last-Modified, body checksum) so unchanged
    pages cost a 304 or a hash; off, every page is extracted again (``crawl --full``).
    """
    results: dict[str, RunCounters] = {}
    settings = crawler_settings(
        ITEM_PIPELINES={"crawler.pipelines.IngestPipeline": 300},
        EXTENSIONS={"crawler.extensions.CrawlRunRecorder": 100},
        # Start requests taken as the crawl needs them, not all queued at once (crawler/paced_start.py)
        SPIDER_MIDDLEWARES={"crawler.paced_start.PacedStartMiddleware": 10},
        CLOSESPIDER_TIMEOUT=time_limit,
        LOG_LEVEL=log_level,
        LOG_INSTALL_ROOT_HANDLER=False,  # the CLI decides what reaches the terminal
    )
    process = CrawlerProcess(settings)
    # After CrawlerProcess, whose configure_logging puts the `scrapy` logger back to DEBUG: set before it,
    # every response still built its "Crawled (200)" DEBUG record (redacted by casewatch/logs.py) for nothing.
    logging.getLogger("scrapy").setLevel(log_level)
    # The reactor now, not with the first crawler: a spider that raises while it is being made (in
    # __init__ or from_crawler) would leave none installed, and every later source would fail too.
    install_reactor(settings["TWISTED_REACTOR"], settings["ASYNCIO_EVENT_LOOP"])
    logging.getLogger("scrapy.utils.signal").addFilter(_closed_before_open)
    loader = SpiderLoader.from_settings(settings)
    context = RunContext(db=db, cases=tuple(cases), progress=progress, results=results)
    known = runs.known_validators(db, {s.id: s.config_sha() for s in sources}) if conditional \
        else {s.id: {} for s in sources}
    # Revisits of documents stored from a feed entry or a listing card: checked for presence only.
    fragments = revisit_policy.fragments(db, [u for urls in (revisit or {}).values() for u in urls])
    for source in sources:
        spider_cls = loader.load(source.spider)
        if (error := params_error(spider_cls, source)) is not None:
            _record_refused(db, source, error, results)
            if progress is not None:
                progress(results[source.id])
            continue
        crawler = source_crawler(process, spider_cls, source)
        mine = tuple((revisit or {}).get(source.id, ()))
        started = process.crawl(crawler, source=source, revisit=mine, fragments=[u for u in mine if u in fragments],
                                known=known[source.id], casewatch=context)
        started.addErrback(_did_not_start, db, source, results, progress)
    # Modules, classes, rule tables and the configuration live as long as this process: frozen, the
    # collector never walks them again during the crawl (a `casewatch crawl` process starts with
    # collection off: casewatch/early.py).
    gc.freeze()
    gc.enable()
    process.start()
    db.commit_batch()  # each spider's close committed its items; a spider that never closed did not
    db.shrink_wal()
    return results


def _closed_before_open(record: logging.LogRecord) -> bool:
    """Drop Scrapy's own traceback for closing a spider that never opened (its CoreStats extension
    asserts a start time): ``_did_not_start`` reports that source, with the error that stopped it."""
    exc = record.exc_info[1] if record.exc_info else None
    return not (isinstance(exc, AssertionError) and "CoreStats.spider_closed" in record.getMessage())


def _did_not_start(failure: Any, db: Database, source: Source, results: dict[str, RunCounters],
                   progress: Callable[[RunCounters], None] | None) -> None:
    """A spider that raised before its run was opened (``__init__``, ``from_crawler``, a pipeline's
    ``open_spider``): a failed run naming the error, instead of a traceback and a silent source."""
    if source.id in results:  # its run was opened: the recorder closes it
        return
    _record_refused(db, source, f"the spider did not start: {describe_failure(failure.value)}", results)
    if progress is not None:
        progress(results[source.id])


@dataclass
class Collected:
    """What one spider run extracted, without storing anything."""

    items: list[DocumentItem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


class _LogCollector(logging.Handler):
    def __init__(self, collected: Collected) -> None:
        super().__init__(level=logging.WARNING)
        self.collected = collected

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        line = message.splitlines()[0] if message else ""
        (self.collected.errors if record.levelno >= logging.ERROR else self.collected.warnings).append(line)


def collect_items(spider_cls: type | str, source: Source, *, revisit: Sequence[str] = (),
                  settings: Mapping[str, Any] | None = None) -> Collected:
    """Run one spider for ``source`` and return its items, errors and stats (once per process)."""
    from scrapy import signals

    collected = Collected()
    process = CrawlerProcess(crawler_settings(LOG_INSTALL_ROOT_HANDLER=False, **dict(settings or {})))
    handler = _LogCollector(collected)
    logging.getLogger().addHandler(handler)
    if isinstance(spider_cls, str):
        spider_cls = SpiderLoader.from_settings(process.settings).load(spider_cls)
    if (error := params_error(spider_cls, source)) is not None:
        logging.getLogger().removeHandler(handler)
        raise ConfigError([error])
    crawler = source_crawler(process, spider_cls, source, settings)
    crawler.signals.connect(lambda item, **_: collected.items.append(item), signal=signals.item_scraped,
                            weak=False)
    process.crawl(crawler, source=source, revisit=tuple(revisit))
    try:
        process.start()
    finally:
        logging.getLogger().removeHandler(handler)
    collected.stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
    return collected
