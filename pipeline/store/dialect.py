"""The SQL that differs between SQLite and PostgreSQL, in one place: accent-free text matching, a look
inside a JSON list, and locks. Every other store module writes SQL both databases run as it is."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
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
