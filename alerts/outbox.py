"""Delivers stored digests; a digest (and the changes in it) counts as sent only once accepted.

If the process dies after the server accepted a message but before the row is marked sent, the next
run sends it again with the same Message-ID (at-least-once, deduplicable by the receiver).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from alerts.message import RenderedDigest, build_message
from alerts.send import Sender, SendError
from pipeline.store import repository as repo
from pipeline.store.session import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    digest_id: int
    to: str
    ok: bool
    where: str


def deliver_pending(db: Database, sender: Sender, *, mail_from: str) -> list[Delivery]:
    """Try every pending outbox row once; failures stay pending with their error."""
    with db.read() as session:
        pending = [
            (
                d.id,
                d.subscriber.email,
                d.subject,
                d.text_body,
                d.html_body,
                d.message_id,
                d.created_at,
                d.subscriber.language,
            )
            for d in repo.pending_digests(session)
        ]
    results = []
    for digest_id, to, subject, text, html, message_id, created_at, language in pending:
        try:
            message = build_message(
                RenderedDigest(subject, text, html, language),
                sender=mail_from,
                to=to,
                message_id=message_id,
                date=created_at,
            )
            sender.send(message)
        except (SendError, ValueError) as exc:  # ValueError: an address build_message refuses
            log.warning("digest %s to %s not delivered: %s", digest_id, to, exc)
            with db.write() as session:
                repo.mark_digest_failed(session, digest_id, str(exc))
            results.append(Delivery(digest_id, to, False, str(exc)))
            continue
        where = str(getattr(sender, "last_path", None) or f"smtp://{getattr(sender, 'where', '?')}")
        with db.write() as session:
            repo.mark_digest_sent(session, digest_id, datetime.now(UTC), where)
        results.append(Delivery(digest_id, to, True, where))
    return results
