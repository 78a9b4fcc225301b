"""Re-crawling an unchanged source costs a 304 or a checksum and writes no version or change."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from casewatch.demo_site import ReplicaSite
from pipeline.store.models import Change, CrawlRun, Document, Version
from pipeline.store.session import Database
from tests.support.cli import replica_config, run_cli


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as s:
        return (s.scalar(select(func.count()).select_from(Version)) or 0,
                s.scalar(select(func.count()).select_from(Change)) or 0)


def _last_runs(db: Database) -> dict[str, CrawlRun]:
    with db.read() as s:
        runs = s.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        return {r.source_id: r for r in runs}


def _fetched(site: ReplicaSite) -> dict[str, int]:
    return {path: status for path, status in site.log if path != "/robots.txt"}


@pytest.mark.slow
def test_unchanged_sites_answer_304_and_nothing_is_written(db_url: str, tmp_path: Path) -> None:
    with ReplicaSite() as site:
        config = replica_config(tmp_path, site.base)
        cli = ("--config", str(config), "--db", db_url)
        assert run_cli(*cli, "crawl").returncode == 0
        db = Database(db_url)
        before = _counts(db)
        assert before[0] > 0

        site.log.clear()
        again = run_cli(*cli, "crawl")
        assert again.returncode == 0, again.stderr
        fetched = _fetched(site)
        # The feed and both watched pages were asked "changed since?" and said no; no article was
        # re-fetched because the feed listing them did not change.
        assert fetched and set(fetched.values()) == {304}, fetched
        assert _counts(db) == before
        runs = _last_runs(db)
        assert {r.status for r in runs.values()} == {"ok"}
        assert all(r.new == r.updated == r.removed == 0 and r.unchanged >= 1 for r in runs.values())
        assert "0 new, 0 updated, 0 removed" in again.stdout


@pytest.mark.slow
def test_sites_without_validators_get_checksum_hits(db_url: str, tmp_path: Path) -> None:
    with ReplicaSite(etags=False) as site:
        config = replica_config(tmp_path, site.base)
        cli = ("--config", str(config), "--db", db_url)
        assert run_cli(*cli, "crawl").returncode == 0
        db = Database(db_url)
        before = _counts(db)
        with db.read() as s:
            checked_before = dict(s.execute(select(Document.url, Document.last_checked_at)).all())

        site.log.clear()
        assert run_cli(*cli, "crawl").returncode == 0
        assert set(_fetched(site).values()) == {200}
        assert _counts(db) == before
        runs = _last_runs(db)
        assert {r.status for r in runs.values()} == {"ok"}
        with db.read() as s:
            pages = s.execute(select(Document.url, Document.last_checked_at).where(
                Document.source_id.in_(["fiscalia", "ong-ddhh"]))).all()
        # Watched pages whose body did not change are still recorded as checked.
        assert pages and all(checked > checked_before[url] for url, checked in pages)


@pytest.mark.slow
def test_a_config_change_rereads_an_unchanged_feed(db_url: str, tmp_path: Path) -> None:
    with ReplicaSite() as site:
        config = replica_config(tmp_path, site.base)
        cli = ("--config", str(config), "--db", db_url)
        assert run_cli(*cli, "crawl", "noticias-del-sur").returncode == 0
        sources = config / "sources.yaml"
        sources.write_text(sources.read_text(encoding="utf-8").replace(
            'selectors: [".lo-mas-leido", "footer"]', 'selectors: [".lo-mas-leido", "footer", "aside"]'),
            encoding="utf-8")
        site.log.clear()
        assert run_cli(*cli, "crawl", "noticias-del-sur").returncode == 0
        assert ("/noticias/feed/", 200) in site.log
