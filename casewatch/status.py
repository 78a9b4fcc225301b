"""`casewatch status`: the operator's glance, from the database and the config alone.

No scheduler process is asked anything: next run times are computed from each schedule's trigger
and the start of the source's last run, the way `casewatch run` would schedule them. Whether a
scheduler runs is read from its lock (pipeline.store.lock), which is held exactly as long as it
runs: with none running nothing is "due now", it waits for `casewatch run`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alerts.delivery_times import next_delivery_time
from casewatch.app import App
from casewatch.triggers import trigger_for
from config.redact import redact
from config.schema import Schedule
from pipeline.store.lock import lock_holder
from pipeline.store.models import CrawlRun, Digest
from pipeline.store.outbox import outbox_counts, pending_digests
from pipeline.store.runs import last_finished_runs, last_runs, live_runs
from pipeline.store.sources import all_sources
from pipeline.store.subscribers import unsubscribed
from textkit import LIMA

SENT_WINDOW = timedelta(days=7)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def next_fire(schedule: Schedule, last_start: datetime | None, now: datetime) -> datetime | None:
    """The schedule's next time after ``last_start`` (in Lima time); None when it never ran.

    A source that never ran is due: `casewatch run` crawls every enabled source at start.
    """
    if last_start is None:
        return None
    tz = ZoneInfo(schedule.timezone)
    moment: datetime | None = trigger_for(schedule).get_next_fire_time(last_start.astimezone(tz), now.astimezone(tz))
    return moment.astimezone(LIMA) if moment else None


def _last_json(run: CrawlRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"id": run.id, "status": run.status, "started_at": iso(run.started_at),
            "finished_at": iso(run.finished_at), "items": run.items, "new": run.new, "updated": run.updated,
            "error": redact(run.error or "") or None}


def _digest_json(d: Digest) -> dict[str, Any]:
    return {"id": d.id, "to": d.subscriber.email, "kind": d.kind, "period": d.period, "subject": d.subject,
            "attempts": d.attempts, "next_attempt_at": iso(d.next_attempt_at),
            "last_error": redact(d.last_error or "") or None,
            "created_at": iso(d.created_at)}


def collect(app: App, now: datetime | None = None) -> dict[str, Any]:
    """The whole status as one JSON-ready document: sources, each subscriber's next digest, outbox."""
    now = now or datetime.now(UTC)
    holder = lock_holder(app.db)
    scheduler = {"running": holder is not None, "pid": holder.pid if holder else None,
                 "host": holder.host if holder else None, "started_at": iso(holder.started_at) if holder else None}
    with app.db.read() as session:
        started = last_runs(session)
        finished = last_finished_runs(session)
        live = live_runs(session)
        rows = all_sources(session)
        counts = outbox_counts(session, now - SENT_WINDOW)
        pending = [_digest_json(d) for d in pending_digests(session)]
        opted_out = {email.lower(): at for email, at in unsubscribed(session).items()}
        sources = []
        for s in app.config.enabled_sources:
            last_start = started[s.id].started_at if s.id in started else None
            nxt = next_fire(s.schedule, last_start, now)
            running = live.get(s.id)
            row = rows.get(s.id)
            sources.append({
                "id": s.id,
                "name": s.name,
                "schedule": s.schedule.expression,
                "next_run": iso(nxt),
                "due": nxt is None or nxt <= now,
                "running": ({"run": running.id, "pid": running.pid, "started_at": iso(running.started_at)}
                            if running else None),
                "last_run": _last_json(finished.get(s.id)),
                "health": row.health if row is not None else "healthy",
                "health_reason": (redact(row.health_reason or "") or None
                                  if row is not None and row.health == "unhealthy" else None),
            })
    # unsubscribed_at: they opted out with the link in their emails (`digest --resubscribe` undoes it).
    subscribers = [{"email": sub.email, "frequency": sub.frequency, "at": sub.at, "timezone": sub.timezone,
                    "next_run": iso(nxt.astimezone(LIMA) if (nxt := next_delivery_time(sub, now)) else None),
                    "unsubscribed_at": iso(opted_out.get(sub.email.lower()))}
                   for sub in app.config.subscribers]
    upcoming = [s["next_run"] for s in subscribers if s["next_run"] and not s["unsubscribed_at"]]
    return {
        "scheduler": scheduler,
        "sources": sources,
        "digest": {"next_run": min(upcoming, key=datetime.fromisoformat) if upcoming else None,
                   "subscribers": subscribers},
        "outbox": {"pending": counts["pending"], "sending": counts["sending"], "sent_7d": counts["sent"],
                   "rows": pending},
    }


def _lima(value: str | None) -> str:
    return datetime.fromisoformat(value).astimezone(LIMA).strftime("%Y-%m-%d %H:%M") if value else "-"


def render_text(data: dict[str, Any]) -> list[str]:
    """Compact aligned lines (Lima time): one per source, then the digest and the outbox."""
    lines = []
    width = max([len(s["id"]) for s in data["sources"]] + [9])
    sched = data["scheduler"]
    if sched["running"]:
        who = f"pid {sched['pid']} on {sched['host']}" if sched["pid"] else "details unknown"
        lines.append(f"{'scheduler':<{width}}  running ({who}) since {_lima(sched['started_at'])}")
    else:
        lines.append(f"{'scheduler':<{width}}  NOT RUNNING: nothing is crawled or sent until `casewatch run` starts")
    for s in data["sources"]:
        if s["due"]:
            when = "due now" if sched["running"] else "at run start"
        else:
            when = _lima(s["next_run"])
        if s["running"]:
            state = f"RUNNING since {_lima(s['running']['started_at'])} (run {s['running']['run']}, " \
                    f"pid {s['running']['pid']})"
        elif (last := s["last_run"]) is not None:
            state = (f"{last['status']:<7} {_lima(last['finished_at'])}  {last['items']} items, "
                     f"{last['new']} new, {last['updated']} updated")
        else:
            state = "never run"
        health = "  UNHEALTHY" if s["health"] == "unhealthy" else ""
        lines.append(f"{s['id']:<{width}}  next {when:<16}  {state}{health}")
        if s["health_reason"]:
            lines.append(f"{'':<{width}}  ↳ unhealthy: {s['health_reason']}")
        if s["last_run"] and s["last_run"]["error"] and s["last_run"]["status"] != "ok":
            lines.append(f"{'':<{width}}  ↳ {s['last_run']['error']}")
    if not data["sources"]:
        lines.append("no enabled sources")
    digest, outbox = data["digest"], data["outbox"]
    nxt = _lima(digest["next_run"]) if digest["next_run"] else "none (no daily or weekly subscriber)"
    lines.append(f"{'digest':<{width}}  next {nxt:<16}  "
                 f"({len(digest['subscribers'])} subscriber(s), each at their own time)")
    for sub in digest["subscribers"]:
        if sub["unsubscribed_at"]:
            lines.append(f"{'':<{width}}  {sub['email']} unsubscribed {_lima(sub['unsubscribed_at'])} "
                         "(undo: casewatch digest --resubscribe ADDRESS)")
    lines.append(f"{'outbox':<{width}}  {outbox['pending']} pending, {outbox['sending']} sending, "
                 f"{outbox['sent_7d']} sent in the last 7 days")
    for d in outbox["rows"]:
        nxt = _lima(d["next_attempt_at"]) if d["next_attempt_at"] else "now"
        lines.append(f"{'':<{width}}  #{d['id']:<5} {d['to']:<30} {d['attempts']} tries, next {nxt}"
                     + (f"  last error: {d['last_error']}" if d["last_error"] else ""))
    return lines
