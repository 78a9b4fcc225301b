"""Run a spider against a local server in a child process and get its items back.

Twisted's reactor cannot be restarted, so every crawl runs in a fresh ``python -m
tests.support.spiders`` child (the same way ``scrapy crawl`` would run it), which writes the items,
ERROR/WARNING log lines and stats as JSON; it is forked from a server that has Scrapy imported
already (tests/support/forkserver.py). ``run_spiders`` runs several crawls one after another in
one child (one reactor), each with its own crawler, settings and log collector: the golden fixtures
share a process instead of paying for a Python and Scrapy start-up each. Test settings drop delays
and retries only; everything else (robots.txt, the address guard, size limits) is the real project
configuration.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from config.schema import Source
from crawler.items import DocumentItem, golden_dict
from tests.support.cli import warm_child

ROOT = Path(__file__).resolve().parents[2]
TEST_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_TIMES": 0,
    "DOWNLOAD_TIMEOUT": 15,
    "LOG_LEVEL": "WARNING",
}


@dataclass
class SpiderRun:
    """What one crawl produced."""

    items: list[DocumentItem]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def golden(self, base: str | None = None) -> list[dict[str, Any]]:
        """Items as golden dicts, sorted, with the local server's address replaced by ``{base}``."""
        rows = [template(golden_dict(i), base) for i in self.items]
        return sorted(rows, key=lambda r: (r["url"], r["fetched_url"], r["status"]))


def template(value: Any, base: str | None) -> Any:
    """Replace the (random-port) server URL by ``{base}`` in every string, recursively."""
    if not base:
        return value
    if isinstance(value, str):
        return value.replace(base, "{base}")
    if isinstance(value, list):
        return [template(v, base) for v in value]
    if isinstance(value, dict):
        return {k: template(v, base) for k, v in value.items()}
    return value


def _spider_path(spider: type | str) -> str:
    return spider if isinstance(spider, str) else f"{spider.__module__}:{spider.__qualname__}"


def run_spider(
    spider: type | str,
    source: Source | dict[str, Any],
    *,
    revisit: list[str] | tuple[str, ...] = (),
    settings: dict[str, Any] | None = None,
    allow_private: bool | list[str] = True,
    timeout: float = 120,
) -> SpiderRun:
    """Crawl ``source`` with ``spider`` (class or "module:Class") in a child process.

    ``allow_private`` (default True: the test server is on loopback) is applied after validation, so
    a test can also check that the address guard refuses a loopback URL when it is False.
    """
    return run_spiders([spider_payload(spider, source, revisit=revisit, settings=settings,
                                       allow_private=allow_private)], timeout=timeout)[0]


def spider_payload(
    spider: type | str,
    source: Source | dict[str, Any],
    *,
    revisit: list[str] | tuple[str, ...] = (),
    settings: dict[str, Any] | None = None,
    allow_private: bool | list[str] = True,
) -> dict[str, Any]:
    """One crawl for ``run_spiders`` (the arguments of ``run_spider``)."""
    data = source.model_dump(mode="json") if isinstance(source, Source) else dict(source)
    return {
        "spider": _spider_path(spider),
        "source": data,
        "allow_private": allow_private,
        "revisit": list(revisit),
        "settings": {**TEST_SETTINGS, **(settings or {})},
    }


def run_spiders(payloads: list[dict[str, Any]], *, timeout: float = 120) -> list[SpiderRun]:
    """The crawls of ``payloads`` (``spider_payload``), one after another in one child process."""
    with tempfile.TemporaryDirectory(prefix="casewatch-spider-") as tmp:
        args = Path(tmp, "in.json")
        out = Path(tmp, "out.json")
        args.write_text(json.dumps(payloads), encoding="utf-8")
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONPATH": str(ROOT)}
        proc = warm_child("tests.support.spiders", [str(args), str(out)], env=env, cwd=ROOT,
                          timeout=timeout * len(payloads))
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"spider child failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
        results = json.loads(out.read_text(encoding="utf-8"))
    return [SpiderRun(
        items=[_item(d) for d in result["items"]],
        errors=result["errors"],
        warnings=result["warnings"],
        stats=result["stats"],
    ) for result in results]


def _item(data: dict[str, Any]) -> DocumentItem:
    data = dict(data)
    data["body"] = base64.b64decode(data["body"])
    if data["published_at"]:
        data["published_at"] = datetime.fromisoformat(data["published_at"])
    return DocumentItem(**data)


def _dump_item(item: DocumentItem) -> dict[str, Any]:
    data = asdict(item)
    data["body"] = base64.b64encode(item.body).decode("ascii")
    data["published_at"] = item.published_at.isoformat() if item.published_at else None
    return data


def _source(payload: dict[str, Any]) -> Source:
    source = Source.model_validate({**payload["source"], "allow_private": True})
    return source.model_copy(update={"allow_private": payload["allow_private"]})


def _spider_cls(payload: dict[str, Any]) -> type:
    import importlib

    module_name, _, class_name = payload["spider"].partition(":")
    return getattr(importlib.import_module(module_name), class_name)  # type: ignore[no-any-return]


def _result(run: Any) -> dict[str, Any]:
    stats = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in run.stats.items()}
    return {"items": [_dump_item(i) for i in run.items], "errors": run.errors, "warnings": run.warnings,
            "stats": stats}


def _child(args_path: str, out_path: str) -> None:
    """Child process body: one crawl (``collect_items``, as `casewatch try-source` runs it), or several
    one after another in one reactor; results to ``out_path``."""
    from crawler.runner import collect_items

    payloads = json.loads(Path(args_path).read_text(encoding="utf-8"))
    if len(payloads) == 1:
        [payload] = payloads
        run = collect_items(_spider_cls(payload), _source(payload), revisit=payload["revisit"],
                            settings=payload["settings"])
        results = [_result(run)]
    else:
        results = _many(payloads)
    Path(out_path).write_text(json.dumps(results, default=str), encoding="utf-8")


def _many(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``collect_items`` for each payload in turn, in one CrawlerProcess: each crawl has its own
    crawler (settings, downloader, stats) and its own log collector while it runs."""
    import logging

    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.reactor import install_reactor
    from twisted.internet import defer

    from crawler.runner import Collected, _LogCollector, crawler_settings, params_error, source_crawler

    process = CrawlerProcess(crawler_settings(LOG_INSTALL_ROOT_HANDLER=False))
    install_reactor(process.settings["TWISTED_REACTOR"], process.settings["ASYNCIO_EVENT_LOOP"])
    results: list[dict[str, Any]] = []

    @defer.inlineCallbacks
    def crawl_all() -> Any:
        from twisted.internet import reactor

        try:
            for payload in payloads:
                collected = Collected()
                handler = _LogCollector(collected)
                spider_cls, source = _spider_cls(payload), _source(payload)
                if (error := params_error(spider_cls, source)) is not None:
                    raise RuntimeError(error)
                crawler = source_crawler(process, spider_cls, source, payload["settings"])
                crawler.signals.connect(lambda item, c=collected, **_: c.items.append(item),
                                        signal=signals.item_scraped, weak=False)
                logging.getLogger().addHandler(handler)
                try:
                    yield process.crawl(crawler, source=source, revisit=tuple(payload["revisit"]))
                finally:
                    logging.getLogger().removeHandler(handler)
                collected.stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
                results.append(_result(collected))
        finally:
            reactor.stop()  # type: ignore[attr-defined]

    crawl_all().addErrback(lambda failure: failure.printTraceback(sys.stderr))
    process.start(stop_after_crawl=False)
    if len(results) != len(payloads):
        raise RuntimeError(f"{len(payloads) - len(results)} of {len(payloads)} crawls did not finish")
    return results


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
