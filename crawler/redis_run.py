"""The Redis side of one source's run crawled by many workers: its keys, the connection, the outage
reporter, the Lua scripts every worker and the scheduler run, and the job a worker takes part in.

Keys (all under ``casewatch:``, or CASEWATCH_REDIS_PREFIX; each expires, so nothing outlives a dead scheduler for long):
- ``runs``: hash of the active runs, run id -> JSON {source, cycle, config, phase} (the scheduler's)
- ``run:<id>:queue``: the run's requests (scrapy-redis PriorityQueue, ``crawler.shared_queue.RunQueue``)
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
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import redis
from scrapy.crawler import Crawler

from config.redact import redact_url
from config.settings import get_settings

log = logging.getLogger("casewatch.worker")

PREFIX_ENV = "CASEWATCH_REDIS_PREFIX"  # several installations (or test runs) on one Redis: one prefix each
PREFIX = get_settings().redis_prefix  # PREFIX_ENV, read once by each process
ACTIVE = f"{PREFIX}:runs"
SEED, REVISIT = "seed", "revisit"  # tokens in a run's busy set: work no worker has taken yet
HOLDER_SEP = "#"  # <worker id>#<n>: a worker's n-th crawl of one run (after it abandoned one), in ``busy``
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


class Leases:
    """The holds a worker keeps alive in Redis (its member in a run's ``busy``, a site's politeness slot),
    renewed from a thread of their own (every third of a lease, at least every second), and the
    releases it owes (a slot whose release Redis missed while it was away: sent once it answers).

    Why a thread: a lease says "this worker is alive". The reactor thread can be busy in Python for
    seconds (a page's classification, the first page's warm-up, a loaded machine); renewed from there,
    a live worker's holds ran out and the run called it lost (``partial``) while it kept crawling.
    A killed worker's holds still run out one lease after it died. Redis errors are not reported here:
    the worker's own calls report an outage, once; renewals simply resume when Redis answers.
    """

    def __init__(self) -> None:
        self._held: dict[tuple[str, str], None] = {}
        self._owed: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def hold(self, key: str, member: str) -> None:
        with self._lock:
            self._held[(key, member)] = None

    def drop(self, key: str, member: str) -> None:
        with self._lock:
            self._held.pop((key, member), None)

    def owe(self, key: str, member: str) -> None:
        """A release that failed: sent by ``renew`` (else the lease frees it)."""
        with self._lock:
            self._owed.append((key, member))

    def held(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._held)

    def renew(self, server: redis.Redis, lease_ms: int) -> int:
        """Send the releases owed, then extend every hold by one lease (Redis's clock); how many holds
        still existed. Raises REDIS_ERRORS (what was owed stays owed)."""
        with self._lock:
            owed, self._owed = self._owed, []
        held = self.held()
        script = server.register_script(RENEW)
        pipe = server.pipeline(transaction=False)
        for key, member in owed:
            pipe.zrem(key, member)
        for key, member in held:
            script(keys=[key], args=[member, lease_ms], client=pipe)
        try:
            done = pipe.execute() if owed or held else []
        except REDIS_ERRORS:
            with self._lock:
                self._owed[:0] = owed
            raise
        return sum(int(n) for n in done[len(owed):])

    def start(self, url: str, lease_ms: int) -> None:
        """Renew from a daemon thread (on its own connection) until ``stop``."""
        server = connect(url)

        def loop() -> None:
            while not self._stop.wait(min(lease_ms / 3000, 1.0)):
                try:
                    self.renew(server, lease_ms)
                except REDIS_ERRORS:
                    continue

        self._thread = threading.Thread(target=loop, name="casewatch-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


leases = Leases()  # one per process: the worker starts it, its runs and its crawlers' slots hold through it

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
RENEW = _NOW_MS + "return redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])\n"
# A worker's crawl of a run ended while the run is still active (abandoned): what it took but did not pass on
# goes back, in one step. Requests it queued in memory while Redis was away go into the queue (the dupefilter
# saw them already); the token (seed, revisit) it claimed before it handed over all of that token's requests
# goes back into ``busy``, for any worker to take; its own hold goes unless it took requests from the queue
# (those may be lost with it: its lease runs out and the run says a worker stopped answering).
# KEYS: busy, queue, runs; ARGV: holder, run id, token or '', keep ('1'/'0'), ttl ms, then score/data pairs.
RELEASE = """
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 0 then return 0 end
for i = 6, #ARGV, 2 do redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i + 1]) end
if #ARGV >= 6 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[1], '+inf', ARGV[3]) end
if ARGV[4] == '0' then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 1
"""
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
    # What this crawler holds that nobody else can see (given back by RELEASE if its crawl is abandoned):
    token: str | None = None  # a token it claimed whose requests are not all handed over yet
    unsent: list[tuple[float, bytes]] = field(default_factory=list)  # pushes waiting in memory for Redis
    popped: int = 0  # requests it took from the run's queue

    @property
    def queue(self) -> str:
        return run_key(self.run_id, "queue")

    @property
    def busy(self) -> str:
        return run_key(self.run_id, "busy")

    @property
    def counts(self) -> str:
        return run_key(self.run_id, "counts")


def release(server: redis.Redis, job: RunJob) -> bool:
    """Give back what an abandoned crawl of ``job`` holds (RELEASE); False if the run is no longer active.
    Raises REDIS_ERRORS: the caller retries once Redis is back."""
    pairs = [part for score, data in job.unsent for part in (score, data)]
    done = server.register_script(RELEASE)(
        keys=[job.busy, job.queue, ACTIVE],
        args=[job.worker, job.run_id, job.token or "", "1" if job.popped else "0", job.ttl_ms, *pairs])
    job.token, job.unsent = None, []
    return bool(done)


def job_of(crawler: Crawler) -> RunJob:
    job = crawler.settings.get(JOB_SETTING)
    assert isinstance(job, RunJob), "a distributed crawler carries its RunJob in the CASEWATCH_JOB setting"
    return job


def run_info(raw: bytes | str) -> dict[str, Any]:
    """An entry of the ``runs`` hash."""
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}
