"""`casewatch run` stops when told, at every stage of start-up and at random moments: exit 0 within
10 s (of its own time: a loaded machine's wait for a CPU is not counted), no traceback, no crawl
launched after the signal, every interrupted run `cancelled` (so no source turns unhealthy and no
maintainer is emailed however often the operator stops it).

The process is held at named stages by the probe hook (casewatch.probe): the test waits for the
stage's marker file, then signals; no sleeps stand in for "the process has reached X".
"""

from __future__ import annotations

import os
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from casewatch.probe import PAUSE_AT_ENV, STAGES
from pipeline.store.models import CrawlRun, Digest, Source
from pipeline.store.session import Database
from tests.support.cli import outbox_messages, run_cli, wait_for
from tests.support.hanging import Started, exit_time, hanging_config, hanging_site, open_runs, start

__all__ = ["hanging_site"]  # a fixture
EXIT_WITHIN = 10.0
# Trace lines a random stop may be sent after: each start-up stage (the first, while importing, with the
# signal handlers of casewatch.early installed), and a launched crawl.
TRACED = tuple(f"stage {stage}" for stage in STAGES if stage != "crawling") + ("launch",)


def stop_and_check(run: Started) -> tuple[float, list[tuple[float, str]]]:
    """SIGTERM; exit 0 within 10 s, no traceback, and no crawl launched after the process noted the
    signal (its 'stop' trace line, written under the same lock as every launch)."""
    sent = time.monotonic()
    run.proc.send_signal(signal.SIGTERM)
    code, took = exit_time(run.proc, sent)
    assert code is not None and took <= EXIT_WITHIN, \
        f"still running {EXIT_WITHIN} s (its own time: {took:.1f} s) after SIGTERM:\n{run.log.read_text()}"
    text = run.log.read_text(encoding="utf-8")
    assert code == 0, text
    assert "Traceback" not in text, text
    assert text.rstrip().endswith("stopped"), text
    events = run.trace()
    names = [e for _, e in events]
    if "stop" in names:
        after = names[names.index("stop"):]
        assert not [e for e in after if e.startswith("launch")], events
    launches = [t for t, e in events if e.startswith("launch")]
    assert len(launches) <= 2, f"max_parallel_crawls is 2 and every source hangs: {events}"
    return took, events


def check_nothing_counted(db_url: str, var: Path) -> list[CrawlRun]:
    """Every run the stops interrupted is cancelled; no source unhealthy; no maintainer email."""
    db = Database(db_url)
    try:
        with db.read() as s:
            runs = list(s.scalars(select(CrawlRun)))
            unhealthy = [src.id for src in s.scalars(select(Source)) if src.health == "unhealthy"]
            health_mail = list(s.scalars(select(Digest).where(Digest.kind == "health")))
    finally:
        db.dispose()
    assert [(r.source_id, r.status, r.error) for r in runs if r.status != "cancelled"] == []
    assert unhealthy == [] and health_mail == []
    assert outbox_messages(var) == []
    return runs


@pytest.mark.slow
def test_sigterm_at_each_start_up_stage_stops_cleanly(db_url: str, tmp_path: Path, hanging_site: str) -> None:
    config = hanging_config(tmp_path, hanging_site, parallel=2)
    assert run_cli("--config", str(config), "--db", db_url, "init").returncode == 0
    launched = {}
    for stage in STAGES:
        run = start(tmp_path, config, db_url, stage, **{PAUSE_AT_ENV: stage})
        wait_for(lambda run=run, stage=stage: (run.probe / f"{stage}.reached").exists(), proc=run.proc, timeout=60,
                 what=f"stage {stage}", log=run.log)
        _, events = stop_and_check(run)
        launched[stage] = sum(e.startswith("launch") for _, e in events)
    # Held before the scheduler started, nothing was launched; held at "crawling", the first crawl was.
    assert all(launched[s] == 0 for s in STAGES[:STAGES.index("started")]), launched
    assert launched["crawling"] >= 1, launched
    # Last, with two crawls hanging mid-run (their runs open): both are closed as cancelled.
    run = start(tmp_path, config, db_url, "hanging")
    wait_for(lambda: len(open_runs(db_url)) == 2, proc=run.proc, timeout=60, what="two hanging crawls", log=run.log)
    stop_and_check(run)
    runs = check_nothing_counted(db_url, tmp_path / "var")
    assert len(runs) >= 2 and not open_runs(db_url)


@pytest.mark.slow
def test_sigterm_at_random_moments_stops_cleanly(tmp_path: Path, hanging_site: str) -> None:
    """30 stops at random moments of start-up (from the signal handlers' installation to two crawls
    hanging), 15 on each of two databases (two at a time, to keep the test short): every one clean,
    and 15 stops in a row turn no source unhealthy (each source turns unhealthy after one bad run here)."""
    def stops(lane: int) -> tuple[dict[str, int], float]:
        folder = tmp_path / f"lane{lane}"
        config = hanging_config(folder, hanging_site, parallel=2)
        db_url = f"sqlite:///{folder / 'c.db'}"
        assert run_cli("--config", str(config), "--db", db_url, "init").returncode == 0
        rng = random.Random(lane)
        reached: dict[str, int] = {}
        slowest = 0.0
        for i in range(15):
            run = start(folder, config, db_url, f"r{i}")
            # A random moment: past a stage drawn at random (waited for in its trace, so the moments spread
            # over start-up however slowly a loaded machine goes through it), then a random instant more.
            after = rng.choice(TRACED)
            wait_for(lambda run=run, after=after: [e for _, e in run.trace() if e.startswith(after)], proc=run.proc,
                     timeout=60, what=after, log=run.log)
            time.sleep(rng.uniform(0, 0.5))  # the random moment itself (not a wait for a state)
            took, events = stop_and_check(run)
            slowest = max(slowest, took)
            stages = [e.split()[1] for _, e in events if e.startswith("stage ")]
            last = "launched" if any(e.startswith("launch") for _, e in events) else stages[-1]
            reached[last] = reached.get(last, 0) + 1
        check_nothing_counted(db_url, folder / "var")
        return reached, slowest

    with ThreadPoolExecutor(2) as pool:
        lanes = list(pool.map(stops, (1, 2)))
    reached = {k: sum(r.get(k, 0) for r, _ in lanes) for k in {k for r, _ in lanes for k in r}}
    print(f"\n30 random stops: last stage reached {reached}; slowest exit {max(s for _, s in lanes):.1f} s")
    assert sum(reached.values()) == 30 and len(reached) >= 2, f"moments spread over start-up: {reached}"


@pytest.mark.slow
def test_ctrl_c_in_a_terminal_reaches_only_the_scheduler(tmp_path: Path, hanging_site: str) -> None:
    """A terminal sends SIGINT to its whole foreground process group; crawl children have their own,
    so the scheduler stops them itself (a child still importing would print a traceback)."""
    config = hanging_config(tmp_path, hanging_site, parallel=2)
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    run = start(tmp_path, config, db_url, "ctrl-c", group=True, **{PAUSE_AT_ENV: "crawling"})
    wait_for(lambda: (run.probe / "crawling.reached").exists(), proc=run.proc, timeout=60, what="a launched crawl",
             log=run.log)
    sent = time.monotonic()
    os.killpg(run.proc.pid, signal.SIGINT)
    code, took = exit_time(run.proc, sent)
    assert code is not None and took <= EXIT_WITHIN, f"still running {took:.1f} s after Ctrl-C:\n{run.log.read_text()}"
    text = run.log.read_text(encoding="utf-8")
    assert code == 0 and "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert "signal 2: stopping" in text and text.rstrip().endswith("stopped"), text
    check_nothing_counted(db_url, tmp_path / "var")


@pytest.mark.slow
def test_only_casewatch_run_holds_signals_while_importing() -> None:
    """casewatch.early acts for `casewatch run` alone: every other command, `run --once` and any other
    program importing casewatch (pytest here) keep Python's default signal handling."""
    from casewatch.early import command

    assert command(["/x/.venv/bin/casewatch", "--config", "cfg", "run"]) == "run"
    assert command(["-m", "--db", "sqlite:///x.db", "run", "--once"]) == "run"  # hold() skips --once itself
    assert command(["/x/.venv/bin/casewatch", "changes", "--source", "run"]) == "changes"
    assert command(["/usr/bin/pytest", "run"]) is None
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # importing casewatch here changed nothing
