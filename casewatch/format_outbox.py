"""What `casewatch digest` prints: the outbox and its delivery state, digests built and sent, dry runs and
previews. Each function returns data or lines; the command only chooses the stream."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from textkit import LIMA

if TYPE_CHECKING:  # the command starts fast: the store and alerts load only when a command needs them
    from alerts.digest import Built, Preview
    from alerts.outbox import Delivery
    from pipeline.store.models import Digest


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def outbox_json(rows: Sequence[Digest], lease: timedelta) -> list[dict[str, Any]]:
    """Each stored digest; ``status`` is the delivery state: pending | sending (claimed by a sender) | sent."""
    return [{"id": d.id, "to": d.subscriber.email, "period": d.period, "status": d.status,
             "attempts": d.attempts, "last_error": d.last_error, "subject": d.subject,
             "created_at": _iso(d.created_at), "sent_at": _iso(d.sent_at), "delivered_to": d.delivered_to,
             "kind": d.kind, "next_attempt_at": _iso(d.next_attempt_at), "claimed_at": _iso(d.claimed_at),
             "lease_expires_at": _iso(d.claimed_at + lease) if d.claimed_at else None} for d in rows]


def _when(row: Digest, lease: timedelta, now: datetime) -> str:
    """The time that matters for the row's state, in Lima time."""
    if row.status == "sent" and row.sent_at:
        return f"sent {row.sent_at.astimezone(LIMA):%Y-%m-%d %H:%M}"
    if row.status == "sending" and row.claimed_at:
        expired = " (lease expired)" if row.claimed_at + lease < now else ""
        return f"sending since {row.claimed_at.astimezone(LIMA):%Y-%m-%d %H:%M}{expired}"
    if row.next_attempt_at and row.next_attempt_at > now:
        return f"next {row.next_attempt_at.astimezone(LIMA):%Y-%m-%d %H:%M}"
    return "next: now"


def outbox_lines(data: Sequence[dict[str, Any]], rows: Sequence[Digest], lease: timedelta, now: datetime) -> list[str]:
    """One line a digest (with its last error under it), or a line saying the outbox is empty."""
    lines = [f"{d['id']:>5} {d['status']:<8} {d['kind']:<9} {d['period']:<26} {d['attempts']} tries  "
             f"{_when(row, lease, now):<24} {d['to']:<30} {d['subject'][:50]}"
             + (f"\n      last error: {d['last_error']}" if d["last_error"] else "")
             for d, row in zip(data, rows, strict=True)]
    return lines or ["the outbox is empty"]


def dry_run_lines(previews: Sequence[Preview]) -> list[str]:
    """What would be sent now: each email's recipient, subject and text; or that nothing is pending."""
    return [f"To: {p.email}\nSubject: {p.subject}\n\n{p.text}\n" for p in previews] or ["nothing pending"]


def delivery_lines(built: Sequence[Built], deliveries: Sequence[Delivery]) -> list[str]:
    """A line a subscriber (the digest built, or why none was), then a line a delivery attempt."""
    return ([f"{b.subscriber}: " + (b.skipped or f"digest {b.digest_id} with {b.changes} change(s)") for b in built]
            + [f"{'sent' if d.ok else 'NOT sent'} digest {d.digest_id} to {d.to}: {d.where}" for d in deliveries])


def preview_line(p: Preview) -> str:
    """Which email a preview shows (period, when it would be built, what is pending, its subject)."""
    return (f"{p.email}: {p.period} at {p.at.astimezone(LIMA):%Y-%m-%d %H:%M} (Lima), {p.changes} change(s) "
            f"pending now; subject: {p.subject}")
