"""Benchmark: the memory of a real `casewatch run` over many crawl cycles.

    .venv/bin/python bench/scheduler_memory.py [--cycles 500] [--sources 2]

Starts the real scheduler on a fresh SQLite database against a loopback site whose pages change at
every request (so every crawl stores a version and a change), every source on a 1-second interval,
and samples the scheduler's resident memory (VmRSS) until the sources have finished ``--cycles``
crawls in all. Each crawl is a real `casewatch crawl` child process, so this takes a while
(about 2 s of CPU per crawl). Prints RSS after the warm-up and at the end, and the growth.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from casewatch.localsite import LocalSite
from pipeline.store.models import CrawlRun
from pipeline.store.session import Database

ROOT = Path(__file__).resolve().parents[1]
WARM_UP = 50


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--sources", type=int, default=2)
    args = parser.parse_args()

    serial = count()

    site = LocalSite(etags=False)  # pages change every two seconds (refresh below)
    work = Path(tempfile.mkdtemp(prefix="casewatch-bench-mem-"))
    config = work / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / "juliaca-2023.yaml").write_bytes((ROOT / "config/cases/juliaca-2023.yaml").read_bytes())
    with site:
        sources = "".join(
            f"  - {{id: s{i}, name: S{i}, kind: news, spider: page, urls: [\"{site.base}/p{i}\"], schedule: 1s,"
            f" allow_private: true, download_delay: 0}}\n" for i in range(args.sources))
        (config / "sources.yaml").write_text(
            f"scheduler: {{max_parallel_crawls: {args.sources}, jitter: 0}}\nsources:\n{sources}", encoding="utf-8")
        for i in range(args.sources):
            site.routes[f"/p{i}"] = (200, "text/html; charset=utf-8", b"")

        def refresh() -> None:
            n = next(serial)
            for i in range(args.sources):
                body = (f"<html><body><main><h1>Juliaca</h1><p>La fiscalía informa sobre la investigación por "
                        f"las muertes en Juliaca. Actualización {n}.</p></main></body></html>").encode()
                site.routes[f"/p{i}"] = (200, "text/html; charset=utf-8", body)

        db_url = f"sqlite:///{work / 'c.db'}"
        log = (work / "run.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "casewatch", "--config", str(config), "--db", db_url, "run"],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={"CASEWATCH_VAR_DIR": str(work / "var"), "PATH": "/usr/bin:/bin"})
        db = Database(db_url)
        samples: list[tuple[int, int]] = []
        started = time.monotonic()
        try:
            done = 0
            while done < args.cycles:
                time.sleep(2)
                refresh()
                if proc.poll() is not None:
                    raise SystemExit(f"the scheduler exited with {proc.returncode}; see {work / 'run.log'}")
                try:
                    with db.read() as s:
                        done = s.scalar(select(func.count()).select_from(CrawlRun)
                                        .where(CrawlRun.status != "running")) or 0
                except Exception:  # the schema may not exist yet in the first second
                    continue
                samples.append((done, rss_kb(proc.pid)))
                print(f"\r{done}/{args.cycles} crawls, scheduler RSS {samples[-1][1]} KB", end="", flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            log.close()
        with db.read() as s:
            statuses = dict(s.execute(select(CrawlRun.status, func.count()).group_by(CrawlRun.status)).all())
        db.dispose()
    after_warm_up = next(kb for n, kb in samples if n >= WARM_UP)
    end = samples[-1][1]
    peak = max(kb for _, kb in samples)
    print(f"\n{done} crawl cycles in {time.monotonic() - started:.0f} s; runs by status: {statuses}")
    print(f"scheduler RSS: {after_warm_up} KB after {WARM_UP} cycles, {end} KB at the end "
          f"({end - after_warm_up:+d} KB), peak {peak} KB")


if __name__ == "__main__":
    main()
