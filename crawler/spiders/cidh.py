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

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import scrapy
from pydantic import field_validator
from scrapy.http import Response, TextResponse

from config.schema import Source
from crawler.extract.iachr_links import ReleaseCard, ReleaseLink, release_cards, release_link, release_links
from crawler.extract.text import SelectorError
from crawler.items import DocumentItem
from crawler.params import SpiderParams, whole_number
from crawler.spiders.base import REMOVED_STATUSES, SourceSpider

if TYPE_CHECKING:  # the release reader loads BeautifulSoup: with the first release, not in every crawl process
    from crawler.extract.iachr_release import Release

MAX_PROBE = 50


class CidhParams(SpiderParams):
    """The ``params`` a cidh source may set, validated when the config loads so a typo fails before any
    request."""

    FAMILY: ClassVar[str] = "cidh"

    probe: int = 0  # next release numbers tried after the highest one linked from the home page

    @field_validator("probe", mode="before")
    @classmethod
    def _probe(cls, value: Any) -> int:
        return whole_number(value, 0, MAX_PROBE)


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
        from crawler.extract.iachr_release import extract_release

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
