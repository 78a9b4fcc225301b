"""What the distributed-crawl tests share: a local news site of a hundred-odd pages watched by three
sources that share URLs, `casewatch worker` processes, and a private redis-server when a test stops it."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

import redis

from casewatch.localsite import LoopbackServer
from tests.support.cli import CASE_FILE, ROOT, child_env
from tests.support.smtpd import free_port

SHARED_REDIS = os.environ.get("CASEWATCH_TEST_REDIS", "redis://127.0.0.1:6379/0")
WORDS = ("fiscalía investigación Juliaca víctimas audiencia Congreso denuncia policía región Puno "
         "familiares justicia informe ministerio proceso carpeta disposición plazo juez acusación").split()


def article(i: int, edit: int) -> bytes:
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(120)]
    extra = f"<p>Actualización {edit} de la nota {i}.</p>" if edit else ""
    return (f"<!DOCTYPE html><html lang='es'><head><meta charset='utf-8'><title>Nota {i}</title></head><body>"
            f"<main><article><h1>Nota {i} sobre Juliaca</h1><p>{' '.join(words)}.</p>{extra}</article></main>"
            f"</body></html>").encode()


def feed(base: str, numbers: range, edited: set[int]) -> bytes:
    items = "".join(f"<item><title>Nota {i} sobre Juliaca{' (actualizada)' if i in edited else ''}</title>"
                    f"<link>{base}/nota/{i}</link>"
                    f"<pubDate>Mon, 23 Nov 2026 10:00:00 -0500</pubDate></item>" for i in numbers)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Diario</title>{items}</channel></rss>'.encode()


class NewsSite:
    """``pages`` articles (/nota/N) and three sources over them: feed A (the first 60%), feed B (the
    last 60%: the middle fifth is in both) and a page source C watching 30 articles of B's.

    Every GET is counted (``hits``); ``gate`` (set by default) holds the answers of the paths that
    start with one of ``gated`` (the articles) while cleared, so a test can have a crawl stopped
    mid-way with requests in flight; ``edited`` articles carry an edit (and their feed entry says so).
    ETags as most servers send them.
    """

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.edited: set[int] = set()
        self.pages_gone: set[int] = set()  # answer 404
        self.hits: Counter[str] = Counter()
        self.held = 0
        self.gated: tuple[str, ...] = ("/nota/",)
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()
        self.server = LoopbackServer(self.serve)
        self.base = self.server.base
        self.a = range(0, self.pages * 6 // 10)
        self.b = range(self.pages * 4 // 10, self.pages)
        self.c = range(self.pages - 30, self.pages)

    def serve(self, path: str, headers: Message) -> tuple[int, dict[str, str], bytes]:
        """One GET: counted, held while the gate is closed (``gated`` paths), answered with an ETag."""
        with self._lock:
            self.hits[path] += 1
        if path.startswith(self.gated) and not self.gate.is_set():
            with self._lock:
                self.held += 1
            self.gate.wait()
        status, ctype, body = self.answer(path)
        etag = f'"{hashlib.sha256(body).hexdigest()[:24]}"'
        if status == 200 and headers.get("If-None-Match") == etag:
            status, body = 304, b""
        return status, {"Content-Type": ctype, "ETag": etag}, body

    def answer(self, path: str) -> tuple[int, str, bytes]:
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nDisallow:\n"
        if path == "/feed-a":
            return 200, "application/rss+xml", feed(self.base, self.a, self.edited)
        if path == "/feed-b":
            return 200, "application/rss+xml", feed(self.base, self.b, self.edited)
        if path.startswith("/nota/") and path[6:].isdigit() and int(path[6:]) < self.pages \
                and int(path[6:]) not in self.pages_gone:
            n = int(path[6:])
            return 200, "text/html; charset=utf-8", article(n, 1 if n in self.edited else 0)
        return 404, "text/plain", b"not found"

    def page_hits(self) -> Counter[str]:
        """Fetches per URL, robots.txt aside."""
        with self._lock:
            return Counter({p: n for p, n in self.hits.items() if p != "/robots.txt"})

    def reset_hits(self) -> None:
        with self._lock:
            self.hits.clear()

    def all_paths(self) -> set[str]:
        return {"/feed-a", "/feed-b", *(f"/nota/{i}" for i in range(self.pages))}

    def sources_yaml(self) -> str:
        c_urls = ", ".join(f'"{self.base}/nota/{i}"' for i in self.c)
        common = "allow_private: true, download_delay: 0"
        return f"""sources:
  - {{id: diario-a, name: Diario A, kind: news, spider: feed, urls: ["{self.base}/feed-a"], follow: always, {common}}}
  - {{id: diario-b, name: Diario B, kind: news, spider: feed, urls: ["{self.base}/feed-b"], follow: always, {common}}}
  - {{id: paginas-c, name: Páginas C, kind: news, spider: page, urls: [{c_urls}], {common}}}
"""

    def config(self, tmp: Path) -> Path:
        config = tmp / "config"
        (config / "cases").mkdir(parents=True, exist_ok=True)
        (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
        (config / "sources.yaml").write_text(self.sources_yaml(), encoding="utf-8")
        (config / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
        return config

    def __enter__(self) -> NewsSite:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate.set()
        self.server.close()


def redis_env(url: str, prefix: str, **extra: str) -> dict[str, str]:
    """A child's environment on ``url`` with its own key prefix (tests share the Redis server)."""
    return child_env(CASEWATCH_REDIS_URL=url, CASEWATCH_REDIS_PREFIX=prefix, **extra)


def new_prefix() -> str:
    return f"cwtest-{uuid.uuid4().hex[:10]}"


class Processes:
    """`casewatch` children of one test, each logging to its own file; all killed at the end."""

    def __init__(self, tmp: Path, config: Path, db_url: str, env: dict[str, str]) -> None:
        self.tmp, self.config, self.db_url, self.env = tmp, config, db_url, env
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Path]:
        """``casewatch <args>`` in the background; ``env``: variables for this child only (a probe)."""
        log = self.tmp / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "casewatch", "--config", str(self.config), "--db",
                                     self.db_url, *args], cwd=ROOT, env={**self.env, **(env or {})}, stdout=out,
                                    stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc, log

    def worker(self, name: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Path]:
        return self.start(name, "worker", env=env)

    def run_once(self, name: str, timeout: float = 300) -> tuple[int, str]:
        """`casewatch run --once` in Redis mode, waited for: (exit code, its log)."""
        proc, log = self.start(name, "run", "--once")
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError(f"run --once did not finish in {timeout}s:\n{self.logs()}") from None
        return code, log.read_text(encoding="utf-8")

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(encoding='utf-8')[-4000:]}" for _, log in self.procs)

    def close(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until(condition: Any, *, timeout: float, what: str, procs: Processes | None = None) -> Any:
    """Poll ``condition`` until truthy (an event the test waits on, with a generous deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (result := condition()):
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f"\n{procs.logs()}" if procs else ""))


class RedisServer:
    """A private redis-server on a free loopback port, for a test that stops it: ``stop`` saves its data
    to its folder and ends it; ``start`` brings it back on the same port with that data."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (apt-get install redis-server)"
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.folder), "--dbfilename", "dump.rdb"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: _pings(client), timeout=30, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        """SHUTDOWN SAVE: the queue is kept on disk, as a Redis with persistence would."""
        try:
            redis.Redis.from_url(self.url).shutdown(save=True)
        except redis.ConnectionError:
            pass  # the server closes the connection as it ends
        assert self.proc is not None
        self.proc.wait(timeout=30)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@contextmanager
def private_redis(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.close()
