"""IACHR (CIDH) press releases on oas.org, found through the Commission's home page.

Site structure:

* The old listing ``/es/cidh/prensa/comunicados.asp`` redirects to ``wearesorry.htm``; the home page
  (``https://www.oas.org/es/cidh/``, English ``https://www.oas.org/en/IACHR/``) links the recent
  releases through a frame page that names the release file in its ``File`` parameter:
  ``/es/CIDH/jsForm/?File=/es/cidh/prensa/comunicados/2023/006.asp`` (Spanish),
  ``/en/IACHR/jsForm/?File=/en/iachr/media_center/PReleases/2023/006.asp`` (English; the Spanish file
  inside the English frame is seen too), ``/pt/CIDH/jsForm/?File=/pt/cidh/prensa/notas/…`` (Portuguese).
  Case varies (``CIDH``/``cidh``, ``PReleases``/``preleases``), the ``File`` value is sometimes
  percent-encoded, and links may carry ``utm_content=country-per&utm_term=class-mon``: the
  Commission's own country and topic tags, kept as item tags.
* Releases are numbered per year (``<YYYY>/<NNN>.asp``, "No. 006/23"), so the next ones can be probed.
* A release page: a "Comunicado de prensa" label, the title, the date ("9 de enero de 2023" /
  "January 9, 2023"), an "enlaces útiles" link, then the body, which opens "Oficina de Prensa de la
  CIDH" / "IACHR Press Office" and "Washington, D.C. – La Comisión…", and ends with the number
  ("No. 006/23") and the time of publication. Newer pages put a press-contact box (the same
  "Oficina de Prensa de la CIDH" line, an e-mail, a phone) between the date and the body: the
  dateline, not that line, is where the body starts. The printed time (Washington's clock) is part
  of the date; a date printed without one is kept as that day in Lima.

The document key is the frame URL in one spelling (``/es/CIDH/jsForm/?File=<lower-case path>``), so
the same release linked with another case, encoding or tracking tags stays one document (the server
is IIS: paths are case-insensitive).

With ``follow: never`` (``casewatch try-source --file``) releases are not fetched: each item is the
home page's card for it (link text, date, card text).

``params``: ``probe`` (whole number, default 0): after the home page, also try the next N release
numbers of the most recent year seen, stopping quietly at the first one not published yet (404 or
redirect). A fallback for releases that the home page no longer (or not yet) lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo

import scrapy
from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from parsel import Selector
from pydantic import field_validator
from scrapy.http import Response, TextResponse
from soupsieve import SelectorSyntaxError

from config.schema import Source
from crawler.extract.dates import parse_date
from crawler.extract.text import INVISIBLE_TAGS, SelectorError, block_text, page_title, published_date
from crawler.extract.urls import canonical_url
from crawler.items import DocumentItem
from crawler.params import SpiderParams, whole_number
from crawler.spiders.base import REMOVED_STATUSES, SourceSpider
from textkit import LIMA_TZ  # where a date without a time is read (the case's readers)

# The frame page: /<lang>/<cidh|iachr>/jsForm/ (any case, trailing slash optional).
FRAME_PATH = re.compile(r"^/(?P<lang>[a-z]{2})/(?:cidh|iachr)/jsform/?$", re.IGNORECASE)
# The release file inside it: Spanish and Portuguese "prensa/…", English "media_center/preleases".
RELEASE_FILE = re.compile(
    r"^(?P<dir>/[a-z]{2}/(?:cidh|iachr)/(?:prensa/comunicados|prensa/notas|media_center/preleases)/"
    r"(?P<year>\d{4})/)(?P<number>\d{1,4})\.asp$",
    re.IGNORECASE,
)
# Link parameters that are the Commission's own tags (country-per, class-mon).
TAG_PARAMS: frozenset[str] = frozenset({"utm_content", "utm_term"})
MAX_PROBE = 50

# What opens a release body (after the label, title and date): the press-office line, or the dateline
# "Washington, D.C. – La Comisión…" / "Washington, D.C., 9 de enero de 2023 – …" (not a postal address).
OFFICE_LINE = re.compile(
    r"^(?:Oficina de Prensa de la CIDH|IACHR Press Office|Imprensa da CIDH)\.?$",
    re.IGNORECASE,
)
DATELINE = re.compile(r"^Washington,? D\.? ?C\.?,?(?P<date>[^–—\-\n]{0,40})[–—-]", re.IGNORECASE)
# Headings that label the page type rather than name the release.
GENERIC_HEADINGS: frozenset[str] = frozenset({
    "comunicado de prensa", "comunicados de prensa", "press release", "press releases",
    "comunicado de imprensa", "comunicados de imprensa", "cidh", "iachr",
})
HEADINGS: tuple[str, ...] = ("h1", "h2", "h3", "h4", "h5")
INLINE_TAGS: frozenset[str] = frozenset({"strong", "b", "em", "i", "span", "a", "font", "u"})
# "No. 152/26", alone on its line or followed by the time ("No. 152/26 - 9:15 AM").
RELEASE_NUMBER = re.compile(r"^No\.?\s*\d{1,4}/\d{2}(?!\d)", re.IGNORECASE)
# "9:15 AM", "9:05 p.m.", "21:15" (hours checked by the reader).
RELEASE_TIME = re.compile(r"^(?P<H>\d{1,2}):(?P<M>\d{2})(?:\s*(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?$")
HAS_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
RELEASE_TZ = "America/New_York"  # releases are timed in Washington, D.C.
MIN_BODY_CHARS = 200  # a body opened by the press-office line alone (no dateline) is at least this long
DROP_TAGS: tuple[str, ...] = (*INVISIBLE_TAGS, "nav", "header", "footer", "aside", "form")


class CidhParams(SpiderParams):
    """The ``params`` a cidh source may set, validated when the config loads so a typo fails before any
    request."""

    FAMILY: ClassVar[str] = "cidh"

    probe: int = 0  # next release numbers tried after the highest one linked from the home page

    @field_validator("probe", mode="before")
    @classmethod
    def _probe(cls, value: Any) -> int:
        return whole_number(value, 0, MAX_PROBE)


@dataclass(frozen=True)
class ReleaseLink:
    """A press-release link, reduced to what identifies the release."""

    url: str  # the document key: the frame URL in one spelling
    base: str  # the key without "NNN.asp": append another number to get that release
    year: int
    number: int
    width: int  # digits of the number as published (3: "006")
    tags: tuple[str, ...] = field(default=())

    def numbered(self, number: int) -> ReleaseLink:
        """The release with another number in the same year, language and frame."""
        url = canonical_url(f"{self.base}{number:0{self.width}d}.asp")
        return ReleaseLink(url, self.base, self.year, number, self.width)


def release_link(href: str, base: str | None = None) -> ReleaseLink | None:
    """The release a link points to, or None if it is not a press-release frame link."""
    try:
        url = canonical_url(href, base=base)
    except ValueError:
        return None
    parts = urlsplit(url)
    frame = FRAME_PATH.match(unquote(parts.path))
    if parts.scheme not in ("http", "https") or frame is None:
        return None
    file = next((v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() == "file"), "")
    match = RELEASE_FILE.match(unquote(file).strip())
    if match is None:
        return None
    lang = frame.group("lang").lower()
    key_base = (f"{parts.scheme}://{parts.netloc}/{lang}/{'IACHR' if lang == 'en' else 'CIDH'}/jsForm/"
                f"?File={match.group('dir').lower()}")
    number = match.group("number")
    # Tags come from the link as written: canonical_url has dropped the utm_* parameters.
    raw = parse_qsl(urlsplit(href.strip()).query, keep_blank_values=True)
    tags = tuple(dict.fromkeys(v.strip() for k, v in raw if k.lower() in TAG_PARAMS and v.strip()))
    return ReleaseLink(
        url=canonical_url(f"{key_base}{number}.asp"), base=key_base, year=int(match.group("year")),
        number=int(number), width=max(3, len(number)), tags=tags,
    )


def release_links(hrefs: Iterable[str], base: str) -> list[ReleaseLink]:
    """Distinct releases among a page's links, newest first (tags of duplicate links merged)."""
    found: dict[str, ReleaseLink] = {}
    for href in hrefs:
        if (link := release_link(href, base=base)) is None:
            continue
        if (known := found.get(link.url)) is not None:  # carousel and list link the same release
            link = replace(known, tags=tuple(dict.fromkeys(known.tags + link.tags)))
        found[link.url] = link
    return sorted(found.values(), key=lambda r: (r.year, r.number), reverse=True)


@dataclass(frozen=True)
class ReleaseCard:
    """What the home page itself says about a release (used with ``follow: never``)."""

    title: str
    text: str
    published_at: datetime | None
    html: str


def release_card(anchor: Selector, link: ReleaseLink, base: str) -> ReleaseCard:
    """The anchor's card: its largest ancestor (up to 4 levels) with no link to anywhere else.

    The title is the link text, or the card's heading when the link only says "Leer más".
    """
    card = anchor
    for ancestor in list(anchor.xpath("ancestor::*"))[::-1][:4]:  # nearest first
        elsewhere = any(
            not href.strip().startswith(("#", "javascript:"))
            and getattr(release_link(href, base=base), "url", None) != link.url
            for href in ancestor.css("a::attr(href)").getall()
        )
        if elsewhere or ancestor.root.tag in ("body", "html"):
            break
        card = ancestor
    html = card.get()
    text = block_text(BeautifulSoup(html, "lxml"))
    title = " ".join(anchor.xpath("string()").get("").split())
    if len(title.split()) < 4:  # "Leer más", "Read more": the card's heading names the release
        heading = card.xpath("string(.//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6])")
        title = " ".join((heading.get("") or "").split()) or title
    published = next((d for line in text.splitlines() if line and len(line) <= 40
                      and (d := release_date(line)) is not None), None)
    return ReleaseCard(title=title, text=text, published_at=published, html=html)


def release_cards(response: TextResponse, links: Iterable[ReleaseLink]) -> dict[str, ReleaseCard]:
    """The best card per release: a dated one with the longest link text (not the carousel's "Leer más")."""
    wanted = {link.url: link for link in links}
    cards: dict[str, ReleaseCard] = {}
    for anchor in response.css("a[href]"):
        found = release_link(anchor.attrib.get("href", ""), base=response.url)
        if found is None or found.url not in wanted:
            continue
        card = release_card(anchor, wanted[found.url], response.url)
        known = cards.get(found.url)
        if known is None or (card.published_at is not None, len(card.title)) > (
                known.published_at is not None, len(known.title)):
            cards[found.url] = card
    return cards


@dataclass(frozen=True)
class Release:
    """What a release page says."""

    title: str
    text: str
    published_at: datetime | None


def _select(soup: BeautifulSoup, selector: str) -> list[Tag]:
    try:
        return list(soup.select(selector))
    except SelectorSyntaxError as exc:
        raise SelectorError(f"invalid CSS selector {selector!r}: {str(exc).splitlines()[0]}") from None


def _block(node: NavigableString, region: Tag) -> Tag | None:
    """The block element a text node belongs to (climbing out of <strong>, <span>...), inside ``region``."""
    block = node.parent
    while isinstance(block, Tag) and block.name in INLINE_TAGS and block.parent is not None:
        block = block.parent
    return block if isinstance(block, Tag) and block is not region else None


def _blocks_matching(region: Tag, pattern: re.Pattern[str]) -> Iterator[Tag]:
    """Block elements whose own text starts like ``pattern``, in document order, each once."""
    seen: set[int] = set()
    for node in region.find_all(string=True):
        if isinstance(node, Comment) or not node.strip() or (block := _block(node, region)) is None:
            continue
        if id(block) in seen:
            continue
        seen.add(id(block))
        if pattern.match(" ".join(block.get_text(" ").split())):
            yield block


def _previous_block(block: Tag) -> Tag | None:
    sibling = block.previous_sibling
    while sibling is not None and not isinstance(sibling, Tag):
        if str(sibling).strip():
            return None
        sibling = sibling.previous_sibling
    return sibling


def _opening(region: Tag) -> Tag | None:
    """The block element that opens the body: the Washington dateline, with the press-office byline
    when it is the block just before it.

    The dateline is the anchor, not the first "Oficina de Prensa de la CIDH" line: a press-contact box
    above the body says the same words, and the body read from there was the box alone.
    Without a dateline, a press-office line followed in its container by a body of real length.
    """
    dateline = next(_blocks_matching(region, DATELINE), None)
    if dateline is not None:
        byline = _previous_block(dateline)
        if byline is not None and OFFICE_LINE.match(" ".join(byline.get_text(" ").split())):
            return byline
        return dateline
    offices = [b for b in _blocks_matching(region, OFFICE_LINE) if len(_body(b)) >= MIN_BODY_CHARS]
    return offices[0] if offices else None


def _before(region: Tag, opening: Tag) -> tuple[str, list[str]]:
    """Above the body: the last non-generic heading (the title) and the short text lines (the date)."""
    title = ""
    lines: list[str] = []
    for node in region.descendants:
        if node is opening:
            break
        if isinstance(node, Tag) and node.name in HEADINGS:
            text = " ".join(node.get_text(" ").split())
            if text and text.lower().rstrip(":") not in GENERIC_HEADINGS:
                title = text
        elif isinstance(node, NavigableString) and not isinstance(node, Comment):
            if text := " ".join(node.split()):
                lines.append(text)
    return title, lines


def _body(opening: Tag) -> str:
    """The opening block and every block after it in the same container."""
    html = "".join(str(part) for part in (opening, *opening.next_siblings))
    return block_text(BeautifulSoup(f"<div>{html}</div>", "lxml"))


def _printed_time(lines: list[str]) -> time | None:
    """The time printed after the release number ("No. 152/26", then "9:15 AM" or "No. 152/26 - 21:15")."""
    for i, line in enumerate(lines):
        if (number := RELEASE_NUMBER.match(line)) is None:
            continue
        for text in (line[number.end():].strip(" -–—·|,"), *lines[i + 1:i + 2]):
            if (m := RELEASE_TIME.match(text)) is None:
                continue
            hour, minute, ampm = int(m.group("H")), int(m.group("M")), (m.group("ampm") or "").lower()
            if ampm:
                if not 1 <= hour <= 12:
                    continue
                hour = hour % 12 + (12 if ampm == "p" else 0)
            if hour < 24 and minute < 60:
                return time(hour, minute)
    return None


def release_date(line: str, clock: time | None = None) -> datetime | None:
    """The date a release line gives, at the time printed on the page (Washington's clock).

    A date printed without a time is a calendar day, not midnight in Washington: midnight there in
    summer is 23:00 of the day before in Lima, which moved releases to the previous day.
    Such a day is kept as midnight in Lima, which is the same day in both cities.
    """
    found = parse_date(line, default_tz=RELEASE_TZ)
    if found is None:
        return None
    if HAS_CLOCK.search(line):  # "20 de julio de 2026 - 9:15 AM": the line prints its own time
        return found
    if clock is not None:
        return datetime.combine(found.date(), clock, tzinfo=ZoneInfo(RELEASE_TZ))
    return datetime.combine(found.date(), time(), tzinfo=ZoneInfo(LIMA_TZ))


def _date(lines: list[str], title: str, body: str, page_lines: list[str]) -> datetime | None:
    """A short date line above the body, else the dateline ("Washington, D.C., 9 de enero de 2023 –"),
    with the time printed after the release number (in the body or just below it)."""
    candidates = [line for line in lines if line != title and len(line) <= 40]
    for line in body.splitlines()[:4]:
        if (m := DATELINE.match(line)) and m.group("date").strip(" ,"):
            candidates.append(m.group("date"))
    clock = _printed_time([line for line in body.splitlines() if line]) or _printed_time(page_lines)
    for line in candidates:
        if (found := release_date(line, clock)) is not None:
            return found
    return None


def extract_release(html: str, *, remove: tuple[str, ...] = (), scope: str | None = None) -> Release | None:
    """Title, date and body of a release page; None when no body opening is found (not a release).

    Anchored on the text every release has (press-office line, Washington dateline) rather than on
    class names, which the site changed before. ``scope`` narrows the search, ``remove`` drops
    elements first (both from the source's config).
    """
    soup = BeautifulSoup(html, "lxml")
    fallback_title = page_title(soup)
    meta_date = published_date(soup)
    for name in DROP_TAGS:
        for el in soup.find_all(name):
            el.decompose()
    for selector in remove:
        for el in _select(soup, selector):
            el.decompose()
    region = next(iter(_select(soup, scope)), None) if scope else soup.find("main") or soup.find("body")
    if not isinstance(region, Tag) or (opening := _opening(region)) is None:
        return None
    title, lines = _before(region, opening)
    body = _body(opening)
    page_lines = [line for line in block_text(region).splitlines() if line]
    return Release(title=title or fallback_title, text=body,
                   published_at=_date(lines, title, body, page_lines) or meta_date)


class CidhSpider(SourceSpider):
    """IACHR press releases: the home page's release links, followed; optionally the next numbers."""

    name = "cidh"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params = self.check_params(self.source)

    @classmethod
    def check_params(cls, source: Source) -> CidhParams:
        return CidhParams.from_source(source)

    def parse(self, response: Response) -> Iterator[Any]:
        """The home page: follow each release link (newest first), then probe the next numbers.

        An unchanged home page (304, or the same bytes as last time) lists nothing new: its releases
        are not fetched again, but when its body is at hand the next numbers are still probed (the
        home page may lag behind what is published).
        """
        unchanged = self.unchanged(response)
        if response.status == 304:  # no body: no links to read
            return
        if response.status in REMOVED_STATUSES:
            self.report_empty(response.url, f"home page answered HTTP {response.status}")
            return
        if not isinstance(response, TextResponse):
            self.report_empty(response.url, "home page is not HTML")
            return
        links = release_links(response.css("a::attr(href)").getall(), base=response.url)
        if not links:
            self.report_empty(response.url, "no press-release links (jsForm/?File=…/comunicados/YYYY/NNN.asp)")
            return
        cards = release_cards(response, links) if self.source.follow == "never" and not unchanged else {}
        for link in () if unchanged else links:
            if not self.claim(link.url):
                continue
            if (card := cards.get(link.url)) is not None:  # follow: never (try-source --file)
                yield self.card_item(response, link, card)
            else:
                yield self.request(link.url, self.parse_release, cb_kwargs={"link": link})
        latest = links[0]
        yield from self._probe(latest.numbered(latest.number + 1), self.params.probe)

    def _probe(self, link: ReleaseLink, remaining: int) -> Iterator[scrapy.Request]:
        """Request ``link`` (a guessed number) unless the probes or ``max_items`` are used up."""
        limit = self.source.max_items
        while remaining > 0 and (limit is None or len(self.claimed) < limit):
            if link.url not in self.claimed:
                yield self.request(link.url, self.parse_probe, cb_kwargs={"link": link, "remaining": remaining - 1})
                return
            link, remaining = link.numbered(link.number + 1), remaining - 1  # already linked: skip it

    def parse_probe(self, response: Response, link: ReleaseLink, remaining: int) -> Iterator[Any]:
        """A guessed next number: a release to keep, or the end of what is published (quietly)."""
        if self.unchanged(response, link.url):  # found by an earlier probe and not edited since
            self.claim(link.url)
            yield from self._probe(link.numbered(link.number + 1), remaining)
            return
        if response.status in REMOVED_STATUSES:
            self.logger.debug("source %s: probe %s: HTTP %s, not published yet", self.source.id,
                              response.url, response.status)
            return
        landed = release_link(response.url)
        release = self._extract(response) if landed is not None and landed.url == link.url else None
        if release is None:  # redirected elsewhere (wearesorry.htm) or an error page with status 200
            self.logger.info("source %s: probe %s: not a press release, taken as not published yet",
                             self.source.id, response.url)
            return
        if self.claim(link.url):
            yield self._item(response, link, release)
            yield from self._probe(link.numbered(link.number + 1), remaining)

    def parse_release(self, response: Response, link: ReleaseLink) -> Iterator[DocumentItem]:
        """A release page (linked from the home page, or revisited)."""
        if self.unchanged(response, link.url):  # 304 or the same bytes as last time: nothing to store
            return
        if response.status in REMOVED_STATUSES:  # linked but gone: the pipeline decides about removal
            yield self.make_item(response, link.url, tags=list(link.tags))
            return
        release = self._extract(response)
        if release is not None:
            yield self._item(response, link, release)
            return
        self.logger.warning("source %s: %s: no release body found (no 'Oficina de Prensa de la CIDH' or "
                            "'Washington, D.C. –' opening); using the page's main text", self.source.id,
                            response.url)
        if (item := self.page_item(response, link.url, tags=list(link.tags))) is not None:
            yield item

    def parse_revisit(self, response: Response, key: str) -> Iterable[DocumentItem]:
        """Known releases re-checked by the runner: same extraction as a normal crawl (no false edits)."""
        link = release_link(key)
        if link is None or link.url != key:
            yield from super().parse_revisit(response, key)
            return
        yield from self.parse_release(response, link)

    def _extract(self, response: Response) -> Release | None:
        if not isinstance(response, TextResponse):
            return None
        try:
            return extract_release(response.text, remove=tuple(self.source.ignore.selectors),
                                   scope=self.source.scope)
        except SelectorError as exc:
            self.logger.error("source %s: %s: %s", self.source.id, response.url, exc)
            return None

    def card_item(self, response: Response, link: ReleaseLink, card: ReleaseCard) -> DocumentItem:
        """A release as the home page shows it (``follow: never``): link text, card date and text."""
        item = self.make_item(response, link.url, title=card.title, text=card.text, summary=card.text,
                              published_at=card.published_at, tags=list(link.tags))
        item.body = card.html.encode("utf-8")
        return item

    def _item(self, response: Response, link: ReleaseLink, release: Release) -> DocumentItem:
        return self.make_item(response, link.url, title=release.title, text=release.text,
                              published_at=release.published_at, tags=list(link.tags))
