"""The one thing spiders produce: a document as fetched, ready for the pipeline to judge."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


@dataclass
class DocumentItem:
    """One fetch of one document; ``url`` (canonical) is the document's key across runs."""

    source_id: str
    url: str
    status: int
    title: str = ""
    text: str = ""  # main text, normalised, paragraphs separated by blank lines
    published_at: datetime | None = None  # timezone-aware
    fetched_url: str = ""  # URL actually fetched, after redirects
    body: bytes = b""  # raw response body (or the feed entry's XML): the evidence
    headers: dict[str, str] = field(default_factory=dict)  # latin-1 decoded, first value each
    content_type: str = ""
    summary: str = ""  # feed description / dek, as text
    outlet: str = ""  # publisher when it differs from the source (aggregators: Google News's <source>)
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # An aggregator's result that could not be resolved to the publisher's article: only its headline.
    headline_only: bool = False


GOLDEN_EXCLUDED: frozenset[str] = frozenset({"body", "headers"})


def golden_dict(item: DocumentItem) -> dict[str, Any]:
    """JSON-able fields for golden files: everything but the raw body and headers, dates in ISO 8601."""
    out: dict[str, Any] = {}
    for f in fields(item):
        if f.name in GOLDEN_EXCLUDED or (f.name == "headline_only" and not item.headline_only):
            continue  # the marker shows only where it is set: other spiders' golden files stay as they were
        value = getattr(item, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, list):
            value = list(value)
        out[f.name] = value
    return out
