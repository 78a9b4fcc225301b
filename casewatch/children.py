"""Crawl child processes and the gate they are launched through.

Launching a crawl and deciding to stop exclude each other (one lock): once the gate is closed no
child starts, so "no new crawl after the signal" holds however the threads interleave. A closed
gate's children are asked to stop (SIGTERM: Scrapy closes its run as cancelled), given a grace
period, then killed.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from casewatch import probe

TIMED_OUT = 124  # a child killed at its time limit (as timeout(1) says)
NOT_LAUNCHED = -1000  # the gate was closed (or its check failed): no child was started
STOP_GRACE = 5.0  # seconds a stopped crawl gets to record its run before it is killed


@dataclass(frozen=True)
class Finished:
    """How one child ended: its exit code, pid (None: never started), when it was started, and
    whether it was stopped because the scheduler stops (its run is then cancelled, not failed)."""

    code: int
    pid: int | None = None
    started: datetime | None = None
    stopped: bool = False


class Gate:
    """Starts children unless closed; ``check`` (e.g. "do we still hold the scheduler lock?") is asked
    before each start, under the same lock as ``close``."""

    def __init__(self, check: Callable[[], bool] | None = None) -> None:
        self._lock = threading.Lock()
        self._check = check
        self.closed = False
        self._children: set[subprocess.Popen[bytes]] = set()

    def run(self, cmd: Sequence[str], env: Mapping[str, str], *, timeout: float, what: str = "") -> Finished:
        with self._lock:
            checked = time.monotonic()
            if self.closed or (self._check is not None and not self._check()):
                return Finished(NOT_LAUNCHED)
            started = datetime.now(UTC)
            # its own session: a terminal's Ctrl-C reaches the scheduler, which stops its children itself
            # (a child still importing would print a KeyboardInterrupt traceback)
            child = subprocess.Popen(list(cmd), env=dict(env), start_new_session=True)
            self._children.add(child)
            probe.trace(f"launch {what} {child.pid}", at=checked)
        probe.pause("crawling", lambda: self.closed)
        try:
            try:
                code = child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
                code = TIMED_OUT
        finally:
            probe.trace(f"exit {what} {child.pid}")  # with the launch line: how long each child held its slot
            with self._lock:
                self._children.discard(child)
                stopped = self.closed
        return Finished(code, child.pid, started, stopped=stopped)

    def close(self, on_close: Callable[[], None] | None = None) -> list[subprocess.Popen[bytes]]:
        """No more launches from now on (``on_close`` runs under the lock, so a log line it writes comes
        after every launch); returns the children still running."""
        with self._lock:
            self.closed = True
            if on_close is not None:
                on_close()
            return list(self._children)

    def stop_children(self, grace: float = STOP_GRACE) -> int:
        """Close the gate, ask every running child to stop, kill those still running after ``grace``;
        returns how many had to be killed."""
        children = self.close()
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + grace
        killed = 0
        for child in children:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                killed += 1
        return killed
