"""`casewatch run`: APScheduler 3 in the foreground, one job per source plus the daily digest.

Choices (see README "Scheduling"): jobs are rebuilt from config at every start (no pickled job store
to trust), each source job has ``max_instances=1`` (a slow crawl is never doubled), ``coalesce=True``
(missed runs collapse into one) and a misfire grace of an hour (a late run still happens). Each crawl
runs in its own process with a time limit, so a hanging or crashing spider cannot take the scheduler
down.
"""

from __future__ import annotations

import logging
import signal
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from casewatch.app import App
from casewatch.crawl import TIMED_OUT, after_crawl, crawl_in_subprocess, stop_children
from casewatch.logs import setup_logging
from pipeline.health import update_health
from pipeline.store import repository as repo
from pipeline.store.lock import scheduler_lock

if TYPE_CHECKING:
    from pipeline.store.models import CrawlRun

log = logging.getLogger("casewatch.scheduler")
LIMA = ZoneInfo("America/Lima")
MISFIRE_GRACE = 3600


def crawl_job(app: App, source_id: str) -> None:
    limit = app.config.scheduler.crawl_time_limit
    code = crawl_in_subprocess(app, [source_id], timeout=limit)
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
            if repo.close_stale_runs(session, source_id, now, reason):
                session.flush()
                update_health(session, source_id, app.config.source(source_id).unhealthy_after, now)
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


def digest_job(app: App, period: str | None = None) -> None:
    from alerts.digest import build_digests, build_scheduled
    from alerts.outbox import deliver_pending
    from alerts.send import from_settings

    now = datetime.now(UTC)
    try:
        if period is None:  # each subscriber's own period: daily, or weekly on Mondays
            period = "scheduled"
            built = build_scheduled(app.db, app.config, now=now, base_url=app.settings.base_url)
        else:
            built = build_digests(app.db, app.config, now=now, base_url=app.settings.base_url, period=period)
        sent = deliver_pending(app.db, from_settings(app.settings), mail_from=app.settings.mail_from)
    except Exception:  # a digest failure must not stop the scheduler; it is retried next time
        log.exception("digest job failed")
        return
    made = sum(1 for b in built if b.digest_id)
    log.info("digest %s: %d built, %d delivered, %d pending", period, made, sum(d.ok for d in sent),
             sum(not d.ok for d in sent))


def build_scheduler(app: App, *, run_now: bool = True) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=LIMA,
        # K crawl processes at once (scheduler.max_parallel_crawls), plus one thread for the digest
        executors={"default": ThreadPoolExecutor(app.config.scheduler.max_parallel_crawls + 1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
    )
    now = datetime.now(UTC)
    for source in app.config.enabled_sources:
        extra: dict[str, Any] = {"next_run_time": now} if run_now else {}
        jitter = app.config.scheduler.jitter or None
        scheduler.add_job(crawl_job, source.schedule.trigger(jitter=jitter), args=(app, source.id),
                          id=f"crawl:{source.id}", name=f"crawl {source.id}", replace_existing=True, **extra)
    scheduler.add_job(digest_job, app.config.digest_schedule.trigger(), args=(app,), id="digest",
                      name="daily digest", replace_existing=True)
    return scheduler


def run_scheduler(app: App, *, once: bool = False, log_format: str = "text") -> None:
    setup_logging(log_format, stream=sys.stderr)
    for noisy in ("alembic", "apscheduler"):  # their per-job INFO lines drown the per-source results
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app.db  # noqa: B018 - migrate and sync before anything is scheduled
    with scheduler_lock(app.db):  # a second scheduler on this database refuses to start (LockHeld)
        _run(app, once=once)


def missed_digest(app: App, now: datetime) -> datetime | None:
    """The last scheduled digest time if it passed while no scheduler ran, else None.

    However many periods were missed, one catch-up digest holds all their changes (each subscriber's
    period is today's, so the regular job cannot add a second one). A fresh installation, with no
    crawl before that time, has missed nothing.
    """
    trigger = app.config.digest_schedule.trigger()
    last: datetime | None = None
    fire = trigger.get_next_fire_time(None, now - timedelta(days=8))
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    if last is None:
        return None
    with app.db.read() as session:
        used_before = repo.first_run_started_at(session)
        digested = repo.last_digest_created_at(session, kind="digest")
    if used_before is None or used_before >= last or (digested is not None and digested >= last):
        return None
    return last


def _run(app: App, *, once: bool) -> None:
    sources = app.config.enabled_sources
    if once:
        crawl_in_subprocess(app, [s.id for s in sources], timeout=app.config.scheduler.crawl_time_limit)
        digest_job(app)
        return
    scheduler = build_scheduler(app)
    if (missed := missed_digest(app, datetime.now(UTC))) is not None:
        log.info("the digest due at %s was missed while stopped: sending one catch-up digest now",
                 missed.astimezone(LIMA).strftime("%Y-%m-%d %H:%M"))
        scheduler.add_job(digest_job, args=(app,), id="digest-catch-up", name="catch-up digest",
                          next_run_time=datetime.now(UTC))

    def stop(why: str) -> None:
        log.info("%s: stopping; running crawls are asked to stop and recorded as such", why)
        scheduler.shutdown(wait=False)
        stop_children()

    signal.signal(signal.SIGTERM, lambda signum, _frame: stop(f"signal {signum}"))
    log.info("watching %d sources; digest schedule %s (America/Lima); Ctrl-C stops",
             len(sources), app.config.digest_schedule.expression)
    for job in scheduler.get_jobs():
        log.info("scheduled %s: %s", job.name, job.trigger)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        stop("interrupted")
    log.info("stopped")
