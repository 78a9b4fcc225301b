"""The review page's reading side on both databases: dashboard, change log filters and pages, a change
with its diff and evidence, a document's history, stored versions, timeline, outbox, Atom, and the JSON
API against the CLI's own JSON."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from starlette.testclient import TestClient

from alerts.digest import build_digests
from casewatch.app import App
from casewatch.web.app import SECURITY_HEADERS
from pipeline.store.bodies import raw_bytes
from pipeline.store.changes import get_change
from pipeline.store.documents import document_versions
from pipeline.store.outbox import get_digest
from pipeline.store.runs import start_run
from pipeline.store.sources import get_source
from tests.support.cli import run_cli
from tests.support.contract import CHANGE_FIELDS
from tests.web.conftest import T0, seed, store

pytestmark = pytest.mark.postgres  # SQL dialect: the change list's text and milestone filters

ATOM = "{http://www.w3.org/2005/Atom}"


def _log_ids(client: TestClient, query: str = "") -> list[int]:
    """Change ids the change log lists, in order, for a query string."""
    response = client.get("/changes" + query)
    assert response.status_code == 200, response.text
    soup = BeautifulSoup(response.text, "html.parser")
    return [int(row.select_one("td a")["href"].rsplit("/", 1)[1]) for row in soup.select("table.log tbody tr")]


@pytest.mark.slow
def test_dashboard_shows_sources_health_and_runs(cw: App, client: TestClient) -> None:
    s = seed(cw)
    with cw.db.write() as session:
        run = start_run(session, "cidh", T0)
        run.status, run.finished_at, run.items, run.error = "failed", T0, 0, "HTTP 503 from https://www.oas.org/cidh/"
        source = get_source(session, "cidh")
        assert source is not None
        source.health, source.health_reason = "unhealthy", "3 runs in a row failed"
    page = client.get("/")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    rows = {tr.select_one("td small").get_text().split(" · ")[0]: tr for tr in soup.select("table.sources tbody tr")}
    assert set(rows) == {"mpfn", "noticias", "cidh"}
    assert "unhealthy" in rows["cidh"]["class"] and "3 runs in a row failed" in rows["cidh"].get_text()
    assert "HTTP 503 from https://www.oas.org/cidh/" in rows["cidh"].get_text()
    assert "never run" in rows["mpfn"].get_text()
    latest = [a["href"] for a in soup.select("ul.latest a")]
    assert f"/changes/{s.updated}" in latest and f"/changes/{s.unrelated}" not in latest


@pytest.mark.slow
def test_change_log_filters_and_pages(cw: App, client: TestClient) -> None:
    s = seed(cw)
    everything = [s.removed, s.updated, s.hearing, s.unrelated, s.new]  # newest first
    assert _log_ids(client) == everything
    assert _log_ids(client, "?kind=updated") == [s.updated]
    assert _log_ids(client, "?source=noticias") == [s.unrelated]
    assert _log_ids(client, "?source_kind=iachr") == [s.removed, s.hearing]
    assert _log_ids(client, "?case=juliaca-2023") == [s.removed, s.updated, s.hearing, s.new]
    assert _log_ids(client, "?milestone=hearing") == [s.removed, s.updated, s.hearing]  # a removal keeps its steps
    # the edit of the release carries its step, re-published (docs/architecture.md)
    assert _log_ids(client, "?milestone=formal_investigation") == [s.updated, s.new]
    assert _log_ids(client, "?relevant=1&kind=new") == [s.hearing, s.new]
    # Free text: title or summary, case- and accent-insensitive on both databases.
    assert _log_ids(client, "?q=FISCALIA") == [s.updated, s.new]
    assert _log_ids(client, "?q=reglamento") == [s.unrelated]
    assert _log_ids(client, "?q=100%25") == []  # LIKE wildcards are literal
    # Dates are Lima days, "to" included: T0 is 2026-11-20 10:00 in Lima, the edit two days later.
    assert _log_ids(client, "?from=2026-11-22&to=2026-11-22") == [s.updated]
    assert _log_ids(client, "?to=2026-11-20") == [s.unrelated, s.new]
    assert client.get("/changes?from=yesterday").status_code == 400
    # Pages of two, with the total, keeping the filters in the links.
    page = client.get("/changes?case=juliaca-2023&per_page=2")
    assert "4 changes" in page.text and "Page 1 of 2" in page.text
    next_link = BeautifulSoup(page.text, "html.parser").select_one(".pager a[rel=next]")["href"]
    assert "case=juliaca-2023" in next_link and "page=2" in next_link and "per_page=2" in next_link
    assert _log_ids(client, "?case=juliaca-2023&per_page=2&page=2") == [s.hearing, s.new]
    # Review state.
    assert _log_ids(client, "?review=pending&relevant=1") == [s.removed, s.updated, s.hearing, s.new]


@pytest.mark.slow
def test_change_page_has_the_diff_and_both_versions(cw: App, client: TestClient) -> None:
    s = seed(cw)
    with cw.db.read() as session:
        change = get_change(session, s.updated)
        assert change is not None and change.from_version is not None and change.to_version is not None
        before, after = change.from_version, change.to_version
    page = client.get(f"/changes/{s.updated}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    diff = soup.select_one("section.diff").get_text()
    assert "+El juzgado programó la audiencia de control para el 4 de diciembre." in diff
    for version in (before, after):  # the evidence of both versions
        assert version.sha256 in page.text and version.raw_sha256 in page.text
        assert f'href="/versions/{version.id}"' in page.text
    assert '"v1-etag"' in soup.get_text() and '"v2-etag"' in soup.get_text()
    assert "Sun, 22 Nov 2026 14:00:00 GMT" in page.text and "HTTP status" in page.text
    assert "2026-11-22 10:00" in page.text  # detected, in Lima time
    assert "Relevant to Masacre de Juliaca" in soup.select_one("#explanation").get_text()
    side = BeautifulSoup(client.get(f"/changes/{s.updated}?view=side").text, "html.parser")
    added = [td.get_text() for td in side.select("table.sbs td.add")]
    assert added == ["El juzgado programó la audiencia de control para el 4 de diciembre."]
    assert side.select("table.sbs td.ctx")
    # A digest links here: the route is /changes/{id}; unknown ids are a 404 page.
    assert client.get("/changes/999999").status_code == 404
    assert client.get(f"/changes/{s.removed}").status_code == 200


@pytest.mark.slow
def test_document_history_versions_and_raw_bodies(cw: App, client: TestClient) -> None:
    s = seed(cw)
    page = client.get(f"/documents/{s.document}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert [a["href"] for a in soup.select("ol.history a")] == [f"/changes/{s.new}", f"/changes/{s.updated}"]
    with cw.db.read() as session:
        versions = document_versions(session, s.document)
        first_body = raw_bytes(versions[0])
    assert len(versions) == 2 and all(v.sha256 in page.text for v in versions)
    text = client.get(f"/versions/{versions[1].id}")
    assert text.status_code == 200 and "El juzgado programó la audiencia de control" in text.text
    raw = client.get(f"/versions/{versions[0].id}/raw")
    assert raw.status_code == 200 and first_body is not None and raw.content == first_body
    assert raw.headers["content-type"] == "application/octet-stream"
    assert raw.headers["content-disposition"] == f'attachment; filename="version-{versions[0].id}.html"'
    assert raw.headers["content-security-policy"].startswith("sandbox")
    assert client.get("/documents/424242").status_code == 404
    assert client.get("/versions/424242").status_code == 404
    # A withdrawn change leaves the log but stays, struck through, in its document's history.
    with cw.db.write() as session:
        change = get_change(session, s.updated)
        assert change is not None
        change.withdrawn_at, change.withdrawn_reason = T0 + timedelta(days=5), "re-extraction: same text"
    assert s.updated not in _log_ids(client)
    struck = BeautifulSoup(client.get(f"/documents/{s.document}").text, "html.parser").select("li.withdrawn s a")
    assert [a["href"] for a in struck] == [f"/changes/{s.updated}"]


@pytest.mark.slow
def test_timeline_and_atom_feed(cw: App, client: TestClient) -> None:
    s = seed(cw)
    page = client.get("/timeline/juliaca-2023")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    steps = [li.select_one("strong").get_text() for li in soup.select("ol.timeline > li")]
    assert "Formal investigation" in steps and "Hearing" in steps
    assert client.get("/timeline/no-such-case").status_code == 404
    assert client.get("/timeline").status_code == 200

    feed = client.get("/cases/juliaca-2023/feed.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    entries = root.findall(f"{ATOM}entry")
    alternates = [e.find(f"{ATOM}link[@rel='alternate']").get("href") for e in entries]
    assert alternates == [f"{cw.settings.base_url}/changes/{i}" for i in (s.removed, s.updated, s.hearing, s.new)]
    assert [e.findtext(f"{ATOM}id") for e in entries][-1] == f"tag:casewatch,2023:change/{s.new}"
    assert all(e.find(f"{ATOM}title").get("type") == "text" for e in entries)
    assert {c.get("term") for c in entries[-1].findall(f"{ATOM}category")} == {"formal_investigation"}
    assert client.get("/cases/nope/feed.atom").status_code == 404


@pytest.mark.slow
def test_outbox_is_for_reviewers(cw: App, client: TestClient) -> None:
    s = seed(cw)
    built = build_digests(cw.db, cw.config, now=T0 + timedelta(days=4), base_url="http://testserver")
    assert built and built[0].digest_id is not None
    redirect = client.get("/outbox", follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == "/login?next=%2Foutbox"
    assert client.get(f"/outbox/{built[0].digest_id}", follow_redirects=False).status_code == 303
    from tests.web.conftest import login

    login(client)
    page = client.get("/outbox")
    assert page.status_code == 200 and "familias@example.org" in page.text and "pending" in page.text
    item = client.get(f"/outbox/{built[0].digest_id}")
    assert item.status_code == 200 and f'href="/changes/{s.new}"' in item.text
    # Every link a digest carries to the review page resolves (alerts/render.py: {base_url}/changes/{id}).
    with cw.db.read() as session:
        digest = get_digest(session, built[0].digest_id)
        assert digest is not None
        links = set(re.findall(r'href="http://testserver(/changes/\d+)"', digest.html_body))
    assert links and all(client.get(link).status_code == 200 for link in links)


@pytest.mark.slow
def test_security_headers_everywhere(cw: App, client: TestClient) -> None:
    s = seed(cw)
    for path in ("/", "/changes", f"/changes/{s.updated}", "/api/changes", "/cases/juliaca-2023/feed.atom",
                 "/static/style.css", "/changes/999999", "/login"):
        response = client.get(path)
        for header, value in SECURITY_HEADERS.items():
            assert response.headers.get(header) == value, (path, header)
        assert "script-src 'none'" in response.headers["content-security-policy"]
    cookie = TestClient(client.app).get("/login").headers["set-cookie"].lower()  # a new visitor
    assert "httponly" in cookie and "samesite=strict" in cookie


@pytest.mark.slow
def test_json_api_mirrors_the_cli(cw: App, client: TestClient, db_url: str) -> None:
    s = seed(cw)
    cli = ("--config", str(cw.config_dir), "--db", db_url)

    def cli_json(*args: str) -> object:
        result = run_cli(*cli, *args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    changes = client.get("/api/changes?per_page=500")
    assert changes.status_code == 200 and changes.headers["x-total-count"] == "5"
    assert changes.json() == cli_json("changes")
    assert all(set(c) == CHANGE_FIELDS for c in changes.json())
    assert client.get("/api/changes?kind=updated&case=juliaca-2023").json() == cli_json(
        "changes", "--kind", "updated", "--case", "juliaca-2023")
    assert client.get(f"/api/changes/{s.updated}").json() == cli_json("show", str(s.updated))
    assert client.get("/api/sources").json() == cli_json("sources")
    assert client.get("/api/timeline").json() == cli_json("timeline")
    assert client.get("/api/timeline/juliaca-2023?lang=en").json() == cli_json(
        "timeline", "--case", "juliaca-2023", "--lang", "en")
    assert client.get("/api/changes?limit=2&relevant=1").json() == cli_json("changes", "--limit", "2", "--relevant")
    paged = client.get("/api/changes?per_page=2&page=2")
    assert [c["id"] for c in paged.json()] == [s.hearing, s.unrelated]
    assert 'rel="next"' in paged.headers["link"] and 'rel="prev"' in paged.headers["link"]
    assert client.get("/api/changes?case=nope").status_code == 400
    assert client.get("/api/changes?since=soon").status_code == 400
    assert client.get("/api/changes/999999").json() == {"error": "no change with id 999999"}
    history = client.get(f"/api/documents/{s.document}").json()
    assert [c["id"] for c in history["changes"]] == [s.new, s.updated]
    assert [v["http_status"] for v in history["versions"]] == [200, 200]


@pytest.mark.slow
def test_the_page_reads_a_database_written_by_ingest_alone(cw: App, client: TestClient, tmp_path: Path) -> None:
    """No seed helper: one page stored, shown with its hostile-free defaults (an empty database too)."""
    assert client.get("/").status_code == 200 and "No relevant change yet" in client.get("/").text
    change = store(cw, "https://www.gob.pe/mpfn/solo", title="Fiscalía formaliza investigación por la masacre "
                   "de Juliaca", text="La Fiscalía formalizó la investigación por la masacre de Juliaca.")
    assert _log_ids(client) == [change]


@pytest.mark.slow
def test_change_page_shows_each_steps_status_and_never_background(cw: App, client: TestClient) -> None:
    """The change view says whether a step was taken (the main one marked) or only announced, marks an
    edit's re-published step, and never shows a background or requested step as one the document reports."""
    s = seed(cw)
    with cw.db.write() as session:
        change = get_change(session, s.hearing)
        assert change is not None
        change.milestones = [
            {"type": "hearing", "label": "Audiencia", "status": "taken", "primary": True, "evidence": "programó"},
            {"type": "indictment", "label": "Acusación", "status": "announced", "primary": False,
             "evidence": "acusará"},
            {"type": "complaint", "label": "Denuncia", "status": "background", "primary": False,
             "evidence": "la denuncia"},
            {"type": "coercive_measure", "label": "Medida", "status": "requested", "primary": False,
             "evidence": "piden prisión"},
        ]
    steps = BeautifulSoup(client.get(f"/changes/{s.hearing}").text, "html.parser").select("ul.steps li")
    assert [li.get_text(" ", strip=True) for li in steps] == [
        "Hearing taken · main step «programó»", "Indictment announced «acusará»"]
    edit = BeautifulSoup(client.get(f"/changes/{s.updated}").text, "html.parser").select("ul.steps li")
    assert "re-published" in edit[0].get_text() and "Formal" in edit[0].get_text()  # the document's step, again
    log = BeautifulSoup(client.get("/changes").text, "html.parser").get_text(" ")
    assert "Complaint" not in log and "Indictment (announced)" in log
