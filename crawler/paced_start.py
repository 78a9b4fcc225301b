"""A spider middleware that reads a spider's start requests only as fast as the crawl takes them.

Scrapy reads ``Spider.start()`` to its end as fast as it yields while the downloader is full, so every
start request of a source waits in the scheduler from the first second of its crawl: a `page` source
of 10,000 URLs held 10,000 requests (~7 MB) for the whole crawl. Scrapy's documented remedy
("Delaying start request iteration") is to pause ``start()`` whenever the engine needs to back out,
until the scheduler is empty again; this middleware does that for every spider of a local crawl
(crawler/runner.py), so the scheduler holds one start request at a time while the downloader keeps
its CONCURRENT_REQUESTS in hand.

Not for a distributed run's workers (crawler/distributed.py): their scheduler is the run's shared queue,
which the other workers drain, and it should stay full.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler


class PacedStartMiddleware:
    """Waits for ``scheduler_empty`` before the next start request whenever the engine backs out."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PacedStartMiddleware:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item_or_request in start:
            engine = self.crawler.engine
            if isinstance(item_or_request, Request) and engine is not None and engine.needs_backout():
                await self.crawler.signals.wait_for(signals.scheduler_empty)
            yield item_or_request
