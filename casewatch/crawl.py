"""`casewatch crawl`: run sources, show progress, summarise; and a subprocess form for the scheduler."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from casewatch import probe
from casewatch.app import App
from casewatch.children import Finished, Gate
from config.schema import Source
from crawler.extensions import RunCounters

STATUS_MARK = {"ok": "✓", "empty": "∅", "partial": "!", "failed": "✗", "running": "…", "cancelled": "-"}


class ProgressPrinter:
    """Per-source progress: one live line on a terminal, one final line per source everywhere."""

    def __init__(self, stream: TextIO | None, live: bool):
        self.stream, self.live = stream, live
        self._states: dict[str, RunCounters] = {}
        self._last_draw = 0.0

    def __call__(self, c: RunCounters) -> None:
        self._states[c.source_id] = c
        if self.stream is None:
            return
        if c.status != "running":
            self._clear()
            self.stream.write(describe(c) + "\n")
            self.stream.flush()
        elif self.live and time.monotonic() - self._last_draw > 0.2:
            self._last_draw = time.monotonic()
            running = [s for s in self._states.values() if s.status == "running"]
            line = "  ".join(f"{s.source_id}: {s.pages}p {s.items}i +{s.new} ~{s.updated}" for s in running)
            self.stream.write("\r\x1b[2K" + line[:200])
            self.stream.flush()

    def _clear(self) -> None:
        if self.live and self.stream is not None:
            self.stream.write("\r\x1b[2K")


def describe(c: RunCounters) -> str:
    """One line per finished source; a failed one says why."""
    head = f"{STATUS_MARK.get(c.status, '?')} {c.source_id:<22} {c.status:<7}"
    if c.status == "failed":
        return f"{head} {c.first_error or 'no items and no error recorded'}"
    took = f"{(c.finished - c.started).total_seconds():.1f}s" if c.finished else ""
    line = (f"{head} {c.pages} pages, {c.items} items: {c.new} new, {c.updated} updated, {c.removed} removed, "
            f"{c.restored} restored{f', {c.reverted} reverted' if c.reverted else ''}  {took}")
    if c.status == "partial" and c.first_error:
        line += f"  ({c.errors} errors; first: {c.first_error})"
    return line


@dataclass
class CrawlSummary:
    results: dict[str, RunCounters]

    @property
    def failed(self) -> list[str]:
        return [s for s, c in self.results.items() if c.status == "failed"]

    def line(self) -> str:
        total = self.results.values()
        return (f"{len(self.results)} sources: {sum(c.status in ('ok', 'partial') for c in total)} ok, "
                f"{sum(c.status == 'empty' for c in total)} empty, {len(self.failed)} failed; "
                f"{sum(c.items for c in total)} items, {sum(c.new for c in total)} new, "
                f"{sum(c.updated for c in total)} updated, {sum(c.removed for c in total)} removed")

    def offline_hint(self) -> str | None:
        """When two or more sources all failed their DNS lookup, the fault is this machine's network."""
        runs = list(self.results.values())
        if len(runs) < 2 or not all(c.status == "failed" and failed_on_dns(c.first_error) for c in runs):
            return None
        return OFFLINE_HINT.format(n=f"all {len(runs)}")


DNS_FAILED = "DNS lookup failed"  # Scrapy's words (twisted DNSLookupError), kept in the run's error
OFFLINE_HINT = ("{n} sources failed their DNS lookup: this machine looks offline (check its network "
                "connection and DNS server); the sources themselves may be fine")


def failed_on_dns(error: str | None) -> bool:
    return error is not None and DNS_FAILED in error


def went_offline(app: App, source_id: str) -> str | None:
    """For a scheduled crawl of one source: the offline hint when this failure completes the picture
    (every enabled source's last run failed on DNS, and this source's run before did not), so a
    scheduler on an offline machine says it once, not once per source per schedule."""
    from pipeline.store.runs import last_finished_runs, recent_finished_runs

    enabled = [s.id for s in app.config.enabled_sources]
    with app.db.read() as session:
        last = last_finished_runs(session)
        mine = recent_finished_runs(session, source_id, 2)
    if len(enabled) < 2 or not all(i in last and last[i].status == "failed" and failed_on_dns(last[i].error)
                                   for i in enabled):
        return None
    if len(mine) > 1 and mine[1].status == "failed" and failed_on_dns(mine[1].error):
        return None
    # Crawls of several sources end at the same moment in their own processes, and each may see every
    # failure recorded: only the one whose run finished last says it.
    newest = max((last[i] for i in enabled), key=lambda r: (r.finished_at is not None, r.finished_at, r.id))
    if newest.source_id != source_id:
        return None
    return OFFLINE_HINT.format(n=f"all {len(enabled)}")


def crawl(app: App, sources: Sequence[Source], *, stream: TextIO | None, verbose: bool = False) -> CrawlSummary:
    """Crawl in this process (Scrapy's reactor: once per process), with the revisits that are due."""
    from crawler.runner import run_crawls
    from pipeline import revisit
    from pipeline.classify import lemma_index

    # The lemma dictionary's block index is kept in the data folder: each crawl process that reads a
    # relevant text opens the dictionary in ~0.05 s instead of ~0.4 s (pipeline/classify/lemma_index.py).
    lemma_index.install(app.settings.var_dir.absolute() / "cache")
    printer = ProgressPrinter(stream, live=stream is not None and stream.isatty())
    policy = app.config.scheduler
    due = revisit.due(app.db, [s.id for s in sources], policy.revisit, datetime.now(UTC), policy.revisit_max_per_crawl)
    if verbose and due and stream is not None:
        stream.write(f"re-checking {sum(map(len, due.values()))} known document(s) due for a revisit\n")
    results = run_crawls(sources, cases=app.config.cases.values(), db=app.db, progress=printer, revisit=due,
                         log_level="INFO" if verbose else "WARNING")
    for source in sources:  # a spider that failed to even open still gets reported
        if source.id not in results:
            c = RunCounters(source_id=source.id, status="failed", first_error="the spider did not start")
            results[source.id] = c
            printer(c)
    return CrawlSummary(results)


def after_crawl(app: App) -> tuple[int, int]:
    """The end of a crawl cycle: immediate alerts for major legal steps, and maintainer alerts.

    Returns (immediate alerts built, health alerts queued); everything pending is delivered once.
    """
    from alerts.digest import build_immediate  # the rest only when needed: each crawl process pays the imports

    now = datetime.now(UTC)
    built = [b for b in build_immediate(app.db, app.config, now=now, base_url=app.settings.base_url) if b.digest_id]
    health = 0
    if app.config.maintainers:
        from alerts.health import queue_health_alerts

        health = queue_health_alerts(app.db, app.config, now=now)
    if built or health:
        from alerts.outbox import deliver_pending
        from alerts.send import from_settings

        deliver_pending(app.db, from_settings(app.settings), mail_from=app.settings.mail_from,
                        reply_to=app.settings.reply_to)
    return len(built), health


DIE_WITH_ENV = "CASEWATCH_DIE_WITH"  # set by the scheduler: its crawl children end when it dies
# A scheduler's crawl child of one source prints nothing (the scheduler logs its result) unless this
# is set: `run --once`, whose scheduler logs no per-source result.
REPORT_ENV = "CASEWATCH_CRAWL_REPORT"


def die_with_parent() -> bool:
    """In a scheduler's crawl child: die when the scheduler dies, even by SIGKILL (Linux PDEATHSIG).

    Without it an orphaned crawl keeps writing while the restarted scheduler crawls the same source.
    SIGKILL, not SIGTERM: Scrapy's graceful stop waits for hanging downloads. Every item is one
    transaction, so nothing is left half done; the next crawl closes the run as interrupted.
    Returns whether this process is a scheduler's child.
    """
    parent = os.environ.get(DIE_WITH_ENV, "")
    if not parent.isdigit():
        return False
    probe.pause(probe.CHILD_START, lambda: False)  # a test can hold a scheduler's child before it reads its config
    if not sys.platform.startswith("linux"):
        return True
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != int(parent):  # the scheduler died before prctl: stop now
        os.kill(os.getpid(), signal.SIGKILL)
    return True


def crawl_command(app: App, source_ids: Sequence[str], config_dir: Path | None = None) -> list[str]:
    """`casewatch crawl SOURCE...` reading the accepted config snapshot; the database URL travels in the
    environment (crawl_in_subprocess), not in argv, where `ps` would show its password to every user."""
    folder = config_dir or app.crawl_config_dir or app.config_dir
    return [sys.executable, "-m", "casewatch", "--config", str(folder), "crawl", *source_ids]


def crawl_in_subprocess(app: App, source_ids: Sequence[str], *, timeout: float,
                        command: Sequence[str] | None = None, gate: Gate | None = None,
                        config_dir: Path | None = None) -> Finished:
    """Run ``command`` (default: `casewatch crawl`) in a child process with a time limit, through
    ``gate`` (none: always open); the Finished says how it ended (code TIMED_OUT if it was killed at
    the limit, NOT_LAUNCHED if the gate was closed, a negative signal number if something stopped it)."""
    cmd = list(command) if command is not None else crawl_command(app, source_ids, config_dir)
    env = {**os.environ, DIE_WITH_ENV: str(os.getpid()), "DATABASE_URL": app.database_url}
    return (gate or Gate()).run(cmd, env, timeout=timeout, what=" ".join(source_ids))
