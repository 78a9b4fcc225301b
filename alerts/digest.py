"""Pending changes -> one digest per subscriber, stored in the outbox before anything is sent."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts import labels, unsubscribe
from alerts.labels import milestone_label
from alerts.message import make_message_id
from alerts.render import render_digest, render_quiet_week
from alerts.views import (
    AlreadySentView,
    ChangeView,
    DigestView,
    MilestoneView,
    QuietWeekView,
    ReportView,
    SourceHealthView,
    TimelineEntryView,
)
from config.redact import redact
from config.schema import Config
from config.schema import Subscriber as SubscriberConfig
from pipeline.store.digests import (
    add_digest,
    digest_exists,
    digests_since,
    held_from_alerts,
    immediate_changes_since_last_digest,
    pending_changes_for,
)
from pipeline.store.models import Change, Digest, Source, Subscriber
from pipeline.store.runs import last_finished_run_at
from pipeline.store.session import Database, Session
from pipeline.store.sources import unhealthy_sources
from pipeline.store.stories import StoryInfo, stories_by_id
from pipeline.store.subscribers import active_subscribers, is_unsubscribed, subscriber_by_email
from pipeline.store.timeline import SHOWN_STATUSES, case_timeline
from textkit import LIMA

log = logging.getLogger(__name__)
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


def _view(session: Session, config: Config, sub: Subscriber, changes: Sequence[Change], now: datetime,
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


@dataclass(frozen=True)
class Built:
    subscriber: str
    digest_id: int | None
    changes: int
    skipped: str | None = None


# (subscriber, change, held): ``held`` is True for a change that may never be an immediate alert
# (held_from_alerts: a source's baseline crawl, an edit of a document already alerted).
Select = Callable[[SubscriberConfig | None, Change, bool], bool]


def wanted(sub: SubscriberConfig | None, change: Change) -> bool:
    """The subscriber's own filters: milestones only (``want``), and which kinds of source."""
    if sub is None:
        return True
    if sub.want == "milestones" and not change.milestones:
        return False
    return sub.source_kinds is None or change.source.kind in sub.source_kinds


def alert_step(milestone: Mapping[str, object], types: frozenset[str]) -> bool:
    """A stored milestone worth an immediate alert: the document's primary step, taken (never one only
    announced, requested or in the background), of one of ``types``, and not an edit re-publishing it."""
    return (milestone.get("type") in types and milestone.get("status", "taken") == "taken"
            and milestone.get("primary") is True and not milestone.get("republished"))


def major(types: Sequence[str]) -> Select:
    """Changes whose new taken primary step is one of ``types``: immediate alerts (never held ones)."""
    chosen = frozenset(types)
    return lambda sub, change, held: not held and any(alert_step(m, chosen) for m in change.milestones or ())


def build_digests(
    db: Database,
    config: Config,
    *,
    now: datetime,
    base_url: str,
    period: str | None = None,
    subscriber_email: str | None = None,
    kind: str = "digest",
    period_for: Callable[[SubscriberConfig | None], str | None] | None = None,
    select: Select | None = None,
) -> list[Built]:
    """Render and store an outbox row per subscriber with pending changes (one transaction each).

    ``period`` names the digest's period (``daily:2026-11-27``); a subscriber gets at most one digest
    per period, enforced by a unique constraint. Manual runs get their own period. ``period_for``
    gives each subscriber's period instead (None: not their turn); ``select`` narrows the changes.
    """
    from pipeline.store.session import IntegrityError

    period = period or f"manual:{now.strftime('%Y%m%dT%H%M%S')}"
    configured = {s.email.lower(): s for s in config.subscribers}
    with db.read() as session:  # active: configured and not unsubscribed through their link
        subscribers = [
            s
            for s in active_subscribers(session)
            if subscriber_email is None or s.email.lower() == subscriber_email.lower()
        ]
    key = unsubscribe.signing_key(db) if subscribers else None
    built: list[Built] = []
    for sub in subscribers:
        sub_cfg = configured.get(sub.email.lower())
        sub_period = period_for(sub_cfg) if period_for is not None else period
        if sub_period is None:
            continue
        try:
            with db.write() as session:
                one = _build_one(session, config, sub.id, sub_period, now, base_url, kind=kind, sub_cfg=sub_cfg,
                                 select=select, key=key)
        except IntegrityError as exc:
            # PostgreSQL: another process built this subscriber's digest (same period, or the same changes)
            # at the same moment and the unique constraint chose it; that row will be delivered.
            log.info("%s: digest already built by another process (%s)", sub.email,
                     " ".join(str(exc.orig).split())[:200])
            one = Built(sub.email, None, 0, skipped="already built by another process")
        built.append(one)
    return built


def _compose(
    session: Session, config: Config, sub: Subscriber, now: datetime, base_url: str, *, kind: str = "digest",
    sub_cfg: SubscriberConfig | None = None, select: Select | None = None, key: bytes | None = None,
) -> tuple[list[Change], DigestView] | None:
    """The subscriber's changes (their own filters, then ``select``) and the view of their email; None when
    there is nothing to send. The one path for digests, alerts, `digest --dry-run` and `digest --preview`."""
    changes = [c for c in pending_changes_for(session, sub) if wanted(sub_cfg, c)]
    if select is not None:
        held = held_from_alerts(session, [c.id for c in changes], sub.id) if kind == "immediate" else set()
        changes = [c for c in changes if select(sub_cfg, c, c.id in held)]
    if not changes:
        return None
    unhealthy = health_views(config, unhealthy_sources(session))
    # A digest names the steps already mailed as immediate alerts in one line each, not again in full.
    already = already_sent_views(session, sub) if kind == "digest" else ()
    view = _view(session, config, sub, changes, now, base_url, unhealthy, key, already)
    if kind != "digest":
        view = replace(view, immediate=True)
    return changes, view


def _build_one(
    session: Session, config: Config, subscriber_id: int, period: str, now: datetime, base_url: str, *,
    kind: str = "digest", sub_cfg: SubscriberConfig | None = None, select: Select | None = None,
    key: bytes | None = None,
) -> Built:
    sub = session.get(Subscriber, subscriber_id)
    assert sub is not None
    if is_unsubscribed(session, sub.id):  # unsubscribed since the subscriber list was read
        return Built(sub.email, None, 0, skipped="unsubscribed")
    if digest_exists(session, sub.id, period):
        return Built(sub.email, None, 0, skipped="already built for this period")
    composed = _compose(session, config, sub, now, base_url, kind=kind, sub_cfg=sub_cfg, select=select, key=key)
    if composed is None:
        return Built(sub.email, None, 0, skipped="nothing new")
    changes, view = composed
    rendered = render_digest(view)
    digest = Digest(
        subscriber_id=sub.id,
        period=period,
        kind=kind,
        created_at=now,
        status="pending",
        message_id=make_message_id(f"{sub.email.lower()}|{period}"),
        subject=rendered.subject,
        text_body=rendered.text,
        html_body=rendered.html,
        attempts=0,
        unsubscribe_url=view.unsubscribe_url or None,
    )
    add_digest(session, digest, [c.id for c in changes])
    return Built(sub.email, digest.id, len(changes))


def build_immediate(db: Database, config: Config, *, now: datetime, base_url: str) -> list[Built]:
    """The crawl cycle's alerts: one email per subscriber batching every major step just found.

    Subscribers with ``frequency: immediate`` get all their wanted changes this way; everyone else
    only a new taken primary step of ``digest.immediate`` types (never background or announced, never
    from a source's baseline crawl, never again for an edit of a document already alerted), which
    their next digest then names in one line instead of repeating them.
    """
    period = f"immediate:{now.astimezone(LIMA).strftime('%Y-%m-%dT%H:%M:%S.%f')}"
    return build_digests(db, config, now=now, base_url=base_url, period=period, kind="immediate",
                         select=immediate_select(config))


def immediate_select(config: Config) -> Select:
    """What an immediate alert carries: everything for ``frequency: immediate`` subscribers, else major steps."""
    types = major(config.immediate_milestones)

    def select(sub: SubscriberConfig | None, change: Change, held: bool) -> bool:
        if change.kind == "reverted":  # back to a text already stored: never an alert of its own
            return False
        return (sub is not None and sub.frequency == "immediate") or types(sub, change, held)

    return select


def _delivery_on(sub: SubscriberConfig, day: date) -> datetime | None:
    """The subscriber's delivery time on ``day`` (their local date), if they get one that day."""
    if sub.frequency == "immediate" or (sub.frequency == "weekly" and day.isoweekday() != 1):
        return None
    hour, minute = (int(part) for part in sub.at.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(sub.timezone))


def last_delivery_time(sub: SubscriberConfig, now: datetime) -> datetime | None:
    """The subscriber's latest delivery time at or before ``now``: the latest ``at`` in their timezone
    (on a Monday for weekly digests); None for ``immediate`` subscribers."""
    today = now.astimezone(ZoneInfo(sub.timezone)).date()
    for back in range(8):
        fire = _delivery_on(sub, today - timedelta(days=back))
        if fire is not None and fire <= now:
            return fire
    return None


def next_delivery_time(sub: SubscriberConfig, now: datetime) -> datetime | None:
    """The subscriber's next delivery time after ``now`` (for `casewatch status`)."""
    today = now.astimezone(ZoneInfo(sub.timezone)).date()
    for ahead in range(9):
        fire = _delivery_on(sub, today + timedelta(days=ahead))
        if fire is not None and fire > now:
            return fire
    return None


def _period(sub: SubscriberConfig, fire: datetime) -> str:
    local = fire.astimezone(ZoneInfo(sub.timezone))
    if sub.frequency == "weekly":
        year, week, _ = local.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    return f"daily:{local.date().isoformat()}"


def due_periods(since: datetime, now: datetime) -> Callable[[SubscriberConfig | None], str | None]:
    """Each subscriber's digest period if one of their delivery times fell in (``since``, ``now``].

    However many fell in that window (a scheduler stopped for days), only the latest counts: one
    catch-up digest holds everything, never one per missed period.
    """
    def period_for(sub: SubscriberConfig | None) -> str | None:
        if sub is None:
            return None
        fire = last_delivery_time(sub, now)
        return _period(sub, fire) if fire is not None and fire > since else None

    return period_for


def build_scheduled(db: Database, config: Config, *, since: datetime, now: datetime, base_url: str) -> list[Built]:
    """The periodic digests whose delivery time fell in (``since``, ``now``], then quiet-week notes.

    The scheduler calls this every minute with ``since`` = its previous call (kept in the database),
    so each subscriber gets their digest at their own local ``at``, and a restart catches up once.
    """
    built = build_digests(db, config, now=now, base_url=base_url, period_for=due_periods(since, now))
    return built + build_quiet_weeks(db, config, since=since, now=now, base_url=base_url)


def build_quiet_weeks(db: Database, config: Config, *, since: datetime, now: datetime, base_url: str) -> list[Built]:
    """At Monday's delivery time, "nothing new — still watching N sources" for subscribers who asked
    (``quiet_weeks``) and got no email in the past seven days: silence then means quiet, not broken."""
    built: list[Built] = []
    key: bytes | None = None
    for cfg in config.subscribers:
        if not cfg.quiet_weeks:
            continue
        fire = last_delivery_time(cfg.model_copy(update={"frequency": "weekly"}), now)
        if fire is None or fire <= since:
            continue
        year, week, _ = fire.astimezone(ZoneInfo(cfg.timezone)).isocalendar()
        period = f"quiet:{year}-W{week:02d}"
        key = key or unsubscribe.signing_key(db)
        with db.write() as session:
            sub = subscriber_by_email(session, cfg.email)
            if sub is None or not sub.active or is_unsubscribed(session, sub.id) \
                    or digest_exists(session, sub.id, period):
                continue
            if digests_since(session, sub.id, now - timedelta(days=7)) or pending_changes_for(session, sub):
                continue
            rendered = render_quiet_week(QuietWeekView(
                subscriber_email=sub.email, subscriber_name=sub.name, language=sub.language,
                period_label=f"{year}-W{week:02d}", sources_watched=len(config.enabled_sources),
                last_checked=last_finished_run_at(session), generated_at=now,
                cases={cid: config.cases[cid].name for cid in sub.cases if cid in config.cases}, base_url=base_url,
                unsubscribe_url=(link := unsubscribe.link(base_url, key, sub.email) or "")))
            digest = Digest(subscriber_id=sub.id, period=period, kind="quiet", created_at=now, status="pending",
                            message_id=make_message_id(f"{sub.email.lower()}|{period}"), subject=rendered.subject,
                            text_body=rendered.text, html_body=rendered.html, attempts=0, unsubscribe_url=link or None)
            add_digest(session, digest, [])
            built.append(Built(sub.email, digest.id, 0))
    return built


@dataclass(frozen=True)
class Preview:
    """What one subscriber's next email would be: exactly what the builder would store and send."""

    email: str
    period: str
    at: datetime  # when it would be built: the subscriber's next delivery time (now for immediate ones)
    subject: str
    text: str
    html: str
    changes: int


def next_email(sub: SubscriberConfig | None, now: datetime) -> tuple[str, datetime, str]:
    """(kind, when, period) of the subscriber's next email: their next scheduled digest, or for
    ``frequency: immediate`` (and subscribers missing from the config) an alert built now."""
    fire = next_delivery_time(sub, now) if sub is not None else None
    if sub is None or fire is None:
        return "immediate", now, f"immediate:{now.astimezone(LIMA).strftime('%Y-%m-%dT%H:%M:%S.%f')}"
    return "digest", fire, _period(sub, fire)


def preview(
    db: Database, config: Config, *, now: datetime, base_url: str, subscriber_email: str | None = None,
    scheduled: bool = False,
) -> list[Preview]:
    """What each subscriber (or only ``subscriber_email``) would be sent, storing no digest, with the same
    filters as the real run (``want``, ``source_kinds``, what is pending for them).

    ``scheduled`` False: a manual `casewatch digest` now (``--dry-run``; without a link key yet, stores
    nothing and the footer has no unsubscribe link). True: each subscriber's next email as the scheduler
    will build it at their next delivery time (``--preview``; makes the link key if there is none, so
    the footer is the one that will be sent).
    """
    key = unsubscribe.signing_key(db, create=scheduled)
    configured = {s.email.lower(): s for s in config.subscribers}
    out: list[Preview] = []
    with db.read() as session:
        for sub in active_subscribers(session):
            if subscriber_email and sub.email.lower() != subscriber_email.lower():
                continue
            sub_cfg = configured.get(sub.email.lower())
            kind, at, period = next_email(sub_cfg, now) if scheduled else ("digest", now, "manual")
            select = immediate_select(config) if kind == "immediate" else None
            composed = _compose(session, config, sub, at, base_url, kind=kind, sub_cfg=sub_cfg, select=select,
                                key=key)
            if composed is None:
                continue
            changes, view = composed
            rendered = render_digest(view)
            out.append(Preview(sub.email, period, at, rendered.subject, rendered.text, rendered.html, len(changes)))
    return out
