"""`casewatch run` with intervals of seconds against a local site: sources run on time, a hanging one
is killed at the crawl time limit and recorded as failed, and the others are not held up.

"On time" is read on the scheduler's own clock (its probe trace: when it launched each crawl child and
when that child exited), so a loaded machine that takes seconds to start a child does not fail it: the
next crawl of a source is due one interval after the last launch, or, if that crawl was still running
then (the job allows one instance), at the first interval after it ended."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from casewatch.probe import PROBE_DIR_ENV
from pipeline.store.models import CrawlRun
from pipeline.store.session import Database
from tests.support.cli import CASE_FILE, ROOT, child_env, run_cli, wait_for
from tests.support.httpserver import LocalHTTPServer, Route

TIME_LIMIT = 12  # seconds: a loaded 2-core machine takes several to start a crawl process
INTERVAL = 4  # rapida's schedule, seconds
LATE = 5  # seconds a launch may come after it was due (the job's own bookkeeping, a thread's wake-up)
FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Nota</title>'
        b"<link>{base}/nota</link><description>Texto de la nota sobre Juliaca.</description></item>"
        b"</channel></rss>")


@pytest.fixture
def site() -> Iterator[LocalHTTPServer]:
    release = False

    def hang(_path: str) -> Route:
        deadline = time.monotonic() + 60
        while not release and time.monotonic() < deadline:  # a server that never answers in time
            time.sleep(0.1)
        return Route(200, b"<html><body><main><p>tarde</p></main></body></html>")

    with LocalHTTPServer() as server:
        server.set_route("/feed", body=FEED.replace(b"{base}", server.base_url.encode()),
                         headers={"Content-Type": "application/rss+xml"})
        server.set_route("/nota", body="<html><body><main><p>Texto de la nota.</p></main></body></html>")
        server.set_route("/colgada", hang)
        yield server
        release = True


def _children(trace: Path) -> dict[str, list[tuple[float, float | None]]]:
    """Per source, its crawl children as (launched, exited) on the scheduler's monotonic clock (the probe trace)."""
    launched: dict[str, tuple[str, float]] = {}
    children: dict[str, list[tuple[float, float | None]]] = {}
    lines = trace.read_text(encoding="utf-8").splitlines() if trace.exists() else []
    for at, event, *rest in (line.split(" ") for line in lines):
        if event in ("launch", "exit") and len(rest) == 2:
            source, pid = rest
            if event == "launch":
                launched[pid] = (source, float(at))
            else:
                source, start = launched.pop(pid)
                children.setdefault(source, []).append((start, float(at)))
    for source, start in launched.values():
        children.setdefault(source, []).append((start, None))
    return {source: sorted(spans) for source, spans in children.items()}


def _runs(db_url: str) -> list[CrawlRun]:
    db = Database(db_url)
    try:
        with db.read() as s:
            return list(s.scalars(select(CrawlRun).order_by(CrawlRun.started_at)))
    finally:
        db.dispose()


@pytest.mark.slow
def test_sources_run_on_time_and_a_hanging_one_is_killed_at_its_limit(tmp_path: Path, site: LocalHTTPServer) -> None:
    config = tmp_path / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(f"""scheduler:
  {{crawl_time_limit: {TIME_LIMIT}, max_parallel_crawls: 2, jitter: 0}}
sources:
  - {{id: rapida, name: Rápida, kind: news, spider: feed, urls: ["{site.url('/feed')}"], schedule: {INTERVAL}s,
     follow: never, allow_private: true, download_delay: 0}}
  - {{id: colgada, name: Colgada, kind: news, spider: page, urls: ["{site.url('/colgada')}"], schedule: 1h,
     allow_private: true, download_delay: 0}}
""", encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    assert run_cli("--config", str(config), "--db", db_url, "init").returncode == 0
    log_path = tmp_path / "run.log"
    probe = tmp_path / "probe"
    probe.mkdir()
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "casewatch", "--config", str(config), "--db", db_url, "run"],
                                cwd=ROOT, env=child_env(tmp_path / "var", **{PROBE_DIR_ENV: str(probe)}),
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        def done() -> list[CrawlRun] | None:
            runs = _runs(db_url)
            hung = [r for r in runs if r.source_id == "colgada" and r.status != "running"]
            fast = [r for r in runs if r.source_id == "rapida" and r.status != "running"]
            return runs if hung and len(fast) >= 4 else None

        runs = wait_for(done, proc=proc, timeout=180, what="a killed crawl and four quick ones", log=log_path)
        children = _children(probe / "trace.log")
        [hung] = [r for r in runs if r.source_id == "colgada"]
        assert hung.status == "failed" and f"time limit ({TIME_LIMIT} s)" in (hung.error or ""), hung.error
        assert hung.finished_at is not None
        took = (hung.finished_at - hung.started_at).total_seconds()
        # From the run's start (recorded once the child process is up, which takes seconds on a loaded
        # machine) to its kill at the limit, counted from the launch: never beyond the limit.
        assert 0 < took <= TIME_LIMIT + 10, took
        fast = [r for r in runs if r.source_id == "rapida"]
        assert all(r.status == "ok" for r in fast if r.status != "running"), [(r.status, r.error) for r in fast]
        # The scheduler killed the hanging child at the limit, counted from its launch on its own clock.
        [(launched, exited)] = children["colgada"]
        assert exited is not None and TIME_LIMIT - 0.5 <= exited - launched <= TIME_LIMIT + LATE, children
        # On time, and not held up by the hanging crawl next to it (it ran the whole time): each launch of
        # rapida came when due (one interval after the previous launch, or, that crawl still running then,
        # one interval after it ended), never later than LATE seconds after that.
        quick = children["rapida"]
        assert len(quick) >= 4, children
        for (start, end), (following, _) in zip(quick, quick[1:], strict=False):
            assert end is not None and following > end, children
            # (a job still settling its run at the due moment counts as running: a second's margin)
            due = start + INTERVAL if end <= start + INTERVAL - 1 else end + INTERVAL
            assert following <= due + LATE, (f"a launch {following - due:.1f} s after it was due", children)
        assert any(launched < start < exited for start, _ in quick), ("rapida launched beside the hang", children)
        assert proc.poll() is None, "the scheduler survived the killed crawl"
        text = log_path.read_text(encoding="utf-8")
        assert "colgada" in text and "killed" in text
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
