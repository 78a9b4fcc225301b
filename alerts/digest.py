"""Pending changes -> one digest per subscriber, stored in the outbox before anything is sent; immediate
alerts, scheduled digests, quiet-week notes and previews all take this one path. Which changes an email
carries is alerts/selection.py; when it is due, alerts/delivery_times.py; the views it renders,
alerts/digest_views.py."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from alerts import unsubscribe
from alerts.delivery_times import due_periods, last_delivery_time, next_email
from alerts.selection import Select, immediate_select, wanted
from config.schema import Config
from config.schema import Subscriber as SubscriberConfig
from pipeline.store.digests import add_digest, digest_exists, digests_since, held_from_alerts, pending_changes_for
from pipeline.store.models import Change, Digest, Subscriber
from pipeline.store.runs import last_finished_run_at
from pipeline.store.session import Database, Session
from pipeline.store.sources import unhealthy_sources
from pipeline.store.subscribers import active_subscribers, is_unsubscribed, subscriber_by_email
from textkit import LIMA

if TYPE_CHECKING:
    from alerts.views import DigestView

# The views, the templates (Jinja2) and the message headers are imported where an email is composed:
# a crawl process calls build_immediate after every crawl, and most crawls have no alert to compose.

log = logging.getLogger(__name__)
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
    from alerts.digest_views import already_sent_views, health_views, subscriber_view

    changes = [c for c in pending_changes_for(session, sub) if wanted(sub_cfg, c)]
    if select is not None:
        held = held_from_alerts(session, [c.id for c in changes], sub.id) if kind == "immediate" else set()
        changes = [c for c in changes if select(sub_cfg, c, c.id in held)]
    if not changes:
        return None
    unhealthy = health_views(config, unhealthy_sources(session))
    # A digest names the steps already mailed as immediate alerts in one line each, not again in full.
    already = already_sent_views(session, sub) if kind == "digest" else ()
    view = subscriber_view(session, config, sub, changes, now, base_url, unhealthy, key, already)
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
    from alerts.message import make_message_id
    from alerts.render import render_digest

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
            from alerts.message import make_message_id
            from alerts.render import render_quiet_week
            from alerts.views import QuietWeekView

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
            from alerts.render import render_digest

            changes, view = composed
            rendered = render_digest(view)
            out.append(Preview(sub.email, period, at, rendered.subject, rendered.text, rendered.html, len(changes)))
    return out
