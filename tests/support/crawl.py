"""The real `casewatch crawl` in a child process (forked warm: tests/support/forkserver.py), with
test-only Scrapy settings, and what it stored.

Hostile-server tests need the whole path (spider, middlewares, ingest, CrawlRun, health, the one
``✗`` line per failed source), but not 30-second timeouts: the child swaps in short timeouts and no
delays, exactly as tests/support/spiders.py does for spider runs, then runs the command itself.
``hosts`` maps names to addresses inside the crawl (a DNS answer the test decides) via
``HostsResolver``; everything else is the project's configuration.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from scrapy.resolver import CachingThreadedResolver
from sqlalchemy import select
from twisted.internet import defer

from pipeline.store.models import Change, CrawlRun, Document, Source, Version
from pipeline.store.session import Database
from tests.support.cli import CASE_FILE, ROOT, child_env, warm_child

# No delays, one retry; the download timeout is Scrapy's own 30 s: a machine busy with another suite took over 5 s
# to serve a local 200 KB page (test_C7, beside a second `make test`). A test about timeouts sets its own
# (test_A6_hanging_servers_time_out: 1 s).
FAST: dict[str, Any] = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_TIMEOUT": 30,
                        "RETRY_TIMES": 1, "ROBOTSTXT_OBEY": False}
HOSTS_SETTING = "CASEWATCH_TEST_HOSTS"


class HostsResolver(CachingThreadedResolver):
    """The process's DNS with a few names answered from the ``CASEWATCH_TEST_HOSTS`` setting."""

    hosts: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> HostsResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.hosts = dict(crawler.settings.getdict(HOSTS_SETTING))
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        if name in self.hosts:
            return defer.succeed(self.hosts[name])
        return super().getHostByName(name, timeout)


def write_config(tmp: Path, sources: Sequence[Mapping[str, Any]]) -> Path:
    """A config folder with the Juliaca case and ``sources`` (loopback allowed, no delay by default)."""
    config = tmp / "config"
    (config / "cases").mkdir(parents=True, exist_ok=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    entries = [{"kind": "news", "spider": "page", "allow_private": True, "download_delay": 0,
                "name": str(s["id"]), **s} for s in sources]
    (config / "sources.yaml").write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")
    return config


@dataclass
class Crawled:
    """One `casewatch crawl`: exit code, output, and the child's peak memory."""

    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float

    def failure(self, source_id: str) -> str:
        """The ``✗ <source> failed <reason>`` line of ``source_id`` (fails the test if there is none)."""
        lines = [line for line in self.stderr.splitlines() if line.split()[:2] == ["✗", source_id]]
        assert len(lines) == 1, f"no single failure line for {source_id}:\n{self.stderr}"
        return lines[0]


def crawl(config: Path, db_url: str, *source_ids: str, settings: Mapping[str, Any] | None = None,
          hosts: Mapping[str, str] | None = None, timeout: float = 120) -> Crawled:
    """Run `casewatch --config CONFIG --db DB_URL crawl [SOURCE ...]` with FAST settings (+ ``settings``)."""
    overrides = {**FAST, **(settings or {})}
    if hosts:
        overrides.update({"TWISTED_DNS_RESOLVER": f"{__name__}.HostsResolver", HOSTS_SETTING: dict(hosts)})
    rss = config.parent / "crawl-rss.txt"
    args = ["--config", str(config), "--db", db_url, "crawl", *source_ids]
    proc = warm_child("tests.support.crawl", [json.dumps(overrides), str(rss), *args],
                      env=child_env(config.parent / "var"), cwd=ROOT, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return Crawled(proc.returncode, proc.stdout, proc.stderr, float(rss.read_text()) if rss.exists() else 0.0)


@dataclass
class Stored:
    """What the database holds for one document URL (oldest first)."""

    versions: list[str]  # texts
    changes: list[str]  # kinds
    state: str | None


def stored(db_url: str, url: str) -> Stored:
    db = Database(db_url)
    try:
        with db.read() as session:
            doc = session.scalar(select(Document).where(Document.url == url))
            if doc is None:
                return Stored([], [], None)
            texts = list(session.scalars(select(Version.text).where(Version.document_id == doc.id)
                                         .order_by(Version.id)))
            kinds = list(session.scalars(select(Change.kind).where(Change.document_id == doc.id).order_by(Change.id)))
            return Stored(texts, kinds, doc.state)
    finally:
        db.dispose()


def last_run(db_url: str, source_id: str) -> tuple[str, str | None, str, str | None]:
    """(status, error) of the source's newest CrawlRun and (health, reason) of the source."""
    db = Database(db_url)
    try:
        with db.read() as session:
            run = session.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id)
                                  .order_by(CrawlRun.id.desc())).first()
            source = session.get(Source, source_id)
            assert run is not None and source is not None, f"no run recorded for {source_id}"
            return run.status, run.error, source.health, source.health_reason
    finally:
        db.dispose()


def own_peak_kb() -> int:
    """This process image's peak resident memory (VmHWM). Not ru_maxrss: Linux carries the forking
    parent's peak (a big pytest worker) into the child's figure across fork and exec."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def _child(overrides_json: str, rss_path: str, argv: list[str]) -> None:
    """Child body: patch the crawl's Scrapy settings, run the CLI, note the peak memory at exit."""
    import atexit

    from crawler import runner

    overrides = json.loads(overrides_json)
    project_settings = runner.crawler_settings
    runner.crawler_settings = lambda **kw: project_settings(**{**kw, **overrides})  # type: ignore[assignment]
    atexit.register(lambda: Path(rss_path).write_text(str(own_peak_kb() / 1024)))
    from casewatch.cli import main

    sys.argv = ["casewatch", *argv]
    main()


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], sys.argv[3:])
