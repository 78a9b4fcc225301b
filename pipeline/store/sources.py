"""A source's row, mirrored from the configuration, and its health turns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.schema import Source as SourceConfig
from pipeline.store.models import HealthEvent, Source


def sync_sources(session: Session, sources: Iterable[SourceConfig], now: datetime) -> None:
    """Mirror configured sources into the database (rows are kept when a source leaves config)."""
    existing = {s.id: s for s in session.scalars(select(Source))}
    for cfg in sources:
        row = existing.get(cfg.id)
        if row is None:
            session.add(
                Source(id=cfg.id, name=cfg.name, kind=cfg.kind, spider=cfg.spider, enabled=cfg.enabled,
                       created_at=now, updated_at=now)
            )
        elif (row.name, row.kind, row.spider, row.enabled) != (cfg.name, cfg.kind, cfg.spider, cfg.enabled):
            row.name, row.kind, row.spider, row.enabled, row.updated_at = (
                cfg.name, cfg.kind, cfg.spider, cfg.enabled, now)


def get_source(session: Session, source_id: str) -> Source | None:
    return session.get(Source, source_id)


def source_name(session: Session, source_id: str) -> str:
    """The source's name (its id when the row is gone), read once per session: a crawl's batch signs many
    reports of one source, and the identity map lets go of an unchanged row it holds only weakly."""
    names: dict[str, str] = session.info.setdefault("source_names", {})
    if source_id not in names:
        row = session.get(Source, source_id)
        names[source_id] = row.name if row is not None else source_id
    return names[source_id]


def all_sources(session: Session) -> dict[str, Source]:
    return {s.id: s for s in session.scalars(select(Source))}


def unhealthy_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).where(Source.health == "unhealthy").order_by(Source.id)))


def health_events(session: Session) -> list[HealthEvent]:
    return list(session.scalars(select(HealthEvent).order_by(HealthEvent.id)))


def health_events_since(session: Session, since: datetime) -> list[HealthEvent]:
    q = select(HealthEvent).where(HealthEvent.created_at >= since).order_by(HealthEvent.id)
    return list(session.scalars(q))
