"""`casewatch run` with CASEWATCH_REDIS_URL: the scheduler enqueues due sources for the workers
(`casewatch worker`) instead of crawling them, and records each run from what the workers report.

One run per source and cycle, as without Redis: the scheduler opens it (``running``), announces it in
``casewatch:runs`` with the source's revisits, waits until its queue is empty and no worker holds
work of it (crawler.redis_run), then closes it with the workers' counters and the changes the
database holds under it. A worker that stopped answering is noted in the run (``partial``); a run
not finished within the crawl time limit, or whose Redis keys vanished (Redis restarted empty), is
closed as failed. The scheduler never leaves a run ``running``: the next start closes what a killed
scheduler left (``recover``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from casewatch.app import App
from config.redact import redact_url
from config.schema import Source
from crawler import redis_run
from crawler.extensions import RunCounters, one_line
from pipeline.health import update_health
from pipeline.store.fetching import save_fetch_states
from pipeline.store.runs import close_stale_runs, get_run, start_run
from pipeline.store.shared import change_counts

log = logging.getLogger("casewatch.scheduler")
POLL_SECONDS = 0.2  # how often the scheduler asks Redis whether a run is done
CYCLE_WINDOW = 5.0  # seconds: runs enqueued this close together share a crawl cycle (and its dupefilter)
MIN_TTL_MS = 3_600_000  # a run's keys live at least an hour past their last use

# The run's state in one step: expired holds dropped (lost workers), then queue length and live holds.
# Returns false when the run is no longer announced (Redis restarted without its data).
DRAINED = redis_run._NOW_MS + """
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 0 then return false end
local lost = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #lost > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), lost}
"""
# The crawl is done: hand the revisits to the workers, as a token one of them takes (atomic with the check).
TO_REVISITS = """
if redis.call('ZCARD', KEYS[1]) > 0 or redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('ZADD', KEYS[2], '+inf', 'revisit')
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
"""
# Forget a closed run; the cycle's dupefilter goes with the cycle's last run.
FORGET = """
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[7])
redis.call('SREM', KEYS[5], ARGV[1])
if redis.call('SCARD', KEYS[5]) == 0 then redis.call('DEL', KEYS[5], KEYS[6]) end
return 1
"""


@dataclass
class Enqueued:
    """One run handed to the workers, as the scheduler follows it."""

    source_id: str
    run_id: int
    cycle: str
    info: dict[str, object]
    deadline: float
    revisits: bool
    lost: list[str] = field(default_factory=list)
    closed: bool = False  # in the database
    done: bool = False  # and forgotten in Redis


class Dispatcher:
    """The scheduler's side of the Redis queue (one per `casewatch run`, shared by its crawl jobs)."""

    def __init__(self, app: App, url: str) -> None:
        self.app, self.url = app, url
        self.server = redis_run.connect(url)
        self.outage = redis_run.Outage("scheduler", log)
        self.outage.url = url
        self._drained = self.server.register_script(DRAINED)
        self._to_revisits = self.server.register_script(TO_REVISITS)
        self._forget = self.server.register_script(FORGET)
        self._lock = threading.Lock()  # the outage reporter and the cycle are shared by the crawl job threads
        self._cycle: tuple[str, float] = ("", 0.0)

    @property
    def ttl_ms(self) -> int:
        return max(MIN_TTL_MS, 2 * 1000 * int(self.app.config.scheduler.crawl_time_limit))

    def _redis(self, call: Callable[[], object]) -> tuple[bool, object]:
        """(True, result), or (False, None) when Redis is unreachable (said once, until it is back)."""
        try:
            result = call()
        except redis_run.REDIS_ERRORS as exc:
            with self._lock:
                self.outage.failed(exc)
            return False, None
        with self._lock:
            self.outage.ok()
        return True, result

    # -- enqueue ------------------------------------------------------------------------------

    def enqueue(self, sources: Sequence[Source], *, cycle: str | None = None) -> list[Enqueued]:
        """Open a run for each source and hand it to the workers; sources enqueued together share a
        crawl cycle (one dupefilter: a page two of them link to is fetched once)."""
        from pipeline import revisit

        cycle = cycle or self._current_cycle()
        now = datetime.now(UTC)
        policy = self.app.config.scheduler
        due = revisit.due(self.app.db, [s.id for s in sources], policy.revisit, now, policy.revisit_max_per_crawl)
        fragments = revisit.fragments(self.app.db, [u for urls in due.values() for u in urls])
        out: list[Enqueued] = []
        for source in sources:
            with self.app.db.write() as session:
                close_stale_runs(session, source.id, now)
                run_id = start_run(session, source.id, now).id
            urls = list(due.get(source.id, ()))
            info: dict[str, object] = {
                "source": source.id, "cycle": cycle, "config": source.config_sha(), "phase": "crawl",
                "ttl_ms": self.ttl_ms, "revisit": {"urls": urls, "fragments": [u for u in urls if u in fragments]}}
            ok, _ = self._redis(lambda run_id=run_id, info=info: self._announce(run_id, info))
            if not ok:
                self._close(source.id, run_id, "failed", RunCounters(source_id=source.id, run_id=run_id),
                            f"not crawled: Redis at {redact_url(self.url)} is unreachable")
                continue
            out.append(Enqueued(source.id, run_id, cycle, info, time.monotonic() + policy.crawl_time_limit, bool(urls)))
            log.info("source %s: run %d queued for the workers (cycle %s%s)", source.id, run_id, cycle,
                     f", {len(urls)} revisit(s)" if urls else "", extra={"source": source.id, "run": run_id})
        return out

    def _current_cycle(self) -> str:
        """Sources that fall due together (the same schedule, the start) share a cycle: their jobs
        enqueue within CYCLE_WINDOW seconds of each other."""
        with self._lock:
            cycle, opened = self._cycle
            if not cycle or time.monotonic() - opened > CYCLE_WINDOW:
                self._cycle = (cycle := uuid.uuid4().hex[:12], time.monotonic())
            return cycle

    def _announce(self, run_id: int, info: dict[str, object]) -> None:
        pipe = self.server.pipeline(transaction=True)
        busy = redis_run.run_key(run_id, "busy")
        pipe.zadd(busy, {redis_run.SEED: float("inf")})
        pipe.pexpire(busy, self.ttl_ms)
        cycle_runs = f"{redis_run.PREFIX}:cycle:{info['cycle']}:runs"
        pipe.sadd(cycle_runs, run_id)
        pipe.pexpire(cycle_runs, self.ttl_ms)
        pipe.hset(redis_run.ACTIVE, str(run_id), json.dumps(info))
        pipe.execute()

    # -- follow -------------------------------------------------------------------------------

    def wait(self, runs: Sequence[Enqueued], *, stopping: Callable[[], bool] = lambda: False) -> None:
        """Until every run is closed: done, past the crawl time limit, lost with Redis, or cancelled."""
        pending = [r for r in runs if not r.done]
        while pending:
            for run in pending:
                self._check(run, stopping())
            pending = [r for r in pending if not r.done]
            if pending:
                time.sleep(POLL_SECONDS)

    def _check(self, run: Enqueued, stopping: bool) -> None:
        keys = [redis_run.run_key(run.run_id, "queue"), redis_run.run_key(run.run_id, "busy"), redis_run.ACTIVE]
        if run.closed:  # closed in the database while Redis was away: forget it there now
            self._forget_run(run, give_up=stopping)
            return
        if stopping:
            self._settle(run, "cancelled", "cancelled: the scheduler stopped")
            return
        if time.monotonic() > run.deadline:
            limit = self.app.config.scheduler.crawl_time_limit
            self._settle(run, "failed", f"not finished within the crawl time limit ({limit} s): are workers running?")
            return
        ok, state = self._redis(lambda: self._drained(keys=keys, args=[run.run_id]))
        if not ok:
            return
        if state is None:
            self._settle(run, "failed", "Redis lost the run's queue (restarted without its data?); "
                                        "its pages are fetched at the next due time")
            return
        queued, busy, lost = state  # type: ignore[misc]
        run.lost += [w.decode() if isinstance(w, bytes) else str(w) for w in lost]
        if queued or busy:
            return
        if run.revisits and run.info.get("phase") == "crawl":
            info = {**run.info, "phase": "revisit"}
            ok, moved = self._redis(lambda: self._to_revisits(keys=keys, args=[run.run_id, json.dumps(info)]))
            if ok and moved:
                run.info = info
            return
        self._settle(run, None, None)

    def _settle(self, run: Enqueued, status: str | None, reason: str | None) -> None:
        """Close the run in the database from the workers' counters, then forget it in Redis."""
        ok, raw = self._redis(lambda: self.server.hgetall(redis_run.run_key(run.run_id, "counts")))
        if not ok and status is None:
            return  # finished, but its counters are out of reach: asked again when Redis is back
        counts = {(k.decode() if isinstance(k, bytes) else k): v for k, v in (raw or {}).items()}  # type: ignore[union-attr]
        c = RunCounters(source_id=run.source_id, run_id=run.run_id)
        for name in redis_run.COUNTED:
            setattr(c, name, int(counts.get(name, 0) or 0))
        c.filtered += int(counts.get("elsewhere", 0) or 0)  # fetched this cycle for another source: checked
        first = counts.get("first_error")
        c.first_error = first.decode() if isinstance(first, bytes) else first
        if run.lost:
            workers = {w.split(redis_run.HOLDER_SEP)[0] for w in run.lost}  # one worker's crawls count once
            c.error(f"{len(workers)} worker(s) stopped answering mid-crawl; the pages they held are "
                    "fetched at the next due time")
        ok, raw = self._redis(lambda: self.server.hgetall(redis_run.run_key(run.run_id, "validators")))
        validators = {(k.decode() if isinstance(k, bytes) else k): tuple(json.loads(v))
                      for k, v in ((raw or {}).items() if ok else ())}  # type: ignore[union-attr]
        self._close(run.source_id, run.run_id, status, c, reason, validators)
        run.closed = True
        self._forget_run(run)

    def _forget_run(self, run: Enqueued, *, give_up: bool = False) -> None:
        """Workers stop their crawlers of a run once it leaves ``casewatch:runs``; its keys go with it.
        (Given up when stopping with Redis away: the next start's ``recover`` forgets it.)"""
        ok, _ = self._redis(lambda: self._forget(
            keys=[redis_run.ACTIVE, redis_run.run_key(run.run_id, "queue"), redis_run.run_key(run.run_id, "busy"),
                  redis_run.run_key(run.run_id, "counts"), f"{redis_run.PREFIX}:cycle:{run.cycle}:runs",
                  redis_run.seen_key(run.cycle), redis_run.run_key(run.run_id, "validators")], args=[run.run_id]))
        run.done = ok or give_up

    def _close(self, source_id: str, run_id: int, status: str | None, c: RunCounters, reason: str | None,
               validators: dict[str, tuple[str | None, str | None, str]] | None = None) -> None:
        now = datetime.now(UTC)
        source = next((s for s in self.app.config.sources if s.id == source_id), None)
        threshold = source.unhealthy_after if source is not None else 3
        if reason is not None:
            c.error(reason)
        final = status or c.judge("finished")
        with self.app.db.write() as session:
            run = get_run(session, run_id)
            if run is None or run.status != "running":  # closed already (a stale-run sweep)
                return
            kinds = change_counts(session, run_id)
            run.finished_at, run.status = now, final
            run.pages, run.items, run.errors = c.pages, c.items, c.errors
            run.unchanged = c.unchanged + c.not_modified
            for kind in ("new", "updated", "removed", "restored"):
                setattr(run, kind, kinds.get(kind, 0))
            run.error = one_line(c.first_error) if c.first_error else None
            if final == "ok" and validators and source is not None:  # as a one-process crawl: clean runs only
                save_fetch_states(session, source_id, source.config_sha(), validators, now)
            session.flush()
            update_health(session, source_id, threshold, now, run_id)
            where = {"source": source_id, "run": run_id}
            log.log(logging.WARNING if final == "failed" else logging.INFO,
                    "source %s: %s, %d items, %d new, %d updated%s", source_id, final, run.items, run.new,
                    run.updated, f" ({run.error})" if run.error and final != "ok" else "", extra=where)

    # -- recovery -----------------------------------------------------------------------------

    def recover(self) -> int:
        """Runs a previous scheduler announced and never closed (it was killed): closed as failed and
        forgotten, so no run stays ``running`` and no worker keeps crawling for nobody."""
        ok, raw = self._redis(lambda: self.server.hgetall(redis_run.ACTIVE))
        if not ok:
            return 0
        closed = 0
        for key, value in (raw or {}).items():  # type: ignore[union-attr]
            info = redis_run.run_info(value)
            run = Enqueued(str(info.get("source")), int(key), str(info.get("cycle")), info, 0.0, False)
            self._settle(run, "failed", "interrupted: the scheduler stopped before the run finished")
            closed += 1
        return closed


_dispatchers: dict[tuple[int, str], Dispatcher] = {}
_dispatchers_lock = threading.Lock()


def shared_dispatcher(app: App, url: str) -> Dispatcher:
    """One Dispatcher per scheduler (its crawl jobs share the connection pool, the cycle and the outage line)."""
    with _dispatchers_lock:
        return _dispatchers.setdefault((id(app), url), Dispatcher(app, url))


def crawl_via_workers(app: App, source_id: str, url: str, *, stopping: Callable[[], bool],
                      dispatcher: Dispatcher | None = None) -> None:
    """A scheduled crawl of one source in Redis mode: enqueue, wait, record (casewatch.crawljob)."""
    from casewatch.crawl import after_crawl

    source = next((s for s in app.config.sources if s.id == source_id), None)
    if source is None:
        return
    d = dispatcher or shared_dispatcher(app, url)
    d.wait(d.enqueue([source]), stopping=stopping)
    try:
        after_crawl(app)  # immediate alerts for what the workers stored, health alerts
    except Exception as exc:  # the outbox retries it; the scheduler keeps running
        log.error("source %s: alerts after the crawl failed: %s", source_id, exc, extra={"source": source_id})


def run_once(app: App, url: str) -> None:
    """`run --once` in Redis mode: every enabled source in one cycle, waited for."""
    from casewatch.crawl import after_crawl

    d = Dispatcher(app, url)
    d.recover()
    d.wait(d.enqueue(app.config.enabled_sources))
    after_crawl(app)
