"""``concurrency:`` next to ``download_delay``: more requests at a time for a source whose site allows
it; without it, the polite defaults (2 per site, AutoThrottle aiming at 1) are unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.crawler import CrawlerProcess

from config.schema import ConfigError, load_config
from crawler.runner import crawler_settings, source_crawler, spider_names
from crawler.spiders.page import PageSpider
from tests.support.crawl import write_config


def _source(tmp_path: Path, **fields: object):  # type: ignore[no-untyped-def]
    config = write_config(tmp_path, [{"id": "sitio", "urls": ["http://127.0.0.1:9/a"], **fields}])
    return load_config(config, spiders=spider_names()).sources[0]


def _effective(tmp_path: Path, **fields: object) -> tuple[int, float, int]:
    crawler = source_crawler(CrawlerProcess(crawler_settings()), PageSpider, _source(tmp_path, **fields))
    s = crawler.settings
    return (s.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), s.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY"),
            s.getint("CONCURRENT_REQUESTS"))


def test_polite_defaults_without_concurrency(tmp_path: Path) -> None:
    assert _effective(tmp_path) == (2, 1.0, 16)


def test_a_source_asks_for_more_at_a_time(tmp_path: Path) -> None:
    assert _effective(tmp_path, concurrency=8) == (8, 8.0, 16)
    assert _effective(tmp_path / "more", concurrency=32) == (32, 32.0, 32)


@pytest.mark.parametrize("value", [0, 33, "many"])
def test_a_bad_concurrency_is_one_line_naming_the_field(tmp_path: Path, value: object) -> None:
    with pytest.raises(ConfigError) as info:
        _source(tmp_path, concurrency=value)
    [line] = info.value.lines
    assert "sources[0].concurrency" in line and "\n" not in line and "Traceback" not in line, line
