"""`casewatch worker`: a long-running crawl worker on the shared Redis queue (any number of them).

It watches the scheduler's active runs in Redis (``casewatch:runs``) and takes part in each: one
Scrapy crawler per run, with the source's own spider, fed by scrapy-redis's scheduler on the run's
queue (crawler.distributed, crawler.redis_run). What it fetches is stored in the shared database, one transaction per
document, the document locked while it is written. When the scheduler closes a run the worker stops
that crawler. It never records a run itself: it reports counters, the scheduler records the run.

Redis unreachable: one line, then the worker waits and resumes when Redis is back (requests it made
meanwhile wait in memory). A crawl that Redis's absence ended (even at its engine's start) is not
the end of the worker's part in the run: what that crawl held goes back to the run (``release``)
once Redis is back, and the worker joins the run again. Stopped (Ctrl-C, SIGTERM): the crawlers
stop; requests it had taken are lost and fetched at the next cycle (the run says a worker was lost).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from casewatch import probe
from casewatch.app import App
from casewatch.logs import setup_logging
from config.schema import Source, load_config
from config.settings import get_settings

log = logging.getLogger("casewatch.worker")
POLL_SECONDS = 0.3  # how often the worker reads the active runs and nudges its idle crawlers
LEASE_ENV = "CASEWATCH_WORKER_LEASE"  # seconds a worker's hold on a run lasts without renewal (tests: short)
JOIN_STAGE = "worker-join"  # probe stage: a crawler made, its engine not started (a test can stop Redis here)


def lease_seconds() -> float:
    return get_settings().worker_lease  # LEASE_ENV; 30 s unless set


@dataclass
class Open:
    """A run this worker takes part in: its crawler and spider."""

    crawler: Any
    job: Any
    stopping: bool = False


class Worker:
    """The worker's loop, run by the reactor every POLL_SECONDS."""

    def __init__(self, app: App, redis_url: str) -> None:
        from crawler import redis_run
        from crawler.runner import crawler_settings

        self.app, self.redis_url = app, redis_url
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.server = redis_run.connect(redis_url)
        redis_run.outage.url = redis_url
        self.lease_ms = int(lease_seconds() * 1000)
        self.settings = crawler_settings(
            ITEM_PIPELINES={"crawler.distributed.SharedIngestPipeline": 300},
            EXTENSIONS={"crawler.worker_recorder.WorkerRunRecorder": 100},
            LOG_LEVEL="WARNING", LOG_INSTALL_ROOT_HANDLER=False,
        )
        self.settings.set("DOWNLOADER_MIDDLEWARES", {
            **self.settings.getdict("DOWNLOADER_MIDDLEWARES"),
            "crawler.distributed.SharedPolitenessMiddleware": 900}, priority="cmdline")
        self.open: dict[int, Open] = {}
        self.skipped: set[int] = set()  # runs of sources this worker's config does not have (said once)
        self.releasing: dict[int, Any] = {}  # run id -> RunJob of an abandoned crawl, given back when Redis answers
        self.joins: dict[int, int] = {}  # run id -> crawlers this worker started for it
        self.process: Any = None

    def start(self) -> None:
        from scrapy.crawler import CrawlerProcess
        from scrapy.exceptions import ScrapyDeprecationWarning
        from scrapy.utils.reactor import install_reactor
        from twisted.internet import task

        from crawler.redis_run import leases

        self.process = CrawlerProcess(self.settings)
        logging.root.setLevel(logging.INFO)  # Scrapy's configure_logging leaves the root at NOTSET
        logging.getLogger("scrapy").setLevel(logging.WARNING)
        # scrapy-redis 0.9 still passes ``spider`` to the stats collector (deprecated in Scrapy 2.13): once per request
        warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
        install_reactor(self.settings["TWISTED_REACTOR"], self.settings["ASYNCIO_EVENT_LOOP"])
        leases.start(self.redis_url, self.lease_ms)  # its holds stay alive while the reactor is busy
        loop = task.LoopingCall(self.tick)
        loop.start(POLL_SECONDS, now=True).addErrback(self._loop_failed)
        log.info("worker %s: taking crawl requests from Redis at %s into %s", self.id,
                 _display(self.redis_url), self.app.db.display_url)
        self.process.start(stop_after_crawl=False)
        leases.stop()
        log.info("worker %s: stopped", self.id)

    def _loop_failed(self, failure: Any) -> None:
        log.error("worker %s: its loop failed: %s", self.id, failure.getErrorMessage())
        from twisted.internet import reactor

        reactor.stop()

    def tick(self) -> None:
        from crawler.redis_run import ACTIVE, REDIS_ERRORS, outage, run_info

        try:
            active = {int(k): run_info(v) for k, v in self.server.hgetall(ACTIVE).items()}
        except REDIS_ERRORS as exc:
            outage.failed(exc)
            return
        outage.ok()
        self.skipped &= set(active)
        self.joins = {run_id: n for run_id, n in self.joins.items() if run_id in active}
        if not self._release_abandoned():
            return
        for run_id in list(self.open):
            if run_id not in active:
                self._close(run_id)
        for run_id, info in active.items():
            if run_id not in self.open and run_id not in self.skipped:
                self._join(run_id, info)
        for run_id, opened in list(self.open.items()):
            if opened.stopping:
                continue
            spider = opened.crawler.spider
            if spider is None:
                continue
            if active[run_id].get("phase") == "revisit" and spider.take_token("revisit"):
                spider.queue_revisits()
            slot = getattr(opened.crawler.engine, "_slot", None)  # Scrapy polls its scheduler every 5 s when
            if slot is not None:  # idle; requests other workers queued should not wait that long
                slot.nextcall.schedule()

    def _release_abandoned(self) -> bool:
        """Give back what abandoned crawls held (before joining their runs again); False while Redis is away."""
        from crawler.redis_run import REDIS_ERRORS, outage, release

        for run_id, job in list(self.releasing.items()):
            try:
                release(self.server, job)
            except REDIS_ERRORS as exc:
                outage.failed(exc)
                return False
            del self.releasing[run_id]
        return True

    def _source(self, info: dict[str, Any]) -> Source | None:
        """The run's source from this worker's config, re-read when the scheduler's is newer."""
        from crawler.runner import spider_names

        wanted, sha = info.get("source"), info.get("config")
        found = next((s for s in self.app.config.sources if s.id == wanted), None)
        if found is None or (sha and found.config_sha() != sha):
            try:
                self.app.__dict__["config"] = load_config(self.app.config_dir, spiders=spider_names())
            except Exception as exc:  # a broken edit: keep the config this worker has
                log.error("worker %s: could not re-read the config in %s: %s", self.id, self.app.config_dir,
                          str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            found = next((s for s in self.app.config.sources if s.id == wanted), None)
        return found

    def _join(self, run_id: int, info: dict[str, Any]) -> None:
        from crawler import distributed, redis_run
        from crawler.extensions import RunContext
        from crawler.runner import params_error, source_crawler
        from pipeline.store.fetching import known_validators

        source = self._source(info)
        if source is None:
            self.skipped.add(run_id)
            log.warning("worker %s: run %s is of source %r, which is not in this worker's config (%s); "
                        "left to the other workers", self.id, run_id, info.get("source"), self.app.config_dir)
            return
        revisit = info.get("revisit") or {}
        joined = self.joins[run_id] = self.joins.get(run_id, 0) + 1
        # A crawl after an abandoned one holds the run under a name of its own: the one before may have held
        # requests, whose hold must run out (the run says so), not be renewed by this crawl.
        holder = self.id if joined == 1 else f"{self.id}{redis_run.HOLDER_SEP}{joined}"
        job = redis_run.RunJob(run_id=run_id, source_id=source.id, cycle=str(info.get("cycle")), worker=holder,
                                 lease_ms=self.lease_ms, ttl_ms=int(info.get("ttl_ms") or 86_400_000),
                                 revisit=list(revisit.get("urls", ())), fragments=list(revisit.get("fragments", ())))
        family = self.process.spider_loader.load(source.spider)
        if (error := params_error(family, source)) is not None:  # the run fails with the reason, at once
            self.skipped.add(run_id)
            self._refuse(run_id, error)
            return
        spider_cls = distributed.shared_spider_class(family)
        delay = source.download_delay if source.download_delay is not None else self.settings.getfloat("DOWNLOAD_DELAY")
        overrides = distributed.job_settings(job, self.redis_url, delay,
                                             self.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        crawler = source_crawler(self.process, spider_cls, source, overrides)
        with self.app.db.read() as session:
            known = known_validators(session, source.id, source.config_sha())
        context = RunContext(db=self.app.db, cases=tuple(self.app.config.cases.values()))
        self.open[run_id] = Open(crawler, job)
        redis_run.leases.hold(job.busy, job.worker)  # a member once the crawl claims or pops (ZADD XX)
        probe.pause(JOIN_STAGE, lambda: False)
        done = self.process.crawl(crawler, source=source, revisit=(), known=known, casewatch=context,
                                  casewatch_server=self.server)
        done.addBoth(self._ended, run_id)

    def _refuse(self, run_id: int, error: str) -> None:
        """A source its spider refuses: the run's seed is dropped with the error, so the scheduler
        closes the run as failed saying why (not at the time limit)."""
        from crawler.redis_run import REDIS_ERRORS, REFUSE, outage, run_key

        try:
            self.server.register_script(REFUSE)(keys=[run_key(run_id, "busy"), run_key(run_id, "counts")],
                                                args=[error])
        except REDIS_ERRORS as exc:
            outage.failed(exc)

    def _ended(self, result: Any, run_id: int) -> None:
        """A crawl ended: by the scheduler closing its run, by itself, or with an error. Unless the run was
        closed, what the crawl held goes back to the run; unless Redis's absence ended it (the engine may
        report that as another error, e.g. "Engine slot not assigned"), the worker leaves the run."""
        from crawler.redis_run import leases, outage

        opened = self.open.pop(run_id, None)
        if opened is not None:  # a hold it kept goes on its lease from here (its requests may be lost)
            leases.drop(opened.job.busy, opened.job.worker)
        failure = getattr(result, "value", None) if hasattr(result, "getErrorMessage") else None
        redis_cause = _redis_cause(failure)
        if opened is not None and not opened.stopping:
            self.releasing[run_id] = opened.job
            if redis_cause is None:  # ended by itself, or a crawl that fails: not joined again
                self.skipped.add(run_id)
        if redis_cause is not None:
            outage.failed(redis_cause)
        elif failure is not None:
            log.error("worker %s: its crawl of run %s ended with an error: %s", self.id, run_id,
                      result.getErrorMessage())

    def _close(self, run_id: int) -> None:
        from scrapy.utils.defer import deferred_from_coro

        opened = self.open[run_id]
        if opened.stopping:
            return
        opened.stopping = True
        deferred_from_coro(opened.crawler.stop_async()).addErrback(lambda f: log.error(
            "worker %s: stopping its crawl of run %s failed: %s", self.id, run_id, f.getErrorMessage()))


def _redis_cause(exc: BaseException | None) -> BaseException | None:
    """The Redis error behind ``exc``, if any: the error itself, or one it was raised while handling."""
    from crawler.redis_run import REDIS_ERRORS

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, REDIS_ERRORS):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _display(url: str) -> str:
    from config.redact import redact_url

    return redact_url(url)


def run_worker(app: App, redis_url: str, *, log_format: str = "text") -> None:
    """Run until stopped (Ctrl-C or SIGTERM)."""
    setup_logging(log_format, stream=sys.stderr)
    from pipeline.store.shared import startup_lock

    with startup_lock(app.database_url):  # workers started together on a fresh database: one migrates
        app.db  # noqa: B018 - migrate and sync first: a database problem is one line before anything starts
    Worker(app, redis_url).start()
