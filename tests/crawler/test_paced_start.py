"""A crawl takes its start requests as it needs them (crawler/paced_start.py): the scheduler holds a few at
a time, not every URL of a source from the first second, and every page is still crawled and stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, signals
from scrapy.crawler import Crawler
from sqlalchemy import func, select

from pipeline.store.models import Change
from pipeline.store.session import Database
from tests.support.crawl import crawl, write_config
from tests.support.httpserver import LocalHTTPServer

PAGES = 120
PROBE_FILE = "CASEWATCH_TEST_SCHEDULER_PROBE"


class SchedulerProbe:
    """Notes the most requests the scheduler held at once (its enqueued minus dequeued count) when the
    crawl closes, into the file the ``CASEWATCH_TEST_SCHEDULER_PROBE`` setting names."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.most = 0
        crawler.signals.connect(self.scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SchedulerProbe:
        return cls(crawler)

    def scheduled(self, request: Request, spider: Any) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        self.most = max(self.most, stats.get("scheduler/enqueued", 0) - stats.get("scheduler/dequeued", 0))

    def closed(self, spider: Any) -> None:
        Path(self.crawler.settings[PROBE_FILE]).write_text(str(self.most), encoding="ascii")


@pytest.mark.slow
@pytest.mark.parametrize("paced", [True, False], ids=["paced", "all-at-once"])
def test_start_requests_are_taken_as_the_crawl_needs_them(tmp_path: Path, paced: bool) -> None:
    """With the middleware the scheduler never holds more than a few requests; without it (the control:
    Scrapy reads ``start()`` to its end while the downloader is full) it holds nearly every URL."""
    with LocalHTTPServer() as server:
        for i in range(PAGES):
            server.set_route(f"/n/{i}", body=f"<html><body><article><h1>Nota {i}</h1><p>Texto de la nota "
                                             f"{i} sobre la feria de Puno.</p></article></body></html>".encode())
        config = write_config(tmp_path, [{"id": "diario", "urls": [server.url(f"/n/{i}") for i in range(PAGES)]}])
        db_url = f"sqlite:///{tmp_path / 'c.db'}"
        probe = tmp_path / "most-held.txt"
        settings: dict[str, Any] = {
            "CONCURRENT_REQUESTS": 4,
            "EXTENSIONS": {"crawler.extensions.CrawlRunRecorder": 100, f"{__name__}.SchedulerProbe": 200},
            PROBE_FILE: str(probe),
        }
        if not paced:
            settings["SPIDER_MIDDLEWARES"] = {}
        result = crawl(config, db_url, "diario", settings=settings)
    assert result.returncode == 0, result.stderr
    db = Database(db_url)
    try:
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(Change).where(Change.kind == "new")) == PAGES
    finally:
        db.dispose()
    most = int(probe.read_text(encoding="ascii"))
    if paced:
        assert most <= 2, most
    else:
        assert most > PAGES // 2, most
