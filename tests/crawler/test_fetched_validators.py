"""The validators a crawl holds while it runs: a document's are dropped once it has produced its item or
its "not modified" (ingest keeps them on the document), a listing's stay for the run recorder to save;
so a source of 10,000 pages does not carry 10,000 of them to the end of its crawl."""

from __future__ import annotations

import hashlib

from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from config.schema import Source
from crawler.items import DocumentItem
from crawler.middlewares import ConditionalRequestMiddleware
from crawler.spiders.page import PageSpider

PAGE = "https://diario.example.pe/nota/1"
SAME = "https://diario.example.pe/nota/2"
LISTING = "https://diario.example.pe/portada"
HTML = b"<html><body><article><h1>Nota</h1><p>La feria de Puno abre el lunes.</p></article></body></html>"


def _answer(mw: ConditionalRequestMiddleware, url: str, status: int = 200, etag: str = '"v2"') -> Response:
    request = Request(url)
    response = HtmlResponse(url, status=status, body=HTML if status == 200 else b"", request=request,
                            headers={"Content-Type": "text/html", "ETag": etag})
    return mw.process_response(request, response)


def test_a_documents_validators_go_once_it_is_produced_a_listings_stay() -> None:
    crawler = get_crawler(PageSpider)
    source = Source.model_validate({"id": "diario", "name": "Diario", "kind": "news", "spider": "page",
                                    "urls": [PAGE, SAME]})
    known = {SAME: ('"v1"', None, hashlib.sha256(b"before").hexdigest())}
    spider = PageSpider.from_crawler(crawler, source=source, known=known)
    crawler.spider = spider
    mw = ConditionalRequestMiddleware.from_crawler(crawler)
    page, same, listing = _answer(mw, PAGE), _answer(mw, SAME, status=304), _answer(mw, LISTING)
    assert set(spider.fetched) == {PAGE, SAME, LISTING}

    [item] = spider.parse(page, key=PAGE)
    assert isinstance(item, DocumentItem) and item.url == PAGE
    assert list(spider.parse(same, key=SAME)) == []  # 304: nothing to extract, counted as checked
    assert spider.produced == {PAGE, SAME} and spider.not_modified == {SAME}
    assert spider.fetched == {LISTING: ('"v2"', None, hashlib.sha256(HTML).hexdigest())}
    assert listing.status == 200
