"""Statuses and kinds are checked by the database itself: a misspelt value is refused on both backends."""

from __future__ import annotations

import importlib.util
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from pipeline.store import models
from pipeline.store.models import (
    Base,
    Change,
    CrawlRun,
    Digest,
    Document,
    HealthEvent,
    Review,
    Source,
    Subscriber,
    Version,
)
from pipeline.store.session import MIGRATIONS, Database

pytestmark = pytest.mark.postgres  # a CHECK on PostgreSQL, a trigger on SQLite: both are exercised


def _migration_checks() -> dict[tuple[str, str], tuple[str, ...]]:
    path = MIGRATIONS / "versions" / "0008_status_checks.py"
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CHECKS


def _model_checks() -> dict[tuple[str, str], tuple[str, ...]]:
    """The CHECK constraints the models declare, as (table, column) -> allowed values."""
    found = {}
    for table in Base.metadata.sorted_tables:
        for constraint in table.constraints:
            if constraint.__class__.__name__ == "CheckConstraint":
                column = str(constraint.name).removeprefix(f"ck_{table.name}_")
                found[(table.name, column)] = str(constraint.sqltext)
    return found


def test_models_and_migration_allow_the_same_values() -> None:
    declared = _model_checks()
    migrated = _migration_checks()
    assert set(declared) == set(migrated)
    for (table, column), values in migrated.items():
        assert declared[(table, column)] == f"{column} IN ({', '.join(repr(v) for v in values)})"


def _one_of_each(db: Database, now: datetime) -> None:
    """One valid row in every table with a checked column, each value the code writes at least once."""
    with db.write() as s:
        s.add(Source(id="s", name="S", kind="news", spider="feed", created_at=now, updated_at=now, health="unhealthy"))
        s.flush()
        doc = Document(url="https://x.pe/a", source_id="s", first_seen_at=now, last_checked_at=now, state="removed",
                       relevance_override="irrelevant")
        s.add(doc)
        s.flush()
        version = Version(document_id=doc.id, fetched_at=now, sha256="0" * 64, text="t", raw_body=b"",
                          raw_sha256="0" * 64, http_status=200)
        s.add(version)
        for status in models.RUN_STATUSES:
            s.add(CrawlRun(source_id="s", started_at=now, status=status))
        for kind in models.CHANGE_KINDS:
            s.add(Change(kind=kind, detected_at=now, document=doc, source_id="s", review_state="reviewed"))
        s.flush()
        change_id = s.execute(text("SELECT min(id) FROM changes")).scalar_one()
        for action in models.REVIEW_ACTIONS:
            s.add(Review(change_id=change_id, action=action, actor="ana", created_at=now))
        for kind in models.HEALTH_EVENT_KINDS:
            s.add(HealthEvent(source_id="s", kind=kind, created_at=now))
        sub = Subscriber(email="a@example.org", cases=["juliaca-2023"], created_at=now)
        s.add(sub)
        s.flush()
        for n, (kind, status) in enumerate(zip(models.DIGEST_KINDS, (*models.DIGEST_STATUSES, "sent"), strict=True)):
            s.add(Digest(subscriber_id=sub.id, period=f"p{n}", kind=kind, status=status, created_at=now,
                         message_id=f"<{n}@x>", subject="s", text_body="t", html_body="h"))


def test_every_value_the_code_writes_is_accepted_and_a_misspelt_one_refused(db: Database, now: datetime) -> None:
    _one_of_each(db, now)
    for table, column in _migration_checks():
        with pytest.raises(IntegrityError, match=f"ck_{table}_{column}"), db.write() as s:
            s.execute(text(f"UPDATE {table} SET {column} = 'bogus'"))
    with db.read() as s:  # nothing was changed by the refused updates
        assert s.execute(text("SELECT count(*) FROM crawl_runs WHERE status = 'bogus'")).scalar_one() == 0


def test_a_new_row_with_an_unknown_status_is_refused(db: Database, now: datetime) -> None:
    with db.write() as s:
        s.add(Source(id="s", name="S", kind="news", spider="feed", created_at=now, updated_at=now))
    with pytest.raises(IntegrityError, match="ck_crawl_runs_status"), db.write() as s:
        s.add(CrawlRun(source_id="s", started_at=now, status="finished"))
    with db.write() as s:
        s.add(CrawlRun(source_id="s", started_at=now, status="ok"))


def test_nullable_checked_columns_stay_nullable(db: Database, now: datetime) -> None:
    _one_of_each(db, now)
    with db.write() as s:
        s.execute(text("UPDATE changes SET review_state = NULL"))
        s.execute(text("UPDATE documents SET relevance_override = NULL"))
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM changes WHERE review_state IS NULL")).scalar_one() == 5
