"""Shared fixtures: database tests run on SQLite; those marked ``postgres`` (where the database
matters: locks, SQL dialect, concurrency, migrations, storage) run on the local PostgreSQL server too.

Migrations run once per test session (per xdist worker), not once per test: ``db`` copies a migrated
SQLite file, or replays the migrated schema's SQL (rendered once by Alembic) into a fresh PostgreSQL
schema. ``db_url`` stays an empty database for the tests that migrate (or refuse to) themselves.
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.schema import Case, Config, load_config
from pipeline.store.session import Database
from tests.support.browser import LazyBrowser

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("CASEWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def _pg_schema() -> Iterator[str]:
    """A private schema on the local PostgreSQL server, dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield _pg_schema_url(schema)
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``db_url`` (and so ``db``): SQLite, and PostgreSQL too for a test marked ``postgres``."""
    if "db_url" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker("postgres") is not None
        metafunc.parametrize("db_url", ["sqlite", "postgresql"] if marked else ["sqlite"], indirect=True)


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the xdist_group markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Page tests in a real browser are ``browser`` and ``slow``, and share one worker (one Chromium
    per session); pg_url tests are ``postgres``. Slow tests run first (in their files' order): xdist
    hands out work in collection order, and a minute-long test handed out last keeps one worker busy
    while the other has nothing left to do."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.xdist_group("browser"))
        if "pg_url" in fixtures and item.get_closest_marker("postgres") is None:
            item.add_marker(pytest.mark.postgres)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: same order within each


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'casewatch.db'}"
        return
    with _pg_schema() as url:
        yield url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """PostgreSQL only: for behaviour SQLite cannot have (it serialises writers)."""
    with _pg_schema() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest migration, made once per session: the template ``db`` copies."""
    path = tmp_path_factory.mktemp("template") / "casewatch.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()  # checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def migrated_pg_sql() -> str:
    """The SQL of every migration, rendered once by Alembic: replayed into each test's own schema."""
    from alembic import command

    from pipeline.store.session import alembic_config

    script = io.StringIO()
    cfg = alembic_config(PG_URL)
    cfg.output_buffer = script
    command.upgrade(cfg, "head", sql=True)
    return script.getvalue()


@pytest.fixture
def db(db_url: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A database at the newest migration (from the session's template, not migrated per test)."""
    if db_url.startswith("sqlite:///"):
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), db_url.removeprefix("sqlite:///"))
        database = Database(db_url)
    else:
        database = Database(db_url)
        with database.engine.begin() as connection:
            connection.exec_driver_sql(request.getfixturevalue("migrated_pg_sql"))
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def default_config() -> Config:
    return load_config(ROOT / "config")


@pytest.fixture(scope="session")
def juliaca(default_config: Config) -> Case:
    return default_config.cases["juliaca-2023"]


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def browser() -> Iterator[LazyBrowser]:
    """Headless Chromium for the page tests, started at first use (tests.support.browser)."""
    lazy = LazyBrowser()
    try:
        yield lazy
    finally:
        lazy.close()
