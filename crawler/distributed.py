"""A worker's crawler for one run of a source crawled by many workers through one Redis (scrapy-redis): its
settings, and the components they name that are not scrapy-redis's own (the site's politeness shared by
every worker, the ingest pipeline that locks each document, the spider that yields its start requests only
in the worker that takes the run's seed).

The Redis side (keys, scripts, the outage reporter, the job) is crawler/redis_run.py; the run's queue and
the cycle's dupefilter, crawler/shared_queue.py; the worker's run recorder, crawler/worker_recorder.py.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import redis
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy_redis.connection import get_redis_from_settings

from crawler.contenttypes import DOCUMENT
from crawler.extract.urls import canonical_url
from crawler.pipelines import IngestPipeline
from crawler.redis_run import (
    ACQUIRE,
    CLAIM,
    JOB_SETTING,
    PREFIX,
    REDIS_ERRORS,
    SEED,
    RunJob,
    job_of,
    leases,
    outage,
    redis_params,
    seen_key,
)
from crawler.spiders.base import SourceSpider
from pipeline.ingest import Snapshot
from pipeline.runs import lock_document


class SharedPolitenessMiddleware:
    """One site's download delay and concurrency, shared by every worker through Redis.

    Each worker's own Scrapy delay is off (the runner sets DOWNLOAD_DELAY 0 for it): a request waits
    here until the site's delay has passed since any worker's previous request to it and fewer than
    CASEWATCH_SHARED_CONCURRENCY requests to it are under way. Slots are leased for the worker's lease
    and renewed while their requests are under way (``redis_run.leases``), so a killed worker's slots
    free themselves within one lease, not a download timeout later; a release Redis missed (it was
    away) is sent as soon as it answers. With Redis unreachable a worker falls back to one request at
    a time per site at the configured delay, on its own.
    """

    def __init__(self, server: redis.Redis, delay: float, concurrency: int, lease_ms: int) -> None:
        self.server, self.delay, self.concurrency, self.lease_ms = server, delay, concurrency, lease_ms
        self._acquire = server.register_script(ACQUIRE)
        self._local_next: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        s = crawler.settings
        return cls(get_redis_from_settings(s), s.getfloat("CASEWATCH_SHARED_DELAY"),
                   max(1, s.getint("CASEWATCH_SHARED_CONCURRENCY", 1)), job_of(crawler).lease_ms)

    async def process_request(self, request: Request) -> None:
        host = (urlsplit(request.url).netloc.rpartition("@")[2]).lower()  # host[:port]: one site
        slot = uuid.uuid4().hex[:16]
        keys = [f"{PREFIX}:polite:{host}:next", f"{PREFIX}:polite:{host}:slots"]
        while True:
            try:
                wait = int(self._acquire(keys=keys, args=[int(self.delay * 1000), self.concurrency, slot,
                                                          self.lease_ms]))
            except REDIS_ERRORS as exc:
                outage.failed(exc)
                wait_s = self._local_next.get(host, 0.0) - time.monotonic()
                if wait_s > 0:
                    await sleep(wait_s)
                self._local_next[host] = time.monotonic() + self.delay
                return None
            outage.ok()
            if wait <= 0:
                request.meta["casewatch_polite"] = (keys[1], slot)
                leases.hold(keys[1], slot)
                return None
            await sleep(wait / 1000)

    def _release(self, request: Request) -> None:
        held = request.meta.pop("casewatch_polite", None)
        if held is None:
            return
        leases.drop(*held)
        try:
            self.server.zrem(*held)
        except REDIS_ERRORS as exc:  # sent once Redis answers (or its lease frees it)
            outage.failed(exc)
            leases.owe(*held)

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)


class SharedIngestPipeline(IngestPipeline):
    """The ingest pipeline with each item's document locked first: two workers storing the same
    document (reached from two sources) do it one after the other, never into two rows.

    Each item commits at once: the lock lasts one item's transaction, so two workers never hold one
    document each while waiting for the other's (a batch would keep its locks until it commits)."""

    batch_items = 1

    def before_ingest(self, session: Any, snap: Snapshot) -> None:
        lock_document(session, snap.url)


class SharedRunSpiderMixin:
    """Mixed into a source's spider class in a worker: only the worker that takes the run's ``seed``
    token yields the source's start requests; revisits are queued by whichever worker takes the
    ``revisit`` token the scheduler adds once the crawl itself is done."""

    crawler: Crawler
    casewatch_server: redis.Redis

    async def start(self) -> AsyncIterator[Any]:
        if not self.take_token(SEED):
            return
        async for request in super().start():  # type: ignore[misc]
            yield request
        job_of(self.crawler).token = None  # every start request handed to the engine: the seed is spent

    def take_token(self, token: str) -> bool:
        job = job_of(self.crawler)
        script = self.casewatch_server.register_script(CLAIM)
        try:
            won = bool(script(keys=[job.busy], args=[token, job.worker, job.lease_ms]))
        except REDIS_ERRORS as exc:
            outage.failed(exc)
            return False
        outage.ok()
        if won:
            job.token = token  # held until its requests are handed over (given back if the crawl is abandoned)
        return won

    def queue_revisits(self) -> int:
        """The known documents due for a re-check; those this cycle already fetched are dropped by the
        cycle's dupefilter (they were checked)."""
        job = job_of(self.crawler)
        spider: SourceSpider = self  # type: ignore[assignment]
        spider.fragments = {canonical_url(u) for u in job.fragments}
        for url in job.revisit:
            key = canonical_url(url)
            callback = spider.recheck_fragment if key in spider.fragments else spider.parse_revisit
            self.crawler.engine.crawl(spider.request(url, callback, accepts=DOCUMENT, cb_kwargs={"key": key}))
        job.token = None
        return len(job.revisit)


def shared_spider_class(spider_cls: type[Spider]) -> type[Spider]:
    """``spider_cls`` as a worker runs it (same name, same callbacks: requests in the queue name them)."""
    return type(f"Shared{spider_cls.__name__}", (SharedRunSpiderMixin, spider_cls), {})


def job_settings(job: RunJob, redis_url: str, delay: float, concurrency: int) -> Mapping[str, Any]:
    """Scrapy settings of one worker's crawler for one run: scrapy-redis's scheduler on the run's
    queue and the cycle's dupefilter, the shared politeness, the worker's recorder and pipeline."""
    params = redis_params(redis_url)
    params.pop("url")
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.shared_queue.RunQueue",
        "SCHEDULER_QUEUE_KEY": job.queue,
        "DUPEFILTER_CLASS": "crawler.shared_queue.CycleDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": seen_key(job.cycle),
        "SCHEDULER_PERSIST": True,  # one worker's spider closing must not clear the run's queue
        "REDIS_URL": redis_url,
        "REDIS_PARAMS": params,
        JOB_SETTING: job,
        "CASEWATCH_SHARED_DELAY": delay,
        "CASEWATCH_SHARED_CONCURRENCY": concurrency,
        "DOWNLOAD_DELAY": 0,  # replaced by the shared delay (SharedPolitenessMiddleware)
        "AUTOTHROTTLE_ENABLED": False,  # per process: it would let N workers each take the site's pace
        "CLOSESPIDER_TIMEOUT": 0,  # the scheduler ends the run at the crawl time limit
    }
