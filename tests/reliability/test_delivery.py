"""Catalogue section D, digest delivery: D3, D7, D9 and D10 (D1, D2, D4, D5, D6, D8 are tested where
the outbox and scheduler were built; tests/reliability/README.md names those tests).

Real `casewatch digest` processes, real SMTP servers on loopback: aiosmtpd, and for D3 a small SMTP
server of this file's own that hangs up after the message's final dot, before its reply.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from alerts.digest import build_digests
from config.schema import load_config
from pipeline.store.models import Digest
from pipeline.store.session import Database
from tests.alerts.test_outbox import delivered_change_ids
from tests.casewatch.test_digest_delivery import _setup, _smtp_env
from tests.support.cli import run_cli
from tests.support.smtpd import smtp_server


def _rows(cli: tuple[str, ...]) -> list[dict[str, Any]]:
    result = run_cli(*cli, "digest", "--status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


class HangUpAfterData:
    """An SMTP server that reads each message to its final dot and then closes the connection
    without answering, ``hang_ups`` times; after that it answers 250 like any server."""

    def __init__(self, hang_ups: int = 1):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self.sock.getsockname()
        self.hang_ups = hang_ups
        self.received: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as reader:
                self._session(conn, reader)

    def _session(self, conn: socket.socket, reader: Any) -> None:
        conn.sendall(b"220 test ESMTP\r\n")
        while line := reader.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 test\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                data = b""
                while (chunk := reader.readline()) and chunk != b".\r\n":
                    data += chunk
                self.received.append(data)
                if self.hang_ups > 0:
                    self.hang_ups -= 1
                    return  # the message is here; the 250 never is
                conn.sendall(b"250 accepted\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.sock.close()


@contextmanager
def hang_up_server(hang_ups: int = 1) -> Iterator[HangUpAfterData]:
    server = HangUpAfterData(hang_ups)
    try:
        yield server
    finally:
        server.close()


@pytest.mark.slow
def test_D3_connection_dropped_after_the_dot_resends_the_same_digest(db_url: str, tmp_path: Path) -> None:
    """The server had the message but never said 250: the row stays undelivered (pending, the drop
    recorded), and the resend is the same digest row with the same Message-ID, never a second one."""
    cli, ids = _setup(tmp_path, db_url, ["ana@example.org"])
    with hang_up_server() as smtp:
        env = {"SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none", "SMTP_TIMEOUT": "5",
               "CASEWATCH_VAR_DIR": str(tmp_path / "var")}
        dropped = run_cli(*cli, "digest", env=env)
        assert dropped.returncode == 3, dropped.stderr
        [row] = _rows(cli)
        assert (row["status"], row["attempts"], row["sent_at"]) == ("pending", 1, None)
        assert row["last_error"] and "closed" in row["last_error"].lower(), row["last_error"]
        db = Database(db_url)
        assert delivered_change_ids(db) == []

        again = run_cli(*cli, "digest", env=env)  # a manual run retries at once
        assert again.returncode == 0, again.stderr
        [after] = _rows(cli)
        assert (after["id"], after["status"], after["attempts"]) == (row["id"], "sent", 2)
        first, second = (message_from_bytes(d, policy=default_policy) for d in smtp.received)
        assert first["Message-ID"] == second["Message-ID"] and first["Subject"] == second["Subject"]
        with db.read() as session:
            assert session.get(Digest, row["id"]).message_id == first["Message-ID"]  # type: ignore[union-attr]
        assert delivered_change_ids(db) == sorted(ids)
        db.dispose()


@pytest.mark.slow
def test_D7_one_refused_recipient_does_not_hold_back_the_others(db_url: str, tmp_path: Path) -> None:
    """One message per recipient (F9): the refused one keeps its digest pending with the server's
    code and a retry time; the others are sent and their changes count as delivered."""
    emails = ["ana@example.org", "rechazada@example.org", "luis@example.org"]
    cli, _ids = _setup(tmp_path, db_url, emails)
    with smtp_server(reject_rcpt=lambda address: address.startswith("rechazada@")) as smtp:
        result = run_cli(*cli, "digest", env=_smtp_env(smtp, tmp_path))
        assert result.returncode == 3
        assert sorted(str(m["To"]) for m in smtp.messages) == ["ana@example.org", "luis@example.org"]
    rows = {r["to"]: r for r in _rows(cli)}
    assert {to: r["status"] for to, r in rows.items()} == {
        "ana@example.org": "sent", "luis@example.org": "sent", "rechazada@example.org": "pending"}
    refused = rows["rechazada@example.org"]
    assert "550" in refused["last_error"] and "rechazada@example.org" in refused["last_error"]
    assert refused["next_attempt_at"] is not None
    assert "NOT sent digest" in result.stdout and "rechazada@example.org" in result.stdout


@pytest.mark.slow
def test_D9_no_changes_no_digest_every_time(db_url: str, tmp_path: Path) -> None:
    """Nothing pending: no empty digest, the same answer each run (the opt-in heartbeat is the
    `quiet_weeks` note, tests/alerts/test_routing.py)."""
    config_dir = tmp_path / "config"
    from tests.alerts.test_outbox import write_config

    write_config(tmp_path, ["ana@example.org"])
    cli = ("--config", str(config_dir), "--db", db_url)
    env = {"CASEWATCH_VAR_DIR": str(tmp_path / "var")}
    for _ in range(2):
        result = run_cli(*cli, "digest", env=env)
        assert (result.returncode, result.stdout.strip()) == (0, "ana@example.org: nothing new"), result.stderr
    assert _rows(cli) == [] and not (tmp_path / "var" / "outbox").exists()


@pytest.mark.slow
def test_D10_building_an_already_built_period_again_is_a_no_op(db_url: str, tmp_path: Path) -> None:
    cli, ids = _setup(tmp_path, db_url, ["ana@example.org"])
    config = load_config(Path(cli[1]))
    db = Database(db_url)
    now = datetime.now(UTC)
    try:
        [first] = build_digests(db, config, now=now, base_url="https://casewatch.example")
        assert first.digest_id is not None and first.changes == len(ids)
        for _ in range(2):
            [again] = build_digests(db, config, now=now, base_url="https://casewatch.example")
            assert (again.digest_id, again.skipped) == (None, "already built for this period")
        with db.read() as session:
            assert [d.id for d in session.query(Digest).all()] == [first.digest_id]
    finally:
        db.dispose()


@pytest.mark.slow
def test_D6_overlapping_digest_runs_send_once(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The digest job is one instance at a time (``max_instances=1``); and should two digest ticks
    overlap anyway (a slow one and the next), each subscriber still gets one digest, sent once: the
    period's unique key and the outbox claim decide, not timing."""
    from casewatch.app import App
    from casewatch.scheduler import build_scheduler, digest_tick
    from config.settings import get_settings

    emails = ["ana@example.org", "luis@example.org"]
    cli, _ids = _setup(tmp_path, db_url, emails)
    with smtp_server() as smtp:
        for key, value in _smtp_env(smtp, tmp_path).items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        try:
            app = App(config_dir=Path(cli[1]), db_url=db_url)
            assert build_scheduler(app)._job_defaults["max_instances"] == 1  # the digest job sets no other
            since = datetime.now(UTC) - timedelta(days=8)
            ticks = [threading.Thread(target=digest_tick, args=(app,), kwargs={"since": since}) for _ in range(2)]
            for tick in ticks:
                tick.start()
            for tick in ticks:
                tick.join(120)
            app.db.dispose()
        finally:
            get_settings.cache_clear()
        assert sorted(str(m["To"]) for m in smtp.messages) == emails
    rows = _rows(cli)
    assert sorted((r["to"], r["status"]) for r in rows) == [(e, "sent") for e in emails]
