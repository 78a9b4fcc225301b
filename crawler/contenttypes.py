"""What each spider can read, by Content-Type: anything else is refused before it is parsed.

A page source answered with JSON (an API error, a CDN challenge, a mis-routed URL) must not be stored
as page text; a feed source answered with an HTML error page is no feed. A response whose declared
type is missing or generic (``text/plain``, ``application/octet-stream``) is judged by its first
bytes instead, since small institutional sites often send no or a wrong generic type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from crawler.extract.pdf import PDF_MAGIC, PDF_TYPES, is_pdf


@dataclass(frozen=True)
class ContentKind:
    """A family of media types a spider can read, and how to recognise one by its first bytes."""

    label: str
    types: frozenset[str]
    magic: re.Pattern[bytes]


_START = rb"\A(?:\xef\xbb\xbf)?\s*"  # optional UTF-8 BOM and whitespace
HTML: Final = ContentKind("HTML", frozenset({"text/html", "application/xhtml+xml"}),
                          re.compile(_START + rb"(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
                                     re.IGNORECASE | re.DOTALL))
PDF: Final = ContentKind("PDF", frozenset(PDF_TYPES), re.compile(_START + re.escape(PDF_MAGIC)))
FEED: Final = ContentKind("RSS/Atom/XML", frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml",
}), re.compile(_START + rb"<(?:\?xml|rss|feed|rdf:RDF)\b", re.IGNORECASE))
JSON: Final = ContentKind("JSON", frozenset({"application/json", "text/json"}), re.compile(_START + rb"[\[{]"))

DOCUMENT: Final = (HTML, PDF)  # what a document page may be: an article, a notice, a resolution
GENERIC_TYPES: Final = frozenset({"", "text/plain", "application/octet-stream", "binary/octet-stream"})
SNIFF_BYTES = 1024


def media_type(content_type: str) -> str:
    """``text/HTML; charset=utf-8`` -> ``text/html``."""
    return content_type.split(";", 1)[0].strip().lower()


def unexpected(content_type: str, body: bytes, accepted: tuple[ContentKind, ...]) -> str | None:
    """The one-line refusal for a response of this type and body, or None if a spider can read it."""
    declared = media_type(content_type)
    if any(declared in kind.types for kind in accepted):
        return None
    head = body[:SNIFF_BYTES]
    if declared in GENERIC_TYPES and any(kind.magic.match(head) for kind in accepted):
        return None
    if PDF in accepted and is_pdf(content_type, head):  # PDFs are often served with a wrong type
        return None
    expected = " or ".join(kind.label for kind in accepted)
    return f"unexpected content type {declared or '(none)'} (expected {expected})"
