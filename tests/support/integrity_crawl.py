"""The crawls of the integrity tests (tests/reliability: test_fetch_integrity, test_fetch_tls,
test_witness): a config folder of loopback sources, `casewatch crawl` through run_cli, and what the
database stored for a URL."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from pipeline.store.models import Change, CrawlRun, Document, Version
from pipeline.store.session import Database
from tests.support.cli import CASE_FILE, run_cli

# Long enough that half of it is a real page too: a prefix would look like an edit removing the rest.
PARAGRAPHS = [
    f"Párrafo {i}: la Fiscalía amplió la investigación por la masacre de Juliaca del 9 de enero de 2023, "
    f"en la que murieron 18 personas durante las protestas contra el gobierno de Dina Boluarte."
    for i in range(1, 80)
]


def page(title: str, paragraphs: list[str] = PARAGRAPHS) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"
            ).encode()


def write_config(directory: Path, sources: list[dict[str, Any]]) -> Path:
    """A config folder with the Juliaca case and ``sources`` (loopback allowed)."""
    (directory / "cases").mkdir(parents=True, exist_ok=True)
    (directory / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    entries = [{"name": s["id"], "kind": "news", "spider": "page", "allow_private": True, **s} for s in sources]
    (directory / "sources.yaml").write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")
    return directory


def crawl(config: Path, db_url: str, *ids: str) -> subprocess.CompletedProcess[str]:
    return run_cli("--config", str(config), "--db", db_url, "crawl", *ids)


@dataclass
class Stored:
    versions: int
    changes: int
    texts: list[str]


def stored(db: Database, url: str) -> Stored:
    with db.read() as s:
        doc = s.scalar(select(Document).where(Document.url == url))
        if doc is None:
            return Stored(0, 0, [])
        versions = s.scalars(select(Version).where(Version.document_id == doc.id).order_by(Version.id)).all()
        changes = s.scalar(select(func.count()).select_from(Change).where(Change.document_id == doc.id)) or 0
        return Stored(len(versions), changes, [v.text for v in versions])


def last_run(db: Database, source_id: str) -> CrawlRun:
    with db.read() as s:
        run = s.scalars(select(CrawlRun).where(CrawlRun.source_id == source_id).order_by(CrawlRun.id.desc())).first()
        assert run is not None
        s.expunge(run)
        return run


def lines_naming(output: str, url: str) -> list[str]:
    return [line for line in output.splitlines() if url in line]
