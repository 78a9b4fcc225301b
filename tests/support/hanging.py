"""`casewatch run` against sources that never answer, held and traced through casewatch.probe."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from casewatch.probe import PROBE_DIR_ENV
from pipeline.store.models import CrawlRun
from pipeline.store.session import Database
from tests.support.cli import CASE_FILE, ROOT, child_env


@pytest.fixture(scope="module")
def hanging_site() -> Iterator[str]:
    """A local server that accepts every request and never answers while the tests run."""
    release = threading.Event()

    class Hang(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                self.send_response(404)
                self.end_headers()
                return
            release.wait(120)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hang)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def open_runs(db_url: str) -> list[CrawlRun]:
    """The crawl runs still marked running (a hanging crawl's, while it hangs)."""
    db = Database(db_url)
    try:
        with db.read() as s:
            return list(s.scalars(select(CrawlRun).where(CrawlRun.status == "running")))
    finally:
        db.dispose()


def hanging_config(tmp: Path, base: str, *, parallel: int, extra: str = "", count: int = 6,
                   poll: int = 30) -> Path:
    config = tmp / "config"
    (config / "cases").mkdir(parents=True, exist_ok=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    sources = "".join(
        f'  - {{id: colgada-{i}, name: Colgada {i}, kind: news, spider: page, urls: ["{base}/p{i}"], '
        f"allow_private: true, download_delay: 0, schedule: 1h, unhealthy_after: 1}}\n" for i in range(count))
    (config / "sources.yaml").write_text(
        f"maintainers: [mantenimiento@example.org]\nscheduler: {{max_parallel_crawls: {parallel}, jitter: 0, "
        f"crawl_time_limit: 300, config_poll: {poll}}}\n{extra}sources:\n{sources}", encoding="utf-8")
    return config


@dataclass
class Started:
    proc: subprocess.Popen[bytes]
    log: Path
    probe: Path

    def trace(self) -> list[tuple[float, str]]:
        path = self.probe / "trace.log"
        if not path.exists():
            return []
        lines = [line.split(" ", 1) for line in path.read_text(encoding="utf-8").splitlines()]
        return [(float(t), event) for t, event in lines]


def start(tmp: Path, config: Path, db_url: str, name: str, *, group: bool = False, **env: str) -> Started:
    """``group``: in a process group of its own, as a terminal runs it (for a Ctrl-C to the group)."""
    probe = tmp / f"probe-{name}"
    probe.mkdir()
    log = tmp / f"run-{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "casewatch", "--config", str(config), "--db", db_url, "run"],
                                cwd=ROOT, env=child_env(tmp / "var", **{PROBE_DIR_ENV: str(probe), **env}),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=group)
    return Started(proc, log, probe)




HANG_LIMIT = 120.0  # seconds: a stop that takes longer is a hang, whatever the machine's load


def _run_delay(pid: int) -> float:
    """Seconds the process's main thread has spent ready to run but waiting for a CPU (Linux schedstat;
    0 where it cannot be read)."""
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _exited(pid: int) -> bool:
    """Ended and not yet reaped (a zombie: its schedstat still readable) or gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def exit_time(proc: subprocess.Popen[bytes], sent: float) -> tuple[int | None, float]:
    """Wait for ``proc`` to end after a signal sent at ``sent`` (monotonic); returns its exit code (None:
    still running after HANG_LIMIT, then killed) and the seconds it took on its own account: the wall time
    less the time its main thread waited for a CPU, so a loaded machine (other test runs beside this one)
    does not stretch "exits within 10 s" while a process that sleeps or waits on something still fails it."""
    waited_before = _run_delay(proc.pid)
    while not _exited(proc.pid) and time.monotonic() - sent < HANG_LIMIT:
        time.sleep(0.01)
    ended = time.monotonic()
    waited = max(0.0, _run_delay(proc.pid) - waited_before)
    if not _exited(proc.pid):
        proc.kill()
        proc.wait()
        return None, ended - sent
    return proc.wait(), ended - sent - waited
