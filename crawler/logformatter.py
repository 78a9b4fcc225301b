"""Scrapy log messages without the items: a document's whole text never goes through logging.

Scrapy's default ``LogFormatter.scraped`` logs every item at DEBUG with its full ``repr``. The handler
drops DEBUG at ``LOG_LEVEL = "INFO"``, but the record is made first (Scrapy leaves the root logger at
NOTSET), and casewatch's record factory (casewatch/logs.py) formats and redacts every record it makes:
for a 30 KB article that was 18% of a first crawl's CPU (bench/PROFILE.md). Each document is recorded
in the database anyway, so the scraped message is omitted (returning None is Scrapy's documented way),
and a dropped item is named by its URL, not dumped.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


class QuietLogFormatter(LogFormatter):
    """Scrapy's messages, minus the item bodies."""

    def scraped(self, item: Any, response: Response | Failure | None, spider: Spider) -> None:  # type: ignore[override]
        return None

    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None,
                spider: Spider) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        url = ItemAdapter(item).get("url") if ItemAdapter.is_item(item) else None
        result["msg"] = "Dropped: %(exception)s (%(url)s)"
        result["args"] = {"exception": exception, "url": url or type(item).__name__}
        return result
