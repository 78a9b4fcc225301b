"""Catalogue C6, C7, C8: a broken disk or database is one line that starts
with the cause (disk full, read-only storage, database connection lost, corrupted database file) and
names the database, for `crawl`, `digest`, `status` and `run`; nothing is half-written; the next run
after the fault is fixed stores what the failed one could not.

The full disk is a real one: a 4 MB tmpfs mounted for the test (the suite runs as root here). The
lost PostgreSQL connection is a real `pg_terminate_backend` of the crawl's own backend, caught while
it waits on a table lock the test holds, so the kill lands inside its write transaction every time.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from pipeline.store.models import Change, CrawlRun, Digest, Document, Version
from pipeline.store.session import Database
from tests.support.cli import ROOT, child_env, run_cli, wait_for
from tests.support.crawl import crawl, stored, write_config
from tests.support.httpserver import LocalHTTPServer

pytestmark = pytest.mark.postgres  # storage faults differ per database

COMMANDS = (("crawl",), ("digest",), ("status",), ("run", "--once"))


def page(n: int, version: int, sentences: int = 3000) -> bytes:
    """A page about the case, large (≈200 KB) and hard to compress, so storing it needs real space."""
    text = " ".join(f"La Fiscalía de Puno investiga {i * 7919 % 100003} muertes en Juliaca, versión {version}."
                    for i in range(sentences))
    return f"<html><body><article><h1>Juliaca {n}</h1><p>{text}</p></article></body></html>".encode()


@pytest.fixture
def server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as srv:
        for n in range(3):
            srv.set_route(f"/p{n}", body=page(n, 1))
        yield srv


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill ``disk`` to the last byte, then give ``leave`` bytes back; returns the filler file."""
    filler = disk / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    os.truncate(filler, max(filler.stat().st_size - leave, 0))
    return filler


def sources(server: LocalHTTPServer) -> list[dict[str, object]]:
    return [{"id": f"fuente-{n}", "urls": [server.url(f"/p{n}")]} for n in range(3)]


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def counts(db_url: str) -> dict[str, int]:
    db = Database(db_url)
    try:
        with db.read() as session:
            return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                    for model in (Document, Version, Change, Digest)}
    finally:
        db.dispose()


@pytest.mark.slow
def test_disk_full_at_start_is_one_line_for_every_command(small_disk: Path, server: LocalHTTPServer,
                                                          tmp_path: Path) -> None:
    config = write_config(tmp_path, sources(server))
    db_url = f"sqlite:///{small_disk / 'casewatch.db'}"
    assert crawl(config, db_url).returncode == 0
    before = counts(db_url)
    fill(small_disk)
    for command in COMMANDS:
        line = one_line(run_cli("--config", str(config), "--db", db_url, *command,
                                env={"CASEWATCH_VAR_DIR": str(tmp_path / "var")}))
        assert line.startswith(f"casewatch: disk full: {db_url}: "), (command, line)
        assert f"0 bytes free in {small_disk}" in line, line
    (small_disk / "filler").unlink()
    assert counts(db_url) == before


@pytest.mark.slow
def test_C7_disk_full_during_a_version_write(small_disk: Path, server: LocalHTTPServer, tmp_path: Path) -> None:
    """The disk fills while new versions are written: each source's run fails naming the full disk
    first (not the item's text); no version or change is half-stored; freed, the next crawl stores
    each new version once."""
    config = write_config(tmp_path, sources(server))
    db_url = f"sqlite:///{small_disk / 'casewatch.db'}"
    assert crawl(config, db_url).returncode == 0
    before = counts(db_url)
    for n in range(3):
        server.set_route(f"/p{n}", body=page(n, 2))
    filler = fill(small_disk, leave=192 * 1024)  # room to open the database, none for three 200 KB pages

    full = crawl(config, db_url)
    assert full.returncode == 3
    for n in range(3):
        reason = full.failure(f"fuente-{n}").split(" failed ", 1)[1].strip()
        assert reason == (f"disk full: {db_url}: database or disk is full (storing {server.url(f'/p{n}')})"), reason
    assert counts(db_url) == before
    for n in range(3):
        assert [text.count("versión 1") for text in stored(db_url, server.url(f"/p{n}")).versions] == [3000]

    filler.unlink()
    fixed = crawl(config, db_url)
    assert fixed.returncode == 0, fixed.stderr
    for n in range(3):
        kept = stored(db_url, server.url(f"/p{n}"))
        assert [text.count("versión 2") for text in kept.versions] == [0, 3000]
        assert kept.changes == ["new", "updated"]


@pytest.mark.slow
def test_read_only_storage_is_one_line_for_every_command(small_disk: Path, server: LocalHTTPServer,
                                                         tmp_path: Path) -> None:
    config = write_config(tmp_path, sources(server))
    db_url = f"sqlite:///{small_disk / 'casewatch.db'}"
    assert crawl(config, db_url).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    for command in COMMANDS:
        line = one_line(run_cli("--config", str(config), "--db", db_url, *command,
                                env={"CASEWATCH_VAR_DIR": str(tmp_path / "var")}))
        assert line.startswith(f"casewatch: read-only storage: {db_url}: "), (command, line)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["bad-header", "broken-page"])
def test_C6_corrupted_sqlite_file_is_refused_and_left_untouched(damage: str, server: LocalHTTPServer,
                                                                tmp_path: Path) -> None:
    config = write_config(tmp_path, sources(server))
    path = tmp_path / "casewatch.db"
    db_url = f"sqlite:///{path}"
    assert crawl(config, db_url).returncode == 0
    with path.open("r+b") as f:
        if damage == "bad-header":
            f.write(b"this is not sqlite")
        else:
            page_size = int.from_bytes(path.read_bytes()[16:18], "big")
            f.seek(page_size * 4)  # page 5: a b-tree page; its header zeroed
            f.write(b"\0" * 16)
    backup = tmp_path / "casewatch.db.bak"
    backup.write_bytes(path.read_bytes())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for command in (*COMMANDS, ("sources",), ("init",)):
        line = one_line(run_cli("--config", str(config), "--db", db_url, *command,
                                env={"CASEWATCH_VAR_DIR": str(tmp_path / "var")}))
        assert line.startswith(f"casewatch: database file {path} is corrupted ("), (command, line)
        assert line.endswith("): it was left untouched; restore it from a backup"), line
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{command} wrote to the damaged file"
    assert backup.read_bytes() == path.read_bytes()


# --- PostgreSQL: a connection terminated inside a transaction --------------------------------------


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


class Blocker:
    """Holds ACCESS EXCLUSIVE on one table of the test's schema, so a child touching it waits inside
    its transaction, where the test terminates that child's backend."""

    def __init__(self, pg_url: str, table: str, mode: str = "ACCESS EXCLUSIVE"):
        self.admin = psycopg.connect(_plain(pg_url), autocommit=True)
        self.holder = psycopg.connect(_plain(pg_url))
        self.holder.execute(f"LOCK TABLE {table} IN {mode} MODE")

    def terminate_waiting(self, app_name: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        def waiting() -> list[int]:
            rows = self.admin.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                                      "AND wait_event_type = 'Lock'", (app_name,)).fetchall()
            return [pid for (pid,) in rows]

        pids = wait_for(waiting, proc=proc, timeout=90, what="the child to wait on the table lock", log=log)
        for pid in pids:
            self.admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        self.holder.rollback()  # release the table

    def close(self) -> None:
        self.holder.close()
        self.admin.close()


def _start(args: list[str], log: Path, var: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "casewatch", *args], cwd=ROOT, env=child_env(var),
                                stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.slow
@pytest.mark.parametrize("command", [("crawl",), ("run", "--once")], ids=["crawl", "run"])
def test_C8_postgresql_connection_terminated_mid_transaction(command: tuple[str, ...], pg_url: str,
                                                             server: LocalHTTPServer, tmp_path: Path) -> None:
    """The crawl's backend is terminated while it stores a version: the source's run fails with the
    lost connection first, nothing of that item is stored, and the next crawl stores it exactly once."""
    config = write_config(tmp_path, sources(server)[:1])
    assert crawl(config, pg_url).returncode == 0  # the schema and a first version
    before = counts(pg_url)
    server.set_route("/p0", body=page(0, 2, sentences=50))
    name = f"cw-{uuid.uuid4().hex[:10]}"
    blocker = Blocker(pg_url, "versions")
    log = tmp_path / "crawl.log"
    try:
        proc = _start(["--config", str(config), "--db", f"{pg_url}&application_name={name}", *command], log,
                      tmp_path / "var")
        blocker.terminate_waiting(name, proc, log)
        code = proc.wait(timeout=120)
        if command == ("crawl",):  # (`run --once` reports failed sources in its log, not its exit code)
            assert code == 3
    finally:
        blocker.close()
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text, text
    [line] = [line for line in text.splitlines() if line.startswith("✗ fuente-0")]
    assert line.split(" failed ", 1)[1].strip().startswith(
        f"database connection lost: postgresql+psycopg://***@127.0.0.1:5432/test?application_name={name}&"), line
    assert "terminating connection due to administrator command" in line and f"(storing {server.url('/p0')})" in line
    assert counts(pg_url) == before

    again = crawl(config, pg_url)
    assert again.returncode == 0, again.stderr
    kept = stored(pg_url, server.url("/p0"))
    assert len(kept.versions) == 2 and kept.changes == ["new", "updated"]  # once, no duplicate
    assert crawl(config, pg_url).returncode == 0
    assert stored(pg_url, server.url("/p0")).changes == ["new", "updated"]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "table"), [(("digest",), "digests"), (("status",), "crawl_runs")])
def test_terminated_postgresql_connection_is_one_line(command: tuple[str, ...], table: str, pg_url: str,
                                                      server: LocalHTTPServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, sources(server)[:1])
    assert crawl(config, pg_url).returncode == 0
    before = counts(pg_url)
    name = f"cw-{uuid.uuid4().hex[:10]}"
    blocker = Blocker(pg_url, table)
    log = tmp_path / "command.log"
    try:
        proc = _start(["--config", str(config), "--db", f"{pg_url}&application_name={name}", *command], log,
                      tmp_path / "var")
        blocker.terminate_waiting(name, proc, log)
        assert proc.wait(timeout=120) == 1
    finally:
        blocker.close()
    lines = log.read_text(encoding="utf-8").strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("casewatch: database connection lost: postgresql+psycopg://***@127.0.0.1:5432/"
                               f"test?application_name={name}&"), lines[0]
    assert lines[0].endswith("terminating connection due to administrator command"), lines[0]
    assert counts(pg_url) == before
    with Database(pg_url).engine.connect() as connection:  # and nothing left running
        assert connection.scalar(select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "running")) == 0
