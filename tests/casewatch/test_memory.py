"""The scheduler process's memory stays flat over 500 crawl cycles.

What runs for months is the scheduler process; each crawl is a child process that returns all its
memory to the system when it exits, so it cannot leak into the scheduler. This test runs the
scheduler's own side of 500 cycles in one process, for real: each cycle is a real `crawl_job`
(child process spawned, waited for, its run looked up, a failed child's run recorded, health
updated, alerts built), a digest tick, and a config check, with the config edited and the jobs
re-planned on a live APScheduler every 25 cycles. The child is a program that exits at once (half
of them with a failure code) instead of a Scrapy crawl, which would cost about 2 s of CPU per cycle;
`bench/scheduler_memory.py` runs the whole stack with real crawls and reports the same figure.
"""

from __future__ import annotations

import gc
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from casewatch.app import App
from casewatch.reload import ConfigWatcher
from casewatch.scheduler import crawl_job, digest_tick, plan_jobs
from config.settings import get_settings
from pipeline.store.models import CrawlRun
from tests.support.cli import CASE_FILE, ROOT

CYCLES = 500
WARM_UP = 50
ALLOWED_GROWTH_KB = 4096  # 4 MiB over 450 cycles: a leak of 10 KB per cycle would fail
SOURCES = """scheduler: {{config_poll: 1, jitter: 0}}
sources:
  - {{id: uno, name: Uno, kind: news, spider: feed, urls: ["http://127.0.0.1:9/uno"], allow_private: true,
     schedule: {schedule}}}
  - {{id: dos, name: Dos, kind: prosecutor, spider: feed, urls: ["http://127.0.0.1:9/dos"], allow_private: true}}
"""
SUBSCRIBERS = """subscribers:
  - {email: familia@example.org, cases: [juliaca-2023]}
"""


def rss_kb() -> int:
    """Resident memory of this process (what `ps` and the OOM killer see)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.slow
def test_scheduler_memory_is_flat_over_500_cycles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEWATCH_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    config = tmp_path / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(SOURCES.format(schedule="1h"), encoding="utf-8")
    (config / "subscribers.yaml").write_text(SUBSCRIBERS, encoding="utf-8")
    app = App(config_dir=config, db_url=f"sqlite:///{tmp_path / 'var' / 'c.db'}")
    scheduler = BackgroundScheduler(timezone="America/Lima")
    scheduler.start(paused=True)  # real job store and re-planning; the loop below runs the jobs itself
    watcher = ConfigWatcher(app, lambda old, new: plan_jobs(scheduler, app, old, new, run_now=False),
                            tmp_path / "var" / "run")
    try:
        plan_jobs(scheduler, app, None, app.config, run_now=False)
        samples: list[tuple[int, int]] = []
        since = datetime.now(UTC) - timedelta(days=1)
        for cycle in range(1, CYCLES + 1):
            source = "uno" if cycle % 2 else "dos"
            # exit 0: a finished crawl; exit 1: a crawl that died, whose run and alerts the scheduler owes
            crawl_job(app, source, command=["/bin/true" if cycle % 4 < 2 else "/bin/false"])
            digest_tick(app, since=since if cycle % 50 == 0 else None)
            if cycle % 25 == 0:  # an operator's edit, picked up and applied to the live job store
                (config / "sources.yaml").write_text(SOURCES.format(schedule=f"{cycle % 7 + 1}h"), encoding="utf-8")
                assert watcher.check() is True
            else:
                assert watcher.check() is None
            if cycle == WARM_UP or cycle % 50 == 0:
                gc.collect()
                samples.append((cycle, rss_kb()))
        with app.db.read() as session:  # the work was real: every child that died got its failed run
            failed = session.scalars(select(CrawlRun).where(CrawlRun.status == "failed")).all()
        assert len(failed) == CYCLES // 2 and all("ended with 1" in (r.error or "") for r in failed)
        assert {j.id for j in scheduler.get_jobs()} == {"crawl:uno", "crawl:dos", "housekeeping"}
        assert str(scheduler.get_job("crawl:uno").trigger) == f"interval[{CYCLES % 7 + 1}:00:00]"
    finally:
        watcher.close()
        scheduler.shutdown(wait=False)
        app.db.dispose()
        get_settings.cache_clear()

    start = dict(samples)[WARM_UP]
    end = samples[-1][1]
    report = {"cycles": CYCLES, "rss_kb_after_warm_up": start, "rss_kb_at_end": end, "growth_kb": end - start,
              "samples": samples, "pid": os.getpid()}
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "scheduler-memory.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nscheduler RSS over {CYCLES} cycles: {start} KB after {WARM_UP}, {end} KB at the end "
          f"({end - start:+d} KB)")
    assert end - start < ALLOWED_GROWTH_KB, report
