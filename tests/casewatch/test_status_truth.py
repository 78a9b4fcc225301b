"""`status` and `sources` before, during and after a real `casewatch run`:
whether a scheduler runs (pid, host, start) comes from its lock; with none up nothing is "due now"
and no crawl shows as running."""

from __future__ import annotations

import json
import signal
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_cli, wait_for
from tests.support.hanging import hanging_config, hanging_site, open_runs, start

__all__ = ["hanging_site"]  # a fixture


def _status(config: Path, db_url: str) -> tuple[dict[str, Any], str, str]:
    cli = ("--config", str(config), "--db", db_url)
    as_json = run_cli(*cli, "status", "--json")
    text = run_cli(*cli, "status")
    listed = run_cli(*cli, "sources")
    for result in (as_json, text, listed):
        assert result.returncode == 0 and not result.stderr, result.stderr
    return json.loads(as_json.stdout), text.stdout, listed.stdout


def _stopped(config: Path, db_url: str) -> None:
    data, text, listed = _status(config, db_url)
    assert data["scheduler"] == {"running": False, "pid": None, "host": None, "started_at": None}
    assert "NOT RUNNING" in text and "due now" not in text and "RUNNING since" not in text, text
    assert all(s["running"] is None for s in data["sources"])
    assert " running " not in listed, listed


@pytest.mark.slow
def test_status_tells_whether_a_scheduler_runs(db_url: str, tmp_path: Path, hanging_site: str) -> None:
    config = hanging_config(tmp_path, hanging_site, parallel=1, count=1)
    assert run_cli("--config", str(config), "--db", db_url, "init").returncode == 0
    _stopped(config, db_url)  # before

    run = start(tmp_path, config, db_url, "one")
    try:
        wait_for(lambda: open_runs(db_url), proc=run.proc, timeout=60, what="the hanging crawl", log=run.log)
        data, text, listed = _status(config, db_url)
        sched = data["scheduler"]
        assert sched["running"] and sched["pid"] == run.proc.pid and sched["host"] == socket.gethostname()
        assert datetime.fromisoformat(sched["started_at"]) <= datetime.fromisoformat(
            data["sources"][0]["running"]["started_at"])
        assert f"running (pid {run.proc.pid} on {socket.gethostname()}) since" in text, text
        assert "RUNNING since" in text and "colgada-0" in listed and " running " in listed, (text, listed)
    finally:
        run.proc.send_signal(signal.SIGTERM)
        assert run.proc.wait(timeout=30) == 0, run.log.read_text(encoding="utf-8")
    _stopped(config, db_url)  # after a stop
    data, _, listed = _status(config, db_url)
    assert "cancelled" in listed and data["sources"][0]["health"] == "healthy"

    # Killed outright: the kernel (SQLite) or the server (PostgreSQL) drops the lock with the process,
    # and the crawl row it could not close is not shown as running.
    run = start(tmp_path, config, db_url, "two")
    wait_for(lambda: open_runs(db_url), proc=run.proc, timeout=60, what="the hanging crawl", log=run.log)
    run.proc.kill()
    run.proc.wait()

    def settled() -> bool:
        try:
            _stopped(config, db_url)
        except AssertionError:
            return False
        return True

    deadline = time.monotonic() + 20
    while not settled():
        assert time.monotonic() < deadline, "status still saw the killed scheduler after 20 s"
        time.sleep(0.2)
    assert open_runs(db_url), "the killed crawl's row is still 'running' in the database, and not shown so"
