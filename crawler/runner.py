"""Runs the spiders of several sources in one Scrapy process and stores what they find.

Twisted's reactor runs once per process, so each call of ``run_crawls`` belongs in its own process
(``casewatch crawl`` is one; the scheduler starts one per crawl).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from config.schema import Case, Source
from crawler.extensions import RunContext, RunCounters
from pipeline.store.session import Database

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
    return out


def run_crawls(
    sources: Sequence[Source],
    *,
    cases: Iterable[Case],
    db: Database,
    revisit: Mapping[str, Sequence[str]] | None = None,
    progress: Callable[[RunCounters], None] | None = None,
    log_level: str = "WARNING",
    time_limit: int = DEFAULT_TIME_LIMIT,
) -> dict[str, RunCounters]:
    """Crawl ``sources`` concurrently (one Scrapy crawler each); returns each source's counters."""
    results: dict[str, RunCounters] = {}
    settings = crawler_settings(
        ITEM_PIPELINES={"crawler.pipelines.IngestPipeline": 300},
        EXTENSIONS={"crawler.extensions.CrawlRunRecorder": 100},
        CLOSESPIDER_TIMEOUT=time_limit,
        LOG_LEVEL=log_level,
        LOG_INSTALL_ROOT_HANDLER=False,  # the CLI decides what reaches the terminal
    )
    logging.getLogger("scrapy").setLevel(log_level)
    process = CrawlerProcess(settings)
    loader = SpiderLoader.from_settings(settings)
    context = RunContext(db=db, cases=tuple(cases), progress=progress, results=results)
    for source in sources:
        crawler = process.create_crawler(loader.load(source.spider))
        crawler.settings.setdict(source_settings(source), priority="cmdline")
        process.crawl(crawler, source=source, revisit=tuple((revisit or {}).get(source.id, ())),
                      casewatch=context)
    process.start()
    return results
