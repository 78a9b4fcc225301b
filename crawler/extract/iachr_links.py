"""The IACHR's press-release links and the home page's cards for them: a frame link in any spelling
(case, percent-encoding, tracking tags) reduced to the release it names, numbered so the next ones can
be probed (crawler/spiders/cidh.py describes the site)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import parse_qsl, unquote, urlsplit

from parsel import Selector
from scrapy.http import TextResponse

from crawler.extract.text import block_text
from crawler.extract.urls import canonical_url

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
    from bs4 import BeautifulSoup  # loaded with the first card, not by every crawl process

    from crawler.extract.iachr_release import release_date  # which loads BeautifulSoup too

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
