"""`casewatch reextract`: recompute texts and changes from the stored raw bodies, without fetching.

When a source's ignore rules or a spider's extraction change, the evidence already stored says what
the site answered; this runs the source's own spider extraction (``parse_revisit``, the same code a
crawl uses for a known document) on a response rebuilt from each version's stored body, headers and
URL, then lets ``pipeline.reextract`` withdraw the ``updated`` changes the current rules no longer see.

No network: the spider is never scheduled in Scrapy's engine, only its callback is called. A callback
that answers with Requests (it would need another page) makes the version "not re-extractable".

Each document is read (and extracted) in a read transaction and written in its own short write
transaction, so a crash leaves every document either re-extracted or untouched, and a crawl running at
the same time is not blocked for the length of the extraction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from scrapy import Request
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.spiderloader import SpiderLoader

from casewatch.app import App
from config.schema import Source
from crawler.extract.urls import canonical_url
from crawler.items import DocumentItem
from crawler.runner import crawler_settings, params_error
from crawler.spiders.base import SourceSpider
from pipeline import reextract as recompute
from pipeline.revisit import is_page
from pipeline.store.bodies import raw_bytes
from pipeline.store.changes import document_changes
from pipeline.store.documents import document_versions, get_document_by_id, source_document_ids
from pipeline.store.models import Version

# The stored body was decoded by Scrapy before it was stored: these headers no longer describe it.
DECODED_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
MAX_PROBLEMS = 10  # reasons listed per source in the report; the counts are complete
PROGRESS_EVERY = 2.0  # seconds between progress lines


@dataclass
class SourceReport:
    """What re-extraction did (or, with --dry-run, would do) to one source."""

    source: str
    documents: int = 0
    versions: int = 0  # re-extracted from their raw body
    texts_changed: int = 0  # versions whose title, text or fingerprint changed
    changes_withdrawn: int = 0
    changes_kept: int = 0  # updated changes whose versions still differ
    changes_reinstated: int = 0  # withdrawn by an earlier re-extraction, differing again
    diffs_updated: int = 0
    skipped_pruned: int = 0
    skipped_not_reextractable: int = 0
    withdrawn: list[int] = field(default_factory=list)
    reinstated: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str | None = None  # the whole source could not be re-extracted (its spider refuses the config)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped"] = {"pruned": data.pop("skipped_pruned"),
                           "not_reextractable": data.pop("skipped_not_reextractable")}
        return data

    def line(self) -> str:
        if self.error:
            return f"{self.source}: not re-extracted: {self.error}"
        return (f"{self.source}: {self.documents} documents, {self.versions} versions re-extracted, "
                f"{self.texts_changed} texts changed, {self.changes_withdrawn} changes withdrawn, "
                f"{self.changes_kept} kept, {self.changes_reinstated} reinstated; skipped "
                f"{self.skipped_pruned} pruned, {self.skipped_not_reextractable} not re-extractable")


class NotReextractable(Exception):
    """This version's stored body cannot be re-extracted (the message says why)."""


def reextract(app: App, sources: Sequence[Source], *, dry_run: bool = False,
              progress: TextIO | None = None) -> list[SourceReport]:
    """Re-extract every stored version of ``sources`` and recompute their changes."""
    loader = SpiderLoader.from_settings(crawler_settings())
    reports = []
    for source in sources:
        report = SourceReport(source.id)
        reports.append(report)
        try:
            spider_cls = loader.load(source.spider)
        except KeyError:
            report.error = f"unknown spider {source.spider!r}"
            continue
        if (error := params_error(spider_cls, source)) is not None:
            report.error = error
            continue
        spider: SourceSpider = spider_cls(source=source)
        with app.db.read() as session:
            document_ids = source_document_ids(session, source.id)
        shown = time.monotonic()
        for done, document_id in enumerate(document_ids, 1):
            _document(app, spider, source, document_id, report, dry_run=dry_run)
            if progress is not None and time.monotonic() - shown >= PROGRESS_EVERY:
                shown = time.monotonic()
                progress.write(f"reextract: {source.id}: {done}/{len(document_ids)} documents\n")
                progress.flush()
    return reports


def _document(app: App, spider: SourceSpider, source: Source, document_id: int, report: SourceReport, *,
              dry_run: bool) -> None:
    """One document: extract in a read transaction, then plan and write in one write transaction."""
    report.documents += 1
    extracted: dict[int, tuple[str, str]] = {}
    with app.db.read() as session:
        doc = get_document_by_id(session, document_id)
        if doc is None:
            return
        for version in document_versions(session, document_id):
            if version.raw_pruned_at is not None:
                report.skipped_pruned += 1
                continue
            try:
                extracted[version.id] = extract_version(spider, version, doc.url)
            except NotReextractable as exc:
                report.skipped_not_reextractable += 1
                if len(report.problems) < MAX_PROBLEMS:
                    report.problems.append(f"version {version.id} of {doc.url}: {exc}")
                continue
            report.versions += 1
    unit = app.db.read() if dry_run else app.db.write()
    with unit as session:  # dry run: the read session is rolled back and nothing is applied anyway
        versions = document_versions(session, document_id, bodies=False)
        changes = document_changes(session, document_id)
        plan = recompute.plan_document(versions, changes, extracted, source.ignore.patterns)
        if not dry_run and not plan.empty:
            recompute.apply(plan, versions, changes, datetime.now(UTC))
    report.texts_changed += len(plan.texts)
    report.changes_withdrawn += len(plan.withdraw)
    report.changes_kept += len(plan.kept)
    report.changes_reinstated += len(plan.reinstate)
    report.diffs_updated += len(plan.diffs)
    report.withdrawn += sorted(plan.withdraw)
    report.reinstated += plan.reinstate


def stored_response(version: Version, document_url: str) -> Response:
    """The response a crawl got, rebuilt from the stored evidence (the right class: HTML, XML, text)."""
    body = raw_bytes(version)
    if body is None:
        raise NotReextractable("raw body pruned")
    url = version.fetched_url or document_url
    if canonical_url(url) != document_url and not is_page(body):
        # Fetched at another URL and not a whole page: a feed entry or a listing card, not a page.
        raise NotReextractable(f"the stored body is a fragment of {url}, not the document's own page")
    headers = Headers({k: v for k, v in (version.headers or {}).items() if k.lower() not in DECODED_HEADERS})
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=version.http_status, headers=headers, body=body, request=Request(url))


def extract_version(spider: SourceSpider, version: Version, document_url: str) -> tuple[str, str]:
    """(title, text) the spider extracts today from a stored version; NotReextractable if it cannot."""
    response = stored_response(version, document_url)
    items: list[DocumentItem] = []
    asked = 0
    with _captured(spider) as errors:
        try:
            for out in spider.parse_revisit(response, document_url) or ():
                if isinstance(out, Request):
                    asked += 1  # never fetched: re-extraction works offline
                elif isinstance(out, DocumentItem):
                    items.append(out)
        except Exception as exc:  # one bad body must not stop the others
            raise NotReextractable(f"extraction failed: {type(exc).__name__}: {exc}") from None
    mine = [i for i in items if i.url == document_url] or items
    if not mine:
        why = errors[0] if errors else ("the spider asked to fetch another page" if asked
                                        else "the spider extracted nothing")
        raise NotReextractable(why)
    item = mine[0]
    if not (item.title.strip() or item.text.strip()):
        raise NotReextractable("the extracted title and text are empty")
    return item.title, item.text


@contextmanager
def _captured(spider: SourceSpider) -> Iterator[list[str]]:
    """The spider's error lines during one extraction, kept for the report instead of printed."""
    errors: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                errors.append(record.getMessage())

    logger = spider.logger.logger
    handler, propagate = _Collect(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield errors
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
