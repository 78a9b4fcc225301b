"""Scrapy's item log lines carry no document text (crawler/logformatter.py)."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.spiders import Spider
from scrapy.utils.misc import build_from_crawler

from crawler.items import DocumentItem
from crawler.logformatter import QuietLogFormatter
from crawler.runner import crawler_settings

BODY = "La Fiscalía formalizó la investigación preparatoria " * 200


def _formatter() -> tuple[QuietLogFormatter, Spider]:
    crawler = Crawler(Spider, crawler_settings())
    return build_from_crawler(QuietLogFormatter, crawler), Spider.from_crawler(crawler, "t")


def test_the_project_uses_it() -> None:
    assert crawler_settings()["LOG_FORMATTER"] == "crawler.logformatter.QuietLogFormatter"


def test_a_scraped_item_makes_no_record_and_a_dropped_one_names_its_url() -> None:
    formatter, spider = _formatter()
    item = DocumentItem(source_id="mpfn", url="https://www.gob.pe/institucion/mpfn/noticias/1", status=200, text=BODY)
    assert formatter.scraped(item, None, spider) is None
    logged = formatter.dropped(item, DropItem("duplicate"), None, spider)
    line = logged["msg"] % logged["args"]
    assert line == "Dropped: duplicate (https://www.gob.pe/institucion/mpfn/noticias/1)"
    assert logged["level"] in (logging.WARNING, logging.INFO, logging.DEBUG)
