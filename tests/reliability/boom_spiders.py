"""Spiders and a pipeline that raise where catalogue row E2 says a spider can: in ``__init__``, in
``from_crawler``, in ``parse``, and in a pipeline's ``open_spider``. Loaded only by test_runner.py's
crawls (``SPIDER_MODULES``); each is the real page spider but for the one place it fails."""

from __future__ import annotations

from typing import Any

from crawler.spiders.page import PageSpider


class BoomInit(PageSpider):
    name = "boom_init"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom in __init__")


class BoomFromCrawler(PageSpider):
    name = "boom_from_crawler"

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> BoomFromCrawler:
        raise RuntimeError("boom in from_crawler")


class BoomParse(PageSpider):
    name = "boom_parse"

    def parse(self, response: Any, key: str = "") -> Any:
        raise RuntimeError("boom in parse")


class BoomOpen(PageSpider):
    name = "boom_open"


class BoomPipeline:
    """Fails to open for the ``boom_open`` spider only."""

    def open_spider(self, spider: Any) -> None:
        if spider.name == "boom_open":
            raise RuntimeError("boom in open_spider")

    def process_item(self, item: Any, spider: Any) -> Any:
        return item
