"""RSS 2.0 / RSS 1.0 / Atom feeds (WordPress, Drupal, Arc XP), optionally following items to full text.

feedparser copes with real-world feeds; lxml is used beside it only to read each entry's own XML
(kept as evidence) and its ``content:encoded`` by namespace URI. feedparser folds
``media:description`` into ``entry.content`` too (La República's feed has both), so its content list
alone cannot tell the article body from an image caption.

Revisits (pipeline.revisit) compare like with like: an article stored from its page is read again
from its page (``parse_revisit``); one stored from the feed's own text is re-read from the feed while
the feed shows it, and afterwards only checked for presence (``recheck_fragment``): a 404/410 still
makes it removed, and nothing records an edit that is only the page's other wording.

Item body: the article page's response body when the item was followed; otherwise the entry's own
XML fragment (``<item>…</item>``, re-serialised by lxml, UTF-8), or its content HTML if the feed is
not well-formed XML. ``status``, ``headers`` and ``content_type`` are then the feed response's.

Busy national feeds (La República politics, Infobae Perú) carry far more than one case: ``params``
narrow them before anything is claimed or followed, so unrelated stories cost no request and never
reach the pipeline::

    params:
      categories: [puno, juliaca]     # tag/category: feed term or <category domain=".../tag/puno">
      keywords: [Juliaca, "masacre de Juliaca"]   # whole words in title, summary or content
      exclude_keywords: [fútbol]      # veto, whatever else matched
      match: any                      # any (default): categories OR keywords; all: both

Matching ignores case and accents. A feed whose entries were all filtered out is a quiet day, not an
error; a feed with no entries at all still is one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import field_validator
from scrapy.http import Response

from config.schema import Source
from crawler.contenttypes import DOCUMENT, FEED, ContentKind
from crawler.extract.feeds import RawEntry, entry_title, feed_text, names, raw_entries, without_surrogate_references
from crawler.extract.urls import canonical_url
from crawler.items import DocumentItem
from crawler.params import ParamProblem, SpiderParams
from crawler.spiders.base import REMOVED_STATUSES, SourceSpider
from textkit import fold  # 'Fiscalía' = 'FISCALIA': feeds mix both


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


def category_key(text: str) -> str:
    """A category as a slug: 'Derechos Humanos', 'derechos-humanos' and 'derechos_humanos' are one."""
    return re.sub(r"[\s_-]+", "-", fold(text).strip()).strip("-")


def _word_list(value: Any) -> tuple[str, ...]:
    """A YAML list of words or phrases, each on one line; a string or a number is a clear error."""
    if value is None:
        return ()
    if isinstance(value, str):
        # A string would silently become one long "keyword" that never matches: say so.
        raise ValueError(f"expected a list, like [Juliaca, Puno] (got the string {value!r})")
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list of words, like [Juliaca, Puno] (got {value!r})")
    out: list[str] = []
    for i, word in enumerate(value):
        if not isinstance(word, str) or not word.strip():
            raise ParamProblem(f"expected a non-empty text (got {word!r}; quote numbers)", at=f"[{i}]")
        out.append(" ".join(word.split()))
    return tuple(out)


class FeedParams(SpiderParams):
    """The entry filters a feed source may set (``params.match``/``categories``/``keywords``/``exclude_keywords``)."""

    FAMILY: ClassVar[str] = "feed"

    match: str = "any"
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()

    @field_validator("match", mode="before")
    @classmethod
    def _any_or_all(cls, value: Any) -> str:
        if value not in ("any", "all"):
            raise ValueError(f"expected 'any' or 'all' (got {value!r})")
        return str(value)

    @field_validator("categories", "keywords", "exclude_keywords", mode="before")
    @classmethod
    def _words(cls, value: Any) -> tuple[str, ...]:
        return _word_list(value)

    @field_validator("categories")
    @classmethod
    def _category_keys(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not category_key(c) for c in value):
            raise ValueError(f"a category has no letters or digits (got {list(value)!r})")
        return value


def _words_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any of ``words`` as whole words in folded text (phrases: any whitespace)."""
    alternatives = sorted({r"\s+".join(re.escape(part) for part in fold(w).split()) for w in words},
                          key=len, reverse=True)
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


@dataclass(frozen=True)
class EntryFilter:
    """Which feed entries a source keeps (``params.categories``/``keywords``/``exclude_keywords``)."""

    categories: frozenset[str] = frozenset()
    keywords: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None
    match: str = "any"

    PARAMS: ClassVar[frozenset[str]] = frozenset(FeedParams.model_fields)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> EntryFilter:
        """The filter of ``params`` (FeedParams; other keys are not the filter's); ValueError with one line
        naming the param otherwise."""
        read = FeedParams.from_params({k: v for k, v in params.items() if k in FeedParams.model_fields})
        return cls(
            categories=frozenset(category_key(c) for c in read.categories),
            keywords=_words_pattern(read.keywords),
            exclude=_words_pattern(read.exclude_keywords),
            match=read.match,
        )

    @property
    def active(self) -> bool:
        return bool(self.categories or self.keywords or self.exclude)

    def accepts(self, entry: FeedEntry, category_keys: Iterable[str]) -> bool:
        """True if the entry passes: not excluded, and matching the inclusion filters (any/all)."""
        text = fold("\n".join((entry.title, entry.summary, entry.content)))
        if self.exclude is not None and self.exclude.search(text):
            return False
        checks: list[bool] = []
        if self.categories:
            checks.append(not self.categories.isdisjoint(category_keys))
        if self.keywords is not None:
            checks.append(self.keywords.search(text) is not None)
        if not checks:
            return True
        return all(checks) if self.match == "all" else any(checks)


def entry_category_keys(entry: Any) -> set[str]:
    """Category slugs of a feedparser entry: each tag's term and label, and the last path segment of
    its scheme/domain URL (La República: ``<category domain="https://larepublica.pe/tag/puno">``)."""
    keys: set[str] = set()
    for tag in entry.get("tags") or ():
        if not hasattr(tag, "get"):
            continue
        for name in (tag.get("term"), tag.get("label")):
            if isinstance(name, str) and (key := category_key(name)):
                keys.add(key)
        scheme = tag.get("scheme")
        if isinstance(scheme, str) and scheme.startswith(("http://", "https://")):
            segment = urlsplit(scheme).path.rstrip("/").rpartition("/")[2]
            if key := category_key(segment):
                keys.add(key)
    return keys


class FeedSpider(SourceSpider):
    """One item per feed entry (deduplicated by canonical link).

    ``follow``: ``never`` uses the feed's own text (content:encoded, else the description);
    ``auto`` follows the link only when the feed has no full content; ``always`` always fetches the
    article page and extracts its main text (feed title/date used where the page lacks them).
    """

    name = "feed"
    accepts: ClassVar[tuple[ContentKind, ...]] = (FEED,)  # the feed URL itself; articles are documents
    #: The params this class understands. Only a class that lists its own PARAMS gets unknown keys
    #: rejected (a typo like ``keyword:`` must not silently turn the filter off); a subclass with
    #: extra params either lists them all or is left unchecked.
    PARAMS: ClassVar[frozenset[str] | None] = EntryFilter.PARAMS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entry_filter: EntryFilter = self.check_params(self.source)

    @classmethod
    def check_params(cls, source: Source) -> EntryFilter:
        """The source's entry filter; ValueError naming the source and param if ``params`` is wrong.

        A classmethod so config checks can validate a source without starting a crawl.
        """
        known = cls.__dict__.get("PARAMS")
        try:
            if known is not None:
                for key in sorted(source.params):
                    if key not in known:
                        raise ValueError(f"params.{key}: unknown parameter (known: {', '.join(sorted(known))})")
            return EntryFilter.from_params(source.params)
        except ValueError as exc:
            raise ValueError(f"source '{source.id}': {exc}") from None

    def keep(self, entry: Any, feed_entry: FeedEntry) -> bool:
        """Whether the source's filters keep this entry (feedparser entry for categories)."""
        if not self.entry_filter.active:
            return True
        return self.entry_filter.accepts(feed_entry, entry_category_keys(entry))

    def parse(self, response: Response) -> Iterator[Any]:
        if self.unchanged(response):  # 304 or the same bytes as last time: nothing new in the feed
            return
        if response.status in REMOVED_STATUSES:
            self.report_empty(response.url, f"feed answered HTTP {response.status}")
            return
        import feedparser  # on the first feed: Scrapy's spider loader imports every family in every crawl

        parsed = feedparser.parse(without_surrogate_references(response.body))
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
        count = filtered = 0
        for i, entry in enumerate(parsed.entries):
            feed_entry = self.feed_entry(entry, raws[i] if raws else None, response.url)
            if feed_entry is None:
                continue
            if not self.keep(entry, feed_entry):
                filtered += 1  # not claimed: costs no request, and is no sign of a broken feed
                continue
            if not self.claim(feed_entry.url):
                continue
            count += 1
            yield self.follow_or_item(response, feed_entry)
        if filtered:
            self.crawler.stats.inc_value("casewatch/filtered", filtered)
            self.logger.info("source %s: %s: %d of %d entries filtered out by params", self.source.id,
                             response.url, filtered, len(parsed.entries))
        if count == 0 and filtered == 0 and not self.claimed:
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
            title=entry_title(entry),
            published_at=self.parse_date(entry.get("published"), entry.get("updated"),
                                         entry.get("published_parsed"), entry.get("updated_parsed")),
            summary=summary,
            content=content,
            authors=names(entry.get("authors") or (), "name", "email"),
            tags=names(entry.get("tags") or (), "term", "label"),
            raw=body,
        )

    def follow_or_item(self, response: Response, entry: FeedEntry) -> Any:
        follow = self.source.follow
        if follow == "always" or (follow == "auto" and not entry.content):
            return self.request(entry.url, self.parse_article, accepts=DOCUMENT, cb_kwargs={"entry": entry})
        item = self.make_item(response, entry.url, **self._fields(entry), text=entry.content or entry.summary)
        item.body = entry.raw
        return item

    @staticmethod
    def _fields(entry: FeedEntry) -> dict[str, Any]:
        return {"title": entry.title, "published_at": entry.published_at, "summary": entry.summary,
                "authors": list(entry.authors), "tags": list(entry.tags)}

    def parse_revisit(self, response: Response, key: str) -> Iterator[DocumentItem]:
        """A known article the feed no longer shows, re-read the way it was stored.

        Only articles stored from their page get here, and they are read by ``parse_article`` as when
        they were followed (the feed's metadata is not at hand: the page's own stands). Articles stored
        from the feed's own text are only checked for presence (``recheck_fragment``): read as pages
        they would differ from the feed's title and text at every revisit.
        """
        yield from self.parse_article(response, FeedEntry(url=key))

    def parse_article(self, response: Response, entry: FeedEntry) -> Iterator[DocumentItem]:
        """The followed article page: its main text, with the feed's metadata as fallback."""
        fields = self._fields(entry)
        fields["text"] = entry.content
        item = self.page_item(response, entry.url, **fields)
        if item is not None:
            yield item
