"""The renderer's views of stored data: a change, a case's latest steps, the steps already sent as alerts,
unhealthy sources, and one subscriber's whole digest. No ORM object reaches the templates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from alerts import labels, unsubscribe
from alerts.labels import milestone_label
from alerts.views import (
    AlreadySentView,
    ChangeView,
    DigestView,
    MilestoneView,
    ReportView,
    SourceHealthView,
    TimelineEntryView,
)
from config.redact import redact
from config.schema import Config
from pipeline.store.digests import immediate_changes_since_last_digest
from pipeline.store.models import Change, Source, Subscriber
from pipeline.store.session import Session
from pipeline.store.stories import StoryInfo, stories_by_id
from pipeline.store.timeline import SHOWN_STATUSES, case_timeline
from textkit import LIMA

TIMELINE_ENTRIES = 5  # per case, at the top of every digest: where the case stands, not its history


def change_view(change: Change, language: str = "es", story: StoryInfo | None = None) -> ChangeView:
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
        source_name=change.document.outlet or change.source.name,  # an aggregator's result: its outlet
        source_kind=change.source.kind,
        url=change.document.url,
        title=_title(change, language),
        published_at=change.document.published_at,
        cases=tuple(link.case_id for link in change.case_links),
        relevance=change.relevance,
        matched_terms=tuple(change.matched_terms or ()),
        milestones=tuple(
            MilestoneView(m["type"], milestone_label(language, m["type"], m.get("label", "")),
                          actors=tuple(m.get("actors") or ()), status=m.get("status") or "taken",
                          republished=bool(m.get("republished")), primary=m.get("primary") is True)
            for m in change.milestones or () if (m.get("status") or "taken") in SHOWN_STATUSES
        ),
        summary=change.summary,
        diff=change.diff,
        story_id=change.story_id,
        also=also,
        versions=tuple(v for v in (change.from_version_id, change.to_version_id) if v is not None),
    )


def _title(change: Change, language: str) -> str:
    """The report's headline; an aggregator's result kept as its headline alone says so."""
    title = change.title or change.document.title
    return f"{title} ({labels.text(language, 'headline_only')})" if change.document.headline_only else title


def timeline_views(session: Session, case_ids: Sequence[str], limit: int = TIMELINE_ENTRIES,
                   shown: frozenset[str] = frozenset()) -> tuple[TimelineEntryView, ...]:
    """The latest ``limit`` taken steps of each case and, apart, its latest ``limit`` announced ones,
    oldest first (pipeline.store.timeline). A source whose URL the digest's items already link (``shown``)
    keeps its name without the link: a URL never appears twice in one digest."""
    out: list[TimelineEntryView] = []
    for case_id in case_ids:
        steps = case_timeline(session, case_id)
        latest = [[e for e in steps if e.status == s][-limit:] if limit > 0 else [] for s in SHOWN_STATUSES]
        for e in sorted((e for group in latest for e in group), key=lambda e: (e.date, e.first_detected_at)):
            out.append(TimelineEntryView(case_id, e.date, e.date_known, e.type, e.label, e.status,
                                         tuple(ReportView(s.source_id, s.source_name, "" if s.url in shown else s.url)
                                               for s in e.sources), removed=e.removed))
    return tuple(out)


def already_sent_views(session: Session, sub: Subscriber) -> tuple[AlreadySentView, ...]:
    """Changes mailed to ``sub`` as immediate alerts since their last periodic digest."""
    return tuple(AlreadySentView(c.title or c.document.title, c.document.url, sent_at)
                 for c, sent_at in immediate_changes_since_last_digest(session, sub.id))


def health_views(config: Config, sources: Sequence[Source]) -> tuple[SourceHealthView, ...]:
    """Unhealthy sources that are still watched (a disabled source is not a problem)."""
    watched = {s.id: s for s in config.enabled_sources}
    return tuple(SourceHealthView(s.id, watched[s.id].name, redact(s.health_reason or ""), s.health_since)
                 for s in sources if s.id in watched)


def digest_view(
    config: Config, subscriber: Subscriber, changes: Sequence[Change], now: datetime, base_url: str,
    unhealthy: tuple[SourceHealthView, ...] = (), stories: Mapping[int, StoryInfo] | None = None,
    timeline: tuple[TimelineEntryView, ...] = (), unsubscribe_url: str = "",
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
        unsubscribe_url=unsubscribe_url,
    )


def subscriber_view(session: Session, config: Config, sub: Subscriber, changes: Sequence[Change], now: datetime,
          base_url: str, unhealthy: tuple[SourceHealthView, ...], key: bytes | None,
          already_sent: tuple[AlreadySentView, ...] = ()) -> DigestView:
    """The digest view with what it needs from the database: stories of the changes, the case timeline
    (without links the items or the ``already_sent`` lines carry), and the subscriber's unsubscribe link
    (signed with ``key``)."""
    stories = stories_by_id(session, {c.story_id for c in changes if c.story_id is not None})
    shown = frozenset({c.document.url for c in changes} | {r.url for s in stories.values() for r in s.reports}
                      | {a.url for a in already_sent})
    timeline = timeline_views(session, [cid for cid in sub.cases if cid in config.cases], shown=shown)
    view = digest_view(config, sub, changes, now, base_url, unhealthy, stories, timeline,
                       unsubscribe.link(base_url, key, sub.email) or "")
    return replace(view, already_sent=already_sent) if already_sent else view
