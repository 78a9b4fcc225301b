"""Scrapy's item pipeline is only the adapter into ``pipeline.ingest``: one item, one transaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider

from crawler.extensions import RunContext, RunCounters
from crawler.extract.urls import canonical_url
from pipeline.ingest import Snapshot, ingest
from pipeline.store import repository as repo

log = logging.getLogger(__name__)


def snapshot_from_item(item: Any) -> Snapshot:
    a = ItemAdapter(item)
    return Snapshot(
        url=a["url"], status=int(a.get("status") or 200), title=a.get("title") or "", text=a.get("text") or "",
        published_at=a.get("published_at"), fetched_url=a.get("fetched_url") or "", body=a.get("body") or b"",
        headers=a.get("headers") or {}, content_type=a.get("content_type") or "", summary=a.get("summary") or "",
        outlet=a.get("outlet") or "", headline_only=bool(a.get("headline_only")),
        own_response=canonical_url(a.get("fetched_url") or a["url"]) == a["url"],
    )


class IngestPipeline:
    """Stores each DocumentItem through ``pipeline.ingest`` and counts what happened for the CrawlRun.

    Spiders without a RunContext (golden tests, plain ``scrapy crawl``) pass items through untouched.
    """

    def process_item(self, item: Any, spider: Spider) -> Any:
        ctx: RunContext | None = getattr(spider, "casewatch", None)
        if ctx is None:
            return item
        source = spider.source  # type: ignore[attr-defined]
        counters: RunCounters = spider.casewatch_counters  # type: ignore[attr-defined]
        cases = [c for c in ctx.cases if source.cases is None or c.id in source.cases]
        snap = snapshot_from_item(item)
        with ctx.db.write() as session:
            self.before_ingest(session, snap)
            outcome = ingest(session, snap, source_id=source.id, cases=cases,
                             ignore_patterns=source.ignore.patterns, run_id=counters.run_id,
                             now=datetime.now(UTC), aggregated=source.kind == "aggregator")
            never_stored = outcome.result == "missing" and repo.get_document(session, snap.url) is None
        if never_stored and snap.url in {canonical_url(u) for u in source.urls}:
            # A watched URL that is gone before anything was stored is a config mistake, not a removal
            # (and not an item: a source with only such URLs failed).
            log.error("source %s: %s answered HTTP %s and no version of it is stored (wrong URL?)", source.id,
                      snap.url, snap.status, extra={"spider": spider})
            return item
        counters.count(outcome.result)
        if outcome.change is not None:
            log.info("%s: %s %s", source.id, outcome.result, snap.url, extra={"spider": spider})
        return item

    def before_ingest(self, session: Any, snap: Snapshot) -> None:
        """Inside the item's transaction, before anything is read: the distributed worker's pipeline
        (crawler.distributed) locks the document here."""
