"""The JSON shapes of the CLI contract (DESIGN.md): changes and sources, exactly those fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerts.labels import milestone_label
from config.schema import Source
from pipeline.store.models import Change, CrawlRun
from pipeline.store.models import Source as SourceRow


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def change_json(change: Change, language: str = "es") -> dict[str, Any]:
    version = change.to_version or change.from_version
    return {
        "id": change.id,
        "kind": change.kind,
        "detected_at": iso(change.detected_at),
        "source": change.source_id,
        "source_kind": change.source.kind,
        "url": change.document.url,
        "title": change.title,
        "published_at": iso(change.document.published_at),
        "cases": [link.case_id for link in change.case_links],
        "relevance": change.relevance,
        "matched_terms": list(change.matched_terms or []),
        "milestones": [{"type": m["type"], "label": milestone_label(language, m["type"], m.get("label", ""))}
                       for m in change.milestones or []],
        "summary": change.summary,
        "diff": change.diff,
        "version_sha256": version.sha256 if version else None,
    }


def run_json(run: CrawlRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.id, "status": run.status, "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
        "pages": run.pages, "items": run.items, "new": run.new, "updated": run.updated, "removed": run.removed,
        "restored": run.restored, "errors": run.errors, "error": run.error,
    }


def source_json(source: Source, last_run: CrawlRun | None, row: SourceRow | None = None) -> dict[str, Any]:
    unhealthy = row is not None and row.health == "unhealthy"
    return {
        "id": source.id,
        "name": source.name,
        "kind": source.kind,
        "spider": source.spider,
        "urls": list(source.urls),
        "params": source.params,
        "schedule": source.schedule.expression,
        "timezone": source.schedule.timezone,
        "ignore": {"selectors": list(source.ignore.selectors), "patterns": list(source.ignore.patterns)},
        "enabled": source.enabled,
        "last_run": run_json(last_run),
        "health": "unhealthy" if unhealthy else "healthy",
        "health_reason": row.health_reason if unhealthy and row is not None else None,
        "health_since": iso(row.health_since) if row is not None else None,
    }
