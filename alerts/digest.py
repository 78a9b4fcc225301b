"""Pending changes -> one digest per subscriber, stored in the outbox before anything is sent."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.labels import milestone_label
from alerts.message import make_message_id
from alerts.render import render_digest
from alerts.views import ChangeView, DigestView, MilestoneView, ReportView, SourceHealthView, TimelineEntryView
from config.schema import Config
from pipeline.store import repository as repo
from pipeline.store.models import Change, Digest, Source, Subscriber
from pipeline.store.session import Database, Session

log = logging.getLogger(__name__)
LIMA = ZoneInfo("America/Lima")
TIMELINE_ENTRIES = 5  # per case, at the top of every digest: where the case stands, not its history


def change_view(change: Change, language: str = "es", story: repo.StoryInfo | None = None) -> ChangeView:
    """The renderer's view of a stored change (no ORM objects reach the templates).

    ``story``: the change's story, whose other reports the digest lists as "also reported by".
    """
    also = tuple(ReportView(r.source_id, r.source_name, r.url) for r in story.reports
                 if r.document_id != change.document_id) if story is not None else ()
    return ChangeView(
        id=change.id,
        kind=change.kind,
        detected_at=change.detected_at,
        source_id=change.source_id,
        source_name=change.source.name,
        source_kind=change.source.kind,
        url=change.document.url,
        title=change.title or change.document.title,
        published_at=change.document.published_at,
        cases=tuple(link.case_id for link in change.case_links),
        relevance=change.relevance,
        matched_terms=tuple(change.matched_terms or ()),
        milestones=tuple(
            MilestoneView(m["type"], milestone_label(language, m["type"], m.get("label", "")))
            for m in change.milestones or ()
        ),
        summary=change.summary,
        diff=change.diff,
        story_id=change.story_id,
        also=also,
    )


def timeline_views(session: Session, case_ids: Sequence[str], limit: int = TIMELINE_ENTRIES,
                   ) -> tuple[TimelineEntryView, ...]:
    """The latest ``limit`` steps of each case, oldest first (pipeline.timeline)."""
    out: list[TimelineEntryView] = []
    for case_id in case_ids:
        for e in repo.case_timeline(session, case_id)[-limit:] if limit > 0 else ():
            out.append(TimelineEntryView(case_id, e.date, e.date_known, e.type, e.label, e.status,
                                         tuple(ReportView(s.source_id, s.source_name, s.url) for s in e.sources)))
    return tuple(out)


def health_views(config: Config, sources: Sequence[Source]) -> tuple[SourceHealthView, ...]:
    """Unhealthy sources that are still watched (a disabled source is not a problem)."""
    watched = {s.id: s for s in config.enabled_sources}
    return tuple(SourceHealthView(s.id, watched[s.id].name, s.health_reason or "", s.health_since)
                 for s in sources if s.id in watched)


def digest_view(
    config: Config, subscriber: Subscriber, changes: Sequence[Change], now: datetime, base_url: str,
    unhealthy: tuple[SourceHealthView, ...] = (), stories: Mapping[int, repo.StoryInfo] | None = None,
    timeline: tuple[TimelineEntryView, ...] = (),
) -> DigestView:
    stories = stories or {}
    return DigestView(
        subscriber_email=subscriber.email,
        subscriber_name=subscriber.name,
        language=subscriber.language,
        period_label=now.astimezone(LIMA).date().isoformat(),
        cases={cid: config.cases[cid].name for cid in subscriber.cases if cid in config.cases},
        changes=tuple(change_view(c, subscriber.language, stories.get(c.story_id) if c.story_id else None)
                      for c in changes),
        generated_at=now,
        base_url=base_url,
        sources_watched=len(config.enabled_sources),
        unhealthy=unhealthy,
        timeline=timeline,
    )


def _view(session: Session, config: Config, sub: Subscriber, changes: Sequence[Change], now: datetime,
          base_url: str, unhealthy: tuple[SourceHealthView, ...]) -> DigestView:
    """The digest view with what it needs from the database: stories of the changes, the case timeline."""
    stories = repo.stories(session, {c.story_id for c in changes if c.story_id is not None})
    timeline = timeline_views(session, [cid for cid in sub.cases if cid in config.cases])
    return digest_view(config, sub, changes, now, base_url, unhealthy, stories, timeline)


@dataclass(frozen=True)
class Built:
    subscriber: str
    digest_id: int | None
    changes: int
    skipped: str | None = None


def build_digests(
    db: Database,
    config: Config,
    *,
    now: datetime,
    base_url: str,
    period: str | None = None,
    subscriber_email: str | None = None,
) -> list[Built]:
    """Render and store an outbox row per subscriber with pending changes (one transaction each).

    ``period`` names the digest's period (``daily:2026-11-27``); a subscriber gets at most one digest
    per period, enforced by a unique constraint. Manual runs get their own period.
    """
    period = period or f"manual:{now.strftime('%Y%m%dT%H%M%S')}"
    with db.read() as session:
        subscribers = [
            s
            for s in repo.active_subscribers(session)
            if subscriber_email is None or s.email.lower() == subscriber_email.lower()
        ]
    built: list[Built] = []
    for sub in subscribers:
        with db.write() as session:
            built.append(_build_one(session, config, sub.id, period, now, base_url))
    return built


def _build_one(
    session: Session, config: Config, subscriber_id: int, period: str, now: datetime, base_url: str
) -> Built:
    sub = session.get(Subscriber, subscriber_id)
    assert sub is not None
    if repo.digest_exists(session, sub.id, period):
        return Built(sub.email, None, 0, skipped="already built for this period")
    changes = repo.pending_changes_for(session, sub)
    if not changes:
        return Built(sub.email, None, 0, skipped="nothing new")
    unhealthy = health_views(config, repo.unhealthy_sources(session))
    rendered = render_digest(_view(session, config, sub, changes, now, base_url, unhealthy))
    digest = Digest(
        subscriber_id=sub.id,
        period=period,
        created_at=now,
        status="pending",
        message_id=make_message_id(f"{sub.email.lower()}|{period}"),
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        attempts=0,
    )
    repo.add_digest(session, digest, [c.id for c in changes])
    return Built(sub.email, digest.id, len(changes))


def preview(
    db: Database, config: Config, *, now: datetime, base_url: str, subscriber_email: str | None = None
) -> list[tuple[str, str, str]]:
    """(address, subject, text) of what the next digest would hold, storing nothing."""
    out = []
    with db.read() as session:
        unhealthy = health_views(config, repo.unhealthy_sources(session))
        for sub in repo.active_subscribers(session):
            if subscriber_email and sub.email.lower() != subscriber_email.lower():
                continue
            changes = repo.pending_changes_for(session, sub)
            if changes:
                rendered = render_digest(_view(session, config, sub, changes, now, base_url, unhealthy))
                out.append((sub.email, rendered.subject, rendered.text))
    return out
