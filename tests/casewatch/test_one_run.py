"""One crawl, one run: the crawl child's own record wins and the scheduler adds only what the child
could not record; a config snapshot lives as long as the crawls started from it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from casewatch import reload
from casewatch.app import App
from casewatch.children import TIMED_OUT, Finished
from casewatch.crawljob import crawl_job, settle
from casewatch.reload import ConfigWatcher
from config.settings import get_settings
from pipeline.store.models import CrawlRun, Source
from pipeline.store.runs import start_run
from tests.support.cli import CASE_FILE

SOURCES = """scheduler: {{crawl_time_limit: {limit}, jitter: 0}}
sources:
  - {{id: uno, name: Uno, kind: news, spider: feed, urls: ["http://127.0.0.1:9/uno"], allow_private: true,
     unhealthy_after: 1, schedule: {schedule}}}
"""
# A crawl child that records its run 'ok' and then hangs in its teardown until it is killed.
OK_THEN_HANG = """
import os, sys, time
from datetime import UTC, datetime
from pipeline.store.runs import start_run
from pipeline.store.session import Database
db = Database(os.environ["DATABASE_URL"])
with db.write() as s:
    run = start_run(s, "uno", datetime.now(UTC))
    run.status, run.finished_at, run.items = "ok", datetime.now(UTC), 1
print("recorded", flush=True)
time.sleep(120)
"""


@pytest.fixture
def app(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.setenv("CASEWATCH_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    config = tmp_path / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(SOURCES.format(limit=5, schedule="1h"), encoding="utf-8")
    application = App(config_dir=config, db_url=db_url)
    application.db  # noqa: B018 - migrate
    yield application
    application.db.dispose()
    get_settings.cache_clear()


def _runs(app: App) -> list[CrawlRun]:
    with app.db.read() as s:
        return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def _health(app: App) -> str:
    with app.db.read() as s:
        return s.scalars(select(Source).where(Source.id == "uno")).one().health


@pytest.mark.slow
def test_a_crawl_killed_in_teardown_after_recording_ok_keeps_its_one_ok_run(app: App) -> None:
    """The real thing: a child process records ok, hangs, and is killed at the time limit (10 s: time
    enough to start and record on a loaded machine)."""
    (app.config_dir / "sources.yaml").write_text(SOURCES.format(limit=10, schedule="1h"), encoding="utf-8")
    app.__dict__.pop("config", None)  # App.config is cached: read the edit
    assert app.config.scheduler.crawl_time_limit == 10
    crawl_job(app, "uno", command=[sys.executable, "-c", OK_THEN_HANG])
    assert [(r.status, r.error) for r in _runs(app)] == [("ok", None)]
    assert _health(app) == "healthy"


@pytest.mark.slow
def test_the_parent_records_only_what_the_child_could_not(app: App) -> None:
    started = datetime.now(UTC)
    pid = os.getpid() + 100_000  # a process that does not exist: the child of these cases

    def child_run(status: str) -> CrawlRun:
        with app.db.write() as s:
            run = start_run(s, "uno", started)
            run.pid = pid
            if status != "running":
                run.status, run.finished_at = status, started
            return run

    # The child closed its run, then died at the limit: its record stands, nothing is added.
    child_run("partial")
    settle(app, "uno", Finished(TIMED_OUT, pid, started), 5)
    assert [r.status for r in _runs(app)] == ["partial"]
    # The child opened its run and was killed: that same run is closed as failed, with the reason.
    child_run("running")
    settle(app, "uno", Finished(TIMED_OUT, pid, started), 5)
    assert [(r.status, r.error) for r in _runs(app)][1:] == [("failed", "killed at the crawl time limit (5 s)")]
    # Killed before it opened any run: one failed run, recorded by the parent.
    settle(app, "uno", Finished(-9, pid + 1, datetime.now(UTC)), 5)
    assert len(_runs(app)) == 3 and _runs(app)[2].status == "failed"
    assert "ended with -9" in (_runs(app)[2].error or "")
    # Stopped with the scheduler: its open run is cancelled; none opened, nothing is recorded.
    child_run("running")
    settle(app, "uno", Finished(-15, pid, started, stopped=True), 5)
    settle(app, "uno", Finished(-15, pid + 2, datetime.now(UTC), stopped=True), 5)
    assert [r.status for r in _runs(app)] == ["partial", "failed", "failed", "cancelled"]


@pytest.mark.slow
def test_a_reload_keeps_the_snapshot_of_a_starting_crawl_until_it_ends(app: App, tmp_path: Path) -> None:
    applied: list[int] = []
    watcher = ConfigWatcher(app, lambda old, new: applied.append(new.scheduler.crawl_time_limit), tmp_path / "run")
    try:
        with watcher.lease() as first:
            (app.config_dir / "sources.yaml").write_text(SOURCES.format(limit=7, schedule="2h"), encoding="utf-8")
            assert watcher.check() is True and applied == [7]
            # The crawl started from the old snapshot can still read it, whenever it gets to it.
            assert (first / "sources.yaml").read_text(encoding="utf-8").count("crawl_time_limit: 5") == 1
            with watcher.lease() as second:
                assert second != first and "crawl_time_limit: 7" in (second / "sources.yaml").read_text()
            assert second.exists(), "the current snapshot stays"
        assert not first.exists(), "a replaced snapshot goes when its last crawl has ended"
        (app.config_dir / "sources.yaml").write_text(SOURCES.format(limit=9, schedule="2h"), encoding="utf-8")
        assert watcher.check() is True and not second.exists(), "no lease: the old snapshot goes at once"
    finally:
        watcher.close()
    assert not watcher.snapshot_dir.exists()


def test_an_edit_caught_mid_save_is_judged_once_it_has_settled(
        app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A poll that reads files an editor is still saving keeps no verdict: a broken edit is reported once."""
    applied: list[int] = []
    watcher = ConfigWatcher(app, lambda old, new: applied.append(new.scheduler.crawl_time_limit), tmp_path / "run")
    path = app.config_dir / "sources.yaml"
    broken = SOURCES.format(limit=7, schedule="'61 * * * *'")
    # what the editor's save leaves on disk while each load reads (None: nothing changes during that load)
    real, saves = reload.load_config, [broken + "# saved\n", None, SOURCES.format(limit=8, schedule="2h"), None]

    def load_while_saving(directory: Path, **kwargs: object) -> object:
        if (save := saves.pop(0)) is not None:
            path.write_text(save, encoding="utf-8")
        return real(directory, **kwargs)

    monkeypatch.setattr(reload, "load_config", load_while_saving)
    try:
        path.write_text(broken, encoding="utf-8")
        assert watcher.check() is None  # read mid-save: no verdict, nothing logged
        assert [watcher.check(), watcher.check()] == [False, None]  # the saved bytes: refused, once
        refused = [r for r in caplog.records if r.getMessage().startswith("config edit refused:")]
        assert len(refused) == 1 and "invalid cron expression '61 * * * *'" in refused[0].getMessage()
        path.write_text(SOURCES.format(limit=6, schedule="2h"), encoding="utf-8")
        assert watcher.check() is None and applied == []  # a good edit caught mid-save waits for the next poll
        assert watcher.check() is True and applied == [8]
    finally:
        watcher.close()


@pytest.mark.slow
def test_a_crawl_that_recorded_nothing_is_never_reported_with_the_previous_result(
        app: App, caplog: pytest.LogCaptureFixture) -> None:
    """The scheduler used to log the source's newest run, which may be an older crawl's "ok, 2 new"."""
    earlier = datetime.now(UTC)
    with app.db.write() as s:
        run = start_run(s, "uno", earlier)
        run.status, run.finished_at, run.new, run.pid = "ok", earlier, 2, os.getpid() + 100_000
    caplog.set_level("INFO", logger="casewatch.scheduler")
    settle(app, "uno", Finished(1, os.getpid() + 100_001, datetime.now(UTC)), 5)
    lines = [r.getMessage() for r in caplog.records]
    assert not [line for line in lines if "2 new" in line or ": ok" in line], lines
    assert [line for line in lines if "ended with 1 before finishing" in line], lines
    assert [r.status for r in _runs(app)] == ["ok", "failed"]
