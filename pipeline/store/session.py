"""One place for the database: engines, units of work, and schema upgrades.

SQLite is tuned for a single-machine daemon that must not lose data: WAL (readers never block the
writer), ``synchronous=FULL`` (a committed change survives power loss), a busy timeout, foreign keys,
and writes that take the lock up front (``BEGIN IMMEDIATE``) so two writers wait instead of failing
mid-transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.exc import IntegrityError as IntegrityError  # re-exported: callers catch a lost race
from sqlalchemy.orm import Session, sessionmaker

from config.redact import redact, redact_url

BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(Exception):
    """A database the user pointed us at cannot be used (bad URL, unreachable, unwritable)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's begin event (below) issue BEGIN; pysqlite's implicit BEGIN is unreliable.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def normalize_url(url: str) -> str:
    """Accept postgres:// and postgresql:// (psycopg 3 is the driver we ship)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str) -> Engine:
    """An engine with the pragmas and transaction behaviour above; creates the SQLite folder."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise DatabaseError(f"invalid database URL {redact_url(url)!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://")
    return create_engine(url, pool_pre_ping=True)


class Database:
    """Engine plus session factories; ``write()`` is the unit of work (commit or roll back whole)."""

    def __init__(self, url: str):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._write = sessionmaker(writer, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; rolled back at the end."""
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: everything inside commits together or not at all."""
        with self._write() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (the only way the schema is created)."""
        from alembic import command

        try:
            with self.engine.begin() as connection:
                cfg = alembic_config(self.url)
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            reason = " ".join(str(exc.orig).split())  # one line: libpq adds a hint on a second line
            raise DatabaseError(redact(f"cannot open database {self.display_url}: {reason}")) from None

    def optimize(self) -> bool:
        """Refresh the planner's statistics (ANALYZE) and, on SQLite, give freed pages back (VACUUM)
        when at least a tenth of the file is free; returns whether it vacuumed.

        Both run outside a transaction (VACUUM cannot run inside one; PostgreSQL's autovacuum
        reclaims space itself, so it only gets ANALYZE). SQLite's VACUUM rewrites the file and holds
        the write lock while it runs, so it runs only when it pays, from the nightly housekeeping.
        """
        from sqlalchemy import text

        if self.is_sqlite:  # the raw connection is in autocommit (isolation_level None, see the pragmas)
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                pages = cursor.execute("PRAGMA page_count").fetchone()[0]
                free = cursor.execute("PRAGMA freelist_count").fetchone()[0]
                vacuum = free * 10 >= pages > 0 and free > 0
                if vacuum:
                    cursor.execute("VACUUM")  # in WAL mode the compacted pages land in the WAL first...
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # ...and reach (shrink) the file here
                cursor.execute("ANALYZE")
                cursor.close()
            finally:
                raw.close()
            return vacuum
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
        return False

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    """An Alembic Config pointing at our migrations, independent of the current directory."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = normalize_url(url)
    return cfg
