"""The JSON shapes of the CLI contract (docs/architecture.md): changes and sources, exactly those fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from alerts.labels import milestone_label
from config.redact import redact, redact_url
from config.schema import Source
from pipeline.store.models import Change, CrawlRun
from pipeline.store.models import Source as SourceRow
from pipeline.store.stories import StoryInfo
from pipeline.store.timeline import TimelineEntry


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def story_json(story: StoryInfo | None) -> dict[str, Any] | None:
    """A change's story: the same event as other outlets reported it (null for irrelevant changes)."""
    if story is None:
        return None
    return {"id": story.id, "size": story.size, "sources": story.source_ids}


def change_json(change: Change, language: str = "es", stories: Mapping[int, StoryInfo] | None = None,
                ) -> dict[str, Any]:
    """``stories``: the stories of the changes being printed (``store.stories.stories_by_id``), fetched once."""
    version = change.to_version or change.from_version
    return {
        "id": change.id,
        "kind": change.kind,
        "detected_at": iso(change.detected_at),
        "source": change.source_id,
        "source_kind": change.source.kind,
        "url": change.document.url,
        "title": change.title,
        "headline_only": bool(change.document.headline_only),  # an aggregator's headline, no article text
        "published_at": iso(change.document.published_at),
        "cases": [link.case_id for link in change.case_links],
        "relevance": change.relevance,
        "matched_terms": list(change.matched_terms or []),
        "milestones": [milestone_json(m, language) for m in change.milestones or []],
        "summary": change.summary,
        "diff": change.diff,
        "version_sha256": version.sha256 if version else None,
        "from_version": change.from_version_id,
        "to_version": change.to_version_id,  # for ``reverted``: the older stored version the text went back to
        "related_cases": list(change.related_cases or []),
        "story": story_json((stories or {}).get(change.story_id)) if change.story_id is not None else None,
    }


def milestone_json(m: dict[str, Any], language: str = "es") -> dict[str, Any]:
    """A stored milestone as `show --json` / `changes --json` give it: {type, label, status, primary,
    evidence, actors, identifiers, date, republished} (rows stored before statuses existed read as taken,
    not primary; ``republished``: an edit carrying the document's step again, not a new step)."""
    return {"type": m["type"], "label": milestone_label(language, m["type"], m.get("label", "")),
            "status": m.get("status") or "taken", "primary": bool(m.get("primary", False)),
            "evidence": m.get("evidence") or "", "actors": list(m.get("actors") or []),
            "identifiers": list(m.get("identifiers") or []), "date": m.get("date"),
            "republished": bool(m.get("republished", False))}


def timeline_json(entry: TimelineEntry, language: str = "es") -> dict[str, Any]:
    """One step of a case's timeline, its label in ``language``."""
    return {**entry.as_json(), "label": milestone_label(language, entry.type, entry.label)}


def run_json(run: CrawlRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id, "status": run.status, "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
        "pages": run.pages, "items": run.items, "new": run.new, "updated": run.updated, "removed": run.removed,
        "restored": run.restored, "errors": run.errors, "error": redact(run.error or "") or None,
    }


def source_json(source: Source, last_run: CrawlRun | None, row: SourceRow | None = None) -> dict[str, Any]:
    unhealthy = row is not None and row.health == "unhealthy"
    return {
        "id": source.id,
        "name": source.name,
        "kind": source.kind,
        "spider": source.spider,
        "urls": [redact_url(u) for u in source.urls],
        "params": source.params,
        "schedule": source.schedule.expression,
        "timezone": source.schedule.timezone,
        "ignore": {"selectors": list(source.ignore.selectors), "patterns": list(source.ignore.patterns)},
        "enabled": source.enabled,
        "last_run": run_json(last_run),
        "health": "unhealthy" if unhealthy else "healthy",
        "health_reason": redact(row.health_reason or "") or None if unhealthy and row is not None else None,
        "health_since": iso(row.health_since) if row is not None else None,
    }
