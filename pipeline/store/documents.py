"""Documents (one URL's content over time) and their versions: found by URL, id or headline, the
version the site shows now, pins, and raw bodies pruned once they cannot be evidence."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, defer, selectinload

from pipeline.store.bodies import forget_unused
from pipeline.store.models import Change, Document, Source, Version

# Built once (asked for every fetched page): constructing and hashing the statement cost as much as the look-up.
_BY_URL = select(Document).where(Document.url == bindparam("url"))


def get_document(session: Session, url: str) -> Document | None:
    return session.scalars(_BY_URL, {"url": url}).one_or_none()


IN_CHUNK = 500  # values per IN (...) list: well under SQLite's bound-parameter limit


OUTLET_MATCH_DOCUMENTS = 5000  # the newest documents an unresolved aggregator headline is compared with


def _plain(text: str) -> str:
    """Accent-, case- and punctuation-free words: "¿Juliaca: Fiscalía…?" = "juliaca fiscalia"."""
    from textkit import fold

    return " ".join("".join(c if c.isalnum() else " " for c in fold(text)).split())


def outlet_headline_document(session: Session, outlet: str, title: str, *,
                             exclude_source: str | None = None) -> Document | None:
    """A stored article of ``outlet`` (its source's name or the document's outlet, one naming the other:
    "El Comercio Perú" is "El Comercio") with the same normalised headline: what an aggregator's
    unresolved result points at."""
    want_outlet, want_title = _plain(outlet), _plain(title)
    if not want_outlet or not want_title:
        return None
    # Three columns of the recent documents, not whole rows: one aggregator result is compared with
    # thousands of them, and only the match is loaded.
    q = (select(Document.id, Document.title, Document.outlet, Source.name)
         .join(Source, Source.id == Document.source_id)
         .order_by(Document.id.desc()).limit(OUTLET_MATCH_DOCUMENTS))
    if exclude_source is not None:
        q = q.where(Document.source_id != exclude_source)
    for doc_id, doc_title, doc_outlet, source_name in session.execute(q):
        if _plain(doc_title or "") == want_title and any(
                _same_outlet(want_outlet, _plain(name)) for name in (doc_outlet or "", source_name)):
            return session.get(Document, doc_id)
    return None


def _same_outlet(a: str, b: str) -> bool:
    """"el comercio peru" (Google's name) is "el comercio" (the source's): one names the other, word-wise."""
    return bool(a and b) and (a == b or a.startswith(b + " ") or b.startswith(a + " "))


def latest_version(session: Session, document_id: int) -> Version | None:
    return session.scalars(
        select(Version).where(Version.document_id == document_id).order_by(Version.id.desc()).limit(1)
    ).one_or_none()


def current_version(session: Session, document_id: int) -> Version | None:
    """The version the site showed at its last stored or matched fetch: the newest change's
    ``to_version`` (a ``reverted`` change points back at an older version), else the newest version."""
    shown = session.scalar(select(Change.to_version_id).where(
        Change.document_id == document_id, Change.to_version_id.is_not(None)).order_by(Change.id.desc()).limit(1))
    return session.get(Version, shown) if shown is not None else latest_version(session, document_id)


def version_with_sha(session: Session, document_id: int, sha256: str) -> Version | None:
    """The newest stored version of the document with this text fingerprint, if any."""
    return session.scalars(select(Version).where(Version.document_id == document_id, Version.sha256 == sha256)
                           .order_by(Version.id.desc()).limit(1)).one_or_none()


def count_versions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Version)) or 0


def current_versions(session: Session, urls: Iterable[str]) -> dict[str, tuple[Document, Version]]:
    """URL -> (document, the version its site showed last) for the known ones among ``urls``."""
    # ``current_version`` for many documents in a few queries (it was two or three per URL).
    out: dict[str, tuple[Document, Version]] = {}
    wanted = list(dict.fromkeys(urls))
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start:start + IN_CHUNK]
        docs = {d.id: d for d in session.scalars(select(Document).where(Document.url.in_(chunk)))}
        if not docs:
            continue
        shown = dict(session.execute(
            select(Change.document_id, func.max(Change.id))
            .where(Change.document_id.in_(list(docs)), Change.to_version_id.is_not(None))
            .group_by(Change.document_id)).all())
        version_of: dict[int, int] = dict(session.execute(
            select(Change.document_id, Change.to_version_id).where(Change.id.in_(list(shown.values())))).all())
        rest = [i for i in docs if i not in version_of]
        if rest:
            version_of.update(session.execute(
                select(Version.document_id, func.max(Version.id)).where(Version.document_id.in_(rest))
                .group_by(Version.document_id)).all())
        versions = {v.id: v for v in session.scalars(select(Version).where(Version.id.in_(list(version_of.values()))))}
        for doc_id, doc in docs.items():
            if (version := versions.get(version_of.get(doc_id, -1))) is not None:
                out[doc.url] = (doc, version)
    return {url: out[url] for url in wanted if url in out}


def set_pinned(session: Session, url: str, pinned: bool) -> Document | None:
    doc = get_document(session, url)
    if doc is not None:
        doc.pinned = pinned
    return doc


def prune_raw_bodies(session: Session, older_than: datetime, now: datetime, batch: int = 500) -> int:
    """Drop raw bodies (keeping hashes and texts) of versions fetched before ``older_than`` whose document
    never had a relevant change; returns how many were pruned. Evidence of anything relevant stays."""
    relevant_docs = select(Change.document_id).where(Change.relevant)
    ids = session.execute(
        select(Version.id).where(Version.fetched_at < older_than, Version.raw_pruned_at.is_(None),
                                 Version.document_id.not_in(relevant_docs)).limit(batch)
    ).scalars().all()
    if ids:
        session.execute(update(Version).where(Version.id.in_(ids)).values(raw_body=b"", raw_pruned_at=now))
        forget_unused(session, session.execute(select(Version.raw_sha256).where(Version.id.in_(ids))).scalars())
    return len(ids)


def get_document_by_id(session: Session, document_id: int) -> Document | None:
    return session.get(Document, document_id)


def source_document_ids(session: Session, source_id: str) -> list[int]:
    return list(session.scalars(select(Document.id).where(Document.source_id == source_id).order_by(Document.id)))


def document_versions(session: Session, document_id: int, *, bodies: bool = True) -> list[Version]:
    """Every version of a document, oldest first; ``bodies=False`` leaves the raw bodies unloaded."""
    q = select(Version).where(Version.document_id == document_id).order_by(Version.id)
    if not bodies:
        q = q.options(defer(Version.raw_body))
    return list(session.scalars(q))


def get_version(session: Session, version_id: int) -> Version | None:
    return session.scalars(select(Version).where(Version.id == version_id)
                           .options(selectinload(Version.document))).one_or_none()
