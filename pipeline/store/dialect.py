"""The SQL that differs between SQLite and PostgreSQL, in one place: accent-free text matching, a look
inside a JSON list, and PostgreSQL's advisory locks (a document's writer, the start-up, the scheduler's
lock and who holds it). Every other store module writes SQL both databases run as it is; SQLite's
connection set-up (pragmas, BEGIN IMMEDIATE) stays with the engine in session.py."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, func, text
from sqlalchemy.orm import Session

# PostgreSQL's side of accent-insensitive search (SQLite gets textkit.fold itself).
_ACCENTED, _PLAIN = "áàâäãåéèêëíìîïóòôöõúùûüñçý", "aaaaaaeeeeiiiiooooouuuuncy"


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def folded(session: Session, column: Any) -> ColumnElement[str]:
    """``column`` lower-cased without accents, the same way on SQLite (a Python function) and PostgreSQL."""
    if is_sqlite(session):
        from textkit import fold

        raw = session.connection().connection.driver_connection
        raw.create_function("casewatch_fold", 1, lambda v: fold(v) if isinstance(v, str) else v,  # type: ignore[union-attr]
                            deterministic=True)
        return cast(ColumnElement[str], func.casewatch_fold(column))
    return cast(ColumnElement[str], func.translate(func.lower(column), _ACCENTED, _PLAIN))


def has_milestone(session: Session, milestone: str) -> ColumnElement[bool]:
    """Milestones are a JSON list of objects: look inside it in SQL, so pages and totals stay exact."""
    if is_sqlite(session):
        clause = text("EXISTS (SELECT 1 FROM json_each(changes.milestones) AS m "
                      "WHERE json_extract(m.value, '$.type') = :cw_milestone)")
    else:
        clause = text("EXISTS (SELECT 1 FROM json_array_elements(CASE WHEN json_typeof(changes.milestones) = 'array' "
                      "THEN changes.milestones ELSE CAST('[]' AS json) END) AS m WHERE m->>'type' = :cw_milestone)")
    return cast(ColumnElement[bool], clause.bindparams(cw_milestone=milestone))


def lock_for_transaction(session: Session, name: str) -> None:
    """Hold ``name`` until this transaction ends: a PostgreSQL advisory transaction lock, which ends with
    the transaction (a killed worker never leaves it held). SQLite takes its write lock up front (BEGIN
    IMMEDIATE): nothing to do."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@contextmanager
def advisory_lock(connection: Connection, key: int) -> Iterator[None]:
    """Hold PostgreSQL's session-level advisory lock ``key`` for the block; it ends with the connection
    if the process dies."""
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
    try:
        yield
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


# PostgreSQL's named session locks (the scheduler's): keyed by ``hashtext(name)``, which pg_locks shows
# as the lock's low 32 bits (``objid``).
_NAMED_LOCK = "l.locktype = 'advisory' AND l.granted AND l.objid::bigint = (hashtext(:k)::bigint & 4294967295)"


def schema_name(connection: Connection) -> str:
    return str(connection.execute(text("SELECT current_schema()")).scalar())


def name_session(connection: Connection, name: str) -> None:
    """Show ``name`` as this session's application_name (pg_stat_activity), so a holder can be named."""
    connection.execute(text("SELECT set_config('application_name', :n, false)"), {"n": name})


def try_named_lock(connection: Connection, name: str) -> bool:
    """Take the session-level lock ``name`` if nobody holds it; never waits."""
    return bool(connection.execute(text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": name}).scalar())


def holds_named_lock(connection: Connection, name: str) -> bool:
    """Whether this very session still holds ``name`` (a terminated session's lock went with it)."""
    return bool(connection.execute(text(f"SELECT count(*) FROM pg_locks l WHERE {_NAMED_LOCK} "
                                        "AND l.pid = pg_backend_pid()"), {"k": name}).scalar())


def release_named_lock(connection: Connection, name: str) -> None:
    connection.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": name})


def named_lock_holder(connection: Connection, name: str) -> tuple[Any, datetime] | None:
    """(application_name, session start) of the session holding ``name``; None when nobody does."""
    row = connection.execute(text(
        "SELECT a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        f"WHERE {_NAMED_LOCK} LIMIT 1"), {"k": name}).first()
    return (row[0], row[1]) if row is not None else None
