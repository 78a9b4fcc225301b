"""Queries and updates the rest of casewatch needs, so nothing outside store/ writes SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from pipeline.store.models import Change, ChangeCase, Document, Mark, Source, Version
from pipeline.store.timeline import MilestoneRow, TimelineEntry, merge

# ------------------------------------------------------------------------------ config mirrors


# ------------------------------------------------------------------------------ documents


# ------------------------------------------------------------------------------ crawl runs


# ------------------------------------------------------------------------------ fetch validators


# ------------------------------------------------------------------------------ changes


# ------------------------------------------------------------------------------ digests / outbox


# ------------------------------------------------------------------------------ stories


# ------------------------------------------------------------------------------ case timeline


def timeline_rows(session: Session, case_id: str) -> list[MilestoneRow]:
    """Every milestone that relevant changes of the case reported (a removal reports nothing new); a
    report found through an aggregator is named by its outlet; ``removed``: its document is gone now."""
    q = (select(Change.id, Change.document_id, Change.detected_at, Document.published_at, Change.source_id,
                func.coalesce(func.nullif(Document.outlet, ""), Source.name), Document.url, Change.title,
                Document.title, Change.story_id, Change.milestones, Document.state)
         .join(Source, Source.id == Change.source_id).join(Document, Document.id == Change.document_id)
         .where(Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == case_id)),
                Change.relevant.is_(True), Change.kind != "removed", Change.withdrawn_at.is_(None))
         .order_by(Change.detected_at, Change.id))
    rows: list[MilestoneRow] = []
    for cid, did, detected, published, src, name, url, title, doc_title, story, milestones, state in \
            session.execute(q):
        for m in milestones or ():  # a JSON list: filtered here, the same way on both databases
            if isinstance(m, dict) and m.get("type"):
                rows.append(MilestoneRow(cid, did, detected, published, src, name, url, title or doc_title,
                                         story, m, removed=state == "removed"))
    return rows


def case_timeline(session: Session, case_id: str) -> list[TimelineEntry]:
    """The case's legal steps by event date, each once with all its sources (pipeline.store.timeline)."""
    return merge(timeline_rows(session, case_id))


# ------------------------------------------------------------------------------ operator status


# ------------------------------------------------------------------------------ revisits, housekeeping


# ------------------------------------------------------------------------------ evidence: export, re-extraction


@dataclass(frozen=True)
class EvidenceFilter:
    """Which stored versions (by fetch time) or changes (by detection time) an export holds."""

    document_id: int | None = None
    source_id: str | None = None
    case_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _case_document_ids(case_id: str) -> Any:
    """Documents with a (not withdrawn) change relevant to the case."""
    return select(Change.document_id).where(
        Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == case_id)),
        Change.withdrawn_at.is_(None))


def evidence_version_ids(session: Session, flt: EvidenceFilter) -> list[int]:
    """Ids of the versions an evidence export holds, document by document, oldest first.

    Only ids: the bodies are loaded a few at a time (``versions_by_ids``) so a large export streams.
    """
    q = select(Version.id).join(Document, Document.id == Version.document_id)
    if flt.document_id is not None:
        q = q.where(Version.document_id == flt.document_id)
    if flt.source_id:
        q = q.where(Document.source_id == flt.source_id)
    if flt.case_id:
        q = q.where(Version.document_id.in_(_case_document_ids(flt.case_id)))
    if flt.since is not None:
        q = q.where(Version.fetched_at >= flt.since)
    if flt.until is not None:
        q = q.where(Version.fetched_at < flt.until)
    return list(session.scalars(q.order_by(Version.document_id, Version.id)))


def versions_by_ids(session: Session, ids: Sequence[int]) -> list[Version]:
    """The versions (raw bodies included) with their documents, in the order of ``ids``."""
    rows = {v.id: v for v in session.scalars(
        select(Version).where(Version.id.in_(list(ids))).options(selectinload(Version.document)))}
    return [rows[i] for i in ids if i in rows]


def change_ids_by_version(session: Session, version_ids: Sequence[int]) -> dict[int, list[int]]:
    """Version id -> ids of the (not withdrawn) changes that start or end at it."""
    ids = list(version_ids)
    out: dict[int, list[int]] = {i: [] for i in ids}
    if not ids:
        return out
    q = (select(Change.id, Change.from_version_id, Change.to_version_id)
         .where(or_(Change.from_version_id.in_(ids), Change.to_version_id.in_(ids)), Change.withdrawn_at.is_(None))
         .order_by(Change.id))
    for cid, from_id, to_id in session.execute(q):
        for vid in {from_id, to_id}:
            if vid in out:
                out[vid].append(cid)
    return out


def evidence_changes(session: Session, flt: EvidenceFilter) -> list[Change]:
    """The (not withdrawn) changes a report export holds, oldest first, with their versions loaded."""
    q = (select(Change).where(Change.withdrawn_at.is_(None))
         .options(selectinload(Change.case_links), selectinload(Change.source), selectinload(Change.document),
                  selectinload(Change.to_version), selectinload(Change.from_version))
         .order_by(Change.detected_at, Change.id))
    if flt.document_id is not None:
        q = q.where(Change.document_id == flt.document_id)
    if flt.source_id:
        q = q.where(Change.source_id == flt.source_id)
    if flt.case_id:
        q = q.where(Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == flt.case_id)))
    if flt.since is not None:
        q = q.where(Change.detected_at >= flt.since)
    if flt.until is not None:
        q = q.where(Change.detected_at < flt.until)
    return list(session.scalars(q))


# ------------------------------------------------------------------------------ review page (casewatch.web)
#
# The queries of the review page: a filtered, paginated change log with its total, a document's
# whole history (get_document_by_id, document_versions, document_changes above), the outbox, and
# reviewer verdicts. Withdrawn changes (re-extraction) stay out of the log and the feeds; a document's
# history still lists them, marked.


def get_mark(session: Session, name: str) -> datetime | None:
    mark = session.get(Mark, name)
    return mark.at if mark is not None else None


def set_mark(session: Session, name: str, at: datetime) -> None:
    mark = session.get(Mark, name)
    if mark is None:
        session.add(Mark(name=name, at=at))
    else:
        mark.at = at


def stored_value(session: Session, name: str) -> str | None:
    """A value kept in ``marks`` (made once, e.g. a generated key); None when not made yet."""
    mark = session.get(Mark, name)
    return mark.value if mark is not None else None


def store_value(session: Session, name: str, value: str, now: datetime) -> None:
    """Keep ``value`` under ``name``; a concurrent first store raises IntegrityError at flush (re-read then)."""
    session.add(Mark(name=name, at=now, value=value))
    session.flush()
