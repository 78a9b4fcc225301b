"""Health turns after N consecutive bad runs and back after one good run: one event per turn."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipeline.health import judge, update_health
from pipeline.store.models import CrawlRun, HealthEvent, Source
from pipeline.store.session import Database


def _run(status: str, error: str | None = None) -> CrawlRun:
    return CrawlRun(source_id="s", status=status, error=error)


@pytest.mark.parametrize(("statuses", "healthy"), [
    (["empty", "empty", "empty"], False),
    (["failed", "partial", "empty"], False),
    (["empty", "empty", "ok"], True),  # newest first: the latest runs are bad but only two of them
    (["ok", "empty", "empty"], True),
    (["empty", "empty"], True),  # not enough history yet
])
def test_judge(statuses: list[str], healthy: bool) -> None:
    assert judge([_run(s) for s in statuses], 3).healthy is healthy


def test_reason_names_what_went_wrong() -> None:
    runs = [_run("empty", "source s: http://x/ yielded no items (structure changed?)")] * 3
    assert judge(runs, 3).reason == ("the last 3 runs found no items: "
                                     "source s: http://x/ yielded no items (structure changed?)")
    assert judge([_run("failed", "DNS lookup failed")] * 2, 2).reason == "the last 2 runs failed: DNS lookup failed"


def _add_run(db: Database, status: str, at: datetime) -> None:
    with db.write() as s:
        s.add(CrawlRun(source_id="s", status=status, started_at=at, finished_at=at, error=f"{status} run"))


def test_one_event_per_turn(db: Database, now: datetime) -> None:
    with db.write() as s:
        s.add(Source(id="s", name="S", kind="news", spider="listing", enabled=True, created_at=now, updated_at=now))
    events: list[str | None] = []
    sequence = ["ok", "empty", "empty", "empty", "empty", "failed", "ok", "ok", "empty"]
    for i, status in enumerate(sequence):
        at = now + timedelta(hours=i)
        _add_run(db, status, at)
        with db.write() as s:
            event = update_health(s, "s", 3, at)
            events.append(event.kind if event else None)
    assert events == [None, None, None, "unhealthy", None, None, "recovered", None, None]
    with db.read() as s:
        source = s.get(Source, "s")
        assert source is not None and source.health == "healthy" and source.health_reason is None
        assert [e.kind for e in s.query(HealthEvent).order_by(HealthEvent.id)] == ["unhealthy", "recovered"]


def test_unhealthy_reason_follows_the_latest_error(db: Database, now: datetime) -> None:
    with db.write() as s:
        s.add(Source(id="s", name="S", kind="news", spider="feed", enabled=True, created_at=now, updated_at=now))
    for i, status in enumerate(["failed", "failed", "failed", "empty"]):
        _add_run(db, status, now + timedelta(hours=i))
        with db.write() as s:
            update_health(s, "s", 3, now + timedelta(hours=i))
    with db.read() as s:
        source = s.get(Source, "s")
        assert source is not None and source.health == "unhealthy"
        assert source.health_reason == "the last 3 runs failed or found nothing: empty run"
        assert source.health_since == now + timedelta(hours=2)
