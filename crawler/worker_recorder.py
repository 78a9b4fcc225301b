"""The run recorder of a worker (a Scrapy extension): the scheduler opened the run and closes it; the worker
adds what it saw to the run's counters in Redis and leaves the run when its spider is idle."""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider

from crawler.extensions import CrawlRunRecorder, RunContext, RunCounters, _ErrorCapture
from crawler.redis_run import COUNTED, ELSEWHERE_STAT, REDIS_ERRORS, job_of, outage, run_key
from pipeline.runs import touch_checked


class WorkerRunRecorder(CrawlRunRecorder):
    """The run recorder of a worker: the scheduler opened the run and closes it; this worker adds what
    it saw to the run's counters in Redis, leaves the run's ``busy`` set when its spider is idle and
    keeps the spider open while the run is active (more requests may come from other workers)."""

    def __init__(self) -> None:
        super().__init__()
        self._pushed: dict[int, dict[str, int]] = {}
        self._error_pushed: set[int] = set()
        self._validators_sent: dict[int, set[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerRunRecorder:
        ext = super().from_crawler(crawler)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        assert isinstance(ext, WorkerRunRecorder)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        ctx: RunContext | None = getattr(spider, "casewatch", None)
        if ctx is None:
            return
        job = job_of(spider.crawler)
        counters = RunCounters(source_id=job.source_id, run_id=job.run_id)
        spider.casewatch_counters = counters  # type: ignore[attr-defined]
        capture = self._captures[id(spider)] = _ErrorCapture(spider, counters, ctx.db.display_url)
        logging.getLogger().addHandler(capture)

    def response_received(self, response: Any, request: Any, spider: Spider) -> None:
        super().response_received(response, request, spider)
        self.push(spider)

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        self.push(spider)

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        super().item_error(item, response, spider, failure)
        self.push(spider)

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        super().spider_error(failure, response, spider)
        self.push(spider)

    def spider_idle(self, spider: Spider) -> None:
        """Everything this worker took is stored and its requests queued: it leaves ``busy``."""
        self.push(spider)
        self.push_validators(spider)
        job = job_of(spider.crawler)
        server: redis.Redis = spider.casewatch_server  # type: ignore[attr-defined]
        try:
            server.zrem(job.busy, job.worker)
        except REDIS_ERRORS as exc:
            outage.failed(exc)
        raise DontCloseSpider  # the worker stops this crawler when the scheduler closes the run

    def push(self, spider: Spider) -> None:
        """Add what changed since the last push to the run's counters in Redis (retried next time)."""
        counters: RunCounters | None = getattr(spider, "casewatch_counters", None)
        if counters is None:
            return
        stats = spider.crawler.stats
        now = {name: int(getattr(counters, name)) for name in COUNTED}
        if stats is not None:
            now["not_modified"] = int(stats.get_value("casewatch/not_modified", 0))
            now["filtered"] = int(stats.get_value("casewatch/filtered", 0))
            now["elsewhere"] = int(stats.get_value(ELSEWHERE_STAT, 0))
        before = self._pushed.setdefault(id(spider), {})
        delta = {k: v - before.get(k, 0) for k, v in now.items() if v != before.get(k, 0)}
        send_error = counters.first_error is not None and id(spider) not in self._error_pushed
        if not delta and not send_error:
            return
        job = job_of(spider.crawler)
        server: redis.Redis = spider.casewatch_server  # type: ignore[attr-defined]
        try:
            pipe = server.pipeline(transaction=True)
            for name, n in delta.items():
                pipe.hincrby(job.counts, name, n)
            if send_error:
                pipe.hsetnx(job.counts, "first_error", counters.first_error or "")
            pipe.pexpire(job.counts, job.ttl_ms)
            pipe.execute()
        except REDIS_ERRORS as exc:
            outage.failed(exc)
            return
        outage.ok()
        before.update(now)
        if send_error:
            self._error_pushed.add(id(spider))

    def push_validators(self, spider: Spider) -> None:
        """The validators of the listing and feed pages this worker fetched (those that produced no
        item): the scheduler saves them if the run ends ``ok``, so the next cycle can ask "changed since?"."""
        fetched = getattr(spider, "fetched", {})
        produced = getattr(spider, "produced", set())
        sent = self._validators_sent.setdefault(id(spider), set())
        pages = {url: json.dumps(list(v)) for url, v in fetched.items() if url not in produced and url not in sent}
        if not pages:
            return
        job = job_of(spider.crawler)
        server: redis.Redis = spider.casewatch_server  # type: ignore[attr-defined]
        try:
            pipe = server.pipeline(transaction=True)
            pipe.hset(run_key(job.run_id, "validators"), mapping=pages)
            pipe.pexpire(run_key(job.run_id, "validators"), job.ttl_ms)
            pipe.execute()
        except REDIS_ERRORS as exc:
            outage.failed(exc)
            return
        sent.update(pages)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        ctx: RunContext | None = getattr(spider, "casewatch", None)
        if (capture := self._captures.pop(id(spider), None)) is not None:
            logging.getLogger().removeHandler(capture)
        self.push(spider)
        not_modified: set[str] = getattr(spider, "not_modified", set())
        if ctx is not None and not_modified:  # checked, unchanged: the revisit schedule sees it
            from datetime import UTC, datetime

            touch_checked(ctx.db, not_modified, datetime.now(UTC))
