"""Config changes while `casewatch run` runs: an edit takes effect within a
minute (polled) or at once (SIGHUP); a broken edit is reported once and ignored, and crawls keep
using the last good configuration."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casewatch.probe import CHILD_START, PAUSE_AT_ENV, PROBE_DIR_ENV
from pipeline.store.models import CrawlRun
from pipeline.store.session import Database
from tests.support.cli import CASE_FILE, ROOT, child_env, wait_for
from tests.support.httpserver import LocalHTTPServer

FEED = ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Nota {n}</title>'
        "<link>{base}/nota{n}</link><description>Texto de la nota sobre Juliaca.</description></item>"
        "</channel></rss>")
SOURCE = """  - {{id: {id}, name: {id}, kind: news, spider: feed, urls: ["{url}"], schedule: {schedule},
     follow: never, allow_private: true, download_delay: 0}}
"""


@pytest.fixture
def site() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as server:
        for n in (1, 2):
            server.set_route(f"/feed{n}", body=FEED.format(n=n, base=server.base_url),
                             headers={"Content-Type": "application/rss+xml"})
        yield server


class Running:
    """A `casewatch run` in the background with its config folder and log."""

    def __init__(self, tmp: Path, site: LocalHTTPServer, poll: int, env: dict[str, str] | None = None) -> None:
        self.config = tmp / "config"
        (self.config / "cases").mkdir(parents=True)
        (self.config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
        self.site, self.poll = site, poll
        self.write(("uno", "1h"))
        self.db_url = f"sqlite:///{tmp / 'var' / 'c.db'}"
        self.log = tmp / "run.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "casewatch", "--config", str(self.config), "--db", self.db_url, "run"],
                cwd=ROOT, env=child_env(tmp / "var", **(env or {})), stdout=out, stderr=subprocess.STDOUT)

    def write(self, *sources: tuple[str, str], broken: str = "") -> None:
        body = "".join(SOURCE.format(id=sid, url=self.site.url(f"/feed{i}"), schedule=schedule)
                       for i, (sid, schedule) in enumerate(sources, start=1))
        (self.config / "sources.yaml").write_text(
            f"scheduler: {{config_poll: {self.poll}, jitter: 0}}\nsources:\n{body}{broken}", encoding="utf-8")

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_log(self, needle: str, timeout: float = 60, count: int = 1) -> None:
        wait_for(lambda: self.text().count(needle) >= count, proc=self.proc, timeout=timeout, log=self.log,
                 what=repr(needle))

    def runs(self, source_id: str) -> list[CrawlRun]:
        db = Database(self.db_url)
        try:
            with db.read() as s:
                return list(s.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id)
                                      .where(CrawlRun.status != "running")))
        finally:
            db.dispose()

    def wait_runs(self, source_id: str, n: int, timeout: float = 60) -> list[CrawlRun]:
        return wait_for(lambda: (r := self.runs(source_id)) and len(r) >= n and r, proc=self.proc, timeout=timeout,
                        log=self.log, what=f"{n} finished run(s) of {source_id}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _config_checks(probe: Path) -> int:
    """Config checks the scheduler started (its probe trace: one ``job config`` line each)."""
    trace = probe / "trace.log"
    return trace.read_text(encoding="utf-8").count(" job config\n") if trace.exists() else 0


@pytest.fixture
def start(tmp_path: Path, site: LocalHTTPServer) -> Iterator[Callable[[int], Running]]:
    started: list[Running] = []

    def go(poll: int, **env: str) -> Running:
        started.append(Running(tmp_path, site, poll, env))
        return started[-1]

    yield go
    for r in started:
        r.stop()


@pytest.mark.slow
def test_edits_are_picked_up_and_a_broken_edit_is_refused_while_the_old_config_runs(start, tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.mkdir()
    run: Running = start(2, **{PROBE_DIR_ENV: str(probe)})  # the config checks are traced: waited for, not slept
    run.wait_log("watching 1 sources")
    run.wait_runs("uno", 1)

    run.write(("uno", "1h"), ("dos", "1h"))  # a new source: crawled at once, no restart
    run.wait_log("source dos: added, crawling now", timeout=60)
    [dos] = run.wait_runs("dos", 1)
    assert dos.status == "ok", dos.error

    # A broken edit (an impossible cron time) that also makes `uno` crawl every 3 s: refused as a whole.
    run.write(("uno", "3s"), ("dos", "61 * * * *"))
    run.wait_log("config edit refused:", timeout=60)
    text = run.text()
    assert "sources.yaml: sources[1].schedule: invalid cron expression '61 * * * *'" in text, text
    assert "still running the previous configuration" in text
    before = len(run.runs("uno"))
    checks = _config_checks(probe)  # polled three more times (a fourth started): the same broken files, reported once
    wait_for(lambda: _config_checks(probe) >= checks + 4, proc=run.proc, timeout=60, log=run.log,
             what="three more config checks")
    assert run.text().count("config edit refused:") == 1, run.text()
    assert len(run.runs("uno")) == before, "the refused 3 s schedule must not have been applied"
    assert run.proc.poll() is None

    run.write(("uno", "1h"))  # fixed, and `dos` removed
    run.wait_log("source dos: removed or disabled, no longer crawled", timeout=60)
    assert run.text().count("Traceback") == 0, run.text()


@pytest.mark.slow
def test_sighup_reloads_at_once_and_crawls_read_the_accepted_config(start) -> None:
    run: Running = start(3600)  # no polling within the test: only SIGHUP reloads
    run.wait_log("watching 1 sources")
    run.wait_runs("uno", 1)

    run.write(("uno", "1s"))  # back to back: how long the interval is is not the point, only that it applies
    run.proc.send_signal(signal.SIGHUP)
    run.wait_log("source uno: schedule now 1s", timeout=20)
    run.wait_runs("uno", 3, timeout=60)  # the new interval is in force

    # Broken on disk: the next crawls of `uno` still succeed, reading the last accepted snapshot.
    run.write(("uno", "1s"), broken="  - {id: MAL, kind: nada}\n")
    run.proc.send_signal(signal.SIGHUP)
    run.wait_log("config edit refused:", timeout=20)
    before = len(run.runs("uno"))
    later = run.wait_runs("uno", before + 2, timeout=60)
    assert all(r.status == "ok" for r in later[before:]), [(r.status, r.error) for r in later]
    run.proc.send_signal(signal.SIGHUP)  # asked again: reported again (the operator asked)
    run.wait_log("config edit refused:", timeout=20, count=2)
    assert run.proc.poll() is None and "Traceback" not in run.text()


@pytest.mark.slow
def test_a_reload_never_deletes_the_snapshot_under_a_starting_crawl(tmp_path: Path, site: LocalHTTPServer) -> None:
    """The start-up crawl is held before it reads its config snapshot; a reload replaces the snapshot
    meanwhile; released, the crawl still reads the one it was started from, and succeeds."""
    probe = tmp_path / "probe"
    probe.mkdir()
    run = Running(tmp_path, site, 3600, env={PROBE_DIR_ENV: str(probe), PAUSE_AT_ENV: CHILD_START})
    try:
        wait_for(lambda: (probe / f"{CHILD_START}.reached").exists(), proc=run.proc, timeout=60, log=run.log,
                 what="the crawl child, before it reads its config")
        run.write(("uno", "2h"))
        run.proc.send_signal(signal.SIGHUP)
        run.wait_log("source uno: schedule now 2h", timeout=30)
        (probe / f"{CHILD_START}.go").touch()
        [uno] = run.wait_runs("uno", 1)
        assert uno.status == "ok", uno.error
        assert "Traceback" not in run.text() and "not found" not in run.text(), run.text()
    finally:
        run.stop()
