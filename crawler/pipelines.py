"""Scrapy's item pipeline is only the adapter into ``pipeline.ingest``: items are written in batches.

One transaction per item made a first crawl wait for one fsync per page; a batch (pipeline.store.batch)
commits ``BATCH_ITEMS`` items at once, or what it holds ``BATCH_SECONDS`` after its first item, and
whatever is left when a spider closes. Each item keeps its own savepoint, so a failing item is lost
alone; a batch that cannot be committed is reported item by item, as if each had failed to store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider

from crawler.extensions import RunContext, RunCounters
from crawler.extract.urls import canonical_url
from pipeline.ingest import Snapshot, ingest
from pipeline.runs import Batch, describe_failure
from pipeline.runs import never_stored as no_version_of

log = logging.getLogger(__name__)

BATCH_ITEMS = 100  # items per transaction: the fsync is paid once for them
BATCH_SECONDS = 1.0  # the longest a stored item waits for its commit (and SQLite's write lock is held)


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

    batch_items = BATCH_ITEMS  # items committed together (a distributed worker commits each at once)

    def __init__(self) -> None:
        self._timer: Any = None

    def process_item(self, item: Any, spider: Spider) -> Any:
        ctx: RunContext | None = getattr(spider, "casewatch", None)
        if ctx is None:
            return item
        source = spider.source  # type: ignore[attr-defined]
        counters: RunCounters = spider.casewatch_counters  # type: ignore[attr-defined]
        cases = [c for c in ctx.cases if source.cases is None or c.id in source.cases]
        snap = snapshot_from_item(item)
        batch = ctx.db.batch(partial(_lost, ctx.db.display_url))
        with batch.item(_Stored(counters, snap.url, None)) as session:
            self.before_ingest(session, snap)
            outcome = ingest(session, snap, source_id=source.id, cases=cases,
                             ignore_patterns=source.ignore.patterns, run_id=counters.run_id,
                             now=datetime.now(UTC), aggregated=source.kind == "aggregator")
            never_stored = outcome.result == "missing" and no_version_of(session, snap.url)
        if never_stored and snap.url in {canonical_url(u) for u in source.urls}:
            # A watched URL that is gone before anything was stored is a config mistake, not a removal
            # (and not an item: a source with only such URLs failed).
            log.error("source %s: %s answered HTTP %s and no version of it is stored (wrong URL?)", source.id,
                      snap.url, snap.status, extra={"spider": spider})
            self._after(batch)
            return item
        counters.count(outcome.result)
        if batch.open:
            batch.note(_Stored(counters, snap.url, outcome.result))
        self._after(batch)
        if outcome.change is not None:
            log.info("%s: %s %s", source.id, outcome.result, snap.url, extra={"spider": spider})
        return item

    def before_ingest(self, session: Any, snap: Snapshot) -> None:
        """Inside the item's transaction, before anything is read: the distributed worker's pipeline
        (crawler.distributed) locks the document here."""

    def close_spider(self, spider: Spider) -> None:
        """What the batch holds is committed before the spider's run is recorded (spider_closed)."""
        ctx: RunContext | None = getattr(spider, "casewatch", None)
        if ctx is not None:
            self._commit(ctx.db.batch(partial(_lost, ctx.db.display_url)))

    def _after(self, batch: Batch) -> None:
        """A full batch is committed now; else within ``BATCH_SECONDS`` of its first item."""
        if len(batch) >= self.batch_items:
            self._commit(batch)
        elif batch.open and self._timer is None:
            from twisted.internet import reactor  # the reactor the runner installed

            self._timer = reactor.callLater(BATCH_SECONDS, self._commit, batch)  # type: ignore[attr-defined]

    def _commit(self, batch: Batch) -> None:
        if self._timer is not None:
            if self._timer.active():
                self._timer.cancel()
            self._timer = None
        batch.commit()


@dataclass(frozen=True)
class _Stored:
    """An item in the open batch: whose counters, which URL, what it counted as (None: not yet)."""

    counters: RunCounters
    url: str
    result: str | None


def _lost(where: str, exc: BaseException, entries: list[_Stored]) -> None:
    """A batch that could not be committed: each of its items is an error, as if it had failed alone."""
    for entry in entries:
        if entry.result is not None:
            entry.counters.uncount(entry.result)
        entry.counters.error(f"{describe_failure(exc, where)} (storing {entry.url})")
