"""Daily housekeeping: raw bodies of never-relevant documents past retention are pruned (the
evidence of relevant ones never is), the outbox is retried, and SQLite gives freed space back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from casewatch.app import App
from casewatch.housekeeping import housekeep
from config.settings import get_settings
from pipeline.ingest import Snapshot, ingest
from pipeline.store.bodies import raw_bytes
from pipeline.store.models import Digest, Document, RawBody, Version
from pipeline.store.subscribers import recipient
from tests.support.cli import CASE_FILE

pytestmark = pytest.mark.postgres  # ANALYZE/VACUUM and pruning differ per database

NOW = datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
SOURCES = """sources:
  - {id: diario, name: Diario, kind: news, spider: feed, urls: ["https://diario.example/feed"]}
"""


def _app(tmp: Path, db_url: str, retention: str) -> App:
    config = tmp / "config"
    (config / "cases").mkdir(parents=True, exist_ok=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(f"scheduler: {{raw_retention: {retention}}}\n{SOURCES}", encoding="utf-8")
    return App(config_dir=config, db_url=db_url)


def _store(app: App, url: str, title: str, text: str, body: bytes, when: datetime) -> None:
    with app.db.write() as s:
        ingest(s, Snapshot(url=url, status=200, title=title, text=text, body=body, fetched_url=url,
                           content_type="text/html"), source_id="diario", cases=list(app.config.cases.values()),
               now=when)


def _versions(app: App) -> dict[str, Version]:
    with app.db.read() as s:
        return {doc.url.rsplit("/", 1)[1]: v for v, doc in s.execute(
            select(Version, Document).join(Document, Document.id == Version.document_id))}


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CASEWATCH_VAR_DIR", str(tmp_path / "var"))
    for key in [k for k in os.environ if k.startswith("SMTP_")]:
        monkeypatch.delenv(key)
    get_settings.cache_clear()  # settings are read once per process; this test's var/ is new
    yield tmp_path / "var" / "outbox"
    get_settings.cache_clear()


def test_old_irrelevant_raw_bodies_are_pruned_and_relevant_evidence_kept(db_url: str, tmp_path: Path,
                                                                         outbox: Path) -> None:
    app = _app(tmp_path, db_url, "180d")
    big = os.urandom(2_000_000)  # incompressible: the pruned page's body is most of the database
    old = NOW - timedelta(days=200)
    _store(app, "https://diario.example/masacre", "Fiscalía formaliza investigación por la masacre de Juliaca",
           "La fiscalía formalizó investigación por las muertes del 9 de enero de 2023 en Juliaca.", b"<p>a</p>" * 50,
           old)
    _store(app, "https://diario.example/heladas", "Heladas en Puno", "El Senamhi anuncia heladas en la sierra.",
           big, old)
    _store(app, "https://diario.example/lluvias", "Lluvias en Puno", "Lluvias intensas esta semana.", b"<p>c</p>",
           NOW - timedelta(days=10))
    before = _versions(app)
    with app.db.write() as s:  # an outbox row waiting for its retry
        sub = recipient(s, "familia@example.org", NOW)
        s.add(Digest(subscriber_id=sub.id, period="p1", created_at=NOW, status="pending", attempts=1,
                     message_id="<p1@test>", subject="resumen", text_body="t", html_body="<p>h</p>"))
    database = Path(app.db.url.removeprefix("sqlite:///")) if app.db.is_sqlite else None

    def on_disk() -> int:  # the database file and its write-ahead log
        assert database is not None
        return sum(p.stat().st_size for p in (database, database.with_name(database.name + "-wal")) if p.exists())

    size_before = on_disk() if database else 0

    done = housekeep(app, NOW)

    after = _versions(app)
    assert done.pruned == 1
    heladas = after["heladas"]
    assert heladas.raw_body == b"" and heladas.raw_pruned_at == NOW
    assert heladas.raw_sha256 == before["heladas"].raw_sha256 and heladas.text == before["heladas"].text
    for kept in ("masacre", "lluvias"):  # relevant evidence, and a recent page: untouched
        assert after[kept].raw_body == before[kept].raw_body and after[kept].raw_pruned_at is None
    with app.db.read() as s:  # the pruned body's stored copy is gone; the kept ones still read back exactly
        bodies = {doc.url.rsplit("/", 1)[1]: raw_bytes(v) for v, doc in s.execute(
            select(Version, Document).join(Document, Document.id == Version.document_id))}
        held = set(s.scalars(select(RawBody.sha256)))
    assert bodies == {"masacre": b"<p>a</p>" * 50, "heladas": None, "lluvias": b"<p>c</p>"}
    assert held == {before["masacre"].raw_sha256, before["lluvias"].raw_sha256}
    assert done.delivered == 1 and len(list(outbox.glob("*.eml"))) == 1
    if database is not None:
        assert done.vacuumed and on_disk() < size_before - 1_000_000
    assert housekeep(app, NOW).pruned == 0  # nothing twice


def test_retention_null_keeps_every_raw_body(db_url: str, tmp_path: Path, outbox: Path) -> None:
    app = _app(tmp_path, db_url, "null")
    _store(app, "https://diario.example/heladas", "Heladas en Puno", "El Senamhi anuncia heladas en la sierra.",
           b"<p>b</p>", NOW - timedelta(days=2000))
    assert housekeep(app, NOW).pruned == 0
    assert _versions(app)["heladas"].raw_pruned_at is None
