"""One scheduled crawl: its child process, launched through the gate, and what the scheduler owes
it afterwards. One crawl, one run: the child's own record wins; the parent records only what the
child could not (a kill at the time limit, a crash before it opened its run, a stop: cancelled).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

from casewatch.app import App
from casewatch.children import NOT_LAUNCHED, TIMED_OUT, Finished, Gate
from casewatch.crawl import after_crawl, crawl_in_subprocess
from casewatch.reload import ConfigWatcher
from casewatch.stopping import Stop
from pipeline.health import update_health
from pipeline.store.lock import SchedulerLock
from pipeline.store.runs import child_runs, close_run, record_failed_run

log = logging.getLogger("casewatch.scheduler")  # the scheduler's lines, wherever they are written from
REDIS_ENV = "CASEWATCH_REDIS_URL"  # set: crawls go to `casewatch worker`s through Redis (casewatch.dispatch)


@dataclass
class Runtime:
    """What the jobs of one `casewatch run` share: the stop flag, the lock, the crawl gate and the
    config snapshots; and how many crawl jobs are still settling their runs."""

    stop: Stop
    lock: SchedulerLock
    watcher: ConfigWatcher | None = None
    gate: Gate = field(init=False)
    _active: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        self.gate = Gate(check=self.may_run)

    def may_run(self) -> bool:
        """Before each job: not stopping, and the lock still ours (else stop, saying why)."""
        if self.stop.requested():
            return False
        if not self.lock.alive():
            self.stop.lose("the scheduler lock was lost (its database connection ended)")
            return False
        return True

    @contextmanager
    def crawling(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout=timeout)


def crawl_job(app: App, source_id: str, *, command: Sequence[str] | None = None,
              runtime: Runtime | None = None) -> None:
    """One scheduled crawl of one source in its own process (``command``: another program to run as
    that process, for the memory test), then what the parent owes a crawl that could not finish."""
    if (url := app.settings.redis_url):  # REDIS_ENV: the workers crawl it, this job follows the run
        from casewatch.dispatch import crawl_via_workers

        if runtime is not None and not runtime.may_run():
            return
        with runtime.crawling() if runtime is not None else nullcontext():
            crawl_via_workers(app, source_id, url,
                              stopping=runtime.stop.requested if runtime is not None else lambda: False)
        return
    limit = app.config.scheduler.crawl_time_limit
    lease = runtime.watcher.lease() if runtime is not None and runtime.watcher is not None else nullcontext(None)
    with runtime.crawling() if runtime is not None else nullcontext(), lease as config_dir:
        done = crawl_in_subprocess(app, [source_id], timeout=limit, command=command,
                                   gate=runtime.gate if runtime is not None else None, config_dir=config_dir)
        if done.code == NOT_LAUNCHED:
            return
        try:
            settle(app, source_id, done, limit)
        except Exception as exc:  # the database failed under it: say so in one line, keep the scheduler running
            log.error("source %s: could not record how its crawl ended (exit %s): %s", source_id, done.code,
                      _cause(exc), extra={"source": source_id})


def _cause(exc: BaseException) -> str:
    """One line for a log: the exception's own first line, never a traceback (it names the cause)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def settle(app: App, source_id: str, done: Finished, limit: int) -> None:
    """One crawl, one run: the child's own record wins; the parent records only what it could not.

    A run the child closed stays as it is, however the process ended afterwards. A run it left open
    (or never opened) is closed here: ``cancelled`` when the scheduler was stopping (never counts
    toward health, never alerts), ``failed`` with the reason when it was killed or crashed.
    """
    now = datetime.now(UTC)
    assert done.pid is not None and done.started is not None
    with app.db.write() as session:
        runs = child_runs(session, source_id, done.pid, done.started)
        own = runs[-1] if runs else None
        where = {"source": source_id, "run": own.id if own else None}
        if own is not None and own.status != "running":
            if done.code not in (0, 3):
                log.warning("source %s: its crawl process ended with %s after recording its run (%s)", source_id,
                            done.code, own.status, extra=where)
            log.log(logging.WARNING if own.status == "failed" else logging.INFO,
                    "source %s: %s, %d items, %d new, %d updated%s", source_id, own.status, own.items, own.new,
                    own.updated, f" ({own.error})" if own.error and own.status != "ok" else "", extra=where)
            return
        if done.stopped:
            if own is not None:
                close_run(session, own, "cancelled", "cancelled: the scheduler stopped", now)
            log.info("source %s: crawl cancelled (the scheduler is stopping)", source_id, extra=where)
            return
        if done.code in (0, 3) and own is None:  # a child that chose not to crawl (nothing to record)
            return
        reason = (f"killed at the crawl time limit ({limit} s)" if done.code == TIMED_OUT
                  else f"interrupted: the crawl process ended with {done.code} before finishing")
        log.error("source %s: %s", source_id, reason, extra=where)
        if own is not None:
            close_run(session, own, "failed", reason, now)
        else:  # killed before it could even record its run: record it here, so health stays truthful
            record_failed_run(session, source_id, done.started, now, reason)
        session.flush()
        threshold = next((s.unhealthy_after for s in app.config.sources if s.id == source_id), 3)
        update_health(session, source_id, threshold, now)  # (the source may have left a reloaded config)
    try:  # the child sends alerts itself when it finishes; a killed one could not
        after_crawl(app)  # immediate alerts for what it stored before dying, health alerts
    except Exception as exc:  # an alert failure must not stop the scheduler; the outbox retries it
        log.error("source %s: alerts after the killed crawl failed: %s", source_id, _cause(exc),
                  extra={"source": source_id})
