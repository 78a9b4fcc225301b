"""`max_parallel_crawls` is enforced, and a hanging crawl delays nothing else: crawls have a pool of
their own; the digest tick and the config check run in another."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from casewatch.scheduler import DIGEST_TICK_ENV
from tests.support.cli import run_cli, wait_for
from tests.support.hanging import Started, hanging_config, hanging_site, start

__all__ = ["hanging_site"]  # a fixture
TICK = 1  # seconds between digest ticks (injected; a minute in production)
POLL = 1  # seconds between config checks


def _after(run: Started, event: str, since: float) -> list[float]:
    return [t for t, e in run.trace() if e == event and t > since]


@pytest.mark.slow
def test_one_crawl_at_a_time_and_digests_and_reloads_on_time(tmp_path: Path, hanging_site: str) -> None:
    config = hanging_config(tmp_path, hanging_site, parallel=1, count=5, poll=POLL)
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    assert run_cli("--config", str(config), "--db", db_url, "init").returncode == 0
    run = start(tmp_path, config, db_url, "pools", **{DIGEST_TICK_ENV: str(TICK)})
    try:
        [(launched, _)] = wait_for(lambda: [x for x in run.trace() if x[1].startswith("launch")], proc=run.proc,
                                   timeout=60, what="the first crawl", log=run.log)
        # While that crawl hangs (its limit is 300 s), the other jobs keep their rhythm...
        wait_for(lambda: min(len(_after(run, "job digest", launched)), len(_after(run, "job config", launched))) >= 5,
                 proc=run.proc, timeout=60, what="digest ticks and config checks during the hanging crawl", log=run.log)
        # ...and an edit is applied while it still hangs.
        text = (config / "sources.yaml").read_text(encoding="utf-8")
        (config / "sources.yaml").write_text(text.replace("schedule: 1h, unhealthy_after: 1}\n",
                                                          "schedule: 2h, unhealthy_after: 1}\n", 1), encoding="utf-8")
        wait_for(lambda: "source colgada-0: schedule now 2h" in run.log.read_text(encoding="utf-8"), proc=run.proc,
                 timeout=30, what="the config reload", log=run.log)
        ticks = _after(run, "job digest", launched)
        gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
        # Kept its rhythm (held up by the crawl, the first gap would last its 300 s limit); the margin
        # is for a loaded machine.
        assert max(gaps) < TICK + 10, f"the digest tick kept its {TICK} s rhythm: {gaps}"
        launches = [e for _, e in run.trace() if e.startswith("launch")]
        assert len(launches) == 1, f"one crawl at a time, and the first one still hangs: {launches}"
    finally:
        run.proc.send_signal(signal.SIGTERM)
        code = run.proc.wait(timeout=30)
    assert code == 0, run.log.read_text(encoding="utf-8")
    assert len([e for _, e in run.trace() if e.startswith("launch")]) == 1
