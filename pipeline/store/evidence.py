"""Evidence: the stored versions and changes an export or a re-extraction reads, by document, source,
case and time; versions loaded a few at a time, so a large export streams."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from pipeline.store.changes import LISTING
from pipeline.store.models import Change, ChangeCase, Document, Version


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
         .options(*LISTING)
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
