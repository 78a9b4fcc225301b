"""Source health: a spider broken by a redesign must be noticed the day it breaks, and only once.

A run is *bad* when it failed, had errors (``partial``) or found nothing at all (``empty``). A source
whose last N runs are all bad turns unhealthy; its first good run makes it healthy again. Each turn
is one HealthEvent, which becomes one maintainer alert: never one alert per run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipeline.store.models import CrawlRun, HealthEvent
from pipeline.store.runs import recent_finished_runs
from pipeline.store.session import Session
from pipeline.store.sources import get_source

BAD_STATUSES: frozenset[str] = frozenset({"failed", "partial", "empty"})


@dataclass(frozen=True)
class Health:
    healthy: bool
    reason: str = ""


def judge(runs: list[CrawlRun], threshold: int) -> Health:
    """Health from the latest finished runs, newest first."""
    recent = runs[:threshold]
    if len(recent) < threshold or any(r.status not in BAD_STATUSES for r in recent):
        return Health(True)
    latest = recent[0]
    if all(r.status == "empty" for r in recent):
        what = "found no items"
    elif all(r.status == "failed" for r in recent):
        what = "failed"
    else:
        what = "failed or found nothing"
    detail = f": {latest.error}" if latest.error else ""
    return Health(False, f"the last {threshold} runs {what}{detail}")


def update_health(session: Session, source_id: str, threshold: int, now: datetime,
                  run_id: int | None = None) -> HealthEvent | None:
    """Re-judge ``source_id`` after a run; on a turn, record it and return the HealthEvent."""
    source = get_source(session, source_id)
    if source is None:
        return None
    runs = recent_finished_runs(session, source_id, threshold)
    health = judge(runs, threshold)
    was_healthy = source.health != "unhealthy"
    if health.healthy and was_healthy:
        return None
    if not health.healthy and not was_healthy:
        source.health_reason = health.reason  # keep the latest error in view, no new event
        return None
    source.health = "healthy" if health.healthy else "unhealthy"
    source.health_reason = None if health.healthy else health.reason
    source.health_since = now
    event = HealthEvent(source_id=source_id, kind="recovered" if health.healthy else "unhealthy",
                        reason=health.reason or "a run succeeded again", created_at=now, run_id=run_id)
    session.add(event)
    session.flush()
    return event
