"""Catalogue rows F8 (List-Unsubscribe, RFC 8058 one-click) and F9 (one message and one token per recipient).

Real parts: digests built from ingested changes on SQLite and PostgreSQL, delivered to an aiosmtpd server on
loopback, and the unsubscribe link followed against the real review app (Starlette TestClient) on the
same database. No CASEWATCH_SECRET_KEY: the links are signed with the key kept in the database, which is
what makes ``casewatch digest`` and ``casewatch serve`` agree.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from alerts import unsubscribe
from alerts.digest import build_digests, preview
from alerts.outbox import deliver_pending
from alerts.send.smtp import SmtpSender
from casewatch.app import App
from casewatch.web.app import check_protected, create_app
from casewatch.web.auth import EXEMPT, UNSAFE_METHODS, exempt
from config.schema import Config, load_config
from config.settings import get_settings
from pipeline.store.session import Database
from pipeline.store.sources import sync_sources
from pipeline.store.subscribers import sync_subscribers, unsubscribed
from tests.alerts.test_outbox import REPORTS, ingest_reports, write_config
from tests.support.smtpd import SmtpServer, smtp_server
from tests.web.conftest import auth_config

BASE = "https://casewatch.example"
FROM = "casewatch <casewatch@example.org>"
REPLY_TO = "Equipo casewatch <equipo@example.org>"
ANA, LUIS = "ana@example.org", "luis@example.org"
ONE_CLICK = {"content-type": "application/x-www-form-urlencoded"}
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def clean_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Settings from an environment without CASEWATCH_SECRET_KEY / CASEWATCH_REPLY_TO; call it to set some."""
    def set_env(**values: str) -> None:
        for name in ("CASEWATCH_SECRET_KEY", "CASEWATCH_REPLY_TO", "CASEWATCH_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    set_env()
    yield set_env
    get_settings.cache_clear()


def subscribed(db: Database, tmp_path: Path, emails: list[str]) -> tuple[Config, Path]:
    """A config with these subscribers, mirrored into the database as `casewatch` does at start."""
    config_dir = write_config(tmp_path, emails)
    config = load_config(config_dir)
    with db.write() as s:
        sync_sources(s, config.sources, NOW)
        sync_subscribers(s, config.subscribers, NOW)
    return config, config_dir


def digest_run(db: Database, config: Config, smtp: SmtpServer, now: datetime) -> list[EmailMessage]:
    """`casewatch digest`: build, then deliver through the SMTP server; the messages it accepted."""
    before = len(smtp.messages)
    build_digests(db, config, now=now, base_url=BASE)
    deliveries = deliver_pending(db, SmtpSender(smtp.host, smtp.port, security="none", timeout=5),
                                 mail_from=FROM, reply_to=REPLY_TO, now=now)
    assert all(d.ok for d in deliveries), deliveries
    return smtp.messages[before:]


def link_of(message: EmailMessage) -> str:
    value = str(message["List-Unsubscribe"])
    assert value.startswith(f"<{BASE}/unsubscribe/") and value.endswith(">"), value
    return value[1:-1]


@contextmanager
def served(db_url: str, config_dir: Path) -> Iterator[TestClient]:
    """The review app `casewatch serve` runs, on the same database."""
    app = App(config_dir=config_dir, db_url=db_url)
    try:
        yield TestClient(create_app(app, auth=auth_config()), headers={"accept-language": "en"})
    finally:
        app.db.dispose()


def opted_out(db: Database) -> set[str]:
    with db.read() as s:
        return set(unsubscribed(s))


@pytest.mark.slow
def test_F8_digest_carries_one_click_unsubscribe_and_its_post_stops_the_next_digest(
        db: Database, db_url: str, tmp_path: Path, clean_settings: Callable[..., None]) -> None:
    config, config_dir = subscribed(db, tmp_path, [ANA, LUIS])
    ingest_reports(db, config, NOW, REPORTS[:1])
    with smtp_server() as smtp:
        first = {str(m["To"]): m for m in digest_run(db, config, smtp, NOW)}
        assert set(first) == {ANA, LUIS}
        for to, message in first.items():
            link = link_of(message)
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert message["Reply-To"] == REPLY_TO
            text = message.get_body(("plain",)).get_content()
            html = message.get_body(("html",)).get_content()
            assert link in text, to
            assert f'href="{link}"' in html, to
            assert "casewatch@localhost" not in text and "reply to this message" not in text.lower()
        ana_link = link_of(first[ANA])

        with served(db_url, config_dir) as client:
            page = client.get(ana_link)
            assert page.status_code == 200 and 'method="post"' in page.text
            assert opted_out(db) == set()  # GET only shows the button
            # What a mail provider sends: no cookie, no CSRF token, its own Origin.
            mail_provider = TestClient(client.app)
            response = mail_provider.post(ana_link, content=b"List-Unsubscribe=One-Click",
                                          headers={**ONE_CLICK, "origin": "https://mail.example.net"})
            assert response.status_code == 200, response.text
            assert opted_out(db) == {ANA}

        later = NOW + timedelta(days=1)
        ingest_reports(db, config, later, REPORTS[1:])
        assert [p.email for p in preview(db, config, now=later, base_url=BASE)] == [LUIS]  # digest --dry-run
        second = digest_run(db, config, smtp, later)
        assert [str(m["To"]) for m in second] == [LUIS]  # Luis still gets theirs, Ana nothing
        assert [e.rcpt_tos for e in smtp.envelopes[2:]] == [[LUIS]]


def test_F8_get_shows_the_button_and_never_unsubscribes(db: Database, db_url: str, tmp_path: Path,
                                                        clean_settings: Callable[..., None]) -> None:
    _, config_dir = subscribed(db, tmp_path, [ANA])
    link = unsubscribe.link(BASE, unsubscribe.signing_key(db), ANA)
    assert link is not None
    path = link.removeprefix(BASE)
    with served(db_url, config_dir) as client:
        for lang in ("es", "en"):
            page = client.get(path, headers={"accept-language": lang})
            assert page.status_code == 200
            assert ("Darme de baja" if lang == "es" else "Unsubscribe me") in page.text
            assert ANA not in page.text and "a…@example.org" in page.text  # masked: the link may leak
        assert client.head(path).status_code == 200
        assert opted_out(db) == set()
        done = client.post(path, data={"List-Unsubscribe": "One-Click"})  # the page's own button
        assert done.status_code == 200 and "will get no more casewatch emails" in done.text
        assert opted_out(db) == {ANA}
        assert client.post(path).status_code == 200 and opted_out(db) == {ANA}  # again: same answer


@pytest.mark.slow
def test_F8_forged_or_altered_tokens_change_nothing(db: Database, db_url: str, tmp_path: Path,
                                                    clean_settings: Callable[..., None]) -> None:
    _, config_dir = subscribed(db, tmp_path, [ANA, LUIS])
    key = unsubscribe.signing_key(db)
    assert key is not None
    good = unsubscribe.token(key, ANA)
    flipped = good[:-1] + ("A" if good[-1] != "A" else "B")
    other_key = unsubscribe.token(unsubscribe._derive("another-secret-key-0123456789"), ANA)
    stranger = unsubscribe.token(key, "nobody@example.org")  # right key, not a subscriber
    random = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    forged = [flipped, other_key, stranger, random, good[:-1], good + "A", good.lower(), "..%2f..%2fetc",
              ANA, "0", "%00"]
    with served(db_url, config_dir) as client:
        for token in forged:
            for method in ("GET", "POST"):
                response = client.request(method, f"/unsubscribe/{token}", content=b"List-Unsubscribe=One-Click",
                                          headers=ONE_CLICK)
                assert response.status_code in (400, 404), (token, method, response.status_code)
        assert opted_out(db) == set()
        assert client.post(f"/unsubscribe/{good}").status_code == 200  # the control
        assert opted_out(db) == {ANA}


def test_F8_only_the_one_click_post_is_exempt_from_csrf_and_login(db: Database, db_url: str, tmp_path: Path,
                                                                  clean_settings: Callable[..., None]) -> None:
    _, config_dir = subscribed(db, tmp_path, [ANA])
    with served(db_url, config_dir) as client:
        exempted = {(method, route.path) for route in client.app.routes if isinstance(route, Route)
                    for method in (route.methods or set()) & UNSAFE_METHODS if getattr(route.endpoint, EXEMPT, "")}
    assert exempted == {("POST", "/unsubscribe/{token}")}
    with pytest.raises(ValueError, match="needs a reason"):
        exempt(" ")

    async def sneaky(request: object) -> None: ...

    with pytest.raises(RuntimeError, match="state-changing route without"):
        check_protected([Route("/sneaky", sneaky, methods=["POST"])])


def test_F9_each_recipient_gets_their_own_message_with_their_own_token(
        db: Database, tmp_path: Path, clean_settings: Callable[..., None]) -> None:
    emails = [ANA, LUIS, "maria@example.org"]
    config, _ = subscribed(db, tmp_path, emails)
    ingest_reports(db, config, NOW)
    with smtp_server() as smtp:
        messages = digest_run(db, config, smtp, NOW)
        assert sorted(str(m["To"]) for m in messages) == sorted(emails)
        assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == sorted(emails)
        assert all(len(e.rcpt_tos) == 1 for e in smtp.envelopes)  # no exposed or shared recipient list
    assert all(m["Cc"] is None and m["Bcc"] is None for m in messages)
    tokens = {str(m["To"]): link_of(m).rsplit("/", 1)[1] for m in messages}
    assert len(set(tokens.values())) == len(emails)
    assert all(email.split("@")[0] not in token for email, token in tokens.items())  # opaque
    with db.read() as s:
        for email, token in tokens.items():
            owner = unsubscribe.subscriber_for(s, token)
            assert owner is not None and owner.email == email
