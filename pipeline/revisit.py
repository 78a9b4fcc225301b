"""Which known documents to fetch again: a decaying revisit schedule, and pinned documents always.

A feed or listing shows only its newest items, so an article edited or deleted a week later would go
unnoticed. Edits and removals cluster in a document's first days, so young documents are re-checked
often and old ones rarely (by default: daily for two weeks, weekly until three months, then
monthly). Removal (two 404/410 answers in a row, pipeline.ingest) and restoration are found on these
revisits. The spider skips revisits of documents its listing produced anyway.

A revisit compares like with like: a document whose stored text is a fragment of another response
(a feed entry's own full text, a listing card) cannot be compared with its web page, whose title and
text are worded differently, without recording an edit at every revisit. ``fragments`` names those
documents, so the spider only checks that their page is still there; their edits are found while the
feed or listing still shows them, read the same way as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from config.schema import RevisitStep
from pipeline.store.bodies import DamagedBody, raw_bytes
from pipeline.store.documents import current_versions
from pipeline.store.fetching import RevisitTier, revisit_due
from pipeline.store.models import Version
from pipeline.store.session import Database

# What a whole page or PDF starts with. A feed entry's XML or a listing card (stored as the evidence of
# items that were never fetched on their own) starts otherwise.
PAGE_STARTS: tuple[bytes, ...] = (b"<!doctype", b"<html", b"%pdf-")
FEED_TYPES: tuple[str, ...] = ("xml", "rss", "atom", "json")  # a pruned body: the response's type decides


def tiers(steps: Sequence[RevisitStep], now: datetime) -> list[RevisitTier]:
    """The policy's steps as first-seen/last-checked windows at ``now``."""
    out: list[RevisitTier] = []
    younger: datetime | None = None  # documents seen after this belong to earlier steps
    for step in steps:
        seen_after = now - step.younger_than if step.younger_than is not None else None
        out.append(RevisitTier(seen_after=seen_after, seen_until=younger, checked_before=now - step.every))
        younger = seen_after
    return out


def due(db: Database, source_ids: Iterable[str], steps: Sequence[RevisitStep], now: datetime,
        limit: int) -> dict[str, list[str]]:
    """Per source, the URLs to re-check in this crawl (at most ``limit`` each)."""
    if limit <= 0:
        return {}
    with db.read() as session:
        return revisit_due(session, source_ids, tiers(steps, now), limit)


def is_page(body: bytes) -> bool:
    """Whether a stored raw body is a whole page or PDF (not a feed entry or a listing card)."""
    return body[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(PAGE_STARTS)


def read_from_elsewhere(document_url: str, version: Version) -> bool:
    """Whether ``version`` was read from another response than the document's own page (a feed
    entry's text, a listing card): fetched at another URL, and its evidence is not a whole page."""
    fetched = version.fetched_url or document_url
    if fetched == document_url:
        return False
    try:
        body = raw_bytes(version)
    except DamagedBody:  # a damaged stored body: not evidence of a fragment
        return False
    if body is None:
        return any(t in version.content_type.lower() for t in FEED_TYPES)
    return not is_page(body[:256])


def fragments(db: Database, urls: Iterable[str]) -> set[str]:
    """Those of ``urls`` whose stored text was read from another response (see ``read_from_elsewhere``).

    A removed document is not among them: if its page answers again, it is read as a page and
    recorded as restored.
    """
    with db.read() as session:
        known = current_versions(session, urls)
        return {url for url, (doc, version) in known.items()
                if doc.state != "removed" and read_from_elsewhere(url, version)}
