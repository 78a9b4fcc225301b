"""One place for the database: engines, units of work, and schema upgrades.

SQLite is tuned for a single-machine daemon that must not lose data: WAL (readers never block the
writer), ``synchronous=FULL`` (a committed change survives power loss), a busy timeout, foreign keys,
and writes that take the lock up front (``BEGIN IMMEDIATE``) so two writers wait instead of failing
mid-transaction.
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import IntegrityError as IntegrityError  # re-exported: callers catch a lost race
from sqlalchemy.orm import Session, sessionmaker

from config.redact import redact_url
from pipeline.store.batch import Batch, LostBatch
from pipeline.store.errors import storage_error_line

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).with_name("migrations")
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()  # every engine of this process, for close_idle_connections


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


def make_engine(url: str, *, create_folder: bool = True) -> Engine:
    """An engine with the pragmas and transaction behaviour above. The SQLite file's folder is created
    when ``create_folder`` (the default location); otherwise a missing folder is a DatabaseError, so a
    mistyped ``--db`` never quietly creates a database somewhere else."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise DatabaseError(f"invalid database URL {redact_url(url)!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            if create_folder:
                folder.mkdir(parents=True, exist_ok=True)
            elif not folder.is_dir():
                raise DatabaseError(f"database folder {str(folder.absolute())!r} does not exist "
                                    f"(create it, or correct the URL {redact_url(url)!r})")
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True)
    else:
        raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://")
    _ENGINES.add(engine)
    return engine


def close_idle_connections() -> None:
    """Close the pooled connections of every engine this process made (a connection in use is left
    alone, and nothing is committed): what the interpreter's shutdown does through the garbage
    collector, for a process that ends without it (casewatch.quickexit). A SQLite connection closed
    by the last user of the file checkpoints the WAL and removes it."""
    for engine in list(_ENGINES):
        engine.dispose()


class Database:
    """Engine plus session factories; ``write()`` is the unit of work (commit or roll back whole)."""

    def __init__(self, url: str, *, create_folder: bool = True):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, create_folder=create_folder)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._write = sessionmaker(writer, expire_on_commit=False)
        self._batch: Batch | None = None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; rolled back at the end."""
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: everything inside commits together or not at all (after this process's
        open batch, whose SQLite write lock it would otherwise wait for)."""
        if self._batch is not None:
            self._batch.commit()
        with self._write() as session, session.begin():
            yield session

    def batch(self, on_lost: LostBatch) -> Batch:
        """This database's batch of item writes (pipeline.store.batch), made on first use; ``on_lost``
        hears of a batch that could not be committed."""
        if self._batch is None:
            self._batch = Batch(self._write, on_lost)
        return self._batch

    def commit_batch(self) -> None:
        """Commit this process's open batch of item writes, if any (a crawl's end)."""
        if self._batch is not None:
            self._batch.commit()

    def shrink_wal(self) -> None:
        """SQLite: copy the write-ahead log into the database and truncate it, if nobody is using the
        database at this moment (never waits). A crawl's writes grow the WAL file to several MB that
        stay on disk until the next checkpoint that truncates; housekeeping did that only nightly."""
        path = make_url(self.url).database if self.is_sqlite else None
        if not path or path == ":memory:":
            return
        import sqlite3

        try:
            connection = sqlite3.connect(path, timeout=0)
            try:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                connection.close()
        except sqlite3.Error as exc:  # busy (another process reads or writes): the next one will do it
            log.debug("WAL not truncated: %s", exc)

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (the only way the schema is created)."""
        self.check_file()
        if self.at_head():
            return
        from alembic import command

        try:
            with self.engine.begin() as connection:
                cfg = alembic_config(self.url)
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise DatabaseError(storage_error_line(exc, self.display_url)) from None

    def at_head(self) -> bool:
        """Whether the schema is already at the one head migration: every crawl process opens the
        database, and loading Alembic and its scripts to learn that nothing is to be done cost a
        third of a crawl's start-up. Any doubt (no table, several heads, an error) says False."""
        heads = migration_heads()
        if len(heads) != 1:
            return False
        from sqlalchemy import text

        try:
            connection = self.engine.connect()
        except OperationalError as exc:  # the same line the migration would give, without a second attempt
            raise DatabaseError(storage_error_line(exc, self.display_url)) from None
        with connection:
            try:
                current = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            except SQLAlchemyError:
                return False
        return current == list(heads)

    def check_file(self) -> None:
        """SQLite: ``PRAGMA quick_check`` on an existing file, read-only, before anything writes to it.

        A damaged file is refused with one line and left exactly as it is (no journal-mode switch, no
        migration), so a backup or a recovery tool still sees what was there.
        """
        if not self.is_sqlite:
            return
        path = make_url(self.url).database
        if not path or path == ":memory:":
            return
        fstype = filesystem_type(Path(path).parent)
        if fstype in NETWORK_FILESYSTEMS:
            raise DatabaseError(f"database folder {Path(path).parent.absolute()} is on a network file system "
                                f"({fstype}), where SQLite's locks do not hold and the file can be corrupted: "
                                "put it on a local disk, or use PostgreSQL (DATABASE_URL=postgresql://...)")
        if not Path(path).is_file() or Path(path).stat().st_size == 0:
            return
        problem = quick_check(Path(path))
        if problem is not None:
            raise DatabaseError(f"database file {path} is corrupted ({problem}): it was left untouched; "
                                "restore it from a backup")

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
        return display_url(self.url)

    def dispose(self) -> None:
        if self._batch is not None:
            self._batch.commit()
        self.engine.dispose()


def sqlite_folder(url: str) -> Path | None:
    """The folder of a SQLite database file, None for PostgreSQL, memory or an unparsable URL."""
    try:
        parsed = make_url(normalize_url(url))
    except (ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).parent


MOUNTS = Path("/proc/self/mounts")
NETWORK_FILESYSTEMS = frozenset({"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre",
                                 "gpfs", "davfs", "fuse.sshfs", "fuse.glusterfs", "fuse.s3fs", "fuse.rclone"})


def filesystem_type(folder: Path) -> str | None:
    """The type of the file system holding ``folder`` (the longest mount point above it), from
    ``MOUNTS``; None when the mount table cannot be read (not Linux)."""
    try:
        table = MOUNTS.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    target = folder.absolute().resolve()
    best: tuple[int, str] | None = None
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = Path(fields[1].replace("\\040", " ").replace("\\011", "\t"))
        if (mount == target or mount in target.parents) and (best is None or len(mount.parts) >= best[0]):
            best = (len(mount.parts), fields[2])
    return best[1] if best else None


def display_url(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    return make_url(normalize_url(url)).render_as_string(hide_password=True)


def quick_check(path: Path) -> str | None:
    """``PRAGMA quick_check`` on a read-only connection: None when sound, else the first problem.

    Only damage counts: a file that cannot be read for another reason (a full disk that leaves no room
    for the WAL index, permissions) is left to the normal open, which names that cause.
    """
    import sqlite3

    try:
        connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            rows = connection.execute("PRAGMA quick_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        return str(exc) if isinstance(exc, sqlite3.DatabaseError) and _damaged(exc) else None
    first = " ".join(str(rows[0][0]).split()) if rows else "no answer"
    return None if first == "ok" else f"quick_check: {first}" + (f" (+{len(rows) - 1} more)" if len(rows) > 1 else "")


def _damaged(exc: Exception) -> bool:
    message = str(exc).lower()
    return "malformed" in message or "not a database" in message or "corrupt" in message


_REVISION = re.compile(r"^revision(?:\s*:\s*[^=]+)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:\s*:\s*[^=]+)?\s*=\s*(?:None|['\"]([^'\"]+)['\"])\s*$", re.MULTILINE)


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The revisions no migration builds on, read from the scripts' text (not through Alembic); empty
    when a script does not read plainly (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN.search(source)
        if len(revision) != 1 or down is None:
            return frozenset()
        revisions.add(revision[0])
        if down.group(1):
            parents.add(down.group(1))
    return frozenset(revisions - parents)


def alembic_config(url: str) -> Any:
    """An Alembic Config pointing at our migrations, independent of the current directory."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = normalize_url(url)
    return cfg
