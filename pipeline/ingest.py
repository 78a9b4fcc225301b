"""One fetched document in, one decision out: classify -> detect -> store, in one transaction.

The whole change-detection loop is here, in the order a reader expects:
0. an aggregator's result (Google News) for an article another source already stores, by URL or, for
   a headline-only result, by the same outlet and headline, is that article: nothing is recorded;
1. a 404/410 counts as missing; the second one in a row makes a ``removed`` change;
2. the text is normalised (ignore rules applied) and fingerprinted;
3. unknown URL -> ``new``; same fingerprint as the version the site showed last -> nothing; the
   fingerprint of an older stored version -> ``reverted`` to it (no new version: that text is stored;
   the change records when it came back); any other fingerprint -> ``updated`` with a diff;
   a removed document answering again -> ``restored``;
4. the new version and its change are added to the caller's transaction, so they commit together.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from config.schema import Case
from pipeline.classify.decision import Decision, decide_case, read_steps
from pipeline.classify.milestones import Milestone
from pipeline.detect.diff import unified_diff
from pipeline.detect.fingerprint import fingerprint, sha256_bytes
from pipeline.detect.normalize import clean_text, is_clean, normalize
from pipeline.store import bodies
from pipeline.store.changes import document_primary_step
from pipeline.store.documents import (
    current_version,
    get_document,
    latest_version,
    outlet_headline_document,
    version_with_sha,
)
from pipeline.store.models import Change, ChangeCase, Document, Version
from pipeline.store.session import Session
from pipeline.stories import assign_story

log = logging.getLogger(__name__)

GONE_STATUSES = frozenset({404, 410})
REMOVAL_CONFIRMATIONS = 2  # consecutive 404/410 answers before a document counts as removed
MAX_TEXT_CHARS = 2_000_000
SUMMARY_CHARS = 400


@dataclass(frozen=True)
class Snapshot:
    """What one fetch of one URL saw, as the crawler hands it over."""

    url: str  # canonical URL: the document key
    status: int
    title: str = ""
    text: str = ""
    published_at: datetime | None = None
    fetched_url: str = ""
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = ""
    summary: str = ""
    outlet: str = ""
    own_response: bool = True  # False for a feed entry or a redirect target: its ETag is not the URL's
    headline_only: bool = False  # an aggregator's result not resolved to the article: its headline alone

    @cached_property
    def body_sha256(self) -> str:
        """The body's SHA-256 (hex): the document's checksum and the stored body's key, hashed once."""
        return sha256_bytes(self.body)


@dataclass(frozen=True)
class Outcome:
    """What ingest decided: a change kind, or why there is none."""

    result: str  # new | updated | reverted | removed | restored | unchanged | missing | empty | error
    change: Change | None = None

    @property
    def changed(self) -> bool:
        return self.change is not None


def ingest(
    session: Session,
    snapshot: Snapshot,
    *,
    source_id: str,
    cases: Sequence[Case],
    ignore_patterns: Sequence[str] = (),
    run_id: int | None = None,
    now: datetime,
    aggregated: bool = False,
) -> Outcome:
    """Decide what ``snapshot`` means for the stored record and add it to ``session`` (not committed).

    ``aggregated``: the source only points at other outlets' articles (Google News).
    """
    doc = get_document(session, snapshot.url)
    if aggregated and _reported_elsewhere(session, doc, snapshot, source_id):
        return Outcome("duplicate")
    if snapshot.status in GONE_STATUSES:
        return _missing(session, doc, source_id=source_id, cases=cases, run_id=run_id, now=now)
    if snapshot.status >= 400:
        return Outcome("error")

    title = clean_text(snapshot.title).replace("\n", " ")
    cleaned = clean_text(snapshot.text)
    text = cleaned[:MAX_TEXT_CHARS]
    # Without ignore patterns, normalising cleaned text would clean it a second time for nothing.
    again = ignore_patterns or len(cleaned) > MAX_TEXT_CHARS or not is_clean(text)
    normalized = normalize(text, ignore_patterns) if again else text
    if not normalized and not title:
        return Outcome("empty")
    sha = fingerprint(title, normalized)

    if doc is None:
        doc = Document(url=snapshot.url, source_id=source_id, title=title, published_at=snapshot.published_at,
                       first_seen_at=now, last_checked_at=now, state="active", missing_count=0)
        session.add(doc)
        _remember_fetch(doc, snapshot)
        # No flush here: the document, its version and its change go to the database in one flush
        # (the change's), which orders the inserts; a flush per object was a fifth of storing a page.
        version = _version(session, doc, snapshot, title, text, sha, run_id, now)
        session.add(version)
        return _change(session, "new", doc, None, version, title, normalized, snapshot, cases,
                       source_id=source_id, run_id=run_id, now=now)

    doc.last_checked_at = now
    doc.missing_count = 0
    # The reads below (and the change's, in _change) look at other rows than what is pending (this
    # document's own row, then its new version): no autoflush before each, one flush with the change.
    with session.no_autoflush:
        last = current_version(session, doc.id)
    was_removed = doc.state == "removed"
    if last is not None and not was_removed:
        if last.sha256 == sha:
            _remember_fetch(doc, snapshot)
            return Outcome("unchanged")
        if not normalized and normalize(last.text, ignore_patterns):
            # The page answers but its content vanished (redesign, broken extraction): keep the last
            # good version rather than record the case text as deleted.
            log.warning("%s: extracted text is empty; keeping the previous version", snapshot.url)
            return Outcome("empty")
        with session.no_autoflush:
            earlier = version_with_sha(session, doc.id, sha)
        if earlier is not None:
            # Back to a text already stored (A -> B -> A): a record pointing at that version, not an edit.
            _remember_fetch(doc, snapshot)
            doc.title = title or doc.title
            doc.published_at = snapshot.published_at or doc.published_at
            return _change(session, "reverted", doc, last, earlier, title, normalized, snapshot, cases,
                           source_id=source_id, run_id=run_id, now=now, ignore_patterns=ignore_patterns)
    doc.state = "active"
    _remember_fetch(doc, snapshot)
    doc.title = title or doc.title
    doc.published_at = snapshot.published_at or doc.published_at
    version = _version(session, doc, snapshot, title, text, sha, run_id, now)
    session.add(version)
    kind = "restored" if was_removed else "updated"
    return _change(session, kind, doc, last, version, title, normalized, snapshot, cases,
                   source_id=source_id, run_id=run_id, now=now, ignore_patterns=ignore_patterns)


def _reported_elsewhere(session: Session, doc: Document | None, snap: Snapshot, source_id: str) -> bool:
    """An aggregator's result that another source already stores: the same URL (the outlet's feed
    reached the article first), or a headline-only result with that outlet's stored headline."""
    if doc is not None:
        return doc.source_id != source_id
    if not snap.headline_only or not snap.outlet or not snap.title:
        return False
    return outlet_headline_document(session, snap.outlet, snap.title, exclude_source=source_id) is not None


def _missing(session: Session, doc: Document | None, *, source_id: str, cases: Sequence[Case],
             run_id: int | None, now: datetime) -> Outcome:
    if doc is None:
        return Outcome("missing")
    doc.last_checked_at = now
    if doc.state == "removed":
        return Outcome("unchanged")
    doc.missing_count += 1
    if doc.missing_count < REMOVAL_CONFIRMATIONS:
        return Outcome("missing")
    doc.state = "removed"
    last = latest_version(session, doc.id)
    text = last.text if last else ""
    rels = _decide(cases, doc.title, text, published=doc.published_at)
    change = Change(kind="removed", detected_at=now, document=doc, source_id=source_id, run_id=run_id,
                    from_version=last, to_version=None, title=doc.title, summary=_summary(text), diff=None)
    _attach_relevance(change, rels)
    session.add(change)
    session.flush()
    return Outcome("removed", change)


def _remember_fetch(doc: Document, snap: Snapshot) -> None:
    """Keep the validators of this fetch so the next one can be conditional (or a checksum hit)."""
    lowered = {str(k).lower(): str(v) for k, v in snap.headers.items()} if snap.own_response else {}
    doc.etag = (lowered.get("etag") or None) and lowered["etag"][:512]
    doc.last_modified = (lowered.get("last-modified") or None) and lowered["last-modified"][:128]
    doc.raw_sha256 = snap.body_sha256
    if snap.outlet:
        doc.outlet = clean_text(snap.outlet).replace("\n", " ")[:200]
    doc.headline_only = snap.headline_only


def _version(session: Session, doc: Document, snap: Snapshot, title: str, text: str, sha: str,
             run_id: int | None, now: datetime) -> Version:
    headers = {str(k): str(v) for k, v in snap.headers.items()}
    lowered = {k.lower(): v for k, v in headers.items()}
    return Version(
        document=doc, fetched_at=now, sha256=sha, title=title, text=text, published_at=snap.published_at,
        raw_body=b"", raw_sha256=bodies.keep(session, snap.body, snap.body_sha256), http_status=snap.status,
        fetched_url=snap.fetched_url or snap.url, content_type=snap.content_type[:200],
        etag=lowered.get("etag"), last_modified=lowered.get("last-modified"), headers=headers, run_id=run_id,
    )


def _change(session: Session, kind: str, doc: Document, last: Version | None, version: Version, title: str,
            normalized: str, snap: Snapshot, cases: Sequence[Case], *, source_id: str, run_id: int | None,
            now: datetime, ignore_patterns: Sequence[str] = ()) -> Outcome:
    diff = None
    if last is not None:
        old = f"{last.title}\n\n{normalize(last.text, ignore_patterns)}"
        diff = unified_diff(old, f"{title}\n\n{normalized}", old_label=f"version {last.id}",
                            new_label="new version" if version.id is None else f"version {version.id}")
    # An edit reports the steps in what was added, not every step the page ever mentioned: else
    # each correction of a typo would announce the formalisation again. A return to a stored text
    # says nothing new: no steps, so it can never alert the same content twice.
    steps_in = "" if kind == "reverted" else added_text(diff) if kind == "updated" and diff else None
    rels = _decide(cases, title, normalized, published=snap.published_at, steps_in=steps_in)
    change = Change(kind=kind, detected_at=now, document=doc, source_id=source_id, run_id=run_id,
                    from_version=last, to_version=version, title=title,
                    summary=_summary(clean_text(snap.summary) or _without_title(normalized, title)), diff=diff)
    _attach_relevance(change, rels)
    if kind in ("updated", "restored") and change.case_links:
        with session.no_autoflush:  # the document's earlier changes; this one is not in the session yet
            _republish(change, document_primary_step(session, doc.id))
    assign_story(session, change, title, normalized, now)
    session.add(change)
    session.flush()
    return Outcome(kind, change)


def _steps_if_relevant(title: str, text: str, case: Case | None, language: str,
                       published: datetime | None) -> tuple[Milestone, ...]:
    """A change keeps only the steps of the cases its text is about (``_attach_relevance``), so the
    steps of a text no case is about are not read: most pages a source yields are about something else."""
    return () if case is None else read_steps(title, text, case, language, published)


def _decide(cases: Sequence[Case], title: str, text: str, *, published: datetime | None,
            steps_in: str | None = None) -> list[Decision]:
    """``decide`` for ingest: the same relevance and the same steps of relevant cases, in case order."""
    return [decide_case(c, title, text, published=published, steps_in=steps_in, reader=_steps_if_relevant)
            for c in cases]


def added_text(diff: str) -> str:
    """The lines a unified diff adds (its '+' lines without the header)."""
    return "\n".join(line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))


def _attach_relevance(change: Change, decisions: Sequence[Decision]) -> None:
    """Relevance per case, matched terms and, for relevant changes, the legal steps reported."""
    matched: list[str] = []
    # One step of the text is one milestone, whichever case's decision read it: a page about two cases
    # must not report its step twice. When the decisions date it differently, the date is not known.
    steps: dict[tuple[object, ...], dict[str, object]] = {}
    for decision in decisions:
        rel = decision.relevance
        if rel.relevant:
            change.case_links.append(ChangeCase(case_id=rel.case_id, score=rel.score,
                                                matched_terms=list(rel.matched_terms)))
            for m in decision.milestones:
                found = m.as_dict()
                same = steps.setdefault((m.type, m.status, m.evidence), found)
                if same is not found and same["date"] != found["date"]:
                    same["date"] = None
        matched += [t for t in rel.matched_terms if t not in matched]
    milestones = list(steps.values())
    change.relevant = any(d.relevant for d in decisions)
    change.relevance = max((d.relevance.score for d in decisions), default=0.0)
    change.matched_terms = matched
    change.milestones = milestones
    # Look-alike cases (not configured ones: those have their own decision) a text was tagged with
    # instead of a configured case: shown, not alerted.
    configured = {d.case_id for d in decisions}
    change.related_cases = sorted({r for d in decisions if not d.relevant for r in d.relevance.related}
                                  - configured)
    # A reviewer marked this document irrelevant (review page): its later changes are stored, with the
    # classifier's case links and terms kept as the record, but not relevant, and carry the verdict
    # (the page explains them as "marked irrelevant by a reviewer"). Reopening clears the override.
    if change.relevant and change.document is not None and change.document.relevance_override == "irrelevant":
        change.relevant = False
        change.review_state = "irrelevant"


def _republish(change: Change, step: dict[str, object] | None) -> None:
    """An edit creates no new step (milestone guide): it carries the document's primary step marked
    re-published (shown as such, never alerted again), with any step of another type the edit added."""
    if step is None:
        return
    rest = [m for m in change.milestones or () if m.get("type") != step.get("type")]
    change.milestones = [{**step, "republished": True}, *rest]


def _without_title(text: str, title: str) -> str:
    """Page text usually starts with its own headline; the summary should not repeat it."""
    first, _, rest = text.partition("\n")
    return rest.strip() if title and first.strip() == title else text


def _summary(text: str) -> str:
    """The text's first ``SUMMARY_CHARS`` with its spaces collapsed, cut at a word.

    Only a prefix is collapsed (splitting a page's whole text for 400 characters was 1.5% of a first
    crawl): collapsing ``text[:size]`` gives a prefix of collapsing all of it, its last word maybe cut,
    so once that prefix is longer than the summary it decides the summary exactly as the whole would.
    """
    size = 2 * SUMMARY_CHARS
    while True:
        head = " ".join(text[:size].split())
        if len(head) > SUMMARY_CHARS or size >= len(text):
            break
        size *= 4
    return head if len(head) <= SUMMARY_CHARS else head[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
