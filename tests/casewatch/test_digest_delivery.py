"""Exactly-once delivery with real `casewatch digest` processes and a real SMTP server on loopback.

A crash after the server accepted a message: one resend after the lease, with the same Message-ID.
Two processes at once: one message per subscriber and period, and both exit 0.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from alerts.digest import Built, build_digests
from alerts.message import make_message_id
from alerts.outbox import FAULT_EXIT
from config.schema import load_config
from pipeline.store.digests import add_digest
from pipeline.store.models import Digest
from pipeline.store.outbox import all_digests
from pipeline.store.session import Database
from pipeline.store.subscribers import active_subscribers
from tests.alerts.test_outbox import delivered_change_ids, ingest_reports, write_config
from tests.conftest import PG_URL
from tests.support.cli import ROOT, child_env, run_cli
from tests.support.smtpd import SmtpServer, smtp_server

pytestmark = pytest.mark.postgres  # concurrency: two senders claiming the same digests

STATUS_KEYS = {"id", "to", "period", "status", "attempts", "last_error", "subject", "created_at", "sent_at",
               "delivered_to", "kind", "next_attempt_at", "claimed_at", "lease_expires_at"}


def _setup(tmp_path: Path, db_url: str, emails: list[str]) -> tuple[tuple[str, ...], list[int]]:
    """Config and database (through `casewatch init`), then two relevant changes ingested: (cli args, ids)."""
    config = write_config(tmp_path, emails)
    cli = ("--config", str(config), "--db", db_url)
    init = run_cli(*cli, "init")
    assert init.returncode == 0, init.stderr
    db = Database(db_url)
    try:
        ids = ingest_reports(db, load_config(config), datetime.now(UTC))
    finally:
        db.dispose()
    return cli, ids


def _smtp_env(smtp: SmtpServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none",
            "CASEWATCH_VAR_DIR": str(tmp_path / "var"), **extra}


def _status(cli: tuple[str, ...]) -> list[dict[str, Any]]:
    result = run_cli(*cli, "digest", "--status", "--json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    assert all(set(r) == STATUS_KEYS for r in rows)
    return rows


@pytest.mark.slow
def test_crash_after_accept_is_resent_once_after_the_lease(db_url: str, tmp_path: Path) -> None:
    cli, ids = _setup(tmp_path, db_url, ["ana@example.org"])
    with smtp_server() as smtp:
        env = _smtp_env(smtp, tmp_path)

        crashed = run_cli(*cli, "digest", env={**env, "CASEWATCH_FAULT": "after-send"})
        assert crashed.returncode == FAULT_EXIT, crashed.stderr
        assert len(smtp.messages) == 1  # the server accepted it ...
        [row] = _status(cli)
        assert (row["status"], row["attempts"], row["sent_at"]) == ("sending", 1, None)  # ... nobody recorded it
        assert row["claimed_at"] is not None and row["lease_expires_at"] is not None
        text = run_cli(*cli, "digest", "--status").stdout
        assert "sending since" in text and "lease expired" not in text

        early = run_cli(*cli, "digest", env=env)  # default lease (10 min): still held by the dead process
        assert early.returncode == 0, early.stderr
        assert len(smtp.messages) == 1 and _status(cli)[0]["status"] == "sending"
        db = Database(db_url)
        assert delivered_change_ids(db) == []  # not delivered until recorded

        claimed = datetime.fromisoformat(row["claimed_at"])
        while datetime.now(UTC) <= claimed + timedelta(seconds=5):
            time.sleep(0.1)
        # a 5 s lease must outlast the longest send: SMTP_TIMEOUT x 12 steps (alerts.outbox.longest_send)
        short = {**env, "CASEWATCH_OUTBOX_LEASE": "5", "SMTP_TIMEOUT": "0.4"}
        assert "lease expired" in run_cli(*cli, "digest", "--status", env=short).stdout
        resent = run_cli(*cli, "digest", env=short)
        assert resent.returncode == 0, resent.stderr
        assert len(smtp.messages) == 2
        first, second = smtp.messages
        assert first["Message-ID"] == second["Message-ID"] == row_message_id(db, row["id"])
        assert first["Subject"] == second["Subject"]
        [after] = _status(cli)
        assert (after["status"], after["attempts"], after["claimed_at"]) == ("sent", 2, None)
        assert delivered_change_ids(db) == sorted(ids)

        again = run_cli(*cli, "digest", env=short)
        assert again.returncode == 0, again.stderr
        assert len(smtp.messages) == 2
        db.dispose()


def row_message_id(db: Database, digest_id: int) -> str:
    with db.read() as s:
        row = s.get(Digest, digest_id)
        assert row is not None
        return row.message_id


def _start(cli: tuple[str, ...], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "casewatch", *cli, "digest", "--json"], cwd=ROOT,
                            env=child_env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


EMAILS = [f"suscriptor{i}@example.org" for i in range(6)]


@pytest.mark.slow
def test_two_digest_processes_send_one_message_per_subscriber(db_url: str, tmp_path: Path) -> None:
    cli, ids = _setup(tmp_path, db_url, EMAILS)
    with smtp_server() as smtp:
        env = _smtp_env(smtp, tmp_path)
        procs = [_start(cli, env), _start(cli, env)]
        outputs = [p.communicate(timeout=120) for p in procs]
        for proc, (_out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err
        runs = [json.loads(out) for out, _ in outputs]

        assert sorted(str(m["To"]) for m in smtp.messages) == EMAILS  # one message per subscriber
        assert len({m["Message-ID"] for m in smtp.messages}) == len(EMAILS)
        rows = _status(cli)
        assert sorted(r["to"] for r in rows) == EMAILS  # one outbox row each, whoever built it
        assert {r["status"] for r in rows} == {"sent"} and {r["attempts"] for r in rows} == {1}
        sent_by = [d["digest_id"] for run in runs for d in run["deliveries"] if d["ok"]]
        assert sorted(sent_by) == sorted(r["id"] for r in rows)  # each row sent by one process only
        assert all(d["ok"] for run in runs for d in run["deliveries"])

        db = Database(db_url)
        assert delivered_change_ids(db) == sorted(ids * len(EMAILS))
        db.dispose()
        for proc in [_start(cli, env), _start(cli, env)]:  # nothing new: nothing more is sent
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        assert len(smtp.messages) == len(EMAILS)


@pytest.mark.slow
def test_losing_a_build_race_is_not_an_error(pg_url: str, tmp_path: Path) -> None:
    """PostgreSQL: B checks, finds no row, renders and inserts while A's insert is uncommitted; the
    unique constraint makes B wait, then fail; build_digests skips the subscriber instead of crashing.
    (SQLite serialises writers with BEGIN IMMEDIATE, so B cannot check before A commits there.)"""
    db_url = pg_url
    now = datetime.now(UTC)
    period = "daily:race"
    cli, ids = _setup(tmp_path, db_url, ["ana@example.org"])
    config = load_config(Path(cli[1]))
    name = f"casewatch-race-{uuid.uuid4().hex[:8]}"
    db_a, db_b = Database(db_url), Database(f"{db_url}&application_name={name}")
    result: list[Built] = []
    errors: list[BaseException] = []

    def build_b() -> None:
        try:
            result.extend(build_digests(db_b, config, now=now, base_url="http://127.0.0.1:8080", period=period))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=build_b)
    with db_a.write() as s:
        [sub] = active_subscribers(s)
        add_digest(s, Digest(subscriber_id=sub.id, period=period, created_at=now, status="pending",
                             message_id=make_message_id(f"ana@example.org|{period}"), subject="A",
                             text_body="A", html_body="<p>A</p>", attempts=0), ids)
        thread.start()
        _wait_until_blocked(name)
    thread.join(timeout=60)
    assert not errors and result == [Built("ana@example.org", None, 0, skipped="already built by another process")]
    with db_a.read() as s:
        assert [d.subject for d in all_digests(s)] == ["A"]
    db_a.dispose()
    db_b.dispose()


def _wait_until_blocked(application_name: str, timeout: float = 20) -> None:
    """Until the connection named ``application_name`` waits for a lock (B's insert behind A's)."""
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    deadline = time.monotonic() + timeout
    with psycopg.connect(plain, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
                               " AND wait_event_type = 'Lock'", (application_name,)).fetchone()
            if row and row[0]:
                return
            time.sleep(0.05)
    raise AssertionError(f"{application_name} never waited for the lock")
