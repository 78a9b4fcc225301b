"""Catalogue section E, scheduler and crawl runner: E1, E2, E4-E9 (E3, a hanging source killed at its
limit, is tests/casewatch/test_run.py; the scheduler's signals, lock and pools are in
tests/casewatch/test_stopping.py, test_lock.py and test_pools.py). The crawls are real `casewatch crawl`
processes started the way the scheduler starts them (``casewatch.scheduler.crawl_job``)."""

from __future__ import annotations

import ast
import json
import logging
import os
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from sqlalchemy import select

from casewatch.app import App
from casewatch.scheduler import build_scheduler, crawl_job, digest_tick
from casewatch.triggers import trigger_for
from config.schema import parse_schedule
from config.settings import get_settings
from pipeline.store.models import CrawlRun, Mark
from tests.support.cli import ROOT
from tests.support.crawl import crawl, write_config
from tests.support.httpserver import LocalHTTPServer

PAGE = (b"<html><body><article><h1>Juliaca</h1><p>La Fiscalia de Puno investiga las muertes en Juliaca del 9 de "
        b"enero.</p></article></body></html>")


@pytest.fixture
def server() -> LocalHTTPServer:
    with LocalHTTPServer() as srv:
        srv.set_route("/p", body=PAGE)
        srv.set_route("/q", body=PAGE.replace(b"Juliaca</h1>", b"Juliaca (2)</h1>"))
        yield srv


@pytest.fixture
def app(tmp_path: Path, server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("CASEWATCH_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    config = write_config(tmp_path, [{"id": "uno", "urls": [server.url("/p")]},
                                     {"id": "dos", "urls": [server.url("/q")]}])
    application = App(config_dir=config, db_url=f"sqlite:///{tmp_path / 'var' / 'casewatch.db'}")
    application.db  # noqa: B018 - created and synced, as `casewatch run` does before scheduling
    yield application
    application.db.dispose()
    get_settings.cache_clear()


def _runs(app: App) -> list[tuple[str, str, str | None]]:
    with app.db.read() as session:
        return [(r.source_id, r.status, r.error) for r in session.scalars(select(CrawlRun).order_by(CrawlRun.id))]


@pytest.mark.slow
def test_E1_the_same_spider_three_times_in_one_long_lived_process(app: App) -> None:
    """Every crawl is a process of its own: no ReactorNotRestartable however often a source runs."""
    for _ in range(3):
        crawl_job(app, "uno")
    assert _runs(app) == [("uno", "ok", None)] * 3


BOOM = {"SPIDER_MODULES": ["crawler.spiders", "tests.reliability.boom_spiders"],
        "ITEM_PIPELINES": {"crawler.pipelines.IngestPipeline": 300, "tests.reliability.boom_spiders.BoomPipeline": 100}}


@pytest.mark.slow
def test_E2_a_spider_raising_fails_alone(tmp_path: Path, server: LocalHTTPServer) -> None:
    """A spider raising in __init__, from_crawler or parse fails its own source, naming the error;
    the other sources of the same crawl still run; the crawl ends (judged from the runs, exit 3)."""
    config = write_config(tmp_path, [{"id": name.replace("_", "-"), "spider": name, "urls": [server.url("/p")]}
                                     for name in ("boom_init", "boom_from_crawler", "boom_parse", "page")])
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    result = crawl(config, db_url, settings=BOOM)  # (crawl() fails the test on any traceback)
    assert result.returncode == 3
    assert "Unhandled error" not in result.stderr
    assert result.failure("boom-init").endswith("failed  the spider did not start: RuntimeError: boom in __init__")
    assert result.failure("boom-from-crawler").endswith(
        "failed  the spider did not start: RuntimeError: boom in from_crawler")
    assert result.failure("boom-parse").endswith("boom in parse")
    assert [line for line in result.stderr.splitlines() if line.startswith("✓ page ")], result.stderr


@pytest.mark.slow
def test_E2_a_pipeline_failing_to_open_fails_its_source_alone(tmp_path: Path, server: LocalHTTPServer) -> None:
    config = write_config(tmp_path, [{"id": "boom-open", "spider": "boom_open", "urls": [server.url("/p")]},
                                     {"id": "control", "urls": [server.url("/q")]}])
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    args = ["--config", str(config), "--db", db_url, "crawl"]
    proc = subprocess.run([sys.executable, "-m", "tests.support.crawl", json.dumps(BOOM),
                           str(tmp_path / "rss.txt"), *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False, env={**os.environ, "CASEWATCH_VAR_DIR": str(tmp_path / "var")})
    assert proc.returncode == 3
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, proc.stderr  # each source's line and nothing else: no traceback
    assert "✗ boom-open              failed  the spider did not start: RuntimeError: boom in open_spider" in lines
    assert any(line.startswith("✓ control ") for line in lines), proc.stderr


@pytest.mark.slow
def test_E4_a_crawl_blowing_its_memory_dies_alone(app: App) -> None:
    """The crawl process runs out of memory (an address-space limit stands in for the machine's): it
    dies, its run is recorded as failed, and the scheduler's process goes on crawling the others."""
    hog = [sys.executable, "-c", "import resource; resource.setrlimit(resource.RLIMIT_AS, (512 << 20, 512 << 20)); "
           "blocks = [bytearray(64 << 20) for _ in range(64)]"]
    crawl_job(app, "uno", command=hog)
    crawl_job(app, "dos")
    runs = _runs(app)
    assert [(s, st) for s, st, _ in runs] == [("uno", "failed"), ("dos", "ok")]
    assert runs[0][2] == "interrupted: the crawl process ended with 1 before finishing"


@pytest.mark.slow
def test_E5_E6_E9_jobs_are_rebuilt_from_config_never_unpickled(app: App) -> None:
    """Three starts, three schedulers: each has exactly one job per enabled source. Jobs live in
    memory only (rebuilt from the config at every start), so a renamed job function cannot be
    silently dropped from a store (E6) and no database table holds pickled code (E9)."""
    for _ in range(3):
        scheduler = build_scheduler(app)
        crawl_jobs = sorted(job.id for job in scheduler.get_jobs() if job.id.startswith("crawl:"))
        assert crawl_jobs == ["crawl:dos", "crawl:uno"]
        assert all(isinstance(store, MemoryJobStore) for store in scheduler._jobstores.values())
    for path in [*ROOT.glob("casewatch/**/*.py"), *ROOT.glob("pipeline/**/*.py"), *ROOT.glob("alerts/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom | ast.Import)
                 for alias in node.names} | {getattr(node, "module", None) or "" for node in ast.walk(tree)
                                             if isinstance(node, ast.ImportFrom)}
        assert not any("jobstores.sqlalchemy" in n or n == "SQLAlchemyJobStore" for n in names), path


def test_E7_the_database_unavailable_during_a_job_is_logged_and_retried(small_disk: Path, tmp_path: Path,
                                                                        server: LocalHTTPServer,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    """casewatch has no job-store database (E5): what can go away is the database a job needs. With its
    disk read-only, the digest tick logs the failure and returns (the scheduler goes on); once the
    disk is writable again the next tick does its work."""
    config = write_config(tmp_path, [{"id": "uno", "urls": [server.url("/p")]}])
    app = App(config_dir=config, db_url=f"sqlite:///{small_disk / 'casewatch.db'}")
    app.db  # noqa: B018
    try:
        app.db.dispose()  # no open file on the disk, or it cannot be remounted
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
        with caplog.at_level(logging.ERROR, logger="casewatch.scheduler"):
            digest_tick(app)
        # (other loggers' records, e.g. Alembic's when a test before this one left them on, are not the point)
        assert [r.getMessage() for r in caplog.records if r.name == "casewatch.scheduler"] == ["digest tick failed"]
        assert "unable to open database file" in caplog.text  # SQLite cannot set up its WAL index on a read-only disk
        app.db.dispose()
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
        caplog.clear()
        digest_tick(app)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
        with app.db.read() as session:
            assert session.get(Mark, "digests-checked") is not None
    finally:
        app.db.dispose()


def test_E8_cron_schedules_fire_once_per_intended_time_across_dst() -> None:
    """Madrid's spring-forward (02:30 does not exist) and fall-back (02:30 happens twice) days: one
    fire per day, no loop; Lima (no DST) once a day all year; the APScheduler floor has the DST fix."""
    madrid = trigger_for(parse_schedule("30 2 * * *", "Europe/Madrid"))
    start, end = datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    fires, previous, moment = [], None, start
    while (nxt := madrid.get_next_fire_time(previous, moment)) < end:  # ends: no loop on either DST day
        assert previous is None or nxt.astimezone(UTC) > previous.astimezone(UTC)  # (same wall time: fold)
        fires.append(nxt)
        previous, moment = nxt, nxt.astimezone(UTC) + timedelta(seconds=1)  # (local + 1 s would drop the fold)
    per_day: dict[object, int] = {}
    for fire in fires:
        per_day[fire.date()] = per_day.get(fire.date(), 0) + 1
    assert len(per_day) == (end - start).days  # every day fires, the spring-forward day (29 March) too
    # On the fall-back day 02:30 happens twice and APScheduler fires at both; a source crawled twice
    # is harmless, and digests are timed by casewatch's own code, once a day across DST
    # (tests/alerts/test_delivery_times.py::test_madrid_daylight_saving_days_deliver_once_at_local_time).
    assert {day: n for day, n in per_day.items() if n != 1} == {datetime(2026, 10, 25).date(): 2}
    lima = trigger_for(parse_schedule("0 7 * * *"))
    moment, previous, count = datetime(2026, 1, 1, tzinfo=UTC), None, 0
    while (nxt := lima.get_next_fire_time(previous, moment)) < datetime(2027, 1, 1, tzinfo=UTC):
        assert nxt.astimezone(lima.timezone).hour == 7
        previous, moment, count = nxt, nxt.astimezone(UTC) + timedelta(seconds=1), count + 1
    assert count == 365
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert any(d.replace(" ", "").startswith("apscheduler>=3.11.2") for d in deps), deps
