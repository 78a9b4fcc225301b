"""No spider callback is a generator that returns a value (Scrapy would drop that value silently).

Scrapy checks this for every response, re-reading the callback's source each time; crawler/settings.py
turns that check off for its cost (WARN_ON_GENERATOR_RETURN_VALUE), so it is made here, once, for every
generator method of every spider family, with Scrapy's own function.
"""

from __future__ import annotations

import inspect

from scrapy.spiderloader import SpiderLoader
from scrapy.utils.misc import is_generator_with_return_value

from crawler.runner import crawler_settings


def _our_generator_methods() -> dict[str, object]:
    loader = SpiderLoader.from_settings(crawler_settings())
    found: dict[str, object] = {}
    for name in loader.list():
        for cls in loader.load(name).__mro__:
            if not cls.__module__.startswith("crawler."):
                continue
            for attr, value in vars(cls).items():
                if inspect.isgeneratorfunction(value):
                    found[f"{cls.__module__}.{cls.__qualname__}.{attr}"] = value
    return found


def test_the_per_response_check_is_off_and_the_callbacks_are_checked_here() -> None:
    assert crawler_settings().getbool("WARN_ON_GENERATOR_RETURN_VALUE") is False
    methods = _our_generator_methods()
    assert "crawler.spiders.page.PageSpider.parse" in methods  # the walk sees the families' callbacks
    returning = [name for name, func in methods.items() if is_generator_with_return_value(func)]
    assert returning == []


def test_the_check_finds_a_generator_that_returns_a_value() -> None:
    def bad():  # type: ignore[no-untyped-def]
        yield 1
        return 2

    assert is_generator_with_return_value(bad)
