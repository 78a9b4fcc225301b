"""`casewatch run`: APScheduler 3 in a background thread: one job per source, a digest tick every
minute (each subscriber's own delivery time), nightly housekeeping and a config check.

Choices (see README "Scheduling"): jobs are rebuilt from config at every start (no pickled job store
to trust), each source job has ``max_instances=1`` (a slow crawl is never doubled), ``coalesce=True``
(missed runs collapse into one) and a misfire grace of an hour (a late run still happens). Each crawl
runs in its own process with a time limit (casewatch.crawljob), so a hanging or crashing spider
cannot take the scheduler down; crawls have a pool of their own (``max_parallel_crawls`` threads),
the digest tick, housekeeping and config check another, so a hanging source never delays them.
Config edits are applied by ``casewatch.reload`` through ``plan_jobs``.

Stopping (casewatch.stopping): a signal handler only notes the signal and wakes the main thread;
the main thread closes the crawl gate (nothing launches after that), asks running crawls to stop,
kills what is left after a grace period and closes their runs as ``cancelled``.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from casewatch import probe
from casewatch.app import App
from casewatch.baseurl import loopback_warning
from casewatch.children import STOP_GRACE
from casewatch.crawl import crawl_in_subprocess
from casewatch.crawljob import Runtime, crawl_job
from casewatch.logs import setup_logging
from casewatch.reload import ConfigWatcher
from casewatch.stopping import Stop
from casewatch.triggers import trigger_for
from config.schema import Config
from pipeline.store.lock import LockLost, scheduler_lock
from pipeline.store.marks import get_mark, set_mark
from pipeline.store.runs import first_run_started_at
from pipeline.store.shared import startup_lock
from textkit import LIMA

log = logging.getLogger("casewatch.scheduler")
MISFIRE_GRACE = 3600


LOCK_HEARTBEAT = 10.0  # seconds between checks that the scheduler lock is still held
REDIS_ENV = "CASEWATCH_REDIS_URL"  # set: crawls go to `casewatch worker`s through Redis (casewatch.dispatch)
HEARTBEAT_ENV = "CASEWATCH_LOCK_HEARTBEAT"  # tests check more often
DIGEST_TICK_ENV = "CASEWATCH_DIGEST_TICK"  # tests tick every few seconds instead of every minute
CRAWLS, OTHERS = "crawls", "default"  # the two executors: crawls never hold up the other jobs


DIGEST_MARK = "digests-checked"  # delivery times up to this moment were handled (kept across restarts)
CATCH_UP_AFTER = timedelta(minutes=2)  # a delivery time older than this when handled was missed while stopped


def digest_tick(app: App, *, since: datetime | None = None) -> None:
    """Every minute: build the digests whose delivery time (each subscriber's ``at``, local time) fell
    since the previous tick, then deliver what the outbox holds (retries included, with backoff).

    The previous tick is kept in the database, so after a stop spanning several delivery times the
    first tick builds one catch-up digest per subscriber, not one per missed period. A fresh
    installation starts its window at its first crawl: nothing before it was missed.
    """
    from alerts.delivery_times import last_delivery_time
    from alerts.digest import build_scheduled
    from alerts.outbox import deliver_pending
    from alerts.send import from_settings

    now = datetime.now(UTC)
    try:
        if since is None:
            with app.db.read() as session:
                since = get_mark(session, DIGEST_MARK) or first_run_started_at(session) or now
        late = [sub for sub in app.config.subscribers
                if (fire := last_delivery_time(sub, now)) is not None and since < fire < now - CATCH_UP_AFTER]
        built = build_scheduled(app.db, app.config, since=since, now=now, base_url=app.settings.base_url)
        with app.db.write() as session:
            set_mark(session, DIGEST_MARK, now)
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


def guarded(runtime: Runtime | None, name: str, func: Any, *args: Any, **kwargs: Any) -> None:
    """Run a non-crawl job unless the scheduler is stopping or lost its lock (checked first)."""
    checked = time.monotonic()
    if runtime is not None and not runtime.may_run():
        return
    probe.trace(f"job {name}", at=checked)
    func(*args, **kwargs)


def build_scheduler(app: App, *, run_now: bool = True, runtime: Runtime | None = None) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=LIMA,
        # K crawl processes at once (scheduler.max_parallel_crawls) in a pool of their own; the digest
        # tick, housekeeping and the config check in another, never queued behind a hanging crawl
        executors={CRAWLS: ThreadPoolExecutor(app.config.scheduler.max_parallel_crawls),
                   OTHERS: ThreadPoolExecutor(3)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
    )
    plan_jobs(scheduler, app, None, app.config, run_now=run_now, runtime=runtime)
    tick = probe.seconds(DIGEST_TICK_ENV)
    trigger = IntervalTrigger(seconds=tick) if tick else CronTrigger(minute="*", timezone=LIMA)
    scheduler.add_job(guarded, trigger, args=(runtime, "digest", digest_tick, app), id="digest",
                      name="digest tick", replace_existing=True, next_run_time=datetime.now(UTC), executor=OTHERS)
    return scheduler


def plan_jobs(scheduler: BaseScheduler, app: App, old: Config | None, new: Config, *, run_now: bool,
              runtime: Runtime | None = None) -> None:
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
        trigger = trigger_for(source.schedule, jitter=jitter)
        if scheduler.get_job(job_id) is None:
            extra: dict[str, Any] = {"next_run_time": now} if run_now or old is not None else {}
            scheduler.add_job(crawl_job, trigger, args=(app, source.id), kwargs={"runtime": runtime}, id=job_id,
                              name=f"crawl {source.id}", executor=CRAWLS, **extra)
            if old is not None:
                log.info("source %s: added, crawling now", source.id, extra={"source": source.id})
        elif before.get(source.id) is not None and before[source.id].schedule != source.schedule:
            scheduler.reschedule_job(job_id, trigger=trigger)
            log.info("source %s: schedule now %s", source.id, source.schedule.expression, extra={"source": source.id})
    if old is None or old.scheduler.housekeeping_at != new.scheduler.housekeeping_at:
        hour, minute = (int(p) for p in new.scheduler.housekeeping_at.split(":"))
        scheduler.add_job(guarded, CronTrigger(hour=hour, minute=minute, timezone=LIMA),
                          args=(runtime, "housekeeping", housekeeping_job, app), id="housekeeping",
                          name="housekeeping", replace_existing=True, executor=OTHERS)
    if old is not None and old.scheduler.max_parallel_crawls != new.scheduler.max_parallel_crawls:
        log.warning("scheduler.max_parallel_crawls changed: it takes effect at the next restart")


def run_scheduler(app: App, *, once: bool = False, log_format: str = "text") -> None:
    setup_logging(log_format, stream=sys.stderr)
    for noisy in ("alembic", "apscheduler"):  # their per-job INFO lines drown the per-source results
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if once:  # one cycle now: every source, then every subscriber's latest due digest
        with startup_lock(app.database_url):  # workers may be migrating the same fresh database
            app.db  # noqa: B018 - migrate and sync before anything runs
        with scheduler_lock(app.db):
            _warn_loopback_links(app)
            if (url := app.settings.redis_url):  # REDIS_ENV: the workers crawl, this process records the runs
                from casewatch.dispatch import run_once

                run_once(app, url)
            else:
                crawl_in_subprocess(app, [s.id for s in app.config.enabled_sources],
                                    timeout=app.config.scheduler.crawl_time_limit)
            digest_tick(app, since=datetime.now(UTC) - timedelta(days=8))
        return
    stop = Stop()
    stop.install()  # first: from here on a signal only sets a flag, at any moment of start-up
    try:
        _serve(app, stop)
    finally:
        stop.uninstall()


def _warn_loopback_links(app: App) -> None:
    """Once this scheduler runs (a refused second one says only why): links in emails to loopback."""
    if (warning := loopback_warning(app.settings)) is not None:
        log.warning(warning)


def _serve(app: App, stop: Stop) -> None:
    """Start up stage by stage, checking for a stop between stages; run until told; stop cleanly."""
    probe.pause("signals", stop.requested)
    if stop.requested():
        log.info("signal %s during start-up: stopped", stop.signum)
        return
    with startup_lock(app.database_url):  # workers may be migrating the same fresh database
        app.db  # noqa: B018 - migrate and sync before anything is scheduled
    probe.pause("database", stop.requested)
    if stop.requested():
        log.info("signal %s during start-up: stopped", stop.signum)
        return
    with scheduler_lock(app.db) as lock:  # a second scheduler on this database refuses to start (LockHeld)
        _warn_loopback_links(app)
        if (url := app.settings.redis_url):  # REDIS_ENV: runs a killed scheduler left to the workers: closed
            from casewatch.dispatch import shared_dispatcher

            shared_dispatcher(app, url).recover()
        probe.pause("lock", stop.requested)
        runtime = Runtime(stop, lock)
        try:
            _supervise(app, runtime)
        finally:
            if stop.lost is not None:
                probe.trace("lost")
    if stop.lost is not None:
        raise LockLost(f"{stop.lost} on {app.db.display_url}: stopped, and started nothing after that")
    log.info("stopped")


def _supervise(app: App, runtime: Runtime) -> None:
    stop = runtime.stop
    if stop.requested():
        return
    watcher = ConfigWatcher(app, lambda old, new: plan_jobs(scheduler, app, old, new, run_now=False,
                                                            runtime=runtime), app.settings.var_dir / "run")
    runtime.watcher = watcher
    try:
        probe.pause("snapshot", stop.requested)
        if stop.requested():
            return
        scheduler = build_scheduler(app, runtime=runtime)
        scheduler.add_job(guarded, IntervalTrigger(seconds=app.config.scheduler.config_poll),
                          args=(runtime, "config", watcher.check), id="config", name="config check", executor=OTHERS)
        probe.pause("jobs", stop.requested)
        if stop.requested():
            return
        log.info("watching %d sources; %d subscriber(s) get digests at their own times; Ctrl-C stops, "
                 "SIGHUP reloads the config", len(app.config.enabled_sources), len(app.config.subscribers))
        for job in scheduler.get_jobs():
            log.info("scheduled %s: %s", job.name, job.trigger)
        scheduler.start()
        try:
            probe.pause("started", stop.requested)
            heartbeat = probe.seconds(HEARTBEAT_ENV) or LOCK_HEARTBEAT
            while not stop.requested():
                stop.wait(heartbeat)
                if stop.take_hup():
                    scheduler.add_job(guarded, args=(runtime, "config", watcher.check), kwargs={"forced": True},
                                      name="config reload (SIGHUP)", executor=OTHERS)
                if not stop.requested():
                    runtime.may_run()  # the heartbeat: is the lock still ours?
        finally:
            _stop(scheduler, runtime)
    finally:
        watcher.close()


def _stop(scheduler: BackgroundScheduler, runtime: Runtime) -> None:
    """No launch after this; running crawls asked to stop, killed after a grace period, their runs
    closed as cancelled by their jobs (waited for)."""
    stop = runtime.stop
    why = f"signal {stop.signum}" if stop.signum is not None else (stop.lost or "stop")

    def announce() -> None:
        probe.trace("stop")
        log.log(logging.ERROR if stop.lost else logging.INFO,
                "%s: stopping; no new crawl starts, running crawls are asked to stop and recorded as cancelled", why)

    runtime.gate.close(on_close=announce)
    scheduler.shutdown(wait=False)
    killed = runtime.gate.stop_children()
    if killed:
        log.info("%d crawl(s) did not stop within %.0f s and were killed", killed, STOP_GRACE)
    if not runtime.wait_idle(STOP_GRACE + 10):
        log.warning("some crawl runs could not be closed in time; the next crawl of their source closes them")
