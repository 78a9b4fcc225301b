"""Put a relevant report into its story: the same event already reported by other outlets, or a new one.

Called by ingest for every change, inside its transaction. Only a relevant ``new`` report is compared
(with the signed reports of the last ``WINDOW``, at most ``MAX_CANDIDATES``): it joins the story of its
most similar report if ``pipeline.classify.stories.decide`` (text, step, date, case numbers, actors,
outlet and headline) puts them at least ``THRESHOLD`` alike, else starts a story. Later versions of a
document (updated, restored) stay in the story its first version joined; they are not re-compared, so a
story never changes under a reader's feet.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

from pipeline.classify.stories import THRESHOLD, Signature, decide, signature
from pipeline.store.models import Change
from pipeline.store.session import Session
from pipeline.store.sources import source_name
from pipeline.store.stories import add_story, candidate_keys, document_story_id, grow_story
from pipeline.store.stories import signatures as stored_signatures

WINDOW = timedelta(days=14)  # outlets report an event within days; older look-alikes are other steps
MAX_CANDIDATES = 2000  # bounds the work per report (a signature comparison is a few microseconds)

# Parsed signatures of recent reports, by (database, change, document, detection time): a signature never
# changes once written, so a crawl reads and parses each one once instead of once per later relevant
# report (that was quadratic in the pages of a crawl). Holds at most the last candidates seen: ~1.4 KB
# each, their sketches packed (pipeline.classify.stories.Sketch).
_parsed: dict[tuple[str, int, int, datetime], Signature | None] = {}


def best_story(sig: Signature, candidates: list[tuple[int, Signature]],
               threshold: float = THRESHOLD) -> tuple[int | None, float]:
    """The story of the most similar candidate report, if it reaches ``threshold`` (else None), and the score."""
    best: tuple[int | None, float] = (None, 0.0)
    for story_id, other in candidates:
        score = decide(sig, other)
        if score > best[1]:
            best = (story_id, score)
    return best if best[1] >= threshold else (None, best[1])


def _outlet(session: Session, change: Change) -> str:
    """Who wrote the report: an aggregator's outlet, else the source's name."""
    if change.document is not None and change.document.outlet:
        return change.document.outlet
    return source_name(session, change.source_id)  # not change.source: a lazy load for every report


def _candidates(session: Session, since: datetime) -> list[tuple[int, Signature]]:
    """(story id, signature) of the signed reports since ``since``, newest first, parsed; the database is read
    only for the signatures not parsed before."""
    database = sys.intern(str(session.get_bind().engine.url))  # one string for every key, not one each
    rows = [((database, cid, doc, at), sid)
            for cid, doc, sid, at in candidate_keys(session, since, MAX_CANDIDATES)]
    if missing := [key for key, _ in rows if key not in _parsed]:
        found = stored_signatures(session, [key[1] for key in missing])
        _parsed.update({key: Signature.from_json(found.get(key[1])) for key in missing})
    if len(_parsed) > 2 * MAX_CANDIDATES:  # keep only what the next report can still be compared with
        current = {key for key, _ in rows}
        for key in [k for k in _parsed if k not in current]:
            del _parsed[key]
    return [(sid, sig) for key, sid in rows if (sig := _parsed.get(key)) is not None]


def assign_story(session: Session, change: Change, title: str, text: str, now: datetime) -> int | None:
    """Set ``change.story_id`` (and its signature); returns the story id, or None for an irrelevant report."""
    if change.kind != "new":
        document_id = change.document.id if change.document is not None else change.document_id
        with session.no_autoflush:  # the document's earlier changes: nothing pending changes the answer
            change.story_id = document_story_id(session, document_id) if document_id is not None else None
        return change.story_id
    if not change.relevant:
        return None
    sig = signature(title, text, milestones=change.milestones or (), outlet=_outlet(session, change))
    change.signature = sig.to_json()
    # The reads and the UPDATE below touch other rows than what is pending (this report's document and version):
    # no autoflush before them, so the page's rows go in one flush, the change's (a second one per relevant page).
    with session.no_autoflush:
        candidates = _candidates(session, now - WINDOW)
        story_id, _score = best_story(sig, candidates)
        if story_id is None:
            story_id = add_story(session, title, now).id
        else:
            grow_story(session, story_id, now)
    change.story_id = story_id
    return story_id
