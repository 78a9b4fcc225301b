"""Crawl children that start warm: a fork server with Scrapy, Twisted and the crawler imported.

A spider child (tests/support/spiders.py) or a `casewatch crawl` child spends most of its life
importing Scrapy, Twisted, SQLAlchemy and the crawler before it fetches a byte. The fork server
imports them once per test process and forks a child per crawl: the child is still a fresh process
(its own reactor, installed after the fork; its own environment, folder, stdout and stderr; its own
exit code), only without the import time.

Nothing is imported here that reads the environment at import time (``crawler.settings`` computes
its user agent from the settings): the child reads its own environment, as a new process would.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from casewatch import quickexit

ROOT = Path(__file__).resolve().parents[2]
# Heavy imports shared by every spider child, none of which reads the environment when imported.
PRELOAD = ("scrapy.crawler", "crawler.tls", "scrapy.core.downloader.handlers.http11", "scrapy.http", "scrapy.spiders",
           "scrapy.spiderloader", "sqlalchemy.orm", "crawler.runner", "crawler.spiders.base", "crawler.pipelines",
           "pipeline.ingest", "casewatch.cli", "casewatch.crawl", "tests.support.spiders", "tests.support.crawl")


class ForkServer:
    """One warm server per test process, started at first use and stopped at exit."""

    _lock = threading.Lock()
    _server: ForkServer | None = None

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="casewatch-forkserver-"))
        self.address = str(self.folder / "socket")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.forkserver", self.address],
                                     cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        if ready.strip() != b"ready":
            raise RuntimeError(f"the fork server did not start (exit {self.proc.poll()})")

    @classmethod
    def shared(cls) -> ForkServer:
        with cls._lock:
            if cls._server is None or cls._server.proc.poll() is not None:
                cls._server = cls()
                atexit.register(cls._server.close)
            return cls._server

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def run(self, module: str, args: list[str], *, env: dict[str, str], cwd: Path,
            timeout: float) -> subprocess.CompletedProcess[str]:
        """``python -m MODULE ARGS`` as a forked child: its exit code (-N: killed by signal N) and output."""
        with tempfile.TemporaryDirectory(prefix="casewatch-forked-") as tmp:
            out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
            request = {"module": module, "args": args, "env": env, "cwd": str(cwd), "stdout": str(out),
                       "stderr": str(err)}
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(self.address)
                conn.sendall(json.dumps(request).encode() + b"\n")
                replies = conn.makefile("rb")
                pid = int(json.loads(replies.readline())["pid"])
                conn.settimeout(timeout)
                try:
                    code = int(json.loads(replies.readline())["code"])
                except TimeoutError:
                    os.kill(pid, signal.SIGKILL)  # the child this call started
                    raise subprocess.TimeoutExpired([module, *args], timeout) from None
            return subprocess.CompletedProcess([module, *args], code, out.read_text(encoding="utf-8"),
                                               err.read_text(encoding="utf-8"))


def _child(request: dict[str, Any]) -> None:
    """In the forked child: become ``python -m MODULE ARGS`` with the request's environment and files,
    and end as that process would: SystemExit, so the interpreter shuts down normally (atexit handlers,
    and objects finalised: a SQLite connection closed that way checkpoints and removes its WAL file)."""
    code = 0
    os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    quickexit.install()  # as `casewatch` itself ends: no final collections over the preloaded modules
    from config.settings import get_settings

    get_settings.cache_clear()
    sys.argv = [request["module"], *request["args"]]
    try:
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    raise SystemExit(code)


def serve(address: str) -> None:
    """Import PRELOAD, say ready, then fork one child per request and report its exit code."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    # The preloaded objects out of the collector's sight (Python's advice for a fork server): a
    # child's collections then scan only what it made, and never touch (copy) the shared pages.
    gc.freeze()
    assert "crawler.settings" not in sys.modules, "crawler.settings reads the environment at import"
    assert "twisted.internet.reactor" not in sys.modules, "a reactor before the fork would be shared"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(8)
    listener.settimeout(2)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    parent = os.getppid()
    print("ready", flush=True)
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            if os.getppid() != parent:  # the test process is gone (killed): so is its server
                os._exit(0)
            continue
        conn.settimeout(None)
        with conn:
            request = json.loads(conn.makefile("rb").readline())
            sys.stdout.flush()
            sys.stderr.flush()
            gc.freeze()
            pid = os.fork()
            if pid == 0:
                listener.close()
                conn.close()
                _child(request)  # never returns: the child exits with SystemExit
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            try:
                conn.sendall(json.dumps({"code": code}).encode() + b"\n")
            except OSError:  # the caller gave up (timeout) and killed the child
                pass


if __name__ == "__main__":
    serve(sys.argv[1])
