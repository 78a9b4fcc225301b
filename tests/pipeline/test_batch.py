"""Item writes in batches (pipeline.store.batch): one commit for many items, each item still alone in
failure, nothing of a lost batch stored; and the start-up and WAL helpers of ``Database``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, text

from pipeline.store.models import Story
from pipeline.store.session import Database, migration_heads
from pipeline.store.stories import add_story

NOW = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)


def _titles(db: Database) -> list[str]:
    with db.read() as s:
        return sorted(s.scalars(select(Story.title)))


class Lost:
    def __init__(self) -> None:
        self.calls: list[tuple[BaseException, list[Any]]] = []

    def __call__(self, exc: BaseException, entries: list[Any]) -> None:
        self.calls.append((exc, entries))


def test_a_batch_commits_its_items_together_and_a_failing_item_alone(db: Database) -> None:
    lost = Lost()
    batch = db.batch(lost)
    with batch.item("a") as session:
        add_story(session, "a", NOW)
    with pytest.raises(RuntimeError), batch.item("b") as session:
        add_story(session, "b", NOW)
        raise RuntimeError("this item fails")
    with batch.item("c") as session:
        add_story(session, "c", NOW)
    assert _titles(db) == []  # not committed yet: another connection sees nothing
    assert batch.entries == ["a", "c"]
    batch.commit()
    assert _titles(db) == ["a", "c"] and not batch.open and lost.calls == []


def test_another_unit_of_work_commits_the_open_batch_first(db: Database) -> None:
    """On SQLite the batch holds the write lock: a write of the same process must not wait for it."""
    batch = db.batch(Lost())
    with batch.item("a") as session:
        add_story(session, "batched", NOW)
    with db.write() as session:
        add_story(session, "alone", NOW)
    assert _titles(db) == ["alone", "batched"] and not batch.open


def test_a_batch_that_cannot_commit_is_reported_and_stores_nothing(pg_url: str) -> None:
    db = Database(pg_url)
    db.upgrade()
    try:
        lost = Lost()
        batch = db.batch(lost)
        with batch.item("first") as session:
            add_story(session, "first", NOW)
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with batch.item("second") as session:
            add_story(session, "second", NOW)
        plain = pg_url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        batch.commit()
        [(exc, entries)] = lost.calls
        assert entries == ["first", "second"] and "terminat" in str(exc).lower()
        assert _titles(db) == [] and not batch.open
        with batch.item("again") as session:  # the next batch works on a new connection
            add_story(session, "again", NOW)
        batch.commit()
        assert _titles(db) == ["again"]
    finally:
        db.dispose()


def test_at_head_skips_alembic_only_when_the_schema_is_current(db: Database) -> None:
    assert migration_heads() and db.at_head()
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert not db.at_head()


def test_a_fresh_database_is_not_at_head(db_url: str) -> None:
    fresh = Database(db_url)
    try:
        assert not fresh.at_head()
        fresh.upgrade()
        assert fresh.at_head()
    finally:
        fresh.dispose()


def test_shrink_wal_truncates_the_log_of_a_sqlite_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'casewatch.db'}")
    db.upgrade()
    try:
        for n in range(50):
            with db.write() as session:
                add_story(session, f"story {n} " + "x" * 2000, NOW)
        wal = tmp_path / "casewatch.db-wal"  # the pool's idle connection keeps it (no snapshot held)
        assert wal.stat().st_size > 0
        db.shrink_wal()
        assert wal.stat().st_size == 0
        assert len(_titles(db)) >= 50
    finally:
        db.dispose()
