"""One scheduler per database, checked while held.

PostgreSQL: when the lock's backend is terminated, the first scheduler starts no further job (it
checks the lock before each job and on a heartbeat) and stops with one clear line; a second one
started meanwhile runs alone, and no digest is built or sent twice. SQLite: the lock is on the
database file itself, so a symlink to it, or a deleted lock note, still refuses a second scheduler.
"""

from __future__ import annotations

import signal
import socket
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from casewatch.demo_site import ReplicaSite
from casewatch.scheduler import DIGEST_TICK_ENV, HEARTBEAT_ENV
from pipeline.store.models import CrawlRun, Digest
from pipeline.store.session import Database
from tests.conftest import PG_URL
from tests.support.cli import outbox_messages, replica_config, run_cli, wait_for
from tests.support.hanging import Started, hanging_config, hanging_site, start

pytestmark = pytest.mark.postgres  # locks: SQLite's file lock and PostgreSQL's advisory lock

__all__ = ["hanging_site"]  # a fixture


def _refused(result: object) -> None:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 1 and "Traceback" not in stderr, stderr  # type: ignore[attr-defined]
    assert stderr.startswith("casewatch: another casewatch scheduler is already running on "), stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


@pytest.mark.slow
def test_sqlite_lock_is_on_the_file_not_the_path(tmp_path: Path, hanging_site: str) -> None:
    config = hanging_config(tmp_path, hanging_site, parallel=1, count=1)
    db = tmp_path / "data" / "c.db"
    db.parent.mkdir()
    assert run_cli("--config", str(config), "--db", f"sqlite:///{db}", "init").returncode == 0
    first = start(tmp_path, config, f"sqlite:///{db}", "first")
    try:
        wait_for(lambda: "watching 1 sources" in first.log.read_text(encoding="utf-8"), proc=first.proc, timeout=60,
                 what="the first scheduler", log=first.log)
        link = tmp_path / "elsewhere" / "link.db"
        link.parent.mkdir()
        link.symlink_to(db)
        env = {"CASEWATCH_VAR_DIR": str(tmp_path / "var2")}
        _refused(run_cli("--config", str(config), "--db", f"sqlite:///{link}", "run", env=env, timeout=60))
        note = db.with_name("c.db.scheduler.lock")
        assert str(first.proc.pid) in note.read_text(encoding="utf-8")
        note.unlink()  # an operator "cleans up" the lock file: the lock itself stays
        _refused(run_cli("--config", str(config), "--db", f"sqlite:///{db}", "run", env=env, timeout=60))
        _refused(run_cli("--config", str(config), "--db", f"sqlite:///{link}", "run", "--once", env=env, timeout=60))
    finally:
        first.proc.send_signal(signal.SIGTERM)
        assert first.proc.wait(timeout=30) == 0, first.log.read_text(encoding="utf-8")


def _lock_backend(plain: str, scheduler_pid: int) -> int:
    with psycopg.connect(plain, autocommit=True) as conn:
        row = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                           (f"casewatch scheduler {scheduler_pid}@{socket.gethostname()}"[:63],)).fetchone()
    assert row is not None, "the scheduler's lock connection names itself"
    return int(row[0])


def _terminate(plain: str, backend: int) -> float:
    """Terminate the backend and return the moment it is gone (no query can use it after that)."""
    with psycopg.connect(plain, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (backend,)).fetchone() == (True,)
        while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone():
            time.sleep(0.01)
    return time.monotonic()


def _digests(db: Database) -> list[Digest]:
    with db.read() as s:
        return list(s.scalars(select(Digest).where(Digest.kind == "digest")))


@pytest.mark.slow
def test_postgresql_lock_lost_stops_the_first_scheduler_and_the_second_runs_alone(pg_url: str,
                                                                                   tmp_path: Path) -> None:
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    var = tmp_path / "var"
    env = {HEARTBEAT_ENV: "0.5", DIGEST_TICK_ENV: "1"}
    db = Database(pg_url)
    with ReplicaSite() as site:
        config = replica_config(tmp_path, site.base)
        assert run_cli("--config", str(config), "--db", pg_url, "crawl",
                       env={"CASEWATCH_VAR_DIR": str(var)}).returncode == 0
        with db.write() as s:  # the last crawl was three days ago: the first tick builds a catch-up digest
            for run in s.scalars(select(CrawlRun)):
                run.started_at -= timedelta(days=3)
                run.finished_at = run.finished_at and run.finished_at - timedelta(days=3)
        first = start(tmp_path, config, pg_url, "first", **env)
        try:
            built = wait_for(lambda: _digests(db), proc=first.proc, timeout=60, what="the catch-up digest",
                             log=first.log)
            wait_for(lambda: len(outbox_messages(var)) == len(built), proc=first.proc, timeout=30,
                     what="the digest delivered", log=first.log)
            gone = _terminate(plain, _lock_backend(plain, first.proc.pid))
            second = start(tmp_path, config, pg_url, "second", **env)
            code = first.proc.wait(timeout=30)
            wait_for(lambda: "watching 3 sources" in second.log.read_text(encoding="utf-8"), proc=second.proc,
                     timeout=60, what="the second scheduler", log=second.log)
            # The second runs alone: a few of its digest ticks pass, then it stops normally.
            wait_for(lambda: len([e for _, e in second.trace() if e == "job digest"]) >= 3, proc=second.proc,
                     timeout=60, what="three digest ticks of the second scheduler", log=second.log)
        finally:
            for run in (first, locals().get("second")):
                if isinstance(run, Started) and run.proc.poll() is None:
                    run.proc.send_signal(signal.SIGTERM)
                    run.proc.wait(timeout=30)
        assert second.proc.returncode == 0, second.log.read_text(encoding="utf-8")
    text = first.log.read_text(encoding="utf-8")
    assert code == 1 and "Traceback" not in text, text
    [line] = [line for line in text.splitlines() if line.startswith("casewatch: ")]
    assert "scheduler lock was lost" in line and "stopped" in line, line
    late = [(t, e) for t, e in first.trace() if e.startswith(("job", "launch")) and t > gone]
    assert late == [], f"jobs started after the lock was gone: {late}"
    # No digest built or delivered twice.
    digests = _digests(db)
    assert len(digests) == len(built) == len({(d.subscriber_id, d.period) for d in digests})
    assert len(outbox_messages(var)) == len(built)
    db.dispose()
