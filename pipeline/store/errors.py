"""Storage failures as one line that starts with the cause: disk full, read-only, connection lost,
corrupted file. What the operator must fix comes first, then the database or file, then the driver's
own words; never the SQL statement and its parameters (an item's whole text), which SQLAlchemy puts
in its message and which would push the cause past any length limit.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

DISK_FULL = "disk full"
READ_ONLY = "read-only storage"
CONNECTION_LOST = "database connection lost"
CORRUPTED = "corrupted database file"
NO_ACCESS = "permission denied"
IO_ERROR = "disk I/O error"
CANNOT_CONNECT = "cannot connect to the database"
CANNOT_OPEN = "cannot open the database file"
BUSY = "database busy (locked by another process)"
LOW_SPACE = 256 * 1024  # bytes: below this, SQLite's I/O errors are a full disk

# Phrases of SQLite, libpq/psycopg and PostgreSQL's server, lower-cased, first match wins.
_PHRASES: tuple[tuple[str, str], ...] = (
    ("database or disk is full", DISK_FULL),
    ("no space left on device", DISK_FULL),
    ("could not extend file", DISK_FULL),
    ("disk quota exceeded", DISK_FULL),
    ("readonly database", READ_ONLY),
    ("read-only file system", READ_ONLY),
    ("read-only transaction", READ_ONLY),
    ("database disk image is malformed", CORRUPTED),
    ("file is not a database", CORRUPTED),
    ("quick_check", CORRUPTED),
    ("disk i/o error", IO_ERROR),
    ("unable to open database file", CANNOT_OPEN),
    ("database is locked", BUSY),
    ("terminating connection", CONNECTION_LOST),
    ("server closed the connection", CONNECTION_LOST),
    ("connection is closed", CONNECTION_LOST),
    ("connection is lost", CONNECTION_LOST),
    ("consuming input failed", CONNECTION_LOST),
    ("connection already closed", CONNECTION_LOST),
    ("ssl connection has been closed", CONNECTION_LOST),
    ("connection refused", CANNOT_CONNECT),
    ("could not connect", CANNOT_CONNECT),
    ("could not translate host name", CANNOT_CONNECT),
    ("connection failed", CANNOT_CONNECT),
    ("does not exist", CANNOT_CONNECT),  # database "x" / role "y" does not exist
    ("permission denied", NO_ACCESS),
)
_ERRNOS = {errno.ENOSPC: DISK_FULL, errno.EDQUOT: DISK_FULL, errno.EROFS: READ_ONLY, errno.EACCES: NO_ACCESS,
           errno.EPERM: NO_ACCESS, errno.EIO: IO_ERROR}


def _driver_error(exc: BaseException) -> BaseException:
    """The DB-API exception under SQLAlchemy's wrapper (``.orig``), else ``exc`` itself."""
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


def storage_cause(exc: BaseException) -> str | None:
    """The cause of a storage failure (one of the constants above), or None if ``exc`` is not one."""
    inner = _driver_error(exc)
    if isinstance(inner, OSError) and inner.errno in _ERRNOS:
        return _ERRNOS[inner.errno]
    if not is_storage_error(exc):
        return None
    message = str(inner).lower()
    return next((cause for phrase, cause in _PHRASES if phrase in message), None)


def is_storage_error(exc: BaseException) -> bool:
    """A failure of the database or the disk under it (not a bug in our code, not a lost race)."""
    from sqlalchemy import exc as sa

    inner = _driver_error(exc)
    if isinstance(exc, sa.IntegrityError | sa.ProgrammingError):
        return False
    if isinstance(exc, sa.OperationalError | sa.DatabaseError | sa.InterfaceError):
        return True
    if isinstance(inner, sqlite3.DatabaseError | sqlite3.InterfaceError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg ships with casewatch
        return isinstance(inner, OSError) and inner.errno in _ERRNOS
    return isinstance(inner, psycopg.OperationalError) or (isinstance(inner, OSError) and inner.errno in _ERRNOS)


def storage_error_line(exc: BaseException, where: str) -> str:
    """``<cause>: <database or file>: <the driver's first line>``; ``where`` names the database."""
    inner = _driver_error(exc)
    if isinstance(inner, OSError) and inner.filename:
        where = str(inner.filename)
    detail = inner.strerror if isinstance(inner, OSError) and inner.strerror else _first_line(inner)
    cause = storage_cause(exc) or "database error"
    if cause in (IO_ERROR, CANNOT_OPEN, "database error") and where.startswith("sqlite:///"):
        # SQLite says "disk I/O error" or "unable to open" when a full or read-only disk leaves no room
        # for its WAL index (-shm): the file system says which
        folder = Path(where[len("sqlite:///"):]).parent
        try:
            stats = os.statvfs(folder)
        except OSError:
            stats = None
        if stats is not None and stats.f_flag & os.ST_RDONLY:
            cause, detail = READ_ONLY, f"{detail}; {folder} is on a read-only file system"
        elif stats is not None and stats.f_bavail * stats.f_frsize < LOW_SPACE:
            cause, detail = DISK_FULL, f"{detail}; {stats.f_bavail * stats.f_frsize} bytes free in {folder}"
    return f"{cause}: {where}: {detail}"


def describe_failure(exc: BaseException, where: str | None = None) -> str:
    """One line for any exception, cause first: a storage failure as ``storage_error_line``, anything
    else as ``Type: first line`` (never SQLAlchemy's SQL-and-parameters tail)."""
    if is_storage_error(exc):
        return storage_error_line(exc, where or "the database")
    return f"{type(exc).__name__}: {_first_line(_driver_error(exc))}"
