"""RSS 2.0 / RSS 1.0 / Atom feeds (WordPress, Drupal, Arc XP), optionally following items to full text.

feedparser copes with real-world feeds; lxml is used beside it only to read each entry's own XML
(kept as evidence) and its ``content:encoded`` by namespace URI. feedparser folds
``media:description`` into ``entry.content`` too (La República's feed has both), so its content list
alone cannot tell the article body from an image caption.

Item body: the article page's response body when the item was followed; otherwise the entry's own
XML fragment (``<item>…</item>``, re-serialised by lxml, UTF-8), or its content HTML if the feed is
not well-formed XML. ``status``, ``headers`` and ``content_type`` are then the feed response's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import feedparser
from lxml import etree
from scrapy.http import Response

from crawler.extract.text import html_to_text
from crawler.extract.urls import canonical_url
from crawler.items import DocumentItem
from crawler.spiders.base import REMOVED_STATUSES, SourceSpider

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
ATOM_NS = "http://www.w3.org/2005/Atom"
RSS1_NS = "http://purl.org/rss/1.0/"
ENTRY_TAGS = ("item", f"{{{RSS1_NS}}}item", f"{{{ATOM_NS}}}entry")
# WordPress/Yoast append "La entrada X se publicó primero en Site." to feed texts: not the author's.
WP_FOOTER = re.compile(
    r"\n*^(?:La entrada|The post) .+ (?:se publicó primero en|apareció primero en|appeared first on) .+\Z",
    re.MULTILINE,
)


def feed_text(html: str | None) -> str:
    """Plain text of a feed description/content, without the WordPress "first appeared" footer."""
    return WP_FOOTER.sub("", html_to_text(html)).strip()


@dataclass
class FeedEntry:
    """What a feed says about one document."""

    url: str  # canonical link: the document key
    title: str = ""
    published_at: datetime | None = None
    summary: str = ""
    content: str = ""  # full text from content:encoded / atom:content, as plain text
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    raw: bytes = b""


@dataclass
class RawEntry:
    xml: bytes
    content_html: str | None


def _xml_parser() -> etree.XMLParser:
    # Untrusted XML: no entity expansion, no DTD or network access.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def raw_entries(body: bytes) -> list[RawEntry] | None:
    """Each entry's XML and full-content HTML in document order; None if the body is not XML."""
    try:
        root = etree.fromstring(body, _xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    out: list[RawEntry] = []
    for el in root.iter(*ENTRY_TAGS):
        content: str | None = None
        encoded = el.find(f"{{{CONTENT_NS}}}encoded")
        atom = el.find(f"{{{ATOM_NS}}}content")
        if encoded is not None:
            content = encoded.text or ""
        elif atom is not None:
            if atom.get("type") == "xhtml":
                content = "".join(etree.tostring(c, encoding="unicode") for c in atom)
            elif atom.get("type") in (None, "text"):
                content = etree.tostring(atom, method="text", encoding="unicode")
                content = content.replace("&", "&amp;").replace("<", "&lt;")
            else:
                content = atom.text or ""
        xml = etree.tostring(el, encoding="utf-8", xml_declaration=False, with_tail=False)
        out.append(RawEntry(xml, content))
    return out


def _names(values: Iterable[Any], *keys: str) -> list[str]:
    out: list[str] = []
    for value in values or ():
        for key in keys:
            text = " ".join(str(value.get(key) or "").split()) if hasattr(value, "get") else ""
            if text:
                if text not in out:
                    out.append(text)
                break
    return out


def _title(entry: Any) -> str:
    title = entry.get("title") or ""
    if "html" in (entry.get("title_detail") or {}).get("type", ""):
        title = html_to_text(title)
    return " ".join(title.split())


class FeedSpider(SourceSpider):
    """One item per feed entry (deduplicated by canonical link).

    ``follow``: ``never`` uses the feed's own text (content:encoded, else the description);
    ``auto`` follows the link only when the feed has no full content; ``always`` always fetches the
    article page and extracts its main text (feed title/date used where the page lacks them).
    """

    name = "feed"

    def parse(self, response: Response) -> Iterator[Any]:
        if response.status in REMOVED_STATUSES:
            self.report_empty(response.url, f"feed answered HTTP {response.status}")
            return
        parsed = feedparser.parse(response.body)
        if not parsed.entries:
            if parsed.get("version"):
                reason = "the feed has no entries"
            else:
                reason = f"not an RSS/Atom feed ({parsed.get('bozo_exception') or 'unrecognised'})"
            self.report_empty(response.url, reason)
            return
        if parsed.get("bozo"):
            self.logger.warning("source %s: %s is not well-formed (%s); parsed leniently",
                                self.source.id, response.url, parsed.get("bozo_exception"))
        raws = raw_entries(response.body)
        if raws is not None and len(raws) != len(parsed.entries):
            raws = None
        count = 0
        for i, entry in enumerate(parsed.entries):
            feed_entry = self.feed_entry(entry, raws[i] if raws else None, response.url)
            if feed_entry is None or not self.claim(feed_entry.url):
                continue
            count += 1
            yield self.follow_or_item(response, feed_entry)
        if count == 0 and not self.claimed:
            self.report_empty(response.url, "no entry has a usable link")

    def feed_entry(self, entry: Any, raw: RawEntry | None, feed_url: str) -> FeedEntry | None:
        """Normalise one feedparser entry; None (with a warning) if it has no http(s) link."""
        link = entry.get("link") or (entry.get("id") if entry.get("guidislink") else "") or ""
        url = canonical_url(link, base=feed_url) if link else ""
        if not url.startswith(("http://", "https://")):
            self.logger.warning("source %s: %s: entry %r has no http(s) link", self.source.id, feed_url,
                                entry.get("title", "")[:80])
            return None
        if raw is not None:
            content_html = raw.content_html or ""
            body = raw.xml
        else:  # not well-formed XML: feedparser's longest content (media:description is shorter)
            values = sorted((c.get("value") or "" for c in entry.get("content") or ()), key=len)
            content_html = values[-1] if values else ""
            body = content_html.encode("utf-8")
        content = feed_text(content_html)
        summary = feed_text(entry.get("summary") or "")
        if summary == content:  # feedparser copies content:encoded into a missing description
            summary = ""
        return FeedEntry(
            url=url,
            title=_title(entry),
            published_at=self.parse_date(entry.get("published"), entry.get("updated"),
                                         entry.get("published_parsed"), entry.get("updated_parsed")),
            summary=summary,
            content=content,
            authors=_names(entry.get("authors") or (), "name", "email"),
            tags=_names(entry.get("tags") or (), "term", "label"),
            raw=body,
        )

    def follow_or_item(self, response: Response, entry: FeedEntry) -> Any:
        follow = self.source.follow
        if follow == "always" or (follow == "auto" and not entry.content):
            return self.request(entry.url, self.parse_article, cb_kwargs={"entry": entry})
        item = self.make_item(response, entry.url, **self._fields(entry), text=entry.content or entry.summary)
        item.body = entry.raw
        return item

    @staticmethod
    def _fields(entry: FeedEntry) -> dict[str, Any]:
        return {"title": entry.title, "published_at": entry.published_at, "summary": entry.summary,
                "authors": list(entry.authors), "tags": list(entry.tags)}

    def parse_article(self, response: Response, entry: FeedEntry) -> Iterator[DocumentItem]:
        """The followed article page: its main text, with the feed's metadata as fallback."""
        fields = self._fields(entry)
        fields["text"] = entry.content
        item = self.page_item(response, entry.url, **fields)
        if item is not None:
            yield item
