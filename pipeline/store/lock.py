"""One scheduler per database: two would crawl every source twice and race on every digest.

SQLite: an open-file-description lock (``F_OFD_SETLK``) on a byte range of the database file itself,
far past anything SQLite locks. It is tied to the file, not to a path: the same database opened
through a symlink or another path conflicts, deleting a side file changes nothing, and the kernel
releases it when the process dies, however it dies. Who holds it (pid, host, start) is written next
to the database for `status`; the lock, not that note, decides.

PostgreSQL: a session-level advisory lock keyed on the schema, held by one dedicated connection for
the scheduler's lifetime. A connection can be lost (terminated, network, server restart) and the
lock with it, so the holder checks it (``alive``) on a heartbeat and before each job.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from pipeline.store.dialect import (
    holds_named_lock,
    name_session,
    named_lock_holder,
    release_named_lock,
    schema_name,
    try_named_lock,
)
from pipeline.store.session import Database, DatabaseError

LOCK_OFFSET = 1 << 40  # SQLite locks bytes near 1 GiB (its pending byte); nothing of it comes here
OFD = hasattr(fcntl, "F_OFD_SETLK")  # Linux 3.15+
_FLOCK = "hhxxxxqqi4x"  # struct flock on Linux x86-64/arm64: type, whence, start, len, pid


class LockHeld(DatabaseError):
    """Another scheduler already runs on this database."""


class LockLost(DatabaseError):
    """The scheduler's lock went away while it ran (its PostgreSQL connection was terminated)."""


@dataclass(frozen=True)
class Holder:
    """The scheduler holding the lock, as far as it told: pid, host and start time (None: unknown)."""

    pid: int | None
    host: str | None
    started_at: datetime | None


def _sqlite_path(db: Database) -> Path | None:
    name = make_url(db.url).database
    return None if not name or name == ":memory:" else Path(name)


def _info_path(database: Path) -> Path:
    real = database.resolve()
    return real.with_name(real.name + ".scheduler.lock")


def _flock(kind: int) -> bytes:
    return struct.pack(_FLOCK, kind, os.SEEK_SET, LOCK_OFFSET, 1, 0)


class SchedulerLock:
    """What the scheduler holds; ``alive()`` says whether it still does."""

    def alive(self) -> bool:
        return True

    def release(self) -> None:
        return None


class _FileLock(SchedulerLock):
    def __init__(self, fd: int | None) -> None:
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the last descriptor of the description releases the lock
            self.fd = None


class _AdvisoryLock(SchedulerLock):
    def __init__(self, conn: Any, key: str) -> None:
        self.conn, self.key = conn, key
        self._guard = threading.Lock()  # the heartbeat and job threads share one connection
        self.lost = False

    def alive(self) -> bool:
        """Ask the server whether this session still holds the lock; once lost, lost for good (a
        reconnected session would not hold it)."""
        with self._guard:
            if self.lost:
                return False
            try:
                held = holds_named_lock(self.conn, self.key)
                self.conn.commit()
            except Exception:  # terminated, network gone, server restarted: the lock went with it
                held = 0
            self.lost = not held
            return not self.lost

    def release(self) -> None:
        with self._guard:
            if self.lost:
                return
            try:
                release_named_lock(self.conn, self.key)
                self.conn.commit()
            except Exception:  # the session is gone, and the lock with it: nothing left to release
                self.lost = True


@contextmanager
def scheduler_lock(db: Database) -> Iterator[SchedulerLock]:
    """Hold the database's scheduler lock for the ``with`` block, or raise LockHeld at once."""
    lock: SchedulerLock
    if db.is_sqlite:
        lock = _take_file_lock(db)
    else:
        conn = db.engine.connect()
        try:
            lock = _take_advisory_lock(db, conn)
        except BaseException:
            _quietly_close(conn)
            raise
    try:
        yield lock
    finally:
        lock.release()
        if isinstance(lock, _AdvisoryLock):
            _quietly_close(lock.conn)
        elif isinstance(lock, _FileLock) and (path := _sqlite_path(db)) is not None:
            _info_path(path).unlink(missing_ok=True)


def _quietly_close(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # a terminated connection may fail to close; it is gone either way
        pass


def _take_file_lock(db: Database) -> SchedulerLock:
    path = _sqlite_path(db)
    if path is None:  # an in-memory database cannot be shared anyway
        return _FileLock(None)
    fd = os.open(path, os.O_RDWR)
    try:
        if OFD:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_WRLCK))
        else:  # no OFD locks (not Linux): flock on the same file, also tied to the file, not the path
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        holder = sqlite_holder(path)
        who = f"pid {holder.pid} on {holder.host}" if holder and holder.pid else "pid ?"
        raise LockHeld(f"another casewatch scheduler is already running on {db.display_url} ({who})") from None
    note = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": datetime.now(UTC).isoformat()}
    info = _info_path(path)
    tmp = info.with_name(info.name + f".{os.getpid()}")
    tmp.write_text(json.dumps(note), encoding="utf-8")
    tmp.replace(info)
    return _FileLock(fd)


def sqlite_holder(path: Path) -> Holder | None:
    """Who holds the lock on this database file (None: nobody), asked without taking it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        if OFD:  # asked without taking it: a `status` never makes a starting scheduler fail
            held = struct.unpack(_FLOCK, fcntl.fcntl(fd, fcntl.F_OFD_GETLK, _flock(fcntl.F_WRLCK)))[0] != fcntl.F_UNLCK
        else:  # without OFD there is no way to ask: trust the note
            held = _info_path(path).exists()
    finally:
        os.close(fd)
    if not held:
        return None
    try:
        note = json.loads(_info_path(path).read_text(encoding="utf-8"))
        return Holder(int(note["pid"]), str(note["host"]), datetime.fromisoformat(note["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):  # the note is gone or damaged; the lock is not
        return Holder(None, None, None)


APP_NAME = "casewatch scheduler"


def _key(conn: Any) -> str:
    return "casewatch-scheduler:" + schema_name(conn)


def _take_advisory_lock(db: Database, conn: Any) -> SchedulerLock:
    key = _key(conn)
    name = f"{APP_NAME} {os.getpid()}@{socket.gethostname()}"[:63]
    name_session(conn, name)
    got = try_named_lock(conn, key)
    conn.commit()
    if not got:
        holder = _pg_holder(conn, key)
        who = (f"pid {holder.pid} on {holder.host}" if holder and holder.pid
               else "PostgreSQL session of another process")
        raise LockHeld(f"another casewatch scheduler is already running on {db.display_url} ({who})")
    return _AdvisoryLock(conn, key)


def _pg_holder(conn: Any, key: str) -> Holder | None:
    row = named_lock_holder(conn, key)
    conn.commit()
    if row is None:
        return None
    name, started = row
    pid, host = None, None
    if isinstance(name, str) and name.startswith(APP_NAME + " ") and "@" in name:
        who = name[len(APP_NAME) + 1:]
        pid_text, host = who.split("@", 1)
        pid = int(pid_text) if pid_text.isdigit() else None
    return Holder(pid, host, started)


def lock_holder(db: Database) -> Holder | None:
    """The scheduler running on this database (None: none runs), for `status`."""
    if db.is_sqlite:
        path = _sqlite_path(db)
        return sqlite_holder(path) if path is not None else None
    with db.engine.connect() as conn:
        return _pg_holder(conn, _key(conn))
