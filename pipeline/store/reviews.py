"""Reviewer verdicts on changes (reviewed, irrelevant, reopened) and the dashboard's counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from pipeline.store.models import Change, Review
from pipeline.store.vocabulary import REVIEW_ACTIONS as REVIEW_ACTIONS
from pipeline.store.vocabulary import REVIEW_STATES as VERDICTS

REVIEW_STATES = ("pending", *VERDICTS)  # what the review page filters on; "pending": no verdict yet


def change_reviews(session: Session, change_id: int) -> list[Review]:
    return list(session.scalars(select(Review).where(Review.change_id == change_id).order_by(Review.id)))


def review_change(session: Session, change_id: int, action: str, note: str, actor: str,
                  now: datetime) -> Review | None:
    """Record a reviewer's verdict on a change (None if there is no such change).

    ``irrelevant``: the change leaves digests, feeds and the timeline (``relevant`` False) and its
    document gets ``relevance_override='irrelevant'``, so ingest stores its later changes as not
    relevant. ``reviewed`` / ``reopened`` of a change marked irrelevant undo that: its relevance comes
    back from its case links (kept for this) and the document's override is cleared.
    """
    if action not in REVIEW_ACTIONS:
        raise ValueError(f"unknown review action {action!r}")
    change = session.scalars(select(Change).where(Change.id == change_id)
                             .options(selectinload(Change.case_links), selectinload(Change.document))
                             ).one_or_none()
    if change is None:
        return None
    was_irrelevant = change.review_state == "irrelevant"
    if action == "irrelevant":
        change.review_state, change.relevant = "irrelevant", False
        change.document.relevance_override = "irrelevant"
    else:
        if was_irrelevant:
            change.relevant = bool(change.case_links)
            change.document.relevance_override = None
        change.review_state = "reviewed" if action == "reviewed" else None
    review = Review(change_id=change.id, action=action, note=note, actor=actor, created_at=now)
    session.add(review)
    session.flush()
    return review


def review_counts(session: Session, since: datetime) -> dict[str, int]:
    """For the dashboard: changes since ``since``, relevant ones, and relevant ones without a verdict."""
    live = Change.withdrawn_at.is_(None)
    recent = session.scalar(select(func.count()).select_from(Change).where(live, Change.detected_at >= since)) or 0
    relevant = session.scalar(select(func.count()).select_from(Change).where(
        live, Change.detected_at >= since, Change.relevant.is_(True))) or 0
    pending = session.scalar(select(func.count()).select_from(Change).where(
        live, Change.relevant.is_(True), Change.review_state.is_(None))) or 0
    return {"recent": recent, "recent_relevant": relevant, "pending_review": pending}
