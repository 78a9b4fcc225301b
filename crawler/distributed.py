"""Scrapy components for one source's run crawled by many workers through one Redis (scrapy-redis).

Keys (all under ``casewatch:``, or CASEWATCH_REDIS_PREFIX; each expires, so nothing outlives a dead scheduler for long):
- ``runs``: hash of the active runs, run id -> JSON {source, cycle, config, phase} (the scheduler's)
- ``run:<id>:queue``: the run's requests (scrapy-redis PriorityQueue, ``RunQueue`` below)
- ``run:<id>:busy``: sorted set of who holds work of the run, score = lease end (ms, Redis clock);
  the ``seed`` and ``revisit`` tokens (score +inf) stand for work no worker has taken yet
- ``run:<id>:counts``: hash of counters the workers add to (pages, items, errors, ...)
- ``run:<id>:revisit``: JSON of the known documents the scheduler wants re-checked
- ``cycle:<id>:seen``: the dupefilter of one crawl cycle (all runs enqueued together share it)
- ``polite:<host>:next`` / ``polite:<host>:slots``: one site's delay and concurrency, for every worker

A run is finished when its queue is empty and no live member is left in ``busy``: popping a request
adds the worker to ``busy`` in the same Lua script, and a worker leaves it only when its spider is
idle (everything it fetched is stored and its new requests are queued). A killed worker stops
renewing its lease; once it expires the run can finish without it (its in-flight requests are
fetched at the next cycle).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.asyncio import sleep
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from config.redact import redact_url
from config.settings import get_settings
from crawler.contenttypes import DOCUMENT
from crawler.extensions import CrawlRunRecorder, RunContext, RunCounters, _ErrorCapture
from crawler.extract.urls import canonical_url
from crawler.pipelines import IngestPipeline
from crawler.spiders.base import SourceSpider
from pipeline.ingest import Snapshot
from pipeline.runs import lock_document, touch_checked

log = logging.getLogger("casewatch.worker")

PREFIX_ENV = "CASEWATCH_REDIS_PREFIX"  # several installations (or test runs) on one Redis: one prefix each
PREFIX = get_settings().redis_prefix  # PREFIX_ENV, read once by each process
ACTIVE = f"{PREFIX}:runs"
SEED, REVISIT = "seed", "revisit"  # tokens in a run's busy set: work no worker has taken yet
JOB_SETTING = "CASEWATCH_JOB"  # the RunJob of a worker's crawler (its keys, its worker id, its lease)
REDIS_ERRORS: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)
COUNTED = ("pages", "items", "unchanged", "not_modified", "filtered", "errors", "empty_reports")
ELSEWHERE_STAT = "casewatch/fetched_in_cycle"  # requests the cycle's dupefilter dropped (pushed as ``elsewhere``)


def run_key(run_id: int, part: str) -> str:
    return f"{PREFIX}:run:{run_id}:{part}"


def seen_key(cycle: str) -> str:
    return f"{PREFIX}:cycle:{cycle}:seen"


def redis_params(url: str) -> dict[str, Any]:
    """Client settings for every casewatch connection to Redis: short timeouts, no silent retry loop
    (an outage is reported once and retried by the caller's own loop)."""
    return {"url": url, "socket_timeout": 10, "socket_connect_timeout": 3, "retry_on_timeout": False,
            "retry": redis.retry.Retry(redis.backoff.NoBackoff(), 0), "health_check_interval": 0}


def connect(url: str) -> redis.Redis:
    params = redis_params(url)
    return redis.Redis.from_url(params.pop("url"), **params)


class Outage:
    """One line when Redis becomes unreachable, one when it is back; nothing in between."""

    def __init__(self, who: str, logger: logging.Logger = log) -> None:
        self.who, self.logger = who, logger
        self.since: float | None = None
        self.url = "redis"

    def failed(self, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            cause = " ".join(str(exc).split()) or type(exc).__name__
            self.logger.error("%s: Redis at %s is unreachable (%s); waiting for it, nothing is lost meanwhile",
                              self.who, redact_url(self.url), cause[:200])

    def ok(self) -> None:
        if self.since is not None:
            self.logger.warning("%s: Redis at %s is back after %.0f s; resuming", self.who, redact_url(self.url),
                                time.monotonic() - self.since)
            self.since = None

    @property
    def down(self) -> bool:
        return self.since is not None


outage = Outage("worker")  # one per process: every component of a worker reports through it

_NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
POP = _NOW_MS + """
local item = redis.call('ZRANGE', KEYS[1], 0, 0)
if #item == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return item[1]
"""
CLAIM = _NOW_MS + """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
return 1
"""
REFUSE = """
if redis.call('ZREM', KEYS[1], 'seed') == 0 then return 0 end
redis.call('HINCRBY', KEYS[2], 'errors', 1)
redis.call('HSETNX', KEYS[2], 'first_error', ARGV[1])
return 1
"""
RENEW = _NOW_MS + "return redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])\n"
# One site's politeness for every worker: a free concurrency slot and the site's delay passed since
# the previous request started; else how many ms to wait. Slots are leased: a killed worker's expire.
ACQUIRE = _NOW_MS + """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 20 end
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > now then return nxt - now end
local delay = tonumber(ARGV[1])
redis.call('SET', KEYS[1], now + delay, 'PX', delay + 60000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]) + 60000)
return 0
"""


@dataclass
class RunJob:
    """One run as a worker takes part in it: which keys, who this worker is, how long its lease."""

    run_id: int
    source_id: str
    cycle: str
    worker: str
    lease_ms: int
    ttl_ms: int  # every key of the run expires after this (renewed while it is used)
    revisit: list[str] = field(default_factory=list)
    fragments: list[str] = field(default_factory=list)

    @property
    def queue(self) -> str:
        return run_key(self.run_id, "queue")

    @property
    def busy(self) -> str:
        return run_key(self.run_id, "busy")

    @property
    def counts(self) -> str:
        return run_key(self.run_id, "counts")


def job_of(crawler: Crawler) -> RunJob:
    job = crawler.settings.get(JOB_SETTING)
    assert isinstance(job, RunJob), "a distributed crawler carries its RunJob in the CASEWATCH_JOB setting"
    return job


class RunQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop marks this worker busy on the run in the same step,
    and whose pushes wait in memory while Redis is unreachable (sent once it is back)."""

    def __init__(self, server: redis.Redis, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.job = job_of(spider.crawler)
        self._pop = server.register_script(POP)
        self._waiting: list[tuple[float, bytes]] = []

    def _flush(self) -> None:
        while self._waiting:
            score, data = self._waiting[0]
            self._zadd(score, data)
            self._waiting.pop(0)

    def _zadd(self, score: float, data: bytes) -> None:
        pipe = self.server.pipeline(transaction=False)
        pipe.execute_command("ZADD", self.key, score, data)
        pipe.pexpire(self.key, self.job.ttl_ms)
        pipe.execute()

    def __len__(self) -> int:
        try:
            self._flush()
            n = int(self.server.zcard(self.key))
        except REDIS_ERRORS as exc:
            outage.failed(exc)
            return len(self._waiting)
        outage.ok()
        return n

    def push(self, request: Request) -> None:
        data = self._encode_request(request)
        try:
            self._flush()
            self._zadd(-request.priority, data)
        except REDIS_ERRORS as exc:
            outage.failed(exc)
            self._waiting.append((-request.priority, data))
            return
        outage.ok()

    def pop(self, timeout: int = 0) -> Request | None:
        try:
            self._flush()
            data = self._pop(keys=[self.key, self.job.busy], args=[self.job.worker, self.job.lease_ms,
                                                                    self.job.ttl_ms])
        except REDIS_ERRORS as exc:
            outage.failed(exc)
            return None
        outage.ok()
        return self._decode_request(data) if data else None


class CycleDupeFilter(RFPDupeFilter):
    """scrapy-redis's dupefilter, one per crawl cycle (``cycle:<id>:seen``, shared by the runs enqueued
    together, so a page two sources link to is fetched once), with a key that expires: a URL is
    fetched again at its next cycle, and a cycle nobody cleans up does not stay in memory."""

    ttl_ms: int = 0

    @classmethod
    def from_spider(cls, spider: Spider) -> CycleDupeFilter:
        job = job_of(spider.crawler)
        df = cls(get_redis_from_settings(spider.settings), key=spider.settings["SCHEDULER_DUPEFILTER_KEY"])
        df.ttl_ms = job.ttl_ms
        return df

    def request_seen(self, request: Request) -> bool:
        fp = self.request_fingerprint(request)
        try:
            pipe = self.server.pipeline(transaction=False)
            pipe.sadd(self.key, fp)
            pipe.pexpire(self.key, self.ttl_ms)
            added, _ = pipe.execute()
        except REDIS_ERRORS as exc:  # unknown: fetch it (a second fetch stores nothing twice)
            outage.failed(exc)
            return False
        outage.ok()
        return added == 0

    def log(self, request: Request, spider: Spider) -> None:
        """Fetched already in this cycle (by this source or another): counted, so a source whose pages
        another source fetched first still counts them as checked (its run is not ``empty``)."""
        if spider.crawler.stats is not None:
            spider.crawler.stats.inc_value(ELSEWHERE_STAT)

    def close(self, reason: str = "") -> None:
        """Kept: the other workers and runs of the cycle still use it (the scheduler deletes it)."""


class SharedPolitenessMiddleware:
    """One site's download delay and concurrency, shared by every worker through Redis.

    Each worker's own Scrapy delay is off (the runner sets DOWNLOAD_DELAY 0 for it): a request waits
    here until the site's delay has passed since any worker's previous request to it and fewer than
    CASEWATCH_SHARED_CONCURRENCY requests to it are under way. Slots are leased, so a killed worker's
    slots free themselves. With Redis unreachable a worker falls back to one request at a time per
    site at the configured delay, on its own.
    """

    def __init__(self, server: redis.Redis, delay: float, concurrency: int, lease_ms: int) -> None:
        self.server, self.delay, self.concurrency, self.lease_ms = server, delay, concurrency, lease_ms
        self._acquire = server.register_script(ACQUIRE)
        self._local_next: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        s = crawler.settings
        timeout = s.getfloat("DOWNLOAD_TIMEOUT") or 180.0
        return cls(get_redis_from_settings(s), s.getfloat("CASEWATCH_SHARED_DELAY"),
                   max(1, s.getint("CASEWATCH_SHARED_CONCURRENCY", 1)), int((timeout + 30) * 1000))

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
                return None
            await sleep(wait / 1000)

    def _release(self, request: Request) -> None:
        held = request.meta.pop("casewatch_polite", None)
        if held is None:
            return
        try:
            self.server.zrem(*held)
        except REDIS_ERRORS as exc:  # the lease frees it
            outage.failed(exc)

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

    def take_token(self, token: str) -> bool:
        job = job_of(self.crawler)
        script = self.casewatch_server.register_script(CLAIM)
        try:
            won = bool(script(keys=[job.busy], args=[token, job.worker, job.lease_ms]))
        except REDIS_ERRORS as exc:
            outage.failed(exc)
            return False
        outage.ok()
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
        return len(job.revisit)


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
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.RunQueue",
        "SCHEDULER_QUEUE_KEY": job.queue,
        "DUPEFILTER_CLASS": "crawler.distributed.CycleDupeFilter",
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


def run_info(raw: bytes | str) -> dict[str, Any]:
    """An entry of the ``runs`` hash."""
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}
