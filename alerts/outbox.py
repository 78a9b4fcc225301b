"""Delivers stored digests exactly once in normal operation, and at most twice after a crash.

Each outbox row moves ``pending -> sending -> sent``:

- **Claim.** Before talking to the mail server a sender claims the row with one conditional UPDATE
  (``pipeline.store.outbox.claim_digest``): only a row that is pending and due, or 'sending'
  under an expired lease, can be claimed, and of two concurrent claimers exactly one wins. So two
  schedulers, or a scheduler and a manual ``casewatch digest``, never send the same row at once.
- **Accepted.** Only after the server accepted the message is the row marked 'sent' (and with it the
  changes it carries count as delivered), and only if our claim still holds.
- **Refused.** A failure puts the row back to 'pending' with its error, releases the claim and sets
  ``next_attempt_at`` by exponential backoff: 1, 2, 4, 8 ... minutes after the n-th failed attempt,
  capped at 6 hours (a server down for a day is retried every 6 h; a short outage costs minutes).
  Rows not yet due are skipped, not counted as failures.
- **Crash.** The lease (``LEASE``, 10 minutes, far longer than an SMTP session under ``SMTP_TIMEOUT``)
  bounds a crash: a process that dies after the server accepted the message but before the row was
  recorded leaves it 'sending'; the first run after the lease expires claims it again and resends
  it once, with the SAME Message-ID, so the recipients' mail software can deduplicate. At most one
  resend per crash; nothing is ever lost.

``CASEWATCH_OUTBOX_LEASE`` (seconds) overrides the lease. ``CASEWATCH_FAULT=after-send`` is a test
hook: the process exits (code 70) right after the server accepted a message and before recording
it, to reproduce that crash in a real child process. Never set it in production.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alerts.message import RenderedDigest, build_message
from alerts.send import Sender, SendError
from config.redact import redact
from config.schema import ConfigError
from pipeline.store.outbox import claim_digest, due_digests, mark_digest_failed, mark_digest_sent
from pipeline.store.session import Database

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
LEASE_ENV = "CASEWATCH_OUTBOX_LEASE"
SMTP_WAITS = 12  # blocking steps of one SMTP session, each bounded by SMTP_TIMEOUT (longest_send)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
FAULT_ENV = "CASEWATCH_FAULT"
FAULT_EXIT = 70


@dataclass(frozen=True)
class Delivery:
    digest_id: int
    to: str
    ok: bool
    where: str


def backoff(attempt: int) -> timedelta:
    """Wait after the ``attempt``-th failed attempt (1-based): 1 min doubling, capped at 6 h."""
    if attempt >= 20:  # 2**19 minutes is far past the cap; avoid huge numbers
        return BACKOFF_MAX
    return min(BACKOFF_FIRST * 2 ** max(attempt - 1, 0), BACKOFF_MAX)


def longest_send(smtp_timeout: float) -> timedelta:
    """The longest one SMTP send can take: smtplib applies ``SMTP_TIMEOUT`` to each blocking step
    (connect, greeting, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA, the message, its end, QUIT)."""
    return timedelta(seconds=smtp_timeout * SMTP_WAITS)


def lease_from_env(smtp_timeout: float | None = None) -> timedelta:
    """``LEASE``, or ``CASEWATCH_OUTBOX_LEASE`` seconds; a bad value is a clear error, not a default.

    The lease must outlast the longest send (``longest_send(SMTP_TIMEOUT)``): a shorter one lets a
    second sender re-claim a row that is still being sent, and the digest goes out twice.
    """
    from config.settings import get_settings, read_settings

    raw = read_settings().outbox_lease or ""  # LEASE_ENV, read now (tests change it)
    lease = LEASE
    if raw:
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1.0
        if not seconds > 0 or seconds == float("inf"):
            raise ConfigError([f"{LEASE_ENV} must be a positive number of seconds, got {raw!r}"])
        lease = timedelta(seconds=seconds)
    if smtp_timeout is None:
        smtp_timeout = get_settings().smtp_timeout
    if not smtp_timeout > 0 or smtp_timeout == float("inf"):
        raise ConfigError([f"SMTP_TIMEOUT must be a positive number of seconds, got {smtp_timeout:g}"])
    longest = longest_send(smtp_timeout)
    if lease <= longest:
        name = LEASE_ENV if raw else f"the outbox lease ({LEASE.total_seconds():g} s by default)"
        raise ConfigError([f"{name} must exceed the longest SMTP send, {longest.total_seconds():g} s "
                           f"(SMTP_TIMEOUT {smtp_timeout:g} s x {SMTP_WAITS} steps): got "
                           f"{lease.total_seconds():g} s; raise {LEASE_ENV} or lower SMTP_TIMEOUT"])
    return lease


def _fault(point: str) -> None:
    """Test hook: die here, as a crash would, when CASEWATCH_FAULT names this point."""
    if os.environ.get(FAULT_ENV) == point:
        log.warning("%s=%s: exiting now (test hook)", FAULT_ENV, point)
        os._exit(FAULT_EXIT)


def deliver_pending(
    db: Database,
    sender: Sender,
    *,
    mail_from: str,
    reply_to: str | None = None,
    now: datetime | None = None,
    lease: timedelta | None = None,
    ignore_backoff: bool = False,
) -> list[Delivery]:
    """Claim and send every outbox row that is due; returns one Delivery per row this call tried.

    ``now`` fixes the clock (tests); otherwise each claim uses the current time. ``ignore_backoff``
    retries failed rows before their next attempt is due (an operator's manual run); a row another
    sender holds under a live lease is never touched. Rows carry their subscriber's unsubscribe link, sent
    as List-Unsubscribe (with RFC 8058's List-Unsubscribe-Post for an https link); ``reply_to``
    (CASEWATCH_REPLY_TO) becomes every message's Reply-To.
    """
    lease = lease if lease is not None else lease_from_env()
    start = now or datetime.now(UTC)
    with db.read() as session:
        candidates = [
            (d.id, d.subscriber.email, d.subject, d.text_body, d.html_body, d.message_id, d.created_at,
             d.subscriber.language, d.unsubscribe_url)
            for d in due_digests(session, start, lease, ignore_backoff=ignore_backoff)
        ]
    results = []
    for digest_id, to, subject, text, html, message_id, created_at, language, unsubscribe_url in candidates:
        with db.write() as session:
            claim = claim_digest(session, digest_id, now or datetime.now(UTC), lease,
                                 ignore_backoff=ignore_backoff)
        if claim is None:  # another sender took it (or sent it) since we looked
            continue
        try:
            message = build_message(
                RenderedDigest(subject, text, html, language),
                sender=mail_from,
                to=to,
                message_id=message_id,
                date=created_at,
                list_unsubscribe=f"<{unsubscribe_url}>" if unsubscribe_url else None,
                one_click=bool(unsubscribe_url) and unsubscribe_url.startswith("https://"),
                reply_to=reply_to,
            )
            sender.send(message)
        except (SendError, ValueError) as exc:  # ValueError: an address build_message refuses
            wait = backoff(claim.attempt)
            retry_at = (now or datetime.now(UTC)) + wait
            log.warning("digest %s to %s not delivered (attempt %d, next in %s): %s",
                        digest_id, to, claim.attempt, wait, exc)
            with db.write() as session:
                if not mark_digest_failed(session, claim, redact(str(exc)), retry_at):
                    log.warning("digest %s: claim lost before the failure was recorded", digest_id)
            results.append(Delivery(digest_id, to, False, str(exc)))
            continue
        _fault("after-send")
        where = str(getattr(sender, "last_path", None) or f"smtp://{getattr(sender, 'where', '?')}")
        with db.write() as session:
            if not mark_digest_sent(session, claim, now or datetime.now(UTC), where):
                # Our lease expired mid-send and another sender re-claimed the row: it records the outcome.
                log.warning("digest %s: accepted, but the claim was lost (lease %s too short?)", digest_id, lease)
        results.append(Delivery(digest_id, to, True, where))
    return results
