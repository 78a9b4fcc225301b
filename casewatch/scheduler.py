"""`casewatch run`: APScheduler 3 in the foreground: one job per source, a digest tick every minute
(each subscriber's own delivery time), nightly housekeeping and a config check.

Choices (see README "Scheduling"): jobs are rebuilt from config at every start (no pickled job store
to trust), each source job has ``max_instances=1`` (a slow crawl is never doubled), ``coalesce=True``
(missed runs collapse into one) and a misfire grace of an hour (a late run still happens). Each crawl
runs in its own process with a time limit, so a hanging or crashing spider cannot take the scheduler
down. Config edits are applied by ``casewatch.reload`` through ``plan_jobs``.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from casewatch.app import App
from casewatch.crawl import TIMED_OUT, after_crawl, crawl_in_subprocess, stop_children
from casewatch.logs import setup_logging
from casewatch.reload import ConfigWatcher
from config.schema import Config
from pipeline.health import update_health
from pipeline.store import repository as repo
from pipeline.store.lock import scheduler_lock

if TYPE_CHECKING:
    from pipeline.store.models import CrawlRun

log = logging.getLogger("casewatch.scheduler")
LIMA = ZoneInfo("America/Lima")
MISFIRE_GRACE = 3600


def crawl_job(app: App, source_id: str, *, command: Sequence[str] | None = None) -> None:
    """One scheduled crawl of one source in its own process (``command``: another program to run as
    that process, for the memory test), then what the parent owes a crawl that could not finish."""
    limit = app.config.scheduler.crawl_time_limit
    started = datetime.now(UTC)
    code = crawl_in_subprocess(app, [source_id], timeout=limit, command=command)
    run = _last_run(app, source_id)
    where = {"source": source_id, "run": run.id if run else None}
    if code == TIMED_OUT:
        log.error("source %s: crawl killed at the time limit (%s s)", source_id, limit, extra=where)
    elif code not in (0, 3):
        log.error("source %s: crawl process exited with %s", source_id, code, extra=where)
    elif run is not None:  # the child printed its own line; this one reaches structured logs too
        log.log(logging.WARNING if run.status == "failed" else logging.INFO,
                "source %s: %s, %d items, %d new, %d updated%s", source_id, run.status, run.items, run.new,
                run.updated, f" ({run.error})" if run.error and run.status != "ok" else "", extra=where)
    if code not in (0, 3):  # the child could not close its run itself: do it, so health stays truthful
        now = datetime.now(UTC)
        reason = (f"killed at the crawl time limit ({limit} s)" if code == TIMED_OUT
                  else f"interrupted: the crawl process ended with {code} before finishing")
        with app.db.write() as session:
            if not repo.close_stale_runs(session, source_id, now, reason):
                # killed before it could even record its run (a slow start): record it here, so the
                # failure shows in `sources`, `status` and source health like any other
                repo.record_failed_run(session, source_id, started, now, reason)
            session.flush()
            threshold = next((s.unhealthy_after for s in app.config.sources if s.id == source_id), 3)
            update_health(session, source_id, threshold, now)  # (the source may have left a reloaded config)
        try:  # the child sends alerts itself when it finishes; a killed one could not
            after_crawl(app)  # immediate alerts for what it stored before dying, health alerts
        except Exception:  # an alert failure must not stop the scheduler; the outbox retries it
            log.exception("source %s: alerts after the killed crawl failed", source_id, extra=where)


def _last_run(app: App, source_id: str) -> CrawlRun | None:
    """The source's newest run for the log lines; a database hiccup only costs the run id."""
    try:
        with app.db.read() as session:
            return repo.latest_run(session, source_id)
    except Exception:
        log.warning("source %s: could not read its last run", source_id, exc_info=True, extra={"source": source_id})
        return None


DIGEST_MARK = "digests-checked"  # delivery times up to this moment were handled (kept across restarts)
CATCH_UP_AFTER = timedelta(minutes=2)  # a delivery time older than this when handled was missed while stopped


def digest_tick(app: App, *, since: datetime | None = None) -> None:
    """Every minute: build the digests whose delivery time (each subscriber's ``at``, local time) fell
    since the previous tick, then deliver what the outbox holds (retries included, with backoff).

    The previous tick is kept in the database, so after a stop spanning several delivery times the
    first tick builds one catch-up digest per subscriber, not one per missed period. A fresh
    installation starts its window at its first crawl: nothing before it was missed.
    """
    from alerts.digest import build_scheduled, last_delivery_time
    from alerts.outbox import deliver_pending
    from alerts.send import from_settings

    now = datetime.now(UTC)
    try:
        if since is None:
            with app.db.read() as session:
                since = repo.get_mark(session, DIGEST_MARK) or repo.first_run_started_at(session) or now
        late = [sub for sub in app.config.subscribers
                if (fire := last_delivery_time(sub, now)) is not None and since < fire < now - CATCH_UP_AFTER]
        built = build_scheduled(app.db, app.config, since=since, now=now, base_url=app.settings.base_url)
        with app.db.write() as session:
            repo.set_mark(session, DIGEST_MARK, now)
        sent = deliver_pending(app.db, from_settings(app.settings), mail_from=app.settings.mail_from,
                               reply_to=app.settings.reply_to)
    except Exception:  # a digest failure must not stop the scheduler; the next tick tries again
        log.exception("digest tick failed")
        return
    made = [b for b in built if b.digest_id]
    if late and made:
        log.info("catch-up digest: %d subscriber(s) whose delivery time passed while the scheduler was stopped",
                 len({s.email for s in late} & {b.subscriber for b in made}))
    if made or sent:
        log.info("digests: %d built, %d delivered, %d pending", len(made), sum(d.ok for d in sent),
                 sum(not d.ok for d in sent))


def housekeeping_job(app: App) -> None:
    from casewatch.housekeeping import housekeep

    try:
        done = housekeep(app, datetime.now(UTC))
    except Exception:
        log.exception("housekeeping failed")
        return
    log.info("housekeeping: %d raw bodies past retention pruned, %d outbox rows delivered, %d still pending%s",
             done.pruned, done.delivered, done.undelivered, ", database vacuumed" if done.vacuumed else "")


def build_scheduler(app: App, *, run_now: bool = True) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=LIMA,
        # K crawl processes at once (scheduler.max_parallel_crawls), plus threads for the digest tick,
        # housekeeping and the config check
        executors={"default": ThreadPoolExecutor(app.config.scheduler.max_parallel_crawls + 3)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
    )
    plan_jobs(scheduler, app, None, app.config, run_now=run_now)
    scheduler.add_job(digest_tick, CronTrigger(minute="*", timezone=LIMA), args=(app,), id="digest",
                      name="digest tick", replace_existing=True, next_run_time=datetime.now(UTC))
    return scheduler


def plan_jobs(scheduler: BaseScheduler, app: App, old: Config | None, new: Config, *, run_now: bool) -> None:
    """Make the crawl and housekeeping jobs match ``new`` (``old``: the config they were made from).

    Unchanged sources keep their next run; a new or re-enabled source runs at once; a removed or
    disabled one is no longer scheduled (a crawl of it already running finishes).
    """
    now = datetime.now(UTC)
    jitter = new.scheduler.jitter or None
    wanted = {s.id: s for s in new.enabled_sources}
    before = {s.id: s for s in old.enabled_sources} if old is not None else {}
    for job in scheduler.get_jobs():
        if job.id.startswith("crawl:") and job.id[len("crawl:"):] not in wanted:
            scheduler.remove_job(job.id)
            log.info("source %s: removed or disabled, no longer crawled", job.id[len("crawl:"):])
    for source in wanted.values():
        job_id = f"crawl:{source.id}"
        trigger = source.schedule.trigger(jitter=jitter)
        if scheduler.get_job(job_id) is None:
            extra: dict[str, Any] = {"next_run_time": now} if run_now or old is not None else {}
            scheduler.add_job(crawl_job, trigger, args=(app, source.id), id=job_id, name=f"crawl {source.id}",
                              **extra)
            if old is not None:
                log.info("source %s: added, crawling now", source.id, extra={"source": source.id})
        elif before.get(source.id) is not None and before[source.id].schedule != source.schedule:
            scheduler.reschedule_job(job_id, trigger=trigger)
            log.info("source %s: schedule now %s", source.id, source.schedule.expression, extra={"source": source.id})
    if old is None or old.scheduler.housekeeping_at != new.scheduler.housekeeping_at:
        hour, minute = (int(p) for p in new.scheduler.housekeeping_at.split(":"))
        scheduler.add_job(housekeeping_job, CronTrigger(hour=hour, minute=minute, timezone=LIMA), args=(app,),
                          id="housekeeping", name="housekeeping", replace_existing=True)
    if old is not None and old.scheduler.max_parallel_crawls != new.scheduler.max_parallel_crawls:
        log.warning("scheduler.max_parallel_crawls changed: it takes effect at the next restart")


def run_scheduler(app: App, *, once: bool = False, log_format: str = "text") -> None:
    setup_logging(log_format, stream=sys.stderr)
    for noisy in ("alembic", "apscheduler"):  # their per-job INFO lines drown the per-source results
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app.db  # noqa: B018 - migrate and sync before anything is scheduled
    with scheduler_lock(app.db):  # a second scheduler on this database refuses to start (LockHeld)
        _run(app, once=once)


def _run(app: App, *, once: bool) -> None:
    sources = app.config.enabled_sources
    if once:  # one cycle now: every source, then every subscriber's latest due digest
        crawl_in_subprocess(app, [s.id for s in sources], timeout=app.config.scheduler.crawl_time_limit)
        digest_tick(app, since=datetime.now(UTC) - timedelta(days=8))
        return
    scheduler = build_scheduler(app)
    watcher = ConfigWatcher(app, lambda old, new: plan_jobs(scheduler, app, old, new, run_now=False),
                            app.settings.var_dir / "run")
    scheduler.add_job(watcher.check, IntervalTrigger(seconds=app.config.scheduler.config_poll), id="config",
                      name="config check")

    stopping, done = threading.Event(), threading.Event()

    def stop(why: str) -> None:
        """Stop from a thread of its own, never inside the signal handler: the handler may interrupt the
        main thread while it holds the scheduler's or the executor's lock, which shutdown needs too."""
        if stopping.is_set():
            return
        stopping.set()
        log.info("%s: stopping; running crawls are asked to stop and recorded as such", why)
        stop_children()
        while not scheduler.running and not done.is_set():  # a signal during start-up: wait for start()
            done.wait(0.05)
        if scheduler.running:
            scheduler.shutdown(wait=False)

    def on_signal(signum: int, _frame: object) -> None:
        threading.Thread(target=stop, args=(f"signal {signum}",), name="stop", daemon=True).start()

    def reload(_signum: int, _frame: object) -> None:  # not inside the handler: it may interrupt a lock holder
        threading.Thread(target=watcher.check, kwargs={"forced": True}, name="sighup", daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, reload)
    log.info("watching %d sources; %d subscriber(s) get digests at their own times; Ctrl-C stops, "
             "SIGHUP reloads the config", len(sources), len(app.config.subscribers))
    for job in scheduler.get_jobs():
        log.info("scheduled %s: %s", job.name, job.trigger)
    try:
        if not stopping.is_set():
            scheduler.start()
    finally:
        done.set()
        watcher.close()
    log.info("stopped")
