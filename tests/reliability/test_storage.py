"""Catalogue section C, storage durability: C1-C5 and C9 (C6-C8 are in test_storage_faults.py)."""

from __future__ import annotations

import signal
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from casewatch.app import App
from pipeline.store import session as store_session
from pipeline.store.models import Change, Mark, Version
from pipeline.store.session import Database, DatabaseError, filesystem_type
from tests.reliability.test_storage_faults import Blocker, _start, counts, page, sources
from tests.support.cli import run_cli
from tests.support.crawl import crawl, stored, write_config
from tests.support.httpserver import LocalHTTPServer

pytestmark = pytest.mark.postgres  # storage faults differ per database


@pytest.fixture
def server() -> LocalHTTPServer:
    with LocalHTTPServer() as srv:
        srv.set_route("/p0", body=page(0, 1, sentences=40))
        yield srv


@pytest.mark.slow
def test_C1_kill_between_the_version_and_its_change(pg_url: str, server: LocalHTTPServer, tmp_path: Path) -> None:
    """SIGKILL while the crawl's transaction has inserted the new version and waits to insert its
    change (a table lock the test holds): neither is stored; the rerun records the change once."""
    config = write_config(tmp_path, sources(server)[:1])
    assert crawl(config, pg_url).returncode == 0
    before = counts(pg_url)
    server.set_route("/p0", body=page(0, 2, sentences=40))
    name = f"cw-{uuid.uuid4().hex[:10]}"
    blocker = Blocker(pg_url, "changes", mode="EXCLUSIVE")  # reads pass, the INSERT waits
    log = tmp_path / "crawl.log"
    proc = None
    try:
        proc = _start(["--config", str(config), "--db", f"{pg_url}&application_name={name}", "crawl"], log,
                      tmp_path / "var")
        from tests.support.cli import wait_for

        def inserting_the_change() -> str | None:
            row = blocker.admin.execute("SELECT query FROM pg_stat_activity WHERE application_name = %s AND "
                                        "wait_event_type = 'Lock'", (name,)).fetchone()
            return row[0] if row else None

        query = wait_for(inserting_the_change, proc=proc, timeout=90, what="the change insert to wait", log=log)
        assert query.lstrip().upper().startswith("INSERT INTO CHANGES"), query
        proc.send_signal(signal.SIGKILL)  # the process this test started
        assert proc.wait(timeout=30) == -signal.SIGKILL
        blocker.holder.rollback()
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        blocker.close()
    assert counts(pg_url) == before  # the version went with its change: neither is stored
    assert crawl(config, pg_url).returncode == 0
    kept = stored(pg_url, server.url("/p0"))
    assert len(kept.versions) == 2 and kept.changes == ["new", "updated"]
    assert crawl(config, pg_url).returncode == 0 and stored(pg_url, server.url("/p0")).changes == ["new", "updated"]


def test_C2_sqlite_commits_with_synchronous_full_on_every_connection(tmp_path: Path) -> None:
    """Power loss cannot be simulated here; what makes a commit survive it is asserted instead:
    every connection of the application's database (readers and writers) runs synchronous=FULL
    in WAL mode."""
    app = App(config_dir=Path(__file__).parents[2] / "config", db_url=f"sqlite:///{tmp_path / 'c.db'}")
    db = app.db
    try:
        with db.read() as session:
            assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        with db.write() as session:
            assert session.execute(text("PRAGMA synchronous")).scalar() == 2
    finally:
        db.dispose()


def test_C3_two_writers_reading_first_never_hit_database_is_locked(tmp_path: Path) -> None:
    """Two writers, each reading before it writes, at the same moment: the second waits for the first
    (BEGIN IMMEDIATE takes the write lock up front), neither fails with "database is locked"."""
    db = Database(f"sqlite:///{tmp_path / 'c.db'}")
    db.upgrade()
    begins: list[str] = []
    event.listen(db.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: begins.append(statement) if statement.startswith("BEGIN") else None)
    first_in, errors = threading.Event(), []

    def writer(name: str, hold: threading.Event | None) -> None:
        try:
            with db.write() as session:
                session.scalar(select(func.count()).select_from(Mark))  # the read before the write
                if hold is not None:
                    first_in.set()
                    hold.wait(30)
                session.add(Mark(name=name, at=datetime.now(UTC), value=name))
        except Exception as exc:
            errors.append(exc)

    release = threading.Event()
    one = threading.Thread(target=writer, args=("uno", release))
    one.start()
    assert first_in.wait(30)
    two = threading.Thread(target=writer, args=("dos", None))  # blocks at BEGIN IMMEDIATE while uno holds it
    two.start()
    release.set()
    one.join(60)
    two.join(60)
    assert errors == []
    with db.read() as session:
        assert sorted(session.scalars(select(Mark.name).where(Mark.name.in_(("uno", "dos"))))) == ["dos", "uno"]
    assert begins.count("BEGIN IMMEDIATE") >= 2
    db.dispose()


def test_C4_a_read_session_sees_one_snapshot_on_sqlite_read_committed_on_postgresql(db_url: str) -> None:
    """Documented behaviour: a ``Database.read()`` session is one transaction. On SQLite (BEGIN emitted
    explicitly, WAL) two SELECTs see the same snapshot while another connection commits; PostgreSQL
    runs READ COMMITTED, so the second SELECT sees the commit. No code relies on a repeatable read."""
    db = Database(db_url)
    db.upgrade()
    other = Database(db_url)
    try:
        with db.read() as session:
            first = session.scalar(select(func.count()).select_from(Mark))
            with other.write() as writer:
                writer.add(Mark(name="otra", at=datetime.now(UTC), value="x"))
            second = session.scalar(select(func.count()).select_from(Mark))
        assert second == (first if db.is_sqlite else first + 1)
        if not db.is_sqlite:
            with db.read() as session:
                assert session.execute(text("SHOW transaction_isolation")).scalar() == "read committed"
    finally:
        other.dispose()
        db.dispose()


NFS_MOUNTS = """sysfs /sys sysfs rw,nosuid 0 0
/dev/sda1 / ext4 rw,relatime 0 0
nas:/export/casewatch {folder} nfs4 rw,relatime,vers=4.2 0 0
"""


def test_C5_a_sqlite_file_on_a_network_file_system_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No NFS server here: the real mount table decides for local folders, and a table naming the
    test's folder as NFS shows the refusal (one line naming the folder and the file system)."""
    assert filesystem_type(tmp_path) not in store_session.NETWORK_FILESYSTEMS
    folder = tmp_path / "nas"
    folder.mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(NFS_MOUNTS.format(folder=str(folder).replace(" ", "\\040")), encoding="utf-8")
    monkeypatch.setattr(store_session, "MOUNTS", mounts)
    assert filesystem_type(folder / "sub") == "nfs4" and filesystem_type(tmp_path) == "ext4"
    db = Database(f"sqlite:///{folder / 'c.db'}")
    with pytest.raises(DatabaseError) as refused:
        db.upgrade()
    assert str(refused.value).startswith(f"database folder {folder} is on a network file system (nfs4)")
    assert not (folder / "c.db").exists()
    db.dispose()
    # and through the command line, with the real mount table: a local folder is accepted
    assert run_cli("--db", f"sqlite:///{tmp_path / 'local.db'}", "sources").returncode == 0


@pytest.mark.slow
def test_C9_the_same_content_twice_is_one_version(db_url: str, server: LocalHTTPServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, sources(server)[:1])
    for _ in range(3):
        assert crawl(config, db_url).returncode == 0
    kept = stored(db_url, server.url("/p0"))
    assert len(kept.versions) == 1 and kept.changes == ["new"]
    db = Database(db_url)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 1
        assert session.scalar(select(func.count()).select_from(Change)) == 1
    db.dispose()
