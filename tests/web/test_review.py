"""Review verdicts on both databases: "irrelevant" takes a change out of digests and teaches ingest a
per-document override (the next fetch of the document is stored as not relevant, explained); reopening
undoes both; every verdict is kept with its reviewer and note."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from starlette.testclient import TestClient

from casewatch.app import App
from pipeline.store.changes import get_change
from pipeline.store.digests import pending_changes_for
from pipeline.store.reviews import change_reviews
from pipeline.store.subscribers import subscriber_by_email
from pipeline.store.timeline import case_timeline
from tests.web.conftest import FORMALIZED, T0, login, seed, store

URL = "https://www.gob.pe/institucion/mpfn/noticias/1001-juliaca"
TITLE = "Fiscalía formaliza investigación por la masacre de Juliaca"


def _review(client: TestClient, csrf: str, change_id: int, action: str, note: str = "") -> None:
    response = client.post(f"/changes/{change_id}/review", data={"action": action, "note": note, "csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/changes/{change_id}"


def _pending_ids(cw: App) -> set[int]:
    with cw.db.read() as session:
        subscriber = subscriber_by_email(session, "familias@example.org")
        assert subscriber is not None
        return {c.id for c in pending_changes_for(session, subscriber)}


@pytest.mark.slow
def test_irrelevant_teaches_ingest_and_reopen_undoes_it(cw: App, client: TestClient) -> None:
    s = seed(cw)
    csrf = login(client)
    assert s.updated in _pending_ids(cw)
    _review(client, csrf, s.updated, "irrelevant", "una nota de prensa repetida")
    with cw.db.read() as session:
        change = get_change(session, s.updated)
        assert change is not None and change.relevant is False and change.review_state == "irrelevant"
        assert change.document.relevance_override == "irrelevant"
        assert [(r.action, r.actor, r.note) for r in change_reviews(session, s.updated)] == [
            ("irrelevant", "ana", "una nota de prensa repetida")]
        # Out of the timeline and the case's feed too.
        assert all(src.change_id != s.updated for e in case_timeline(session, "juliaca-2023") for src in e.sources)
    assert s.updated not in _pending_ids(cw)
    page = client.get(f"/changes/{s.updated}")
    assert f"Change {s.updated} marked irrelevant." in page.text
    assert "marked irrelevant by a reviewer" in page.text and "una nota de prensa repetida" in page.text

    # The next fetch of the document, still about the case, is stored as not relevant and explained.
    later = store(cw, URL, title=TITLE, text=FORMALIZED + "\nLa audiencia se reprogramó para el 11 de diciembre.",
                  now=T0 + timedelta(days=6))
    assert later is not None
    with cw.db.read() as session:
        change = get_change(session, later)
        assert change is not None and change.kind == "updated"
        assert change.relevant is False and change.review_state == "irrelevant"
        assert [link.case_id for link in change.case_links] == ["juliaca-2023"]  # the classifier's view is kept
    assert later not in _pending_ids(cw)
    explanation = BeautifulSoup(client.get(f"/changes/{later}").text, "html.parser").select_one("#explanation")
    assert explanation.get_text().startswith("Not relevant: marked irrelevant by a reviewer")
    assert [c["id"] for c in client.get("/api/changes?relevant=1&per_page=500").json()] == [s.removed, s.hearing,
                                                                                            s.new]

    # Reopening clears the override; the next fetch is relevant again, the reopened change too.
    _review(client, csrf, later, "reopened", "sí es del caso")
    with cw.db.read() as session:
        change = get_change(session, later)
        assert change is not None and change.relevant is True and change.review_state is None
        assert change.document.relevance_override is None
    again = store(cw, URL, title=TITLE, text=FORMALIZED + "\nLa audiencia se realizará el 11 de diciembre.",
                  now=T0 + timedelta(days=7))
    with cw.db.read() as session:
        change = get_change(session, again)  # type: ignore[arg-type]
        assert change is not None and change.relevant is True and change.review_state is None
    assert {later, again} <= _pending_ids(cw)


@pytest.mark.slow
def test_reviewed_keeps_relevance_and_records_history(cw: App, client: TestClient) -> None:
    s = seed(cw)
    csrf = login(client)
    _review(client, csrf, s.new, "reviewed", "confirmado con la carpeta fiscal")
    with cw.db.read() as session:
        change = get_change(session, s.new)
        assert change is not None and change.review_state == "reviewed" and change.relevant is True
        assert change.document.relevance_override is None
    assert s.new in _pending_ids(cw)
    soup = BeautifulSoup(client.get(f"/changes/{s.new}").text, "html.parser")
    buttons = {b["value"] for b in soup.select(".review-form button")}
    assert buttons == {"irrelevant", "reopened"}
    assert "reviewed by ana" in soup.select_one(".reviews").get_text()
    assert [c["id"] for c in client.get("/api/changes?review=reviewed").json()] == [s.new]
    assert _ids_of_log(client, "?review=reviewed") == [s.new]
    history = client.get(f"/api/changes/{s.new}/reviews").json()
    assert [(r["action"], r["actor"], r["note"]) for r in history] == [
        ("reviewed", "ana", "confirmado con la carpeta fiscal")]
    # An unknown verdict or change is refused and records nothing.
    bad = client.post(f"/changes/{s.new}/review", data={"action": "delete", "csrf_token": csrf})
    assert bad.status_code == 400
    assert client.post("/changes/999999/review", data={"action": "reviewed", "csrf_token": csrf}).status_code == 404
    assert len(client.get(f"/api/changes/{s.new}/reviews").json()) == 1


def _ids_of_log(client: TestClient, query: str) -> list[int]:
    soup = BeautifulSoup(client.get("/changes" + query).text, "html.parser")
    return [int(r.select_one("td a").get_text()) for r in soup.select("table.log tbody tr")]
