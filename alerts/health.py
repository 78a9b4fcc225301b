"""Maintainer alerts: one email when a source turns unhealthy, one when it recovers.

Each HealthEvent becomes one outbox row per maintainer (period ``health:<event id>``), so the
outbox's unique constraint and retries give alerts the same exactly-once delivery as digests.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.message import make_message_id
from alerts.render import environment, format_datetime
from config.redact import redact
from config.schema import Config
from pipeline.store import repository as repo
from pipeline.store.models import Digest, HealthEvent
from pipeline.store.session import Database

MAX_AGE = timedelta(days=7)  # a maintainer added today is not flooded with last month's events
SUBJECTS = {
    "unhealthy": "[casewatch] source {id} is unhealthy: {reason}",
    "recovered": "[casewatch] source {id} recovered",
}


def render_alert(event: HealthEvent, source_name: str, runs: list[dict[str, str]]) -> tuple[str, str, str]:
    """Subject, text and HTML of one alert (the reason is scraped-adjacent text: escaped in HTML)."""
    reason = " ".join(redact(event.reason).split())
    subject = SUBJECTS[event.kind].format(id=event.source_id, reason=reason)
    context = {"event": event, "name": source_name, "reason": reason, "runs": runs,
               "when": format_datetime(event.created_at, "en")}
    text = environment.get_template("email/health.txt.j2").render(context)
    html = environment.get_template("email/health.html.j2").render(context)
    return subject, text, html


def queue_health_alerts(db: Database, config: Config, *, now: datetime) -> int:
    """Put an alert in the outbox for every recent health turn not yet queued; returns how many."""
    if not config.maintainers:
        return 0
    names = {s.id: s.name for s in config.sources}
    queued = 0
    with db.write() as session:
        events = repo.health_events_since(session, now - MAX_AGE)
        for email in config.maintainers:
            row = repo.recipient(session, email, now)
            for event in events:
                period = f"health:{event.id}"
                if repo.digest_exists(session, row.id, period):
                    continue
                runs = [{"started": format_datetime(r.started_at, "en"), "status": r.status, "error": r.error or ""}
                        for r in repo.recent_finished_runs(session, event.source_id, 5)]
                subject, text, html = render_alert(event, names.get(event.source_id, event.source_id), runs)
                repo.add_digest(session, Digest(
                    subscriber_id=row.id, period=period, kind="health", created_at=now, status="pending",
                    message_id=make_message_id(f"{email.lower()}|{period}"), subject=subject,
                    text_body=text, html_body=html, attempts=0,
                ), [])
                queued += 1
    return queued
