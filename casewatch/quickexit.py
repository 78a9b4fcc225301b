"""A casewatch process ends without the interpreter's final garbage collections (issue 17).

When Python shuts down it collects garbage over every object the process still holds: Scrapy,
Twisted, SQLAlchemy and pydantic's classes and tables, a few hundred thousand objects, several
times. In a crawl child that cost about 0.3 s of CPU, a fifth of its whole life. At exit we close
the databases' idle connections ourselves (what those collections were there for: a SQLite
connection closed last checkpoints the WAL and removes it) and freeze the rest, which the shutdown
then frees by reference counting alone. Buffered files, logging handlers and temporary folders are
closed by their own exit hooks, as before.
"""

from __future__ import annotations

import atexit
import gc
import sys

_installed = False


def install() -> None:
    """From now on, this process's exit skips the collections (once per process; harmless in a
    process that runs commands in-process, like the test suite's: it only ends quicker)."""
    global _installed
    if not _installed:
        _installed = True
        atexit.register(_at_exit)


def _at_exit() -> None:
    store = sys.modules.get("pipeline.store.session")  # never imported here: a process without a database
    if store is not None:
        store.close_idle_connections()
    gc.freeze()
