"""Raw bodies stored once and compressed, texts compressed, and rows written before that still read."""

from __future__ import annotations

import hashlib
import zlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from pipeline.ingest import Snapshot, ingest
from pipeline.store.bodies import raw_bytes
from pipeline.store.documents import get_document
from pipeline.store.models import RawBody, Source, Version
from pipeline.store.packing import MAGIC
from pipeline.store.session import Database, alembic_config

pytestmark = pytest.mark.postgres  # BLOB and bytea: the bytes must come back exact on both databases

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
TEXT = " ".join(["La fiscalía formalizó investigación por las muertes en Juliaca."] * 40)
OTHER = " ".join(["Otro texto sobre la audiencia."] * 20)
BODY = ("<!doctype html><html><head><title>Nota</title></head><body><nav>Inicio · Política</nav><article>"
        + "<p>La fiscalía formalizó investigación por las muertes en Juliaca.</p>" * 40
        + "</article><footer>© Diario</footer></body></html>").encode()


def _source(db: Database) -> None:
    with db.write() as s:
        s.add(Source(id="diario", name="Diario", kind="news", spider="page", enabled=True, created_at=NOW,
                     updated_at=NOW))


def _fetch(db: Database, url: str, body: bytes, text: str = TEXT, when: datetime = NOW) -> str:
    with db.write() as s:
        return ingest(s, Snapshot(url=url, status=200, title="Nota", text=text, body=body, fetched_url=url,
                                  content_type="text/html"), source_id="diario", cases=[], now=when).result


def _stored(db: Database) -> list[tuple[str, str, bytes | None]]:
    """(document URL, text, raw body) of every version, oldest first, as the store reads them back."""
    with db.read() as s:
        return [(v.document.url, v.text, raw_bytes(v)) for v in s.scalars(sa.select(Version).order_by(Version.id))]


def test_identical_bodies_are_stored_once_compressed(db: Database) -> None:
    _source(db)
    edited = BODY.replace(b"<footer>", b"<p>Actualizado.</p><footer>")
    assert _fetch(db, "https://diario.example/a", BODY) == "new"
    assert _fetch(db, "https://diario.example/b", BODY) == "new"  # another URL, the same bytes
    assert _fetch(db, "https://diario.example/a", edited, TEXT + " Actualizado.", NOW + timedelta(hours=1)) == "updated"

    assert _stored(db) == [("https://diario.example/a", TEXT, BODY), ("https://diario.example/b", TEXT, BODY),
                           ("https://diario.example/a", TEXT + " Actualizado.", edited)]
    with db.read() as s:
        rows = s.execute(sa.select(RawBody.sha256, RawBody.codec, RawBody.size, RawBody.data)
                         .order_by(RawBody.size)).all()
        inline = set(s.scalars(sa.select(Version.raw_body)))
        texts = s.execute(sa.text("select text from versions")).scalars().all()
    assert [(sha, codec, size) for sha, codec, size, _ in rows] == [
        (hashlib.sha256(BODY).hexdigest(), "zstd", len(BODY)),
        (hashlib.sha256(edited).hexdigest(), "zstd", len(edited))]
    assert all(len(data) < len(BODY) / 5 for *_, data in rows)  # repetitive HTML: far smaller than as fetched
    assert inline == {b""}  # nothing kept twice in versions
    assert all(bytes(t)[:4] == MAGIC and len(t) < len(TEXT) / 5 for t in texts)  # the text column is compressed


def test_short_texts_are_kept_plain_and_read_back(db: Database) -> None:
    _source(db)
    _fetch(db, "https://diario.example/c", b"<p>Breve</p>", "Breve.")
    assert _stored(db) == [("https://diario.example/c", "Breve.", b"<p>Breve</p>")]


def _old_database(url: str) -> Database:
    """A database at 0008 (before raw_bodies) holding one version as that release wrote it."""
    command.upgrade(alembic_config(url), "0008")
    db = Database(url)
    meta = sa.MetaData()
    sources = sa.Table("sources", meta, autoload_with=db.engine)
    documents = sa.Table("documents", meta, autoload_with=db.engine)
    versions = sa.Table("versions", meta, autoload_with=db.engine)
    with db.engine.begin() as conn:
        conn.execute(sources.insert().values(id="diario", name="Diario", kind="news", spider="page", enabled=True,
                                             created_at=NOW, updated_at=NOW, health="healthy"))
        doc = conn.execute(documents.insert().values(
            url="https://diario.example/a", source_id="diario", title="Nota", first_seen_at=NOW, last_checked_at=NOW,
            state="active", missing_count=0, pinned=False, outlet="", headline_only=False)).inserted_primary_key[0]
        conn.execute(versions.insert().values(
            document_id=doc, fetched_at=NOW, sha256="0" * 64, title="Nota", text=TEXT, raw_body=zlib.compress(BODY, 6),
            raw_sha256=hashlib.sha256(BODY).hexdigest(), http_status=200, fetched_url="https://diario.example/a",
            content_type="text/html", headers={}))
    return db


def test_rows_written_before_the_migration_still_read_back_exactly(db_url: str) -> None:
    db = _old_database(db_url)
    try:
        db.upgrade()
        assert _stored(db) == [("https://diario.example/a", TEXT, BODY)]
        # A new fetch of the same bytes is stored the new way; the old row is left as it was.
        assert _fetch(db, "https://diario.example/b", BODY) == "new"
        with db.read() as s:
            assert [len(b) > 0 for b in s.scalars(sa.select(Version.raw_body).order_by(Version.id))] == [True, False]
            assert get_document(s, "https://diario.example/b") is not None
        assert [body for *_, body in _stored(db)] == [BODY, BODY]
    finally:
        db.dispose()


def test_downgrade_puts_texts_and_bodies_back_in_the_old_form(db_url: str) -> None:
    db = _old_database(db_url)
    try:
        db.upgrade()
        _fetch(db, "https://diario.example/b", BODY, OTHER)
        command.downgrade(alembic_config(db_url), "0008")
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("select text, raw_body from versions order by id")).all()
            tables = set(sa.inspect(conn).get_table_names())
        assert [(text, zlib.decompress(raw)) for text, raw in rows] == [(TEXT, BODY), (OTHER, BODY)]
        assert "raw_bodies" not in tables
    finally:
        db.dispose()
