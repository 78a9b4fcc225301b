"""A source's crawl runs as the crawler reports them: opened, finished or refused, with the page
validators a clean run leaves for the next one.

The crawler talks to the pipeline here (and to ``pipeline.ingest`` for each item), never to the store:
what a run row holds, when a source turns unhealthy and which validators survive are the pipeline's
rules, kept beside ``pipeline.health`` and in one transaction per call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.health import update_health
from pipeline.store import fetching
from pipeline.store.batch import Batch
from pipeline.store.documents import get_document
from pipeline.store.errors import describe_failure, is_storage_error
from pipeline.store.fetching import Validators
from pipeline.store.runs import close_stale_runs, get_run, record_failed_run, start_run
from pipeline.store.session import Database, Session
from pipeline.store.shared import lock_document

__all__ = ["Batch", "Database", "FinishedRun", "Validators", "describe_failure", "finish_run", "is_storage_error",
           "known_validators", "lock_document", "never_stored", "open_run", "record_refused", "touch_checked"]

COUNTS = ("pages", "items", "new", "updated", "removed", "restored", "unchanged", "errors")


@dataclass(frozen=True)
class FinishedRun:
    """What a run saw, as the run row keeps it (``counts``: the COUNTS fields)."""

    run_id: int | None
    finished: datetime
    status: str
    counts: Mapping[str, int]
    error: str | None = None
    not_modified: Iterable[str] = ()  # documents that answered "not modified": still there
    pages: Mapping[str, Validators] = field(default_factory=dict)  # listing/feed validators of a clean run


def open_run(db: Database, source_id: str, now: datetime) -> int:
    """A new run for the source; runs a killed crawl left open are closed first."""
    with db.write() as session:
        close_stale_runs(session, source_id, now)
        return start_run(session, source_id, now).id


def finish_run(db: Database, source_id: str, config_sha: str, unhealthy_after: int, run: FinishedRun) -> None:
    """Record the run's outcome, the validators it leaves and the source's health, in one transaction.

    Only a clean run (``ok``) saves listing/feed validators: a feed skipped next time must not hide an
    article that failed to load this time.
    """
    with db.write() as session:
        row = get_run(session, run.run_id or 0)
        if row is not None:
            row.finished_at, row.status = run.finished, run.status
            for name in COUNTS:
                setattr(row, name, run.counts.get(name, 0))
            row.error = run.error
        if not_modified := sorted(run.not_modified):
            fetching.touch_documents(session, not_modified, run.finished)
        if run.status == "ok" and run.pages:
            fetching.save_fetch_states(session, source_id, config_sha, dict(run.pages), run.finished)
        session.flush()
        update_health(session, source_id, unhealthy_after, run.finished, run.run_id)


def record_refused(db: Database, source_id: str, unhealthy_after: int, error: str, now: datetime) -> int:
    """A source whose config its spider refuses: a failed run, so health and `sources` show it."""
    with db.write() as session:
        run = record_failed_run(session, source_id, now, now, error)
        update_health(session, source_id, unhealthy_after, now, run.id)
        return run.id


def known_validators(db: Database, sources: Mapping[str, str]) -> dict[str, dict[str, Validators]]:
    """Source id -> URL -> stored validators, for ``sources`` (id -> config_sha): conditional requests."""
    with db.read() as session:
        return {source_id: fetching.known_validators(session, source_id, sha) for source_id, sha in sources.items()}


def never_stored(session: Session, url: str) -> bool:
    """Whether no version of ``url`` was ever stored (a watched URL gone before its first fetch)."""
    return get_document(session, url) is None


def touch_checked(db: Database, urls: Iterable[str], now: datetime) -> None:
    """Documents a crawl checked and found unchanged ("not modified"): the revisit schedule sees them."""
    with db.write() as session:
        fetching.touch_documents(session, sorted(urls), now)
