"""Unsubscribe links and Reply-To around the catalogue rows (tests/reliability/test_unsubscribe.py): the key
shared by `digest` and `serve`, every kind of subscriber mail, the outbox gate, the operator's commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from alerts import unsubscribe
from alerts.digest import build_digests, build_immediate, build_scheduled
from alerts.message import make_message_id
from alerts.outbox import deliver_pending
from alerts.send.smtp import SmtpSender
from config.schema import ConfigError
from config.settings import get_settings
from pipeline.store import subscribers
from pipeline.store.digests import add_digest
from pipeline.store.marks import stored_value
from pipeline.store.models import Digest
from pipeline.store.outbox import all_digests
from pipeline.store.session import Database
from tests.alerts.test_outbox import ingest_reports
from tests.alerts.test_routing import NEXT_MONDAY, TUESDAY
from tests.alerts.test_routing import _setup as routing_world
from tests.reliability.test_unsubscribe import ANA, BASE, LUIS, NOW, clean_settings, subscribed
from tests.support.cli import run_cli
from tests.support.smtpd import smtp_server

__all__ = ["clean_settings"]  # the fixture, used by name below
SECRET = "an-operator-secret-key-0123456789"


def _subscriber_id(db: Database, email: str) -> int:
    with db.read() as s:
        sub = subscribers.subscriber_by_email(s, email)
        assert sub is not None
        return sub.id


def _unsubscribe(db: Database, email: str) -> None:
    with db.write() as s:
        assert subscribers.unsubscribe(s, _subscriber_id(db, email), NOW)


def _owner(db: Database, link: str | None) -> str | None:
    assert link is not None
    with db.read() as s:
        sub = unsubscribe.subscriber_for(s, link.rsplit("/", 1)[1])
        return sub.email if sub is not None else None


def test_without_a_secret_key_one_database_key_is_made_once_and_shared(
        db: Database, db_url: str, tmp_path: Path, clean_settings: Callable[..., None]) -> None:
    subscribed(db, tmp_path, [ANA])
    with db.read() as s:
        assert stored_value(s, unsubscribe.KEY_MARK) is None
    assert unsubscribe.signing_key(db, create=False) is None  # a dry run makes nothing
    key = unsubscribe.signing_key(db)
    other_process = Database(db_url)  # `casewatch serve` next to `casewatch digest`
    try:
        assert unsubscribe.signing_key(other_process) == key  # made once, then read
        with other_process.read() as s:
            stored = stored_value(s, unsubscribe.KEY_MARK)
        assert stored is not None and len(stored) >= 40 and SECRET not in stored
    finally:
        other_process.dispose()
    old_link = unsubscribe.link(BASE, key, ANA)
    assert _owner(db, old_link) == ANA

    clean_settings(CASEWATCH_SECRET_KEY=SECRET)  # the operator sets the key later
    new_key = unsubscribe.signing_key(db)
    assert new_key is not None and new_key != key
    new_link = unsubscribe.link(BASE, new_key, ANA)
    assert new_link != old_link and _owner(db, new_link) == ANA
    assert _owner(db, old_link) == ANA  # links already mailed keep working
    clean_settings(CASEWATCH_SECRET_KEY="a-different-secret-0123456789")  # a changed key: its old links end
    assert _owner(db, new_link) is None


@pytest.mark.slow
def test_every_kind_of_subscriber_mail_carries_the_link_and_skips_the_unsubscribed(
        db: Database, clean_settings: Callable[..., None], tmp_path: Path) -> None:
    config = routing_world(db, tmp_path)
    _unsubscribe(db, "todo@example.org")
    base = "http://127.0.0.1:8080"
    build_immediate(db, config, now=TUESDAY, base_url=base)
    build_scheduled(db, config, since=TUESDAY, now=NEXT_MONDAY, base_url=base)

    def rows() -> list[tuple[str, str, str | None, str]]:
        with db.read() as s:
            return [(d.subscriber.email, d.kind, d.unsubscribe_url, d.text_body) for d in all_digests(s)]

    kinds = {(email, kind) for email, kind, _, _ in rows()}
    assert {("hitos@example.org", "immediate"), ("tranquilo@example.org", "quiet")} <= kinds
    assert "todo@example.org" not in {email for email, _ in kinds}  # neither immediate nor daily
    for email, _, link, text in rows():
        assert link and link.startswith(f"{base}/unsubscribe/") and link in text and _owner(db, link) == email

    _unsubscribe(db, "tranquilo@example.org")  # drops their unsent note; the next Monday's is not built
    later = NEXT_MONDAY + timedelta(days=7, minutes=1)
    build_scheduled(db, config, since=NEXT_MONDAY, now=later, base_url=base)
    assert [kind for email, kind, _, _ in rows() if email == "tranquilo@example.org"] == []
    with db.write() as s:
        assert subscribers.resubscribe(s, "tranquilo@example.org")
    build_scheduled(db, config, since=NEXT_MONDAY, now=later, base_url=base)  # the control
    assert [kind for email, kind, _, _ in rows() if email == "tranquilo@example.org"] == ["quiet"]


@pytest.mark.slow
def test_unsubscribing_drops_unsent_mail_and_the_outbox_never_sends_to_them(
        db: Database, tmp_path: Path, clean_settings: Callable[..., None]) -> None:
    config, _ = subscribed(db, tmp_path, [ANA, LUIS])
    ingest_reports(db, config, NOW)
    built = {b.subscriber: b.digest_id for b in build_digests(db, config, now=NOW, base_url=BASE)}
    _unsubscribe(db, ANA)  # before the outbox sent Ana's digest
    with db.write() as s:
        assert s.get(Digest, built[ANA]) is None and s.get(Digest, built[LUIS]) is not None
        ana = _subscriber_id(db, ANA)
        # A digest a builder stored while Ana was unsubscribing, and a health alert to the same address.
        for period, kind in (("daily:race", "digest"), ("health:1", "health")):
            add_digest(s, Digest(subscriber_id=ana, period=period, kind=kind, created_at=NOW, status="pending",
                                 message_id=make_message_id(f"{ANA}|{period}"), subject=period,
                                 text_body="t", html_body="<p>t</p>", attempts=0), [])
    with smtp_server() as smtp:
        sent = deliver_pending(db, SmtpSender(smtp.host, smtp.port, security="none", timeout=5),
                               mail_from="casewatch <casewatch@example.org>", now=NOW)
        assert sorted((d.to, d.ok) for d in sent) == [(ANA, True), (LUIS, True)]
        assert sorted(str(m["Subject"]) for m in smtp.messages if m["To"] == ANA) == ["health:1"]
        assert smtp.messages[0]["Reply-To"] is None  # not configured: no header
        luis = next(m for m in smtp.messages if m["To"] == LUIS)
        assert luis["List-Unsubscribe"] and luis["List-Unsubscribe-Post"]
        health = next(m for m in smtp.messages if m["To"] == ANA)
        assert health["List-Unsubscribe"] is None  # maintainers' mail: no subscriber link


@pytest.mark.slow
def test_http_base_url_gets_the_link_without_one_click_and_a_bad_one_gets_none(
        db: Database, tmp_path: Path, clean_settings: Callable[..., None]) -> None:
    config, _ = subscribed(db, tmp_path, [ANA, LUIS])
    key = unsubscribe.signing_key(db)
    for bad in ("ftp://casewatch.example", "https://casewatch.example/a b", "https://casewatch.example/>x",
                "https://casewatch.example/?q=1", "casewatch.example", ""):
        assert unsubscribe.link(bad, key, ANA) is None, bad
    ingest_reports(db, config, NOW)
    build_digests(db, config, now=NOW, base_url="http://127.0.0.1:8080", subscriber_email=ANA)
    build_digests(db, config, now=NOW, base_url="https://casewatch.example/a b", subscriber_email=LUIS)
    with smtp_server() as smtp:
        deliver_pending(db, SmtpSender(smtp.host, smtp.port, security="none", timeout=5),
                        mail_from="casewatch <casewatch@example.org>", reply_to="Equipo <equipo@example.org>", now=NOW)
        by_to = {str(m["To"]): m for m in smtp.messages}
    assert str(by_to[ANA]["List-Unsubscribe"]).startswith("<http://127.0.0.1:8080/unsubscribe/")
    assert by_to[ANA]["List-Unsubscribe-Post"] is None  # RFC 8058 one-click needs an https URI
    assert by_to[LUIS]["List-Unsubscribe"] is None
    text = by_to[LUIS].get_body(("plain",)).get_content()
    assert "escribe a quien administra casewatch" in text and "responde a este mensaje" not in text
    assert all(m["Reply-To"] == "Equipo <equipo@example.org>" for m in by_to.values())


@pytest.mark.parametrize("value", ["equipo@example.org\r\nBcc: evil@example.com", "a@example.org, b@example.org",
                                   "not an address", "Equipo <equipo@example.org>\nX-Evil: 1", "<@example.org>"])
def test_reply_to_must_be_one_address_on_one_line(value: str, clean_settings: Callable[..., None]) -> None:
    clean_settings(CASEWATCH_REPLY_TO=value)
    with pytest.raises(ConfigError) as refused:
        get_settings()
    assert len(refused.value.lines) == 1 and refused.value.lines[0].startswith("CASEWATCH_REPLY_TO: ")


def test_reply_to_and_secret_key_are_read_and_checked(clean_settings: Callable[..., None]) -> None:
    clean_settings(CASEWATCH_REPLY_TO="  Equipo casewatch <equipo@example.org> ", CASEWATCH_SECRET_KEY=SECRET)
    settings = get_settings()
    assert settings.reply_to == "Equipo casewatch <equipo@example.org>"
    assert settings.secret_key is not None and settings.secret_key.get_secret_value() == SECRET
    clean_settings(CASEWATCH_SECRET_KEY="short")
    with pytest.raises(ConfigError, match="CASEWATCH_SECRET_KEY: use at least 16"):
        get_settings()


@pytest.mark.slow
def test_operator_sees_and_undoes_an_unsubscribe(db: Database, db_url: str, tmp_path: Path,
                                                 clean_settings: Callable[..., None]) -> None:
    config, config_dir = subscribed(db, tmp_path, [ANA, LUIS])
    ingest_reports(db, config, NOW)
    _unsubscribe(db, ANA)
    cli = ("--config", str(config_dir), "--db", db_url)
    dry = run_cli(*cli, "digest", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert [p["to"] for p in json.loads(dry.stdout)] == [LUIS]
    status = run_cli(*cli, "status", "--json")
    assert status.returncode == 0, status.stderr
    subs = {s["email"]: s["unsubscribed_at"] for s in json.loads(status.stdout)["digest"]["subscribers"]}
    assert subs[LUIS] is None and subs[ANA] is not None
    assert f"{ANA} unsubscribed" in run_cli(*cli, "status").stdout

    undo = run_cli(*cli, "digest", "--resubscribe", ANA.upper())
    assert undo.returncode == 0 and "subscribed again" in undo.stdout, undo.stderr
    again = run_cli(*cli, "digest", "--resubscribe", ANA)
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "has not unsubscribed" in again.stderr
    dry = run_cli(*cli, "digest", "--dry-run", "--json")
    assert sorted(p["to"] for p in json.loads(dry.stdout)) == [ANA, LUIS]
    bad = run_cli(*cli, "digest", "--dry-run", env={"CASEWATCH_REPLY_TO": "a@example.org\nBcc: b@example.org"})
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines() == ["casewatch: CASEWATCH_REPLY_TO: must be one email address on one "
                                               "line (control characters found)"]
