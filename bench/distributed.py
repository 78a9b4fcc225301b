"""Benchmark: a distributed crawl cycle on 1 and on 2 `casewatch worker` processes, and Redis memory.

    .venv/bin/python bench/distributed.py [--pages 2000] [--queued 10000] [--runs 1]
                                          [--pg postgresql://postgres@127.0.0.1:5432/test]
                                          [--redis redis://127.0.0.1:6379/0] [--no-append]

A loopback site serves N article pages (~900 words each) behind an RSS feed watched by one `feed`
source (follow: always). For 1 and for 2 workers: a fresh PostgreSQL schema, the workers started and
ready, then `casewatch run --once` with CASEWATCH_REDIS_URL timed from start to exit (enqueue, crawl,
store, every run closed): wall time and pages/s. Memory: the same site with a feed of --queued
entries, article answers held, one worker: once the run's queue holds them all, Redis's own
MEMORY USAGE of the queue and of the cycle's dupefilter, and the server's used_memory growth.
Appends the figures to bench/RESULTS.md (unless --no-append).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import psycopg
import redis

from casewatch.localsite import LoopbackServer

ROOT = Path(__file__).resolve().parents[1]
WORDS = ("fiscalía investigación Juliaca víctimas audiencia Congreso denuncia policía región Puno "
         "familiares justicia informe ministerio proceso carpeta disposición plazo juez acusación").split()


def article(i: int) -> bytes:
    rng = random.Random(i)
    body = "".join(f"<p>{' '.join(rng.choice(WORDS) for _ in range(90))}.</p>" for _ in range(10))
    return (f"<!DOCTYPE html><html lang='es'><head><meta charset='utf-8'><title>Nota {i}</title></head><body>"
            f"<main><article><h1>Nota {i} sobre Juliaca</h1>{body}</article></main></body></html>").encode()


class Site:
    """/feed lists /nota/0..N-1; ``hold`` keeps article answers waiting (the memory phase)."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.open = threading.Event()
        self.open.set()
        self.server = LoopbackServer(self.answer)
        self.base = self.server.base
        self.server.start()

    def answer(self, path: str, _headers: Message) -> tuple[int, dict[str, str], bytes]:
        """/feed, /nota/N (held while ``open`` is cleared), /robots.txt; 404 otherwise."""
        if path == "/feed":
            items = "".join(f"<item><title>Nota {i} sobre Juliaca</title><link>{self.base}/nota/{i}</link>"
                            f"<pubDate>Mon, 23 Nov 2026 10:00:00 -0500</pubDate></item>" for i in range(self.pages))
            status, ctype, body = 200, "application/rss+xml", (
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>Diario</title>{items}'
                f"</channel></rss>").encode()
        elif path.startswith("/nota/"):
            self.open.wait()
            status, ctype, body = 200, "text/html; charset=utf-8", article(int(path[6:]))
        elif path == "/robots.txt":
            status, ctype, body = 200, "text/plain", b"User-agent: *\nDisallow:\n"
        else:
            status, ctype, body = 404, "text/plain", b"not found"
        return status, {"Content-Type": ctype}, body

    def config(self, folder: Path) -> Path:
        (folder / "cases").mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "config/cases/juliaca-2023.yaml", folder / "cases")
        (folder / "sources.yaml").write_text(
            f"sources:\n  - {{id: diario, name: Diario, kind: news, spider: feed, urls: [\"{self.base}/feed\"], "
            f"follow: always, allow_private: true, download_delay: 0}}\n", encoding="utf-8")
        (folder / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
        return folder

    def close(self) -> None:
        self.open.set()
        self.server.close()


@contextmanager
def schema(pg: str) -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield f"{pg.replace('postgresql://', 'postgresql+psycopg://')}?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


class Fleet:
    """k workers (and the scheduler) of one measurement, on their own Redis key prefix."""

    def __init__(self, tmp: Path, config: Path, db: str, redis_url: str) -> None:
        self.tmp, self.config, self.db = tmp, config, db
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CASEWATCH_", "DATABASE_URL"))}
        self.env.update(CASEWATCH_REDIS_URL=redis_url, CASEWATCH_REDIS_PREFIX=self.prefix,
                        CASEWATCH_VAR_DIR=str(tmp / "var"))
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.tmp / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "casewatch", "--config", str(self.config), "--db", self.db,
                                     *args], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc, log

    def workers(self, k: int) -> None:
        logs = [self.start(f"worker{i}", "worker")[1] for i in range(k)]
        for log in logs:  # ready: said it takes requests (after migrating the schema)
            wait(lambda log=log: "taking crawl requests" in log.read_text(encoding="utf-8"), 300, f"{log.name} ready")

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (result := condition()):
            return result
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def cycle(site: Site, tmp: Path, pg: str, redis_url: str, workers: int) -> tuple[float, str]:
    """Wall seconds of one `run --once` over the site with ``workers`` workers; the run's line."""
    with schema(pg) as db:
        folder = tmp / f"w{workers}-{uuid.uuid4().hex[:6]}"
        fleet = Fleet(folder, site.config(folder / "config"), db, redis_url)
        try:
            fleet.workers(workers)
            started = time.monotonic()
            proc, log = fleet.start("run", "run", "--once")
            code = proc.wait(timeout=3600)
            took = time.monotonic() - started
            text = log.read_text(encoding="utf-8")
            if code != 0:
                raise SystemExit(f"run --once exited {code}:\n{text[-3000:]}")
            line = next((ln.split(": ", 1)[1] for ln in text.splitlines() if "source diario:" in ln
                         and "queued" not in ln), "?")
            return took, line
        finally:
            fleet.close()


def memory(tmp: Path, pg: str, redis_url: str, queued: int) -> dict[str, int]:
    """Bytes Redis holds for a run with ``queued`` requests waiting (answers held meanwhile)."""
    site = Site(queued)
    site.open.clear()
    client = redis.Redis.from_url(redis_url)
    try:
        with schema(pg) as db:
            folder = tmp / "memory"
            fleet = Fleet(folder, site.config(folder / "config"), db, redis_url)
            try:
                fleet.workers(1)
                before = int(client.info("memory")["used_memory"])
                fleet.start("run", "run", "--once")
                prefix = fleet.prefix

                def queue_full() -> bytes | None:
                    for key in client.scan_iter(f"{prefix}:run:*:queue"):
                        if client.zcard(key) >= queued - 64:  # a worker holds at most a few dozen in flight
                            return key
                    return None

                queue = wait(queue_full, 1200, f"{queued} requests queued")
                seen = next(iter(client.scan_iter(f"{prefix}:cycle:*:seen")))
                out = {"queued": int(client.zcard(queue)), "queue_bytes": int(client.memory_usage(queue) or 0),
                       "seen": int(client.scard(seen)), "seen_bytes": int(client.memory_usage(seen) or 0),
                       "used_memory_growth": int(client.info("memory")["used_memory"]) - before,
                       "ttl_s": int(client.pttl(seen) // 1000)}
            finally:
                site.open.set()
                fleet.close()
                for key in client.scan_iter(f"{fleet.prefix}:*"):
                    client.delete(key)
    finally:
        site.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--queued", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--no-append", action="store_true")
    ns = parser.parse_args()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        site = Site(ns.pages)
        try:
            for _run in range(ns.runs):
                for workers in (1, 2):
                    load = os.getloadavg()[0]
                    took, line = cycle(site, Path(tmp), ns.pg, ns.redis, workers)
                    row = (f"| {ns.pages} | {workers} | {took:.1f} | {ns.pages / took:.1f} | {load:.2f} | "
                           f"{line} |")
                    print(row, flush=True)
                    lines.append(row)
        finally:
            site.close()
        mem = memory(Path(tmp), ns.pg, ns.redis, ns.queued)
    print(mem)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    block = [
        "", f"## Distributed crawl (issue 18), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit.strip()}",
        "", f"`.venv/bin/python bench/distributed.py --pages {ns.pages} --queued {ns.queued} --runs {ns.runs}` on "
        f"{platform.machine()}, {os.cpu_count()} cores (shared with other work: load average before each row), "
        "PostgreSQL and Redis on this machine, one `feed` source (follow: always) over a loopback site of "
        "~900-word articles; wall time of `casewatch run --once` (enqueue, crawl, store, run closed) with the "
        "workers already started.", "",
        "| pages | workers | wall s | pages/s | load | the run's line |", "|---|---|---|---|---|---|", *lines, "",
        f"Redis for {mem['queued']} queued requests (one run, answers held so the queue stays full): queue "
        f"{mem['queue_bytes'] / 1e6:.2f} MB (MEMORY USAGE), the cycle's dupefilter {mem['seen_bytes'] / 1e6:.2f} MB "
        f"for {mem['seen']} fingerprints, server used_memory +{mem['used_memory_growth'] / 1e6:.2f} MB; the "
        f"dupefilter's TTL {mem['ttl_s']} s (renewed while used), every key of a run deleted when it closes.", ""]
    if not ns.no_append:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write("\n".join(block))
    print("\n".join(block))


if __name__ == "__main__":
    main()
