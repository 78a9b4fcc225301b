"""What several crawl workers writing to one database need: one writer per document at a time, and
a run's change counts read back from the database (the workers that made them may be gone)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select

from pipeline.store.dialect import advisory_lock, lock_for_transaction
from pipeline.store.models import Change
from pipeline.store.session import Session, make_engine, normalize_url


def lock_document(session: Session, url: str) -> None:
    """Hold ``url``'s document until this transaction ends (PostgreSQL advisory transaction lock).

    Two workers that fetched the same article (reached from two sources) ingest it one after the
    other: the second sees the first's committed document and version, so it records ``unchanged``
    instead of a second document, version or change. The lock ends with the transaction, so a killed
    worker never leaves it held. SQLite takes its write lock up front (BEGIN IMMEDIATE): nothing to do.
    """
    lock_for_transaction(session, url)


def change_counts(session: Session, run_id: int) -> dict[str, int]:
    """Changes recorded under ``run_id``, by kind (new, updated, removed, restored, reverted)."""
    rows = session.execute(select(Change.kind, func.count()).where(Change.run_id == run_id).group_by(Change.kind))
    return {kind: int(n) for kind, n in rows}


STARTUP_KEY = 0x63617365  # one advisory lock id for "a process is migrating or syncing the config"


@contextmanager
def startup_lock(url: str) -> Iterator[None]:
    """One process at a time migrates the schema and mirrors the config into it: N workers and the
    scheduler started together on a fresh PostgreSQL database would otherwise race to create the same
    tables and rows. A session-level advisory lock, so it ends with the process if it dies."""
    if not normalize_url(url).startswith("postgresql"):  # SQLite: one machine, its own locking
        yield
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            with advisory_lock(connection, STARTUP_KEY):
                yield
    finally:
        engine.dispose()
