"""Maintainer alerts: one email per check listing every source that turned unhealthy or recovered.

Three operator stops used to mean one email per source; now every health turn not yet sent to a
maintainer goes into one message, each source with its real last error and its run history (one
line per run). A message's outbox period is ``health:<newest event id>``: the events a maintainer
has had are exactly those up to the highest id in their health periods (the older one-event
messages, ``health:<id>``, read the same way), so the outbox's unique constraint and retries give
alerts the same exactly-once delivery as digests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.display import format_datetime
from alerts.message import make_message_id
from alerts.render import environment
from config.redact import redact
from config.schema import Config
from pipeline.store.digests import add_digest, digest_periods
from pipeline.store.models import Digest, HealthEvent
from pipeline.store.runs import recent_finished_runs
from pipeline.store.session import Database, Session
from pipeline.store.sources import health_events_since
from pipeline.store.subscribers import recipient

MAX_AGE = timedelta(days=7)  # a maintainer added today is not flooded with last month's events
HISTORY = 5  # runs listed per source
SUBJECTS = {
    "unhealthy": "[casewatch] source {id} is unhealthy: {reason}",
    "recovered": "[casewatch] source {id} recovered",
}


@dataclass(frozen=True)
class Turn:
    """One source's health turn as the message shows it."""

    event: HealthEvent
    name: str
    reason: str
    when: str
    runs: list[dict[str, str]]


def _subject(turns: list[Turn]) -> str:
    if len(turns) == 1:
        turn = turns[0]
        return SUBJECTS[turn.event.kind].format(id=turn.event.source_id, reason=turn.reason)
    down = [t.event.source_id for t in turns if t.event.kind == "unhealthy"]
    up = [t.event.source_id for t in turns if t.event.kind == "recovered"]
    parts = ([f"{len(down)} source(s) unhealthy"] if down else []) + ([f"{len(up)} recovered"] if up else [])
    return f"[casewatch] {', '.join(parts)}: {', '.join(dict.fromkeys(down + up))}"


def render_alert(turns: list[Turn]) -> tuple[str, str, str]:
    """Subject, text and HTML of one message (reasons are scraped-adjacent text: escaped in HTML)."""
    context = {"turns": turns}
    text = environment.get_template("email/health.txt.j2").render(context)
    html = environment.get_template("email/health.html.j2").render(context)
    return _subject(turns), text, html


def _turn(session: Session, event: HealthEvent, names: dict[str, str]) -> Turn:
    runs = [{"started": format_datetime(r.started_at, "en"), "status": r.status,
             "error": " ".join(redact(r.error or "").split())}
            for r in recent_finished_runs(session, event.source_id, HISTORY)]
    return Turn(event, names.get(event.source_id, event.source_id), " ".join(redact(event.reason).split()),
                format_datetime(event.created_at, "en"), runs)


def _last_sent_event(session: Session, subscriber_id: int) -> int:
    periods = digest_periods(session, subscriber_id, "health")
    ids = [int(p.split(":", 1)[1]) for p in periods if p.split(":", 1)[1].isdigit()]
    return max(ids, default=0)


def queue_health_alerts(db: Database, config: Config, *, now: datetime) -> int:
    """Put one message per maintainer in the outbox listing every recent health turn they have not
    had yet; returns how many messages were queued."""
    if not config.maintainers:
        return 0
    names = {s.id: s.name for s in config.sources}
    queued = 0
    with db.write() as session:
        events = health_events_since(session, now - MAX_AGE)
        if not events:
            return 0
        turns = {e.id: _turn(session, e, names) for e in events}
        for email in config.maintainers:
            row = recipient(session, email, now)
            after = _last_sent_event(session, row.id)
            fresh = [turns[e.id] for e in events if e.id > after]
            if not fresh:
                continue
            period = f"health:{fresh[-1].event.id}"
            subject, text, html = render_alert(fresh)
            add_digest(session, Digest(
                subscriber_id=row.id, period=period, kind="health", created_at=now, status="pending",
                message_id=make_message_id(f"{email.lower()}|{period}"), subject=subject,
                text_body=text, html_body=html, attempts=0,
            ), [])
            queued += 1
    return queued
