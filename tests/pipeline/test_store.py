"""The schema comes only from migrations, and the models never drift from them."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from pipeline.store.session import Database, alembic_config

pytestmark = pytest.mark.postgres  # migrations and the schema on both databases


def test_migrations_match_models(db: Database) -> None:
    command.check(alembic_config(db.url))  # raises if autogenerate would find a difference
    tables = set(inspect(db.engine).get_table_names())
    assert {"sources", "documents", "versions", "changes", "change_cases", "crawl_runs", "subscribers",
            "digests", "digest_items", "alembic_version"} <= tables


def test_upgrade_is_idempotent(db: Database) -> None:
    head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
    db.upgrade()
    with db.read() as s:
        assert s.execute(text("select version_num from alembic_version")).scalar_one() == head


def test_upgrade_from_first_release_keeps_data(tmp_path) -> None:
    """A database made by 0001 with a document in it upgrades to head without losing the row."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    db = Database(url)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("insert into sources (id, name, kind, spider, enabled, created_at, updated_at) "
                             "values ('s', 'S', 'news', 'feed', 1, '2026-01-01', '2026-01-01')")
        conn.exec_driver_sql("insert into documents (url, source_id, title, first_seen_at, last_checked_at, "
                             "state, missing_count, pinned) values ('https://x.pe/a', 's', 'T', '2026-01-01', "
                             "'2026-01-01', 'active', 0, 0)")
    db.upgrade()
    with db.engine.connect() as conn:
        row = conn.exec_driver_sql("select url, outlet, etag from documents").one()
        health = conn.exec_driver_sql("select health from sources").scalar_one()
    assert tuple(row) == ("https://x.pe/a", "", None)
    assert health == "healthy"


def test_sqlite_is_durable_and_concurrent(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    db.upgrade()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_unique_digest_per_subscriber_and_period(db: Database, now) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    from pipeline.store.models import Digest, Subscriber

    with db.write() as s:
        sub = Subscriber(email="a@example.org", cases=["juliaca-2023"], created_at=now)
        s.add(sub)
        s.flush()
        s.add(Digest(subscriber_id=sub.id, period="daily:2026-11-27", created_at=now, message_id="<1@x>",
                     subject="s", text_body="t", html_body="h"))
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(Digest(subscriber_id=sub.id, period="daily:2026-11-27", created_at=now, message_id="<2@x>",
                     subject="s", text_body="t", html_body="h"))


def test_story_candidates_are_read_from_the_signed_changes_index(db: Database) -> None:
    """A relevant new report reads its story candidates from ix_changes_signed (only the signed
    reports), not by visiting every change of the window row by row."""
    from datetime import UTC, datetime

    from sqlalchemy import event

    from pipeline.store.stories import candidate_keys

    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.read() as s:
            assert candidate_keys(s, datetime(2026, 1, 1, tzinfo=UTC), 2000) == []
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = next((st, p) for st, p in seen if "FROM changes" in st)
    with db.engine.connect() as connection:
        if not db.is_sqlite:
            connection.exec_driver_sql("SET enable_seqscan = off")  # an empty table: judge the index, not the size
        explain = "EXPLAIN QUERY PLAN" if db.is_sqlite else "EXPLAIN"
        plan = " ".join(str(row) for row in connection.exec_driver_sql(f"{explain} {statement}", parameters))
    assert "ix_changes_signed" in plan
