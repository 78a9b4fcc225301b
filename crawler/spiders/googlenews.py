"""Google News RSS searches: what outlets we do not crawl directly say about the case.

Site structure: ``https://news.google.com/rss/search?q=<query>&hl=<hl>&gl=<gl>
&ceid=<gl>:<lang>`` answers an RSS 2.0 channel (no pagination, ~100 items at most). Search operators
go inside ``q`` (``when:7d``, ``site:``, quotes, ``OR``). Each ``<item>`` has:

* ``<title>``: "Headline - Outlet";
* ``<link>``: ``https://news.google.com/rss/articles/CBMi…?oc=5``, Google's link to the publisher's
  article. Older ids are base64 of a small protobuf holding the article URL; newer ones (``AU_yqL…``)
  hold only an opaque key and the page answers with JavaScript, though some answer an HTTP redirect;
* ``<guid isPermaLink="false">``: the article id; ``<pubDate>``: RFC 822, GMT;
* ``<description>``: HTML: the headline as a link and ``<font color="#6f6f6f">Outlet</font>``, or for
  a story cluster an ``<ol>`` of such links plus a "full coverage" link;
* ``<source url="https://larepublica.pe">La República</source>``: the publisher.

Each result is resolved to the publisher's article where the link allows it: an id that decodes to
a URL is fetched directly; otherwise the Google link is requested and an HTTP redirect leads to the
article. A resolved article is stored like any page, under its canonical URL (tracking such as
``?ref=``/``utm_*`` stripped), with the outlet from ``<source>``: the same article reached from the
outlet's own feed and from Google is one document. A result that cannot be resolved (JavaScript
page, error, ``follow: never``) is a **headline-only** item (``headline_only``: title without the
" - Outlet" suffix, text and summary from the description, one line per headline "Headline
(Outlet)", the Google link without its query as the URL); ingest matches it to an article of the
same outlet already stored under the same headline, else keeps it, marked.

``params``: ``query`` (required), ``hl`` (default ``es-419``), ``gl`` (default ``PE``), ``ceid``
(default ``<gl>:<hl>``, with the region dropped from ``hl`` when it equals ``gl``: ``PE:es-419``,
``US:en``), ``when`` (optional, like ``7d``: appended to the query as `` when:7d``), plus the
FeedSpider's entry filters (``keywords``, ``exclude_keywords``...). ``urls`` is the bare search
endpoint (``https://news.google.com/rss/search``); the spider adds the query string.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, fields
from typing import Any, ClassVar
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import scrapy
from pydantic import Field, ValidationInfo, field_validator, model_validator
from scrapy.http import Response
from twisted.python.failure import Failure

from config.schema import Source
from crawler.contenttypes import DOCUMENT
from crawler.extract.feeds import RawEntry, feed_text, raw_entries
from crawler.extract.text import normalize_text
from crawler.extract.urls import canonical_url
from crawler.items import DocumentItem
from crawler.params import SpiderParams
from crawler.spiders.base import NOT_MODIFIED_META
from crawler.spiders.feed import EntryFilter, FeedEntry, FeedSpider

SEARCH_PARAMS: tuple[str, ...] = ("query", "hl", "gl", "ceid", "when")
HL = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,4})?$")
GL = re.compile(r"^[A-Za-z]{2}$")
CEID = re.compile(r"^[A-Za-z]{2}:[a-z]{2,3}(?:-[A-Za-z0-9]{2,4})?$")
WHEN = re.compile(r"^[1-9]\d*[hdmy]$")
# What each search param must look like: (pattern, what the message asks for).
SEARCH_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "hl": (HL, "an interface language like 'es-419' or 'en-US'"),
    "gl": (GL, "a two-letter country code like 'PE'"),
    "ceid": (CEID, "'<country>:<language>' like 'PE:es-419'"),
    "when": (WHEN, "a period like '1h', '7d', '1m' or '1y'"),
}
# Google's redirect pages: /rss/articles/<id>, /articles/<id>, /__i/rss/rd/articles/<id>.
ARTICLE_PATH = re.compile(r"^(?:/__i/rss/rd)?(?:/rss)?/articles/[A-Za-z0-9_-]+/?$")
# The cluster's last link ("Ver cobertura completa en Google Noticias") points to a story page.
STORY_PATH = re.compile(r"/stories/")
# Where a redirect may stop short of the publisher: Google's consent or sign-in pages.
GOOGLE_HOST = re.compile(r"(?:^|\.)google\.[a-z]{2,3}(?:\.[a-z]{2})?$")


class SearchParams(SpiderParams):
    """The search a googlenews source runs (``params`` query, hl, gl, ceid, when), validated."""

    FAMILY: ClassVar[str] = "googlenews"

    query: str = Field(default=None, validate_default=True)  # type: ignore[assignment]  # required, own message
    hl: str = "es-419"
    gl: str = "PE"
    ceid: str = ""  # default: from hl and gl (``default_ceid``)
    when: str | None = None

    @classmethod
    def from_source(cls, source: Source) -> SearchParams:
        """Read the search from ``source``; ValueError (one line naming the source and param) if bad.

        Only the search keys are read here; the feed filters (keywords, categories...) and unknown
        keys are the FeedSpider's to check.
        """
        for i, url in enumerate(source.urls):
            if urlsplit(url).query:
                raise ValueError(f"source '{source.id}': urls[{i}]: give the bare search endpoint (like "
                                 f"https://news.google.com/rss/search); the search goes in params.query")
        try:
            return cls.from_params({k: v for k, v in source.params.items() if k in SEARCH_PARAMS})
        except ValueError as exc:
            raise ValueError(f"source '{source.id}': {exc}") from None

    @field_validator("query", mode="before")
    @classmethod
    def _query(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            got = f", got {value!r}" if value is not None else ""
            raise ValueError(f"required: the search, like 'Juliaca fiscalía' or '\"masacre de Juliaca\"'{got}")
        return " ".join(value.split())

    @field_validator("hl", "gl", "ceid", "when", mode="before")
    @classmethod
    def _format(cls, value: Any, info: ValidationInfo) -> str | None:
        name = str(info.field_name)
        if value is None and name == "when":
            return None
        pattern, expected = SEARCH_FORMATS[name]
        if not isinstance(value, str) or not pattern.match(value):
            raise ValueError(f"expected {expected}, got {value!r}")
        return value.upper() if name == "gl" else value

    @model_validator(mode="after")
    def _default_ceid(self) -> SearchParams:
        if not self.ceid:
            object.__setattr__(self, "ceid", default_ceid(self.hl, self.gl))
        return self

    @property
    def q(self) -> str:
        """The ``q`` value: the query, plus `` when:<period>`` if set."""
        return f"{self.query} when:{self.when}" if self.when else self.query


def default_ceid(hl: str, gl: str) -> str:
    """Google's edition id: ``PE:es-419`` for es-419/PE, ``US:en`` for en-US/US (region not repeated)."""
    lang, _, region = hl.partition("-")
    return f"{gl.upper()}:{lang if region.upper() == gl.upper() else hl}"


def search_url(endpoint: str, params: SearchParams) -> str:
    """``<endpoint>?q=…&hl=…&gl=…&ceid=…`` with the query form-encoded, as Google News writes it."""
    parts = urlsplit(endpoint)
    query = (f"q={quote_plus(params.q)}&hl={quote(params.hl, safe='-')}&gl={quote(params.gl)}"
             f"&ceid={quote(params.ceid, safe=':-')}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def is_google_article(url: str) -> bool:
    """A Google News redirect link (its target needs JavaScript), whatever host serves it."""
    return bool(ARTICLE_PATH.match(urlsplit(url).path))


def article_id(url: str) -> str:
    """The id in a Google article link's path (``/rss/articles/<id>``)."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """A protobuf varint at ``at``: (value, index after it); (-1, at) if truncated."""
    value = shift = 0
    for i in range(at, min(len(data), at + 5)):
        value |= (data[i] & 0x7F) << shift
        if not data[i] & 0x80:
            return value, i + 1
        shift += 7
    return -1, at


def decode_article_url(url: str) -> str | None:
    """The publisher URL inside a Google article id (old ``CBMi…`` ids), or None if it holds none.

    The id is URL-safe base64 of a protobuf message; the article URL is a length-delimited field
    (tag byte 0x22) whose bytes start with ``http``. Newer ids hold an opaque key instead.
    """
    key = article_id(url)
    try:
        data = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    except (ValueError, TypeError):
        return None
    for at in range(len(data) - 1):
        if data[at] != 0x22:
            continue
        length, start = _varint(data, at + 1)
        chunk = data[start:start + length] if length > 0 else b""
        if len(chunk) == length and chunk.startswith((b"http://", b"https://")):
            try:
                found = chunk.decode("ascii")
            except UnicodeDecodeError:
                return None
            return found if not any(c.isspace() for c in found) else None
    return None


def without_query(url: str) -> str:
    """A Google article link's query only says how the reader came (``oc=5``, ``hl``...): not the key."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def strip_outlet(title: str, outlet: str) -> str:
    """"Headline - Outlet" -> "Headline", only when the suffix is exactly the outlet's name."""
    suffix = f" - {outlet}"
    if outlet and title.casefold().endswith(suffix.casefold()) and len(title) > len(suffix):
        return title[: -len(suffix)].rstrip()
    return title


def cluster_text(html: str | None) -> str:
    """The description's headlines, one per line as "Headline (Outlet)"; the story link is dropped."""
    if not html:
        return ""
    from bs4 import BeautifulSoup, Tag  # loaded with the first description, not by every crawl process

    soup = BeautifulSoup(html, "lxml")
    lines: list[str] = []
    for link in soup.find_all("a"):
        if STORY_PATH.search(str(link.get("href") or "")):
            continue
        headline = " ".join(link.get_text(" ").split())
        if not headline:
            continue
        font = link.find_next_sibling("font")
        outlet = ""
        if isinstance(font, Tag) and font.find_previous_sibling("a") is link:
            outlet = " ".join(font.get_text(" ").split())
        lines.append(f"{headline} ({outlet})" if outlet else headline)
    if not lines:
        return feed_text(html)
    return normalize_text("\n\n".join(lines))


@dataclass
class GoogleNewsEntry(FeedEntry):
    """A feed entry plus the publisher named by ``<source>``."""

    outlet: str = ""


class GoogleNewsSpider(FeedSpider):
    """A Google News RSS search read as a feed: one item per result, resolved to the publisher's article.

    The FeedSpider's entry filters (``keywords``, ``exclude_keywords``, ``categories``, ``match``)
    work here too, next to the search params. ``follow`` defaults to ``always`` (resolve and fetch
    each article); ``never`` keeps every result headline-only.
    """

    name = "googlenews"
    PARAMS: ClassVar[frozenset[str] | None] = EntryFilter.PARAMS | frozenset(SEARCH_PARAMS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # FeedSpider validates params through check_params
        self.search = SearchParams.from_source(self.source)
        if "follow" not in self.source.model_fields_set:
            # A result is only a headline: its article is what an outlet reported.
            self.source = self.source.model_copy(update={"follow": "always"})

    @classmethod
    def check_params(cls, source: Source) -> EntryFilter:
        SearchParams.from_source(source)
        return super().check_params(source)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for endpoint in self.source.urls:
            yield self.request(search_url(endpoint, self.search), self.parse)

    def parse(self, response: Response) -> Iterator[Any]:
        """The search result feed; a valid channel without items says "no results" in its error."""
        import feedparser  # on the first feed: Scrapy's spider loader imports every family in every crawl

        fresh = response.status == 200 and not response.meta.get(NOT_MODIFIED_META)
        if fresh and raw_entries(response.body) == [] and feedparser.parse(response.body).get("version"):
            self.report_empty(response.url, f"Google News has no results for {self.search.q!r} (query too narrow?)")
            return
        yield from super().parse(response)

    def feed_entry(self, entry: Any, raw: RawEntry | None, feed_url: str) -> GoogleNewsEntry | None:
        """The FeedSpider's entry, plus the outlet; title without " - Outlet", Google link without query."""
        base = super().feed_entry(entry, raw, feed_url)
        if base is None:
            return None
        source = entry.get("source") or {}
        outlet = " ".join(str(source.get("title") or "").split())
        return GoogleNewsEntry(**{
            **{f.name: getattr(base, f.name) for f in fields(base)},
            "url": without_query(base.url) if is_google_article(base.url) else base.url,
            "title": strip_outlet(base.title, outlet),
            "summary": cluster_text(entry.get("summary")) or base.summary,
            "outlet": outlet,
        })

    def follow_or_item(self, response: Response, entry: FeedEntry) -> Any:
        """A Google link: fetch the article its id names, else follow the link hoping for an HTTP
        redirect; the headline-only item is the fallback. Publisher links as in any feed."""
        fallback = self.headline_item(response, entry)
        if self.source.follow == "never":
            return fallback  # a result read from the feed alone is its headline, whatever the link
        if not is_google_article(entry.url):
            return super().follow_or_item(response, entry)
        target = decode_article_url(entry.url) or entry.url
        request = self.request(target, self.parse_resolved, accepts=DOCUMENT,
                               cb_kwargs={"entry": entry, "fallback": fallback})
        return request.replace(errback=self.unresolved)

    def headline_item(self, response: Response, entry: FeedEntry) -> DocumentItem:
        """What the search result alone says: headline, outlet, date; marked ``headline_only``."""
        item = self.make_item(response, entry.url, **self._fields(entry), text=entry.content or entry.summary,
                              headline_only=True)
        item.body = entry.raw
        return item

    def parse_resolved(self, response: Response, entry: FeedEntry, fallback: DocumentItem) -> Iterator[Any]:
        """The publisher's article (after any redirect), stored under its canonical URL; Google's own
        page (JavaScript redirect, consent page) or a failed fetch leaves the headline-only item."""
        if is_google_article(response.url) or GOOGLE_HOST.search(urlsplit(response.url).hostname or "") \
                or response.status >= 300:
            yield fallback
            return
        key = canonical_url(response.url)
        if key != canonical_url(entry.url) and not self.claim(key):
            return  # another result of this search already led to this article
        fields = {**self._fields(entry), "text": entry.content}
        item = self.page_item(response, key, **fields)
        if item is not None:
            yield item

    def unresolved(self, failure: Failure) -> Iterator[Any]:
        """The article could not be fetched: keep the result as a headline (logged, not a source error)."""
        request = getattr(failure, "request", None)
        fallback = request.cb_kwargs.get("fallback") if request is not None else None
        self.logger.warning("source %s: %s: %s; keeping the headline only", self.source.id,
                            getattr(request, "url", "?"), failure.getErrorMessage())
        if isinstance(fallback, DocumentItem):
            yield fallback

    @staticmethod
    def _fields(entry: FeedEntry) -> dict[str, Any]:
        """FeedSpider's item fields plus ``outlet`` (for feed items and followed articles alike)."""
        return {**FeedSpider._fields(entry), "outlet": getattr(entry, "outlet", "")}
