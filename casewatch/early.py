"""Stop signals that reach `casewatch run` while it is still importing (about a second: Scrapy,
SQLAlchemy, the rule tables), before the scheduler installs its handlers.

Left alone, SIGTERM would kill the process the default way and Ctrl-C would raise KeyboardInterrupt
in the middle of an import (a traceback). Imported first by the package, this module notes them
instead, for `casewatch run` only (every other command keeps Python's defaults); the scheduler's
Stop takes them over when it installs its own handlers and stops at once, exit 0.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from types import FrameType

from casewatch import probe

IMPORTS = "imports"  # the probe stage while the package is importing (tests hold the process here)
_GLOBAL_OPTIONS_WITH_VALUE = frozenset(("--config", "--db"))
_SEEN: list[int] = []


def _note(signum: int, _frame: FrameType | None) -> None:
    _SEEN.append(signum)


def command(argv: list[str]) -> str | None:
    """The casewatch command named in ``argv`` ("run" in `casewatch --config c run`), if this process
    is casewatch itself (its script, or `python -m casewatch` while the package is being found)."""
    if not argv or not (argv[0] == "-m" or os.path.basename(argv[0]) == "casewatch"):
        return None
    args = iter(argv[1:])
    for arg in args:
        if arg in _GLOBAL_OPTIONS_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def defer_collection() -> None:
    """For `casewatch crawl`: no cyclic garbage collection while the process imports and sets up.

    Importing Scrapy, Twisted, SQLAlchemy and pydantic makes ~1M long-lived objects and the collector
    walked them again and again (~0.2 s of CPU per crawl process); the crawl turns collection back on,
    with what exists by then frozen (crawler/runner.py, ``run_crawls``)."""
    if command(sys.argv) == "crawl":
        gc.disable()


def hold() -> None:
    """For `casewatch run` (not `--once`): from here on SIGTERM and SIGINT are only noted."""
    if command(sys.argv) != "run" or "--once" in sys.argv:
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _note)
    probe.pause(IMPORTS, lambda: bool(_SEEN))


def python_default(signum: int, handler: object) -> object:
    """``handler``, or Python's own default where it is this module's (so that a Stop restores that)."""
    if handler is not _note:
        return handler
    return signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL


def taken() -> list[int]:
    """The signals noted so far, once: the scheduler's Stop acts on them."""
    seen = list(_SEEN)
    _SEEN.clear()
    return seen
