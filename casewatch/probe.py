"""Test probes for `casewatch run`: named start-up stages where it can pause, and a trace of what it
launched and when it decided to stop. Inert unless ``CASEWATCH_PROBE_DIR`` is set.

Why: "a signal at any moment of start-up stops cleanly" and "no crawl starts after the signal" can
only be tested deterministically if a test can hold the process at a named point and read, in
order, what it did. ``CASEWATCH_PAUSE_AT=<stage>`` makes the process write ``<dir>/<stage>.reached``
and wait there until it is told to stop (or ``<dir>/<stage>.go`` appears).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

PROBE_DIR_ENV = "CASEWATCH_PROBE_DIR"
PAUSE_AT_ENV = "CASEWATCH_PAUSE_AT"
# In the order `casewatch run` passes them.
STAGES = ("imports", "signals", "database", "lock", "snapshot", "jobs", "started", "crawling")
CHILD_START = "child-start"  # in a crawl child, before it reads its config
PAUSE_LIMIT = 60.0  # a forgotten pause must not hang a test run forever

_lock = threading.Lock()


def _dir() -> Path | None:
    value = os.environ.get(PROBE_DIR_ENV)
    return Path(value) if value else None


def trace(event: str, at: float | None = None) -> None:
    """Append ``<monotonic time> <event>`` to ``<dir>/trace.log`` (one line, written whole); ``at``: the
    moment it was decided, when that came before this call (a job's lock check)."""
    folder = _dir()
    if folder is None:
        return
    with _lock, (folder / "trace.log").open("a", encoding="utf-8") as f:
        f.write(f"{time.monotonic() if at is None else at:.6f} {event}\n")


def pause(stage: str, released: Callable[[], bool]) -> None:
    """At ``stage``: trace it; if it is the stage named by CASEWATCH_PAUSE_AT, wait for ``released()``."""
    folder = _dir()
    if folder is None:
        return
    trace(f"stage {stage}")
    if os.environ.get(PAUSE_AT_ENV) != stage:
        return
    (folder / f"{stage}.reached").write_text(str(os.getpid()), encoding="utf-8")
    go = folder / f"{stage}.go"
    deadline = time.monotonic() + PAUSE_LIMIT
    while not released() and not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def seconds(env: str) -> float | None:
    """A test's shorter interval (e.g. the digest tick), when its variable is set."""
    value = os.environ.get(env)
    try:
        return float(value) if value else None
    except ValueError:
        return None
