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
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from casewatch.app import App
from casewatch.crawl import crawl_in_subprocess, notify_health, stop_children
from pipeline.health import update_health
from pipeline.store import repository as repo
from pipeline.store.lock import scheduler_lock

log = logging.getLogger("casewatch.scheduler")
LIMA = ZoneInfo("America/Lima")
MAX_PARALLEL_CRAWLS = 2
CRAWL_TIME_LIMIT = 1200  # seconds; the child is killed after this
MISFIRE_GRACE = 3600
JITTER = 30


def crawl_job(app: App, source_id: str) -> None:
    code = crawl_in_subprocess(app, [source_id], timeout=CRAWL_TIME_LIMIT)
    if code == -9:
        log.error("source %s: crawl killed after %ss", source_id, CRAWL_TIME_LIMIT)
    elif code not in (0, 3):
        log.error("source %s: crawl process exited with %s", source_id, code)
    if code not in (0, 3):  # the child could not close its run itself: do it, so health stays truthful
        now = datetime.now(UTC)
        with app.db.write() as session:
            if repo.close_stale_runs(session, source_id, now):
                session.flush()
                update_health(session, source_id, app.config.source(source_id).unhealthy_after, now)
        try:  # the child sends alerts itself when it finishes; a killed one could not
            notify_health(app)
        except Exception:  # an alert failure must not stop the scheduler; the outbox retries it
            log.exception("source %s: health alert failed", source_id)


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
        executors={"default": ThreadPoolExecutor(MAX_PARALLEL_CRAWLS + 1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
    )
    now = datetime.now(UTC)
    for source in app.config.enabled_sources:
        extra: dict[str, Any] = {"next_run_time": now} if run_now else {}
        scheduler.add_job(crawl_job, source.schedule.trigger(jitter=JITTER), args=(app, source.id),
                          id=f"crawl:{source.id}", name=f"crawl {source.id}", replace_existing=True, **extra)
    scheduler.add_job(digest_job, app.config.digest_schedule.trigger(), args=(app,), id="digest",
                      name="daily digest", replace_existing=True)
    return scheduler


def run_scheduler(app: App, *, once: bool = False) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    for noisy in ("alembic", "apscheduler"):  # their per-job INFO lines drown the per-source results
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app.db  # noqa: B018 - migrate and sync before anything is scheduled
    with scheduler_lock(app.db):  # a second scheduler on this database refuses to start (LockHeld)
        _run(app, once=once)


def _run(app: App, *, once: bool) -> None:
    sources = app.config.enabled_sources
    if once:
        crawl_in_subprocess(app, [s.id for s in sources], timeout=CRAWL_TIME_LIMIT)
        digest_job(app)
        return
    scheduler = build_scheduler(app)

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
