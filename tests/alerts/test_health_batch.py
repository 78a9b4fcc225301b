"""Maintainer alerts are batched: one message per check listing every source that turned unhealthy
or recovered, each with its real last error and its run history one line per run."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.health import queue_health_alerts
from config.schema import Config, load_config
from pipeline.health import update_health
from pipeline.store.models import CrawlRun, Digest
from pipeline.store.session import Database
from pipeline.store.sources import sync_sources
from tests.support.cli import CASE_FILE

SOURCES = """maintainers: [uno@example.org, dos@example.org]
sources:
""" + "".join(f"""  - {{id: {i}, name: Fuente {i}, kind: news, spider: feed, urls: ["http://127.0.0.1:9/{i}"],
     allow_private: true, unhealthy_after: 2}}
""" for i in ("alfa", "beta", "gamma"))


def _config(tmp: Path) -> Config:
    config = tmp / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    return load_config(config)


def _run(db: Database, source: str, status: str, error: str | None, at: datetime) -> None:
    with db.write() as s:
        s.add(CrawlRun(source_id=source, started_at=at, finished_at=at, status=status, error=error, pid=1))
        s.flush()
        update_health(s, source, 2, at)


def _messages(db: Database) -> list[Digest]:
    with db.read() as s:
        rows = list(s.scalars(select(Digest).where(Digest.kind == "health").order_by(Digest.id)))
        for row in rows:
            row.to = row.subscriber.email  # type: ignore[attr-defined]
        return rows


@pytest.mark.slow
def test_one_message_per_check_lists_every_turn_with_its_real_error(db: Database, tmp_path: Path,
                                                                      now: datetime) -> None:
    config = _config(tmp_path)
    with db.write() as s:
        sync_sources(s, config.sources, now)
    errors = {"alfa": "DNS lookup failed: no results for hostname lookup: alfa.invalid",
              "beta": "Connection was refused by other side: 127.0.0.1:9",
              "gamma": "source gamma: http://127.0.0.1:9/gamma yielded no items (structure changed?)"}
    for n, at in enumerate((now - timedelta(hours=2), now - timedelta(hours=1))):
        for source, error in errors.items():
            _run(db, source, "failed", f"{error} (run {n})", at)
        # An operator's stop in between: cancelled, in no history and no reason.
        _run(db, "beta", "cancelled", "cancelled: the scheduler stopped", at + timedelta(minutes=30))

    assert queue_health_alerts(db, config, now=now) == 2, "one message per maintainer, not one per source"
    assert queue_health_alerts(db, config, now=now) == 0, "nothing new: nothing queued"
    first = _messages(db)
    assert sorted(m.to for m in first)  # type: ignore[attr-defined] == ["dos@example.org", "uno@example.org"]
    message = first[0]
    assert message.subject == "[casewatch] 3 source(s) unhealthy: alfa, beta, gamma"
    for source, error in errors.items():
        assert f"Source {source} (Fuente {source}) is UNHEALTHY" in message.text_body
        assert f"Why: the last 2 runs failed: {error} (run 1)" in message.text_body, message.text_body
        # The history: one line per run, newest first, each with its own error.
        assert f"  failed  {error} (run 1)\n  - " in message.text_body and f"  failed  {error} (run 0)\n" in \
            message.text_body
        assert f"{source}</h1>" in message.html_body.replace(" is unhealthy", "")
    assert "cancelled" not in message.text_body
    history = [line for line in message.text_body.splitlines() if line.startswith("  - ")]
    assert len(history) == 6, history

    # The next check: beta recovers; only that turn is sent, again one message per maintainer.
    _run(db, "beta", "ok", None, now)
    assert queue_health_alerts(db, config, now=now) == 2
    latest = _messages(db)[2:]
    assert [m.subject for m in latest] == ["[casewatch] source beta recovered"] * 2
    assert "alfa" not in latest[0].text_body and "RECOVERED" in latest[0].text_body
