"""A source's crawl runs: opened, closed (also when their process died), and which one to show."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.store.models import CrawlRun


def start_run(session: Session, source_id: str, now: datetime) -> CrawlRun:
    run = CrawlRun(source_id=source_id, started_at=now, status="running", pid=os.getpid())
    session.add(run)
    session.flush()
    return run


def record_failed_run(session: Session, source_id: str, started: datetime, now: datetime, error: str) -> CrawlRun:
    """A run that failed before it could crawl: refused by its spider, or killed while starting up."""
    run = CrawlRun(source_id=source_id, started_at=started, finished_at=now, status="failed", error=error, errors=1,
                   pid=os.getpid())
    session.add(run)
    session.flush()
    return run


def close_stale_runs(session: Session, source_id: str, now: datetime, reason: str | None = None) -> int:
    """Runs left 'running' by a killed process are closed as failed, so health stays truthful.

    ``reason`` says why when the caller knows (the scheduler killed it at its time limit)."""
    stale = session.scalars(
        select(CrawlRun).where(CrawlRun.source_id == source_id, CrawlRun.status == "running")
    ).all()
    for run in stale:
        if run.pid and run.pid != os.getpid() and _alive(run.pid):
            continue
        run.status, run.finished_at = "failed", now
        run.error = reason or run.error or "interrupted: the crawl process ended before finishing"
    return len(stale)


def child_runs(session: Session, source_id: str, pid: int, since: datetime) -> list[CrawlRun]:
    """The runs one crawl process (``pid``, started at ``since``) opened for ``source_id``, oldest first."""
    return list(session.scalars(select(CrawlRun).where(
        CrawlRun.source_id == source_id, CrawlRun.pid == pid, CrawlRun.started_at >= since - timedelta(seconds=1),
    ).order_by(CrawlRun.id)))


def close_run(session: Session, run: CrawlRun, status: str, error: str, now: datetime) -> None:
    """Close a run its process left open (killed, or stopped with the scheduler)."""
    run.status, run.finished_at, run.error = status, now, error
    if status != "cancelled":
        run.errors = max(run.errors or 0, 1)


def _alive(pid: int) -> bool:
    """Whether the process still runs. A zombie does not: a crawl child whose scheduler was SIGKILLed stays one
    until something reaps it (in a container whose init reaps nothing, for ever), and runs no code."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): a signal that reached it is all we know
    return state not in ("Z", "X")


def last_runs(session: Session) -> dict[str, CrawlRun]:
    """The latest finished-or-running run of every source."""
    latest = select(CrawlRun.source_id, func.max(CrawlRun.id).label("id")).group_by(CrawlRun.source_id).subquery()
    rows = session.scalars(select(CrawlRun).join(latest, CrawlRun.id == latest.c.id))
    return {r.source_id: r for r in rows}


def recent_finished_runs(session: Session, source_id: str, limit: int) -> list[CrawlRun]:
    """The latest finished runs of a source, newest first."""
    q = (select(CrawlRun)
         .where(CrawlRun.source_id == source_id, CrawlRun.status.in_(("ok", "partial", "failed", "empty")))
         .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit))
    return list(session.scalars(q))


def get_run(session: Session, run_id: int) -> CrawlRun | None:
    return session.get(CrawlRun, run_id)


def last_finished_run_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(CrawlRun.finished_at)))


FINISHED_RUN_STATUSES = ("ok", "partial", "failed", "empty")


def last_finished_runs(session: Session) -> dict[str, CrawlRun]:
    """The latest finished run of every source: the last *result*, even while a new run is going."""
    latest = (select(CrawlRun.source_id, func.max(CrawlRun.id).label("id"))
              .where(CrawlRun.status.in_(FINISHED_RUN_STATUSES)).group_by(CrawlRun.source_id).subquery())
    rows = session.scalars(select(CrawlRun).join(latest, CrawlRun.id == latest.c.id))
    return {r.source_id: r for r in rows}


def live_runs(session: Session) -> dict[str, CrawlRun]:
    """Per source, the newest run marked 'running' whose process is still alive on this host.

    A 'running' row whose process died is not a crawl in progress (close_stale_runs closes it later).
    """
    q = select(CrawlRun).where(CrawlRun.status == "running").order_by(CrawlRun.id)
    return {r.source_id: r for r in session.scalars(q) if r.pid and _alive(r.pid)}


def current_runs(session: Session) -> dict[str, CrawlRun]:
    """Per source, what to show as its run: the latest one, unless it says 'running' while its process
    is gone (killed with its scheduler): then the last finished one, so nothing shows as running
    that is not."""
    live, finished = live_runs(session), last_finished_runs(session)
    shown = {}
    for source_id, run in last_runs(session).items():
        if run.status != "running" or source_id in live:
            shown[source_id] = run
        elif source_id in finished:
            shown[source_id] = finished[source_id]
    return shown


def first_run_started_at(session: Session) -> datetime | None:
    return session.scalar(select(func.min(CrawlRun.started_at)))
