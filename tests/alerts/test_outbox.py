"""The outbox on both databases against a real SMTP server on loopback: claims, backoff, lease, once only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.message import make_message_id
from alerts.outbox import BACKOFF_MAX, LEASE, SMTP_WAITS, backoff, deliver_pending, lease_from_env, longest_send
from alerts.send.smtp import SmtpSender
from config.schema import Config, ConfigError, load_config
from pipeline.ingest import Snapshot, ingest
from pipeline.store.digests import add_digest, pending_changes_for
from pipeline.store.models import Digest, DigestItem
from pipeline.store.outbox import claim_digest, due_digests, mark_digest_failed, mark_digest_sent
from pipeline.store.session import Database
from pipeline.store.sources import sync_sources
from pipeline.store.subscribers import active_subscribers, recipient, sync_subscribers
from tests.support.cli import CASE_FILE
from tests.support.smtpd import SmtpServer, smtp_server
from tests.support.story_texts import CONGRESS_ARCHIVES, SAME_DECISION, Report

pytestmark = pytest.mark.postgres  # concurrency and uniqueness of the outbox's claims

FROM = "casewatch <casewatch@example.org>"
REPORTS = (SAME_DECISION[0], CONGRESS_ARCHIVES)  # two outlets, both about the Juliaca case
PERIOD = "daily:2026-11-27"


# --- helpers shared with tests/casewatch/test_digest_delivery.py --------------------------------------


def write_config(tmp: Path, emails: Sequence[str]) -> Path:
    """A config folder: the default case, one source per outlet of REPORTS, these subscribers."""
    config = tmp / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    outlets = dict((r.source_id, r.source_name) for r in REPORTS)
    (config / "sources.yaml").write_text("sources:\n" + "".join(
        f"  - {{id: {sid}, name: {json.dumps(name)}, kind: news, spider: feed, urls: ['https://{sid}.example/feed/'],"
        f" schedule: 1h}}\n" for sid, name in outlets.items()), encoding="utf-8")
    (config / "subscribers.yaml").write_text("subscribers:\n" + "".join(
        f"  - {{email: {email}, name: Suscriptor {i}, language: es, cases: [juliaca-2023], frequency: daily}}\n"
        for i, email in enumerate(emails)), encoding="utf-8")
    return config


def ingest_reports(db: Database, config: Config, now: datetime, reports: Sequence[Report] = REPORTS) -> list[int]:
    """``reports`` (REPORTS) as their outlets' crawlers would hand them over; the new changes' ids."""
    case = config.cases["juliaca-2023"]
    ids = []
    for report in reports:
        snap = Snapshot(url=report.url, status=200, title=report.title, text=report.text, body=report.text.encode(),
                        published_at=datetime(2026, 11, 24, 14, 0, tzinfo=UTC), content_type="text/html")
        with db.write() as s:
            out = ingest(s, snap, source_id=report.source_id, cases=[case], now=now)
            assert out.result == "new" and out.change is not None and out.change.relevant, report.url
            ids.append(out.change.id)
    return ids


def delivered_change_ids(db: Database) -> list[int]:
    """Changes that count as delivered: carried by a digest the server accepted."""
    with db.read() as s:
        q = select(DigestItem.change_id).join(Digest, Digest.id == DigestItem.digest_id).where(Digest.status == "sent")
        return sorted(s.scalars(q))


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture
def built(db: Database, tmp_path: Path, now: datetime) -> tuple[int, list[int]]:
    """One subscriber, two relevant changes in one outbox row: (digest id, change ids)."""
    config = load_config(write_config(tmp_path, ["ana@example.org"]))
    with db.write() as s:
        sync_sources(s, config.sources, now)
        sync_subscribers(s, config.subscribers, now)
    change_ids = ingest_reports(db, config, now)
    with db.write() as s:  # what build_digests stores (the rendering is tested elsewhere)
        [sub] = active_subscribers(s)
        assert [c.id for c in pending_changes_for(s, sub)] == change_ids
        digest = add_digest(s, Digest(
            subscriber_id=sub.id, period=PERIOD, created_at=now, status="pending",
            message_id=make_message_id(f"ana@example.org|{PERIOD}"), subject="casewatch · 2 nuevos",
            text_body="Dos novedades del caso Juliaca.", html_body="<p>Dos novedades del caso Juliaca.</p>",
            attempts=0), change_ids)
        return digest.id, change_ids


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with smtp_server() as running:
        yield running


def _sender(server: SmtpServer) -> SmtpSender:
    return SmtpSender(server.host, server.port, security="none", timeout=5)


def _row(db: Database, digest_id: int) -> Digest:
    with db.read() as s:
        row = s.get(Digest, digest_id)
        assert row is not None
        return row


def _rows(db: Database, now: datetime, count: int) -> list[int]:
    """Outbox rows with no changes in them (as health alerts are), for claim tests."""
    with db.write() as s:
        sub = recipient(s, "ops@example.org", now)
        return [add_digest(s, Digest(subscriber_id=sub.id, period=f"health:{i}", kind="health", created_at=now,
                                     status="pending", message_id=make_message_id(f"ops|{i}"), subject=f"s{i}",
                                     text_body="t", html_body="<p>t</p>", attempts=0), []).id
                for i in range(count)]


# --- server down, server back ------------------------------------------------------------------------


@pytest.mark.slow
def test_server_down_keeps_row_pending_then_delivers_once(
    db: Database, built: tuple[int, list[int]], server: SmtpServer, now: datetime
) -> None:
    digest_id, change_ids = built
    server.stop()
    [down] = deliver_pending(db, _sender(server), mail_from=FROM, now=now)
    assert not down.ok and f"{server.host}:{server.port}" in down.where
    row = _row(db, digest_id)
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert row.last_error == down.where
    assert row.next_attempt_at == now + timedelta(minutes=1) and row.next_attempt_at > now
    assert row.claimed_at is None and row.claim_token is None  # the claim is released
    assert delivered_change_ids(db) == []  # nothing counts as delivered

    server.start()
    assert deliver_pending(db, _sender(server), mail_from=FROM, now=now + timedelta(seconds=30)) == []  # not due
    assert server.messages == [] and _row(db, digest_id).status == "pending"

    later = now + timedelta(minutes=1)
    [up] = deliver_pending(db, _sender(server), mail_from=FROM, now=later)
    assert up.ok and up.digest_id == digest_id and up.where == f"smtp://{server.host}:{server.port}"
    row = _row(db, digest_id)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 2, later, None)
    assert row.claimed_at is None and row.claim_token is None and row.next_attempt_at is None
    assert len(server.messages) == 1 and server.messages[0]["Message-ID"] == row.message_id
    assert server.envelopes[0].rcpt_tos == ["ana@example.org"]
    assert delivered_change_ids(db) == sorted(change_ids)

    assert deliver_pending(db, _sender(server), mail_from=FROM, now=later + timedelta(days=1)) == []
    assert len(server.messages) == 1


@pytest.mark.slow
def test_manual_retry_ignores_backoff_but_not_a_live_claim(
    db: Database, built: tuple[int, list[int]], server: SmtpServer, now: datetime
) -> None:
    digest_id, _ = built
    server.stop()
    deliver_pending(db, _sender(server), mail_from=FROM, now=now)
    server.start()
    with db.write() as s:  # another sender holds the row right now
        claim = claim_digest(s, digest_id, now, LEASE, ignore_backoff=True)
    assert claim is not None
    assert deliver_pending(db, _sender(server), mail_from=FROM, now=now, ignore_backoff=True) == []
    with db.write() as s:
        assert mark_digest_failed(s, claim, "gave up", now + timedelta(hours=1))
    [retried] = deliver_pending(db, _sender(server), mail_from=FROM, now=now, ignore_backoff=True)
    assert retried.ok and len(server.messages) == 1 and _row(db, digest_id).attempts == 3


# --- backoff -----------------------------------------------------------------------------------------


def test_backoff_doubles_from_one_minute_and_is_capped_at_six_hours() -> None:
    minutes = [backoff(n) / timedelta(minutes=1) for n in range(1, 12)]
    assert minutes == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert backoff(0) == timedelta(minutes=1) and backoff(10_000) == BACKOFF_MAX == timedelta(hours=6)


@pytest.mark.slow
def test_repeated_failures_wait_longer_each_time(
    db: Database, built: tuple[int, list[int]], server: SmtpServer, now: datetime
) -> None:
    digest_id, _ = built
    server.stop()
    moment, waits = now, []
    for attempt in range(11):
        if attempt:  # a second early is not due: skipped, not another failure
            assert deliver_pending(db, _sender(server), mail_from=FROM, now=moment - timedelta(seconds=1)) == []
        [failed] = deliver_pending(db, _sender(server), mail_from=FROM, now=moment)
        assert not failed.ok
        row = _row(db, digest_id)
        assert row.next_attempt_at is not None
        waits.append((row.next_attempt_at - moment) / timedelta(minutes=1))
        moment = row.next_attempt_at
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert _row(db, digest_id).attempts == 11 and delivered_change_ids(db) == []


def test_lease_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEWATCH_OUTBOX_LEASE", raising=False)
    assert lease_from_env(30) == LEASE == timedelta(minutes=10)
    monkeypatch.setenv("CASEWATCH_OUTBOX_LEASE", "1.5")
    assert lease_from_env(0.1) == timedelta(seconds=1.5)
    for bad in ("0", "-3", "ten", "nan", "inf"):
        monkeypatch.setenv("CASEWATCH_OUTBOX_LEASE", bad)
        with pytest.raises(ConfigError, match="CASEWATCH_OUTBOX_LEASE must be a positive number of seconds"):
            lease_from_env(0.1)


def test_lease_must_outlast_the_longest_send(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lease shorter than one SMTP session lets a second sender re-claim a row mid-send (a double send)."""
    monkeypatch.setenv("CASEWATCH_OUTBOX_LEASE", "60")
    assert longest_send(30) == timedelta(seconds=30 * SMTP_WAITS) > timedelta(seconds=60)
    with pytest.raises(ConfigError) as refused:
        lease_from_env(30)
    assert refused.value.lines == [
        f"CASEWATCH_OUTBOX_LEASE must exceed the longest SMTP send, {30 * SMTP_WAITS} s (SMTP_TIMEOUT 30 s x "
        f"{SMTP_WAITS} steps): got 60 s; raise CASEWATCH_OUTBOX_LEASE or lower SMTP_TIMEOUT"]
    assert lease_from_env(4) == timedelta(seconds=60)  # 48 s < 60 s
    monkeypatch.delenv("CASEWATCH_OUTBOX_LEASE")
    with pytest.raises(ConfigError, match=r"^the outbox lease \(600 s by default\) must exceed"):
        lease_from_env(60)


# --- claims and leases -------------------------------------------------------------------------------


@pytest.mark.slow
def test_claims_one_winner_and_lease_expiry(db: Database, now: datetime) -> None:
    [digest_id] = _rows(db, now, 1)
    with db.write() as s:
        first = claim_digest(s, digest_id, now, LEASE)
    with db.write() as s:
        assert claim_digest(s, digest_id, now, LEASE) is None  # held
        assert claim_digest(s, digest_id, now + LEASE - timedelta(seconds=1), LEASE) is None  # still fresh
        assert claim_digest(s, digest_id, now + LEASE, LEASE, ignore_backoff=True) is None
    assert first is not None and first.attempt == 1
    row = _row(db, digest_id)
    assert (row.status, row.claimed_at, row.claim_token, row.attempts) == ("sending", now, first.token, 1)

    expired = now + LEASE + timedelta(seconds=1)
    with db.write() as s:
        second = claim_digest(s, digest_id, expired, LEASE)  # the first holder crashed
    assert second is not None and second.token != first.token and second.attempt == 2
    with db.write() as s:  # the first holder may not record anything any more ...
        assert not mark_digest_sent(s, first, expired, "smtp://x")
        assert not mark_digest_failed(s, first, "late", expired)
    assert _row(db, digest_id).claim_token == second.token
    with db.write() as s:  # ... the second one may
        assert mark_digest_sent(s, second, expired, "smtp://x")
    with db.write() as s:
        assert claim_digest(s, digest_id, expired + timedelta(days=1), LEASE, ignore_backoff=True) is None
    assert _row(db, digest_id).status == "sent"


def test_not_due_row_is_not_claimed(db: Database, now: datetime) -> None:
    [digest_id] = _rows(db, now, 1)
    with db.write() as s:
        claim = claim_digest(s, digest_id, now, LEASE)
        assert claim is not None
        assert mark_digest_failed(s, claim, "refused", now + timedelta(minutes=1))
    with db.write() as s:
        assert claim_digest(s, digest_id, now + timedelta(seconds=59), LEASE) is None
    with db.read() as s:
        assert due_digests(s, now + timedelta(seconds=59), LEASE) == []
        assert [d.id for d in due_digests(s, now + timedelta(minutes=1), LEASE)] == [digest_id]
    with db.write() as s:
        assert claim_digest(s, digest_id, now + timedelta(minutes=1), LEASE) is not None


@pytest.mark.slow
def test_concurrent_claimers_get_each_row_once(db: Database, db_url: str, now: datetime) -> None:
    rows = _rows(db, now, 12)
    barrier = threading.Barrier(2)
    won: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def claimer(name: str) -> None:
        other = Database(db_url)  # its own engine and connections, as another process would have
        try:
            barrier.wait(timeout=10)
            for digest_id in rows:
                with other.write() as s:
                    if claim_digest(s, digest_id, now, LEASE) is not None:
                        won[name].append(digest_id)
        except BaseException as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            other.dispose()

    threads = [threading.Thread(target=claimer, args=(name,)) for name in won]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(won["a"] + won["b"]) == rows  # every row claimed, and by one claimer only


@pytest.mark.slow
def test_crashed_sender_row_is_resent_once_after_the_lease(
    db: Database, built: tuple[int, list[int]], server: SmtpServer, now: datetime
) -> None:
    digest_id, change_ids = built
    with db.write() as s:  # a sender claimed it, the server accepted it, then the process died
        assert claim_digest(s, digest_id, now, LEASE) is not None
    assert deliver_pending(db, _sender(server), mail_from=FROM, now=now + LEASE - timedelta(seconds=1)) == []
    assert server.messages == [] and delivered_change_ids(db) == []
    [resent] = deliver_pending(db, _sender(server), mail_from=FROM, now=now + LEASE + timedelta(seconds=1))
    assert resent.ok and len(server.messages) == 1
    row = _row(db, digest_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert server.messages[0]["Message-ID"] == row.message_id == make_message_id(f"ana@example.org|{PERIOD}")
    assert delivered_change_ids(db) == sorted(change_ids)
