"""`casewatch run` (what `make run` starts): every enabled source once at start, keeps running, stops on
SIGINT/SIGTERM with exit code 0; offline, each source fails with one clear line and a failed CrawlRun."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from casewatch.demo_site import ReplicaSite
from pipeline.store.models import CrawlRun
from pipeline.store.session import Database
from tests.support.cli import CASE_FILE, ROOT, child_env, replica_config, run_cli, wait_for
from tests.support.hanging import exit_time, hanging_site

__all__ = ["hanging_site"]  # a fixture

ENABLED = {"noticias-del-sur", "fiscalia", "ong-ddhh"}
DISABLED_SOURCE = """  - id: apagada
    name: Fuente desactivada
    kind: news
    spider: feed
    urls: ["https://example.org/feed/"]
    enabled: false
"""
UNRESOLVABLE = "casewatch-offline.invalid"


@pytest.fixture
def start_run(tmp_path: Path) -> Iterator[Callable[[Path, str], tuple[subprocess.Popen[bytes], Path]]]:
    """Start `casewatch run` in the background; its log (stdout and stderr) goes to a file."""
    started: list[subprocess.Popen[bytes]] = []

    def start(config: Path, db_url: str) -> tuple[subprocess.Popen[bytes], Path]:
        log_path = tmp_path / f"run{len(started)}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "casewatch", "--config", str(config), "--db", db_url,
                                     "run"], cwd=ROOT, env=child_env(tmp_path / "var"), stdout=log,
                                    stderr=subprocess.STDOUT)
        started.append(proc)
        return proc, log_path

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _runs(db_url: str) -> list[CrawlRun]:
    db = Database(db_url)
    try:
        with db.read() as session:
            return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    finally:
        db.dispose()


def _finished_runs(db_url: str, sources: set[str]) -> Callable[[], list[CrawlRun] | None]:
    def check() -> list[CrawlRun] | None:
        runs = _runs(db_url)
        done = [r for r in runs if r.status != "running"]
        return runs if {r.source_id for r in done} >= sources else None

    return check


def _stop(proc: subprocess.Popen[bytes], log: Path, signum: int) -> str:
    """Send ``signum``; the scheduler must exit promptly with code 0 and say it stopped."""
    sent = time.monotonic()
    proc.send_signal(signum)
    code, took = exit_time(proc, sent)  # its own time: a loaded machine's wait for a CPU is not counted
    assert code is not None and took <= 15, \
        f"`casewatch run` still running 15 s after signal {signum}:\n{log.read_text()}"
    text = log.read_text(encoding="utf-8")
    assert code == 0, text
    assert any(line.endswith("casewatch.scheduler: stopped") for line in text.splitlines()), text
    assert "Traceback" not in text, text
    return text


def _assert_keeps_running(proc: subprocess.Popen[bytes], log: Path, seconds: float = 2) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=seconds)
    assert proc.poll() is None, log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_run_crawls_every_enabled_source_once_then_keeps_running(tmp_path: Path, start_run, signum: int) -> None:
    db_url = f"sqlite:///{tmp_path / 'var' / 'casewatch.db'}"
    with ReplicaSite() as site:
        config = replica_config(tmp_path, site.base)
        with (config / "sources.yaml").open("a", encoding="utf-8") as f:
            f.write(DISABLED_SOURCE)
        proc, log = start_run(config, db_url)

        wait_for(lambda: "watching 3 sources" in log.read_text(encoding="utf-8"), proc=proc, log=log, timeout=30,
              what="the scheduler to start")
        runs = wait_for(_finished_runs(db_url, ENABLED), proc=proc, log=log, timeout=90,
                     what="a finished run of every enabled source")
        assert sorted(r.source_id for r in runs) == sorted(ENABLED), "each enabled source runs once; never 'apagada'"
        assert {r.source_id: r.status for r in runs} == dict.fromkeys(ENABLED, "ok"), [r.error for r in runs]
        assert sum(r.new for r in runs) == 5
        # the scheduler logs each result once the crawl process has ended
        wait_for(lambda: all(f"source {s}: ok" in log.read_text(encoding="utf-8") for s in ENABLED), proc=proc,
                 log=log, timeout=30, what="the scheduler's line for each source")

        _assert_keeps_running(proc, log)
        assert len(_runs(db_url)) == 3, "no second round of crawls right after the first"
        text = _stop(proc, log, signum)
    lines = text.splitlines()  # each result once, from the scheduler (its crawl children print none of their own)
    assert sorted(line.split("casewatch.scheduler: source ")[1].split(",")[0] for line in lines
                  if "casewatch.scheduler: source " in line and ", " in line) == sorted(f"{s}: ok" for s in ENABLED)
    assert not [line for line in lines if line.startswith(("✓", "✗")) or " sources: " in line], text


def _closed_port() -> socket.socket:
    """A bound socket that never listens: connecting to its port is refused, and nobody else can take it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def _offline_config(tmp: Path, port: int) -> Path:
    config = tmp / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(f"""sources:
  - id: diario-local
    name: Diario (puerto cerrado)
    kind: news
    spider: feed
    urls: ["http://127.0.0.1:{port}/feed/"]
    allow_private: true
    download_delay: 0
  - id: fiscalia-local
    name: Fiscalía (puerto cerrado)
    kind: prosecutor
    spider: page
    urls: ["http://127.0.0.1:{port}/noticias/1001"]
    allow_private: true
    download_delay: 0
  - id: ong-sin-dns
    name: ONG (nombre que no resuelve)
    kind: ngo
    spider: feed
    urls: ["http://{UNRESOLVABLE}/feed/"]
    download_delay: 0
""", encoding="utf-8")
    return config


def _failure_lines(text: str, port: int, *, mark: str = "✗ ") -> dict[str, str]:
    """The one '✗ <source>' line per source (``mark``: the scheduler's 'source <id>: failed' line in
    `run`), each naming the address and the reason."""
    lines = [line for line in text.splitlines()
             if (line.startswith(mark) if mark == "✗ " else mark in line and ": failed, " in line)]
    by_source = {line.split(mark, 1)[1].split()[0].rstrip(":"): line for line in lines}
    assert len(lines) == len(by_source) == 3, lines
    for source in ("diario-local", "fiscalia-local"):
        assert f"127.0.0.1:{port}" in by_source[source] and "refused" in by_source[source].lower(), by_source[source]
    assert UNRESOLVABLE in by_source["ong-sin-dns"] and "dns lookup failed" in by_source["ong-sin-dns"].lower()
    return by_source


@pytest.mark.slow
def test_crawl_offline_one_clear_line_per_source(db_url: str, tmp_path: Path) -> None:
    with _closed_port() as closed:
        port = closed.getsockname()[1]
        cli = ("--config", str(_offline_config(tmp_path, port)), "--db", db_url)
        started = time.monotonic()
        result = run_cli(*cli, "crawl", env={"CASEWATCH_VAR_DIR": str(tmp_path / "var")})
        took = time.monotonic() - started
    assert result.returncode == 3, result.stdout + result.stderr
    assert took < 60, f"offline crawl took {took:.0f}s"
    assert "Traceback" not in result.stderr
    by_source = _failure_lines(result.stderr, port)
    assert sorted(result.stderr.splitlines()) == sorted(by_source.values()), "stderr: only the failure lines"
    assert result.stdout.strip() == "3 sources: 0 ok, 0 empty, 3 failed; 0 items, 0 new, 0 updated, 0 removed"

    listed = run_cli(*cli, "sources", "--json")
    assert listed.returncode == 0, listed.stderr
    sources = {s["id"]: s for s in json.loads(listed.stdout)}
    assert set(sources) == set(by_source)
    for source_id, source in sources.items():
        run = source["last_run"]
        assert run["status"] == "failed" and run["finished_at"], run
        assert run["error"] and run["error"] in by_source[source_id], (run["error"], by_source[source_id])


@pytest.mark.slow
def test_run_offline_reports_each_failure_and_keeps_running(tmp_path: Path, start_run) -> None:
    db_url = f"sqlite:///{tmp_path / 'var' / 'casewatch.db'}"
    with _closed_port() as closed:
        port = closed.getsockname()[1]
        proc, log = start_run(_offline_config(tmp_path, port), db_url)
        wait_for(lambda: "watching 3 sources" in log.read_text(encoding="utf-8"), proc=proc, log=log, timeout=30,
              what="the scheduler to start")
        runs = wait_for(_finished_runs(db_url, {"diario-local", "fiscalia-local", "ong-sin-dns"}), proc=proc, log=log,
                     timeout=90, what="a finished run of every source")
        assert [r.status for r in runs] == ["failed"] * 3 and all(r.error for r in runs)
        # The scheduler logs each result once its crawl process has ended: wait for all three lines.
        wait_for(lambda: log.read_text(encoding="utf-8").count(": failed, 0 items") >= 3, proc=proc, log=log,
                 timeout=30, what="one failure line per source")
        _assert_keeps_running(proc, log)
        text = _stop(proc, log, signal.SIGTERM)
    _failure_lines(text, port, mark="casewatch.scheduler: source ")
    assert not [line for line in text.splitlines() if line.startswith("✗") or " sources: " in line], text


@pytest.mark.slow
def test_sigterm_during_a_hanging_crawl_stops_promptly_and_records_it(tmp_path: Path, start_run,
                                                                      hanging_site: str) -> None:
    """A service manager's SIGTERM reaches the running crawl: it stops cleanly, its run is cancelled."""
    config = tmp_path / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(
        "sources:\n  - id: lenta\n    name: Lenta\n    kind: news\n    spider: page\n"
        f"    urls: [\"{hanging_site}/p\"]\n    allow_private: true\n",
        encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'var' / 'casewatch.db'}"
    proc, log = start_run(config, db_url)
    wait_for(lambda: "watching 1 sources" in log.read_text(encoding="utf-8"), proc=proc, log=log, timeout=30,
             what="the scheduler to start")
    wait_for(lambda: [r for r in _runs(db_url) if r.status == "running"], proc=proc, log=log, timeout=60,
             what="the crawl to start")
    time.sleep(1)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code, took = exit_time(proc, started)  # its own time, as in _stop
    assert code == 0 and took < 25, log.read_text()
    [run] = _runs(db_url)
    # An operator's stop is not the source's fault: cancelled, which never counts toward health.
    assert run.status == "cancelled" and run.finished_at is not None, (run.status, run.error)


@pytest.mark.slow
def test_a_second_scheduler_on_the_same_database_refuses_to_start(db_url: str, tmp_path: Path, start_run) -> None:
    config = tmp_path / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(  # loopback, closed port: the start-up crawl fails at once, offline
        'sources:\n  - {id: lenta, name: Lenta, kind: news, spider: feed, urls: ["http://127.0.0.1:9/feed/"], '
        'allow_private: true, schedule: "0 3 1 1 *"}\n', encoding="utf-8")
    assert run_cli("--config", str(config), "--db", db_url, "init").returncode == 0
    first, log = start_run(config, db_url)
    wait_for(lambda: "watching 1 sources" in log.read_text(encoding="utf-8"), proc=first, log=log, timeout=30,
             what="the first scheduler to start")
    second = run_cli("--config", str(config), "--db", db_url, "run", "--once", timeout=60)
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert second.stderr.startswith("casewatch: another casewatch scheduler is already running on ")
    assert len(second.stderr.strip().splitlines()) == 1
    _stop(first, log, signal.SIGTERM)
    # The lock goes with the process: a scheduler can start again.
    again, log2 = start_run(config, db_url)
    wait_for(lambda: "watching 1 sources" in log2.read_text(encoding="utf-8"), proc=again, log=log2, timeout=30,
             what="a new scheduler once the first stopped")
    _stop(again, log2, signal.SIGTERM)


@pytest.mark.slow
def test_missed_digests_are_caught_up_once_after_a_restart(tmp_path: Path, start_run) -> None:
    """Stopped for three digest periods: one catch-up digest per subscriber, not three; none on the next start."""
    from pipeline.store.models import Digest

    db_url = f"sqlite:///{tmp_path / 'var' / 'casewatch.db'}"
    with ReplicaSite() as site:
        config = replica_config(tmp_path, site.base)
        assert run_cli("--config", str(config), "--db", db_url, "crawl",
                       env={"CASEWATCH_VAR_DIR": str(tmp_path / "var")}).returncode == 0
        db = Database(db_url)
        with db.write() as s:  # the last crawl was three days ago; no digest went out since
            for run in s.scalars(select(CrawlRun)):
                run.started_at -= timedelta(days=3)
                run.finished_at = run.finished_at and run.finished_at - timedelta(days=3)

        def digests() -> list[Digest]:
            with db.read() as s:
                return list(s.scalars(select(Digest).where(Digest.kind == "digest")))

        proc, log = start_run(config, db_url)
        wait_for(lambda: digests(), proc=proc, log=log, timeout=60, what="the catch-up digest")
        _assert_keeps_running(proc, log, seconds=5)
        assert len(digests()) == 1 and "catch-up digest" in log.read_text(encoding="utf-8")
        _stop(proc, log, signal.SIGTERM)

        again, log2 = start_run(config, db_url)
        wait_for(lambda: "watching 3 sources" in log2.read_text(encoding="utf-8"), proc=again, log=log2,
                 timeout=30, what="the second start")
        _assert_keeps_running(again, log2, seconds=4)
        assert len(digests()) == 1 and "catch-up" not in log2.read_text(encoding="utf-8")
        _stop(again, log2, signal.SIGTERM)
        db.dispose()
