"""scrapy-redis's scheduler parts for a run many workers crawl: the run's request queue (a pop marks the
worker busy on the run in the same step) and the crawl cycle's dupefilter (a page two sources link to is
fetched once a cycle). Both wait out a Redis outage instead of failing the crawl."""

from __future__ import annotations

from typing import Any

import redis
from scrapy import Request, Spider
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from crawler.redis_run import ELSEWHERE_STAT, POP, REDIS_ERRORS, job_of, outage


class RunQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop marks this worker busy on the run in the same step,
    and whose pushes wait in memory while Redis is unreachable (sent once it is back)."""

    def __init__(self, server: redis.Redis, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.job = job_of(spider.crawler)
        self._pop = server.register_script(POP)
        self._waiting = self.job.unsent  # on the job: given back to the run if this crawl is abandoned

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
        if not data:
            return None
        self.job.popped += 1
        return self._decode_request(data)


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
