"""Watch whole pages (or one region of them, with ``scope``): one item per configured URL.

A watched URL may be a PDF (a resolution, a report): it is extracted like a page. With
``params.follow_pdfs: true`` the PDFs a watched page links to (inside its scope) become documents
too, so a report page on gob.pe or the Defensoría yields the resolutions it publishes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import scrapy
from scrapy.http import Response

from crawler.items import DocumentItem
from crawler.spiders.base import SourceSpider


class PageSpider(SourceSpider):
    """Each URL in ``source.urls`` is one document; its main text (or scoped region) is watched.

    The configured URL is the document key even if the site redirects (``fetched_url`` shows where).
    """

    name = "page"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.urls:
            yield self.request(url, self.parse, cb_kwargs={"key": url})

    def parse(self, response: Response, key: str = "") -> Iterable[DocumentItem | scrapy.Request]:
        key = key or response.url
        if not self.claim(key):
            return
        if (item := self.page_item(response, key)) is not None:
            yield item
        yield from self.follow_pdfs(response)
