"""One scheduler per database: two would crawl every source twice and race on every digest.

SQLite: an exclusive ``flock`` on ``<database file>.scheduler.lock`` (released by the kernel when the
process dies, however it dies). PostgreSQL: a session-level advisory lock keyed on the schema, held
by one dedicated connection for the scheduler's lifetime (released when that session ends).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from pipeline.store.session import Database, DatabaseError


class LockHeld(DatabaseError):
    """Another scheduler already runs on this database."""


def _sqlite_path(db: Database) -> Path | None:
    name = make_url(db.url).database
    return None if not name or name == ":memory:" else Path(name)


@contextmanager
def scheduler_lock(db: Database) -> Iterator[None]:
    """Hold the database's scheduler lock for the ``with`` block, or raise LockHeld at once."""
    if db.is_sqlite:
        with _file_lock(db):
            yield
    else:
        with _advisory_lock(db):
            yield


@contextmanager
def _file_lock(db: Database) -> Iterator[None]:
    path = _sqlite_path(db)
    if path is None:  # an in-memory database cannot be shared anyway
        yield
        return
    lock_path = path.with_name(path.name + ".scheduler.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise LockHeld(f"another casewatch scheduler is already running on {db.display_url} "
                           f"(pid {holder}; lock file {lock_path})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextmanager
def _advisory_lock(db: Database) -> Iterator[None]:
    with db.engine.connect() as conn:
        key = "casewatch-scheduler:" + str(conn.execute(text("SELECT current_schema()")).scalar())
        got = conn.execute(text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": key}).scalar()
        conn.commit()
        if not got:
            holder = conn.execute(text(
                "SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objid::bigint = (hashtext(:k)::bigint & 4294967295) "
                "LIMIT 1"), {"k": key}).scalar()
            raise LockHeld(f"another casewatch scheduler is already running on {db.display_url} "
                           f"(PostgreSQL backend pid {holder or '?'})")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": key})
            conn.commit()
