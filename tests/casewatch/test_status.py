"""`casewatch status`: next runs, live crawls, last results, health and the outbox, from the database alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from config.schema import load_config
from pipeline.store.models import CrawlRun, Digest
from pipeline.store.runs import current_runs
from pipeline.store.session import Database
from pipeline.store.sources import get_source, sync_sources
from pipeline.store.subscribers import recipient
from tests.support.cli import CASE_FILE, run_cli

LIMA = ZoneInfo("America/Lima")
SOURCES = """sources:
  - {id: diario, name: Diario local, kind: news, spider: feed, urls: ["http://127.0.0.1:9/feed/"],
     allow_private: true, schedule: "1h"}
  - {id: fiscalia, name: Fiscalía local, kind: prosecutor, spider: page, urls: ["http://127.0.0.1:9/p"],
     allow_private: true, schedule: "0 3 1 1 *"}
  - {id: apagada, name: Apagada, kind: news, spider: feed, urls: ["http://127.0.0.1:9/x"], allow_private: true,
     enabled: false}
"""


SUBSCRIBERS = """subscribers:
  - {email: familia@example.org, cases: [juliaca-2023], at: "07:00"}
  - {email: observer@example.org, cases: [juliaca-2023], frequency: weekly, at: "09:00", timezone: Europe/Madrid}
  - {email: prensa@example.org, cases: [juliaca-2023], frequency: immediate}
"""


def _config(tmp: Path) -> Path:
    config = tmp / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    (config / "subscribers.yaml").write_text(SUBSCRIBERS, encoding="utf-8")
    return config


def _dead_pid() -> int:
    """The pid of a process that has ended (a 'running' row it left is not a live crawl)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _digest(subscriber_id: int, n: int, now: datetime, **fields: object) -> Digest:
    return Digest(subscriber_id=subscriber_id, period=f"p{n}", created_at=now - timedelta(days=1),
                  message_id=f"<{n}@test>", subject=f"digest {n}", text_body="t", html_body="h", **fields)


def _populate(db: Database, config: Path) -> dict[str, float]:
    """Runs and outbox rows written through the models, as crawls and senders would leave them."""
    now = datetime.now(UTC)
    cfg = load_config(config)
    with db.write() as s:
        sync_sources(s, cfg.sources, now)
        s.flush()
        ok = CrawlRun(source_id="diario", started_at=now - timedelta(hours=3), finished_at=now - timedelta(hours=3),
                      status="ok", items=5, new=2, updated=1, pid=1)
        stale = CrawlRun(source_id="diario", started_at=now - timedelta(hours=2), status="running", pid=_dead_pid())
        failed = CrawlRun(source_id="fiscalia", started_at=now - timedelta(minutes=10),
                          finished_at=now - timedelta(minutes=9), status="failed",
                          error="Connection was refused by other side: 127.0.0.1:9")
        live = CrawlRun(source_id="fiscalia", started_at=now - timedelta(minutes=1), status="running",
                        pid=os.getpid())  # the test process: alive, and not the status command itself
        s.add_all([ok, stale, failed, live])
        row = get_source(s, "fiscalia")
        assert row is not None
        row.health, row.health_reason = "unhealthy", "3 failed runs in a row"
        sub = recipient(s, "familia@example.org", now)
        retry = _digest(sub.id, 1, now, status="pending", attempts=2, next_attempt_at=now + timedelta(minutes=10),
                        last_error="451 4.3.0 try again later")
        s.add_all([retry, _digest(sub.id, 2, now, status="pending"),
                   _digest(sub.id, 3, now, status="sending", attempts=1, claimed_at=now),
                   _digest(sub.id, 4, now, status="sent", sent_at=now - timedelta(days=1)),
                   _digest(sub.id, 5, now, status="sent", sent_at=now - timedelta(days=10))])
        s.flush()
        return {"stale": stale.id, "failed": failed.id, "live": live.id, "ok": ok.id, "retry": retry.id,
                "stale_started": stale.started_at.timestamp()}


@pytest.mark.slow
def test_status_json(db: Database, db_url: str, tmp_path: Path) -> None:
    config = _config(tmp_path)
    ids = _populate(db, config)
    before = datetime.now(UTC)
    result = run_cli("--config", str(config), "--db", db_url, "status", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"scheduler", "sources", "digest", "outbox"}
    assert data["scheduler"] == {"running": False, "pid": None, "host": None, "started_at": None}
    diario, fiscalia = data["sources"]
    assert [diario["id"], fiscalia["id"]] == ["diario", "fiscalia"], "enabled sources only, in config order"

    # diario: the dead process's 'running' row is no live crawl; its start still sets the next run.
    assert diario["running"] is None and diario["due"] is True
    assert datetime.fromisoformat(diario["next_run"]).timestamp() == pytest.approx(ids["stale_started"] + 3600)
    assert diario["last_run"]["id"] == ids["ok"]
    assert {k: diario["last_run"][k] for k in ("status", "items", "new", "updated", "error")} == {
        "status": "ok", "items": 5, "new": 2, "updated": 1, "error": None}
    assert diario["health"] == "healthy" and diario["health_reason"] is None

    # fiscalia: a live crawl, the previous (failed) result, unhealthy, next run on its cron in Lima time.
    assert fiscalia["running"]["run"] == ids["live"] and fiscalia["running"]["pid"] == os.getpid()
    assert fiscalia["last_run"]["id"] == ids["failed"] and fiscalia["last_run"]["status"] == "failed"
    assert "refused" in fiscalia["last_run"]["error"] and fiscalia["last_run"]["finished_at"]
    assert fiscalia["health"] == "unhealthy" and fiscalia["health_reason"] == "3 failed runs in a row"
    nxt = datetime.fromisoformat(fiscalia["next_run"])
    assert fiscalia["due"] is False and nxt > before
    assert (nxt.astimezone(LIMA).month, nxt.astimezone(LIMA).day, nxt.astimezone(LIMA).hour) == (1, 1, 3)
    assert nxt.utcoffset() == timedelta(hours=-5)

    familia, observer, prensa = data["digest"]["subscribers"]
    daily = datetime.fromisoformat(familia["next_run"])
    assert before < daily <= before + timedelta(days=1) and (daily.astimezone(LIMA).hour, daily.minute) == (7, 0)
    weekly = datetime.fromisoformat(observer["next_run"]).astimezone(ZoneInfo("Europe/Madrid"))
    assert before < weekly <= before + timedelta(days=7) and (weekly.isoweekday(), weekly.hour) == (1, 9)
    assert prensa["next_run"] is None and prensa["frequency"] == "immediate"
    assert data["digest"]["next_run"] == min(familia["next_run"], observer["next_run"], key=datetime.fromisoformat)

    outbox = data["outbox"]
    assert (outbox["pending"], outbox["sending"], outbox["sent_7d"]) == (2, 1, 1)
    assert [r["subject"] for r in outbox["rows"]] == ["digest 1", "digest 2"], "pending rows only"
    retry = outbox["rows"][0]
    assert retry["id"] == ids["retry"] and retry["attempts"] == 2 and retry["to"] == "familia@example.org"
    assert retry["last_error"] == "451 4.3.0 try again later"
    assert datetime.fromisoformat(retry["next_attempt_at"]) > before


@pytest.mark.slow
def test_status_text(db: Database, db_url: str, tmp_path: Path) -> None:
    config = _config(tmp_path)
    ids = _populate(db, config)
    result = run_cli("--config", str(config), "--db", db_url, "status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    by_head = {line.split()[0]: line for line in lines if not line.startswith(" ")}
    assert set(by_head) == {"scheduler", "diario", "fiscalia", "digest", "outbox"}, lines
    assert "NOT RUNNING" in by_head["scheduler"]
    # No scheduler: nothing is "due now"; it runs when `casewatch run` starts.
    assert "at run start" in by_head["diario"] and "due now" not in result.stdout
    assert "ok" in by_head["diario"] and "5 items, 2 new, 1 updated" in by_head["diario"]
    assert "RUNNING since" in by_head["fiscalia"] and f"run {ids['live']}" in by_head["fiscalia"]
    assert by_head["fiscalia"].endswith("UNHEALTHY") and "-01-01 03:00" in by_head["fiscalia"]
    assert "↳ unhealthy: 3 failed runs in a row" in result.stdout
    assert by_head["digest"].split()[1] == "next" and "(3 subscriber(s), each at their own time)" in by_head["digest"]
    assert re.search(r"next \d{4}-\d\d-\d\d \d\d:\d\d", by_head["digest"]), by_head["digest"]
    assert "2 pending, 1 sending, 1 sent in the last 7 days" in by_head["outbox"]
    assert [line for line in lines if f"#{ids['retry']}" in line and "2 tries" in line
            and "last error: 451 4.3.0 try again later" in line]
    # Column alignment: "next" starts at the same place on every head line.
    assert len({line.index(" next ") for line in (by_head["diario"], by_head["fiscalia"], by_head["digest"])}) == 1


@pytest.mark.slow
def test_status_before_any_run(db_url: str, tmp_path: Path) -> None:
    """A fresh database: every enabled source is due (the scheduler runs them at start), the outbox empty."""
    config = _config(tmp_path)
    data = json.loads(run_cli("--config", str(config), "--db", db_url, "status", "--json").stdout)
    assert [(s["id"], s["due"], s["next_run"], s["last_run"], s["running"]) for s in data["sources"]] == [
        ("diario", True, None, None, None), ("fiscalia", True, None, None, None)]
    assert data["outbox"] == {"pending": 0, "sending": 0, "sent_7d": 0, "rows": []}
    text = run_cli("--config", str(config), "--db", db_url, "status").stdout
    assert "never run" in text and "at run start" in text and "due now" not in text


@pytest.mark.slow
def test_sources_never_show_a_crawl_whose_process_is_gone_as_running(db: Database, db_url: str,
                                                                      tmp_path: Path) -> None:
    """`sources`, the review page and the API show a 'running' row left by a killed crawl as the
    source's last result; a crawl whose process lives is still shown running."""
    config = _config(tmp_path)
    ids = _populate(db, config)
    with db.read() as s:
        shown = {sid: run.id for sid, run in current_runs(s).items()}
    assert shown == {"diario": ids["ok"], "fiscalia": ids["live"]}
    listed = json.loads(run_cli("--config", str(config), "--db", db_url, "sources", "--json").stdout)
    assert {s["id"]: (s["last_run"] or {}).get("status") for s in listed} == {
        "diario": "ok", "fiscalia": "running", "apagada": None}
