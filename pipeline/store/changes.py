"""Changes: the change log with its filters (one ChangeFilter for the CLI, the review page and its
API), one change with what a listing shows, a document's changes, a case's feed. Withdrawn changes
(re-extraction) stay out of the log and the feeds; a document's history still lists them, marked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from pipeline.store.dialect import folded, has_milestone
from pipeline.store.models import Change, ChangeCase, Source


@dataclass(frozen=True)
class ChangeFilter:
    """Which changes the change log shows (the CLI, the review page, its API); ``until`` is exclusive,
    ``text`` matches title or summary. ``page``/``per_page`` cut one page (``search_changes``), ``limit``
    the newest N (``list_changes``; None: all)."""

    case_id: str | None = None
    source_id: str | None = None
    source_kind: str | None = None
    kind: str | None = None
    milestone: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    relevant_only: bool = False
    review_state: str | None = None
    include_withdrawn: bool = False  # withdrawn changes are records, not news (the CLI may ask for them)
    fold_alternating: bool = False  # a document going back and forth between versions: one row (review page)
    page: int = 1
    per_page: int = 50
    limit: int | None = None


# What a listing of changes shows, loaded up front (one query per relation, not one per row).
LISTING = (selectinload(Change.case_links), selectinload(Change.source), selectinload(Change.document),
           selectinload(Change.to_version), selectinload(Change.from_version))


def list_changes(session: Session, flt: ChangeFilter) -> Sequence[Change]:
    """The CLI's change log: every change matching ``flt`` (at most ``flt.limit``), newest first."""
    statement = _change_log(_matching(session, flt))
    return session.scalars(statement.limit(flt.limit) if flt.limit else statement).all()


def search_changes(session: Session, q: ChangeFilter) -> tuple[list[Change], int]:
    """One page of the change log, newest first, and how many changes match in all."""
    conds = _matching(session, q)
    total = session.scalar(select(func.count()).select_from(Change).where(*conds)) or 0
    per_page = max(1, q.per_page)
    rows = session.scalars(_change_log(conds).limit(per_page).offset((max(1, q.page) - 1) * per_page))
    return list(rows), total


def _matching(session: Session, q: ChangeFilter) -> list[ColumnElement[bool]]:
    """The conditions of the log's rows: the filters, and one row per flapping document when asked."""
    conds = _change_conditions(session, q)
    return [*conds, _alternation_fold(conds)] if q.fold_alternating else conds


def _change_conditions(session: Session, q: ChangeFilter) -> list[ColumnElement[bool]]:
    from textkit import fold

    conds: list[ColumnElement[bool]] = [] if q.include_withdrawn else [Change.withdrawn_at.is_(None)]
    if q.case_id:
        conds.append(Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == q.case_id)))
    if q.source_id:
        conds.append(Change.source_id == q.source_id)
    if q.source_kind:
        conds.append(Change.source_id.in_(select(Source.id).where(Source.kind == q.source_kind)))
    if q.kind:
        conds.append(Change.kind == q.kind)
    if q.milestone:
        conds.append(has_milestone(session, q.milestone))
    if q.since is not None:
        conds.append(Change.detected_at >= q.since)
    if q.until is not None:
        conds.append(Change.detected_at < q.until)
    if q.relevant_only:
        conds.append(Change.relevant.is_(True))
    if q.review_state == "pending":
        conds.append(Change.review_state.is_(None))
    elif q.review_state:
        conds.append(Change.review_state == q.review_state)
    if q.text and (needle := fold(q.text.strip())):
        conds.append(or_(folded(session, Change.title).contains(needle, autoescape=True),
                         folded(session, Change.summary).contains(needle, autoescape=True)))
    return conds


ALTERNATING_KINDS = ("new", "updated", "reverted")  # what one "alternating" row of the change log stands for


def _alternation_fold(conds: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    """Of a document whose matching changes include a ``reverted`` one, only its newest new/updated/reverted
    change stays: the log lists a flapping page once, and its pages and total stay exact. The subqueries
    have their own ``changes`` (no correlation), filtered like the log."""
    flapping = select(Change.document_id).where(*conds, Change.kind == "reverted").correlate(None)
    newest = (select(func.max(Change.id)).where(*conds, Change.kind.in_(ALTERNATING_KINDS))
              .group_by(Change.document_id).correlate(None))
    return or_(Change.kind.not_in(ALTERNATING_KINDS), Change.document_id.not_in(flapping), Change.id.in_(newest))


def alternations(session: Session, q: ChangeFilter, document_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Document id -> (changes, distinct versions) of each flapping document's new/updated/reverted changes
    matching the log's filters: what its one row stands for. Documents that do not flap are left out."""
    ids = list(document_ids)
    if not ids:
        return {}
    rows = session.execute(select(Change.document_id, Change.kind, Change.from_version_id, Change.to_version_id)
                           .where(*_change_conditions(session, q), Change.kind.in_(ALTERNATING_KINDS),
                                  Change.document_id.in_(ids)))
    found: dict[int, tuple[int, set[int], bool]] = {}
    for doc_id, kind, from_id, to_id in rows:
        n, versions, flaps = found.get(doc_id, (0, set(), False))
        found[doc_id] = (n + 1, versions | {v for v in (from_id, to_id) if v is not None}, flaps or kind == "reverted")
    return {doc_id: (n, len(versions)) for doc_id, (n, versions, flaps) in found.items() if flaps}


def _change_log(conds: Sequence[ColumnElement[bool]]) -> Select[tuple[Change]]:
    """Changes matching ``conds``, newest first, with what a listing shows loaded up front."""
    return select(Change).where(*conds).options(*LISTING).order_by(Change.detected_at.desc(), Change.id.desc())


def get_change(session: Session, change_id: int) -> Change | None:
    return session.scalars(select(Change).where(Change.id == change_id).options(*LISTING)).one_or_none()


def document_changes(session: Session, document_id: int) -> list[Change]:
    """Every change of a document, withdrawn ones included, oldest first."""
    return list(session.scalars(select(Change).where(Change.document_id == document_id).order_by(Change.id)))


def document_primary_step(session: Session, document_id: int) -> dict[str, Any] | None:
    """The taken primary step the document's latest earlier change stored (what an edit re-publishes)."""
    q = (select(Change.milestones).where(Change.document_id == document_id, Change.withdrawn_at.is_(None))
         .order_by(Change.id.desc()))
    for milestones in session.scalars(q):
        for m in milestones or ():
            if isinstance(m, dict) and m.get("primary") is True and m.get("status", "taken") == "taken":
                return {k: v for k, v in m.items() if k != "republished"}
    return None


def relevant_case_changes(session: Session, case_id: str, limit: int = 50) -> list[Change]:
    """The newest relevant, not withdrawn changes of a case (its Atom feed); a return to a stored version
    (``reverted``) is a record, not news: a flapping page must not fill the feed."""
    return list(session.scalars(
        select(Change)
        .where(Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == case_id)),
               Change.relevant.is_(True), Change.withdrawn_at.is_(None), Change.kind != "reverted")
        .options(*LISTING).order_by(Change.detected_at.desc(), Change.id.desc()).limit(limit)))
