"""A 'running' crawl row is closed once its process is gone, and a zombie is gone: a crawl child whose
scheduler was SIGKILLed stays a zombie where init reaps nothing (a container), and runs no code."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime
from pathlib import Path

from pipeline.store.models import CrawlRun, Source
from pipeline.store.runs import close_stale_runs
from pipeline.store.session import Database


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_a_zombie_crawl_process_leaves_its_run_to_be_closed_a_live_one_keeps_it(db: Database, now: datetime) -> None:
    live = subprocess.Popen(["sleep", "60"])
    dead = subprocess.Popen(["true"])  # never waited for below until the end: it stays a zombie
    try:
        deadline = time.monotonic() + 30
        while _state(dead.pid) != "Z":
            assert time.monotonic() < deadline, "the child never exited"
            time.sleep(0.01)
        with db.write() as s:
            s.add(Source(id="s", name="S", kind="news", spider="listing", enabled=True, created_at=now,
                         updated_at=now))
        with db.write() as s:
            s.add_all([CrawlRun(source_id="s", status="running", started_at=now, pid=live.pid),
                       CrawlRun(source_id="s", status="running", started_at=now, pid=dead.pid)])
        with db.write() as s:
            close_stale_runs(s, "s", now)
        with db.read() as s:
            runs = {r.pid: r for r in s.query(CrawlRun)}
        assert runs[live.pid].status == "running" and runs[live.pid].finished_at is None
        assert runs[dead.pid].status == "failed" and "interrupted" in (runs[dead.pid].error or "")
    finally:
        live.kill()
        live.wait()
        dead.wait()
