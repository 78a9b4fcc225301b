"""The review page's test world: a small config of our own, documents stored through the real ingest
path, and the Starlette app on both databases (the ``db_url`` fixture of tests/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from casewatch.app import App
from casewatch.web.app import create_app
from casewatch.web.auth import AuthConfig
from pipeline.ingest import Snapshot, ingest
from pipeline.store.session import Database
from tests.support.cli import CASE_FILE

TOKEN = "ana-token-0123456789"
OTHER_TOKEN = "luis-token-9876543210"
SECRET = "test-secret-key-0123456789abcdef"
T0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 10:00 in Lima
# The page is Spanish first; tests about something other than the language read it in English.
EN = {"accept-language": "en"}

SOURCES_YAML = """\
sources:
  - {id: mpfn, name: "Ministerio Público", kind: prosecutor, spider: page, schedule: 1h,
     urls: ["https://www.gob.pe/mpfn"]}
  - {id: noticias, name: "Noticias del Sur", kind: news, spider: feed, schedule: 1h,
     urls: ["https://noticias.example/feed/"]}
  - {id: cidh, name: "CIDH", kind: iachr, spider: page, urls: ["https://www.oas.org/cidh/"], schedule: 1h}
"""
SUBSCRIBERS_YAML = """\
subscribers:
  - {email: familias@example.org, name: Familias, language: es, cases: [juliaca-2023], frequency: daily}
"""

FORMALIZED = ("La Fiscalía formalizó la investigación preparatoria contra mandos policiales por la masacre de Juliaca "
              "del 9 de enero de 2023, en la que murieron 18 civiles cerca del aeropuerto Inca Manco Cápac.")
HEARING = ("La CIDH pidió al Estado peruano investigar las muertes del 9 de enero de 2023 en Juliaca, Puno, durante "
           "las protestas. El juzgado programó la audiencia para el 4 de diciembre.")
UNRELATED = "El Pleno del Congreso aprobó cambios en el reglamento para la elección de la Mesa Directiva."


def write_config(tmp: Path) -> Path:
    config = tmp / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(SOURCES_YAML, encoding="utf-8")
    (config / "subscribers.yaml").write_text(SUBSCRIBERS_YAML, encoding="utf-8")
    return config


def auth_config(reviewers: str = f"ana:{TOKEN}") -> AuthConfig:
    return AuthConfig.from_env({"CASEWATCH_REVIEWERS": reviewers, "CASEWATCH_SECRET_KEY": SECRET})


def store(app: App, url: str, *, title: str, text: str, source_id: str = "mpfn", now: datetime = T0,
          status: int = 200, headers: dict[str, str] | None = None, body: bytes | None = None,
          outlet: str = "", summary: str = "") -> int | None:
    """One fetch through pipeline.ingest, committed; the id of the change it made (None: no change)."""
    with app.db.write() as session:
        outcome = ingest(session, Snapshot(
            url=url, status=status, title=title, text=text, fetched_url=url,
            body=body if body is not None else f"<html><body><h1>{title}</h1><p>{text}</p></body></html>".encode(),
            headers=headers or {"Content-Type": "text/html; charset=utf-8"}, content_type="text/html; charset=utf-8",
            outlet=outlet, summary=summary), source_id=source_id, cases=list(app.config.cases.values()), now=now)
        return outcome.change.id if outcome.change is not None else None


@dataclass(frozen=True)
class Seeded:
    """Ids of what ``seed`` stored: a relevant page, its edit, an unrelated page, a removed IACHR page."""

    new: int
    updated: int
    unrelated: int
    hearing: int
    removed: int
    document: int


def seed(app: App) -> Seeded:
    url = "https://www.gob.pe/institucion/mpfn/noticias/1001-juliaca"
    new = store(app, url, title="Fiscalía formaliza investigación por la masacre de Juliaca", text=FORMALIZED,
                headers={"ETag": '"v1-etag"', "Last-Modified": "Fri, 20 Nov 2026 14:00:00 GMT"})
    unrelated = store(app, "https://noticias.example/congreso-reglamento/", source_id="noticias",
                      title="Congreso aprueba cambios en el reglamento", text=UNRELATED, now=T0 + timedelta(hours=1))
    cidh = "https://www.oas.org/cidh/comunicados/2026/281.asp"
    hearing = store(app, cidh, source_id="cidh", title="CIDH sigue el caso Juliaca", text=HEARING,
                    now=T0 + timedelta(days=1))
    updated = store(app, url, title="Fiscalía formaliza investigación por la masacre de Juliaca",
                    text=FORMALIZED + "\nEl juzgado programó la audiencia de control para el 4 de diciembre.",
                    now=T0 + timedelta(days=2),
                    headers={"ETag": '"v2-etag"', "Last-Modified": "Sun, 22 Nov 2026 14:00:00 GMT"})
    for hours in (1, 2):  # a removal needs two 404s in a row
        removed = store(app, cidh, source_id="cidh", title="", text="", status=404,
                        now=T0 + timedelta(days=3, hours=hours))
    assert None not in (new, unrelated, hearing, updated, removed)
    with app.db.read() as session:
        from pipeline.store.documents import get_document

        document = get_document(session, url)
        assert document is not None
        document_id = document.id
    return Seeded(new, updated, unrelated, hearing, removed, document_id)  # type: ignore[arg-type]


@pytest.fixture
def cw(db: Database, db_url: str, tmp_path: Path) -> Iterator[App]:
    """The app on a database already at the newest migration (``db``: the session's template)."""
    app = App(config_dir=write_config(tmp_path), db_url=db_url)
    yield app
    app.db.dispose()


@pytest.fixture
def client(cw: App) -> Iterator[TestClient]:
    app = create_app(cw, auth=auth_config(f"ana:{TOKEN},luis:{OTHER_TOKEN}"))
    with TestClient(app, headers=EN) as test_client:
        yield test_client


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, name: str = "ana", token: str = TOKEN) -> str:
    """Log in through the form; returns the new session's CSRF token."""
    csrf = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": csrf, "name": name, "token": token, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/login").text)
