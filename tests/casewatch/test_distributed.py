"""Distributed crawling: `casewatch run` with CASEWATCH_REDIS_URL queues the due sources on
Redis, `casewatch worker` processes crawl them with scrapy-redis's scheduler and dupefilter into one
PostgreSQL database. Real Redis, real PostgreSQL, a local site on loopback."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from casewatch.probe import PAUSE_AT_ENV, PROBE_DIR_ENV
from casewatch.worker import JOIN_STAGE
from crawler.settings import CONCURRENT_REQUESTS
from pipeline.store.models import Change, CrawlRun, Document, Version
from pipeline.store.session import Database
from tests.support.cli import child_env, run_cli
from tests.support.distributed import (
    SHARED_REDIS,
    NewsSite,
    Processes,
    new_prefix,
    private_redis,
    redis_env,
    wait_until,
)

pytestmark = pytest.mark.slow  # worker processes, a hundred-odd pages, Redis restarted: half a minute each

# Enough that both workers hold requests at once with many more still queued in Redis (two in flight per
# worker and site), that the feeds overlap by a dozen articles and that every seventh one can be edited;
# how many pages is not the point, and each one costs every crawl of a test (four in the first) its fetch
# and its classification.
PAGES = 60
# A worker killed, Redis stopped: some pages in flight and more queued is all these need. Source C's
# 30 start requests are more than one worker's crawler takes from a run's queue (CONCURRENT_REQUESTS),
# so two workers share them (the killed-worker test counts on that).
FEW_PAGES = 40


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with NewsSite(PAGES) as served:
        yield served


@pytest.fixture
def small_site() -> Iterator[NewsSite]:
    with NewsSite(FEW_PAGES) as served:
        yield served


def _changes(db_url: str) -> Counter[tuple[str, str]]:
    """(url path, kind) of every change, counted: a duplicate shows as 2."""
    db = Database(db_url)
    try:
        with db.read() as session:
            rows = session.execute(select(Document.url, Change.kind).join(Change, Change.document_id == Document.id))
            return Counter((url.split("/", 3)[3], kind) for url, kind in rows)
    finally:
        db.dispose()


def _counts(db_url: str) -> dict[str, int]:
    db = Database(db_url)
    try:
        with db.read() as session:
            docs = session.scalar(select(func.count()).select_from(Document)) or 0
            urls = session.scalar(select(func.count(func.distinct(Document.url)))) or 0
            versions = session.execute(select(Version.document_id, Version.sha256, func.count())
                                       .group_by(Version.document_id, Version.sha256)).all()
            running = session.scalar(select(func.count()).select_from(CrawlRun).where(CrawlRun.status == "running"))
            return {"documents": docs, "distinct_urls": urls, "versions": sum(n for *_, n in versions),
                    "duplicate_versions": sum(n - 1 for *_, n in versions), "running": running or 0}
    finally:
        db.dispose()


def _runs(db_url: str) -> list[CrawlRun]:
    db = Database(db_url)
    try:
        with db.read() as session:
            return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    finally:
        db.dispose()


def _single_process(site: NewsSite, tmp: Path, db_url: str) -> Counter[tuple[str, str]]:
    """The same site crawled by `casewatch crawl` in one process (the reference)."""
    config = site.config(tmp / "single")
    done = run_cli("--config", str(config), "--db", db_url, "crawl", "--all", timeout=600,
                   env={"CASEWATCH_VAR_DIR": str(tmp / "single-var")})
    assert done.returncode == 0, done.stderr
    return _changes(db_url)


def _all_taken(client: redis.Redis, prefix: str, requests: int) -> bool:
    """The cycle's ``requests`` all enqueued (its dupefilter saw that many) and all taken by the workers
    (every run's queue empty)."""
    seen = sum(int(client.scard(key)) for key in client.scan_iter(f"{prefix}:cycle:*:seen"))
    queued = sum(int(client.zcard(key)) for key in client.scan_iter(f"{prefix}:run:*:queue"))
    return seen == requests and queued == 0


@pytest.mark.postgres
def test_two_workers_fetch_each_page_once_and_find_what_one_process_finds(site: NewsSite, tmp_path: Path) -> None:
    from tests.conftest import _pg_schema

    prefix = new_prefix()
    with _pg_schema() as dist_db, _pg_schema() as single_db:
        procs = Processes(tmp_path, site.config(tmp_path), dist_db,
                          redis_env(SHARED_REDIS, prefix, CASEWATCH_VAR_DIR=str(tmp_path / "var")))
        try:
            procs.worker("worker1")
            procs.worker("worker2")
            code, log = procs.run_once("cycle1")
            assert code == 0, procs.logs()
            hits = site.page_hits()
            assert set(hits) == site.all_paths(), procs.logs()
            assert {p: n for p, n in hits.items() if n != 1} == {}, "every page fetched once in the cycle"
            assert "3 sources" not in log  # the scheduler's own per-source lines, not a crawl child's summary
            first = _changes(dist_db)
            assert {k: n for k, n in first.items() if n != 1} == {}, "no duplicate change"
            counts = _counts(dist_db)
            assert counts["documents"] == counts["distinct_urls"] == PAGES + 0  # feeds are not documents
            assert counts["duplicate_versions"] == 0 and counts["running"] == 0
            runs = _runs(dist_db)
            assert sorted(r.source_id for r in runs) == ["diario-a", "diario-b", "paginas-c"]
            assert all(r.status == "ok" for r in runs), [(r.source_id, r.status, r.error) for r in runs]
            assert sum(r.new for r in runs) == PAGES and sum(r.pages for r in runs) == PAGES + 2

            reference = _single_process(site, tmp_path, single_db)
            assert first == reference  # the same changes as a single-process crawl

            # A second cycle after edits: fetched once each again (a new cycle, a new dupefilter),
            # the same `updated` changes as the single process finds.
            site.edited = set(range(0, PAGES, 7))
            site.reset_hits()
            code, _ = procs.run_once("cycle2")
            assert code == 0, procs.logs()
            assert {p: n for p, n in site.page_hits().items() if n != 1} == {}
            second = _changes(dist_db)
            assert second == _single_process(site, tmp_path, single_db)
            assert second[("nota/7", "updated")] == 1
            assert _counts(dist_db)["running"] == 0
            client = redis.Redis.from_url(SHARED_REDIS)
            assert list(client.scan_iter(f"{prefix}:run:*")) == []  # closed runs leave nothing in Redis
            assert list(client.scan_iter(f"{prefix}:cycle:*")) == []
        finally:
            procs.close()


@pytest.mark.postgres
def test_a_worker_killed_mid_crawl_loses_only_its_in_flight_pages(small_site: NewsSite, tmp_path: Path) -> None:
    from tests.conftest import _pg_schema

    site = small_site

    prefix = new_prefix()
    client = redis.Redis.from_url(SHARED_REDIS)
    with _pg_schema() as db_url:
        env = redis_env(SHARED_REDIS, prefix, CASEWATCH_VAR_DIR=str(tmp_path / "var"), CASEWATCH_WORKER_LEASE="5")
        procs = Processes(tmp_path, site.config(tmp_path), db_url, env)
        try:
            victim, _ = procs.worker("victim")
            procs.worker("survivor")
            # Feeds and articles wait: no feed is read, so the cycle's requests are the two feeds and C's
            # 30 start requests, all in their runs' queues. A worker's crawler takes at most
            # CONCURRENT_REQUESTS (16) of a queue and nothing it took finishes while the gate is closed (a
            # held answer times out after DOWNLOAD_TIMEOUT, and its retry goes back to the queue): once
            # every request is taken, each worker holds some of C's, whatever the order they were taken in.
            # (Waiting for both to be in the runs' ``busy`` sets was not enough: the worker that queues
            # requests takes them at once, the other only what is left at its next poll, maybe nothing.)
            site.gated = ("/nota/", "/feed-")
            site.gate.clear()
            assert len(site.c) > CONCURRENT_REQUESTS
            cycle, _ = procs.start("cycle1", "run", "--once")
            wait_until(lambda: _all_taken(client, prefix, len(site.c) + 2) and site.held >= 2, timeout=120,
                       what="both workers holding requests", procs=procs)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            site.gate.set()
            assert cycle.wait(timeout=300) == 0, procs.logs()
            runs = _runs(db_url)
            assert [r for r in runs if r.status == "running"] == []
            lost = [r for r in runs if r.error and "stopped answering" in r.error]
            # partial, or failed when the killed worker held everything its run had seen (RunCounters.judge)
            assert lost and all(r.status in ("partial", "failed") for r in lost), \
                [(r.source_id, r.status, r.error) for r in runs]
            stored = _counts(db_url)["documents"]
            assert stored < FEW_PAGES  # the victim's in-flight pages were lost in this cycle

            code, _ = procs.run_once("cycle2")  # the next cycle fetches what was lost
            assert code == 0, procs.logs()
            assert _counts(db_url)["documents"] == FEW_PAGES
            changes = _changes(db_url)
            assert {k: n for k, n in changes.items() if n != 1} == {}, "no duplicate change"
            assert sum(1 for (_, kind) in changes if kind == "new") == FEW_PAGES
            assert _counts(db_url)["running"] == 0 and _counts(db_url)["duplicate_versions"] == 0
        finally:
            procs.close()


@pytest.mark.postgres
def test_redis_stopped_mid_cycle_is_one_line_each_and_the_crawl_resumes(small_site: NewsSite, tmp_path: Path) -> None:
    from tests.conftest import _pg_schema

    site = small_site

    (tmp_path / "redis").mkdir()
    with _pg_schema() as db_url, private_redis(tmp_path / "redis") as server:
        # A live worker's holds must outlast the outage this test makes (its lease is on Redis's clock,
        # which goes on while Redis is away): nothing here needs one to run out, so no load makes it.
        env = redis_env(server.url, new_prefix(), CASEWATCH_VAR_DIR=str(tmp_path / "var"),
                        CASEWATCH_WORKER_LEASE="600")
        procs = Processes(tmp_path, site.config(tmp_path), db_url, env)
        try:
            _, log1 = procs.worker("worker1")
            _, log2 = procs.worker("worker2")
            site.gate.clear()
            cycle, cycle_log = procs.start("cycle1", "run", "--once")
            wait_until(lambda: site.held >= 2, timeout=120, what="requests in flight", procs=procs)
            server.stop()
            site.gate.set()
            for log in (log1, log2, cycle_log):  # each process says so, once
                wait_until(lambda log=log: "is unreachable" in log.read_text(encoding="utf-8"), timeout=120,
                           what=f"{log.name} to report Redis unreachable", procs=procs)
            server.start()
            assert cycle.wait(timeout=300) == 0, procs.logs()
            for log in (log1, log2, cycle_log):
                text = log.read_text(encoding="utf-8")
                assert text.count("is unreachable") == 1, text
                assert "Traceback" not in text, text
            assert "is back" in cycle_log.read_text(encoding="utf-8")
            assert _counts(db_url)["running"] == 0
            assert _counts(db_url)["documents"] == FEW_PAGES  # resumed: the whole site, in the same cycle
            changes = _changes(db_url)
            assert {k: n for k, n in changes.items() if n != 1} == {}
        finally:
            procs.close()


@pytest.mark.postgres
def test_redis_lost_as_a_workers_crawl_starts_the_run_is_still_finished_once(small_site: NewsSite,
                                                                           tmp_path: Path) -> None:
    """Redis goes away after the worker took the runs and before its crawlers' engines start (held
    there by the probe, then Redis stopped): the engine fails to open ("Engine slot not assigned" hides
    the connection error). The worker says Redis is unreachable, once, and joins the runs again when it
    is back: every page fetched exactly once, every run `ok`, in the same cycle (not left waiting)."""
    from tests.conftest import _pg_schema

    (tmp_path / "redis").mkdir()
    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    small = small_site
    with _pg_schema() as db_url, private_redis(tmp_path / "redis") as server:
        procs = Processes(tmp_path, small.config(tmp_path), db_url,
                          redis_env(server.url, new_prefix(), CASEWATCH_VAR_DIR=str(tmp_path / "var")))
        try:
            _, log = procs.worker("worker", env={PROBE_DIR_ENV: str(probe_dir), PAUSE_AT_ENV: JOIN_STAGE})
            cycle, _ = procs.start("cycle", "run", "--once")
            wait_until(lambda: (probe_dir / f"{JOIN_STAGE}.reached").exists(), timeout=120,
                       what="the worker holding its first crawl before the engine starts", procs=procs)
            server.stop()
            (probe_dir / f"{JOIN_STAGE}.go").touch()
            wait_until(lambda: "is unreachable" in log.read_text(encoding="utf-8"), timeout=60,
                       what="the worker to report Redis unreachable", procs=procs)
            server.start()
            assert cycle.wait(timeout=180) == 0, procs.logs()
            text = log.read_text(encoding="utf-8")
            assert text.count("is unreachable") == 1 and "is back" in text, text
            assert "ended with an error" not in text and "Traceback" not in text, text
            runs = _runs(db_url)
            assert [(r.source_id, r.status, r.error) for r in runs] == \
                [(s, "ok", None) for s in ("diario-a", "diario-b", "paginas-c")]
            assert {p: n for p, n in small.page_hits().items() if n != 1} == {}, "every page fetched once"
            assert set(small.page_hits()) == small.all_paths()
            counts = _counts(db_url)
            assert counts["documents"] == FEW_PAGES and counts["running"] == 0 and counts["duplicate_versions"] == 0
            assert {k: n for k, n in _changes(db_url).items() if n != 1} == {}, "no duplicate change"
        finally:
            procs.close()


def test_worker_without_redis_is_one_line(tmp_path: Path) -> None:
    done = run_cli("--db", f"sqlite:///{tmp_path / 'x.db'}", "worker", env=child_env(tmp_path / "var"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "casewatch: casewatch worker needs the shared Redis: --redis URL or CASEWATCH_REDIS_URL"]


@pytest.mark.postgres
def test_the_daemon_queues_revisits_and_records_runs_from_the_workers(tmp_path: Path) -> None:
    """`casewatch run` (the daemon) with Redis: a pinned document the feeds no longer list is
    re-checked by a worker (revisit phase), its 404s make it `removed`; SIGTERM stops the daemon
    with every run closed and nothing left in Redis."""
    from tests.conftest import _pg_schema

    prefix = new_prefix()
    client = redis.Redis.from_url(SHARED_REDIS)
    with NewsSite(40) as small, _pg_schema() as db_url:
        config = small.config(tmp_path)
        env = redis_env(SHARED_REDIS, prefix, CASEWATCH_VAR_DIR=str(tmp_path / "var"))
        procs = Processes(tmp_path, config, db_url, env)
        try:
            procs.worker("worker1")
            code, _ = procs.run_once("cycle1")
            assert code == 0, procs.logs()
            assert _counts(db_url)["documents"] == 40
            gone = f"{small.base}/nota/0"
            pinned = run_cli("--config", str(config), "--db", db_url, "pin", gone, env=env)
            assert pinned.returncode == 0, pinned.stderr
            small.a = range(1, 24)  # feed A no longer lists it, and the page is gone
            small.pages_gone = {0}
            small.reset_hits()
            daemon, log = procs.start("daemon", "run")
            wait_until(lambda: len([r for r in _runs(db_url) if r.status != "running"]) == 6, timeout=240,
                       what="the daemon's first three runs closed", procs=procs)
            assert small.page_hits()["/nota/0"] == 1  # the revisit, once
            removed = run_cli("--config", str(config), "--db", db_url, "changes", "--kind", "removed", "--json",
                              env=env)
            assert removed.returncode == 0, removed.stderr
            assert '"kind": "removed"' not in removed.stdout  # one 404 is not yet a removal
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0, procs.logs()
            text = log.read_text(encoding="utf-8")
            assert "queued for the workers" in text and "revisit(s)" in text
            code, _ = procs.run_once("cycle3")  # the second 404 in a row: removed
            assert code == 0, procs.logs()
            assert _changes(db_url)[("nota/0", "removed")] == 1
            assert _counts(db_url)["running"] == 0
            assert list(client.scan_iter(f"{prefix}:run:*")) == []
        finally:
            procs.close()
