"""Reliability catalogue, section G (the review web page), on both databases, through the real app.

The route table is walked, so a route added later must be classified here (public read, reviewer
read, or state-changing action) or the tests fail. G8-G10 are in test_review_page.py,
test_secrets_never_shown.py and test_config_permissions.py; the tests of tests/web/test_security.py
(login + CSRF on every action, inert scraped markup on every route) stay where they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from alerts import unsubscribe
from casewatch.app import App
from casewatch.web import auth
from casewatch.web.auth import PROTECTED, UNSAFE_METHODS
from pipeline.store.documents import get_document
from pipeline.store.models import Change, Review, Version
from pipeline.store.runs import record_failed_run
from tests.web.conftest import EN, Seeded, client, csrf_of, cw, login, seed, store  # noqa: F401 - fixtures

# Every GET route anyone may read (the change log of a public record is public), by path template.
PUBLIC = frozenset({
    "/", "/changes", "/changes/{change_id:id}", "/documents/{document_id:id}", "/versions/{version_id:id}",
    "/versions/{version_id:id}/raw", "/timeline", "/timeline/{case_id}", "/login",
    "/api/changes", "/api/changes/{change_id:id}", "/api/changes/{change_id:id}/reviews", "/api/sources",
    "/api/timeline", "/api/timeline/{case_id}", "/api/documents/{document_id:id}", "/cases/{case_id}/feed.atom",
    "/unsubscribe/{token}",  # a subscriber's own signed link: shows a button, changes nothing on GET
})
REVIEWERS_ONLY = frozenset({"/outbox", "/outbox/{digest_id:id}"})  # the digests: who gets what
ACTIONS = frozenset({"/changes/{change_id:id}/review", "/login", "/logout"})  # POST, through auth.action
# POST without session or CSRF token by design (RFC 8058 one-click, sent by mail providers): the signed
# token in the URL is the proof (auth.exempt, tested in test_unsubscribe.py)
EXEMPT = frozenset({"/unsubscribe/{token}"})


def routes(items: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for item in items:
        if isinstance(item, Route):
            yield prefix + item.path, item
        elif isinstance(item, Mount) and item.routes:
            yield from routes(list(item.routes), prefix + item.path)


def fill(template: str, s: Seeded, digest_id: int = 1, *, cw: App | None = None) -> str:  # noqa: F811
    values = {"change_id": s.updated, "document_id": s.document, "version_id": 1, "case_id": "juliaca-2023",
              "digest_id": digest_id}
    if cw is not None and "{token}" in template:
        values["token"] = unsubscribe.token(unsubscribe.signing_key(cw.db), "familias@example.org")
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values[m.group(1)]), template)


def state(cw: App) -> tuple[Any, ...]:  # noqa: F811
    with cw.db.read() as session:
        return (sorted(session.scalars(select(Review.id))),
                sorted(session.execute(select(Change.id, Change.relevant, Change.review_state)).all()))


def test_G1_every_route_is_public_by_list_or_needs_a_reviewer(cw: App, client: TestClient) -> None:  # noqa: F811
    s = seed(cw)
    table = list(routes(client.app.routes))  # type: ignore[attr-defined]
    gets = {path for path, r in table if "GET" in (r.methods or set())}
    unsafe = {path: r for path, r in table if (r.methods or set()) & UNSAFE_METHODS}
    assert gets == PUBLIC | REVIEWERS_ONLY, f"classify new routes: {gets ^ (PUBLIC | REVIEWERS_ONLY)}"
    assert set(unsafe) == ACTIONS | EXEMPT, set(unsafe) ^ (ACTIONS | EXEMPT)
    anonymous = TestClient(client.app)
    for path in sorted(gets):
        response = anonymous.get(fill(path, s, cw=cw), follow_redirects=False)
        status = response.status_code
        if path in REVIEWERS_ONLY:  # refused, or sent to the login form
            assert status in (401, 403) or (status == 303 and response.headers["location"].startswith("/login")), \
                (path, status)
            assert "familias@example.org" not in response.text
        else:
            assert status == 200, (path, status)
    # Static: every state-changing endpoint is the wrapper auth.action made (not a handler that merely
    # calls a check), and without a session it refuses.
    for path, route in unsafe.items():
        if path in EXEMPT:  # the exemption is explicit and gives its reason
            assert getattr(route.endpoint, auth.EXEMPT, "").strip(), path
            continue
        assert getattr(route.endpoint, PROTECTED, False) is True, path
        if path != "/login":
            assert anonymous.post(fill(path, s), data={"action": "reviewed"}).status_code in (401, 403), path
    reviewer = TestClient(client.app)
    login(reviewer)
    assert reviewer.get("/outbox").status_code == 200


def test_G2_public_prefixes_do_not_open_their_actions(cw: App, client: TestClient) -> None:  # noqa: F811
    """/changes/{id} is public; /changes/{id}/review under it refuses every method without a reviewer."""
    s = seed(cw)
    before = state(cw)
    anonymous = TestClient(client.app)
    token = csrf_of(anonymous.get("/login").text)
    assert anonymous.get(f"/changes/{s.updated}").status_code == 200
    for method in ("POST", "PUT", "PATCH", "DELETE", "GET"):
        response = anonymous.request(method, f"/changes/{s.updated}/review",
                                     data={"action": "irrelevant", "csrf_token": token}, follow_redirects=False)
        assert response.status_code in (401, 403, 405), (method, response.status_code)
    for path in ("/api/changes", f"/api/changes/{s.updated}", f"/api/changes/{s.updated}/reviews"):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert anonymous.request(method, path, json={"relevant": False}).status_code == 405, (method, path)
    assert state(cw) == before


@pytest.mark.slow
def test_G3_no_state_change_without_a_csrf_token_or_by_get(cw: App, client: TestClient) -> None:  # noqa: F811
    s = seed(cw)
    csrf = login(client)
    before = state(cw)
    for data in ({"action": "irrelevant"}, {"action": "irrelevant", "csrf_token": ""}):
        assert client.post(f"/changes/{s.updated}/review", data=data).status_code in (400, 403)
    for path in (f"/changes/{s.updated}/review", "/logout"):
        assert client.get(path + "?action=irrelevant&csrf_token=" + csrf).status_code == 405, path
    for path, route in routes(client.app.routes):  # type: ignore[attr-defined]
        if "GET" in (route.methods or set()):
            client.get(fill(path, s, cw=cw) + f"?action=irrelevant&csrf_token={csrf}")
    assert state(cw) == before, "a GET changed something"
    assert "Log out" in client.get("/").text, "still logged in: GET /logout did not log out"


HOSTILE_NEXT = ("https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)",
                "\t//evil.example", "/\t/evil.example", "https:evil.example", "%2F%2Fevil.example",
                "data:text/html,<script>alert(1)</script>", "\\\\evil.example")


@pytest.mark.slow
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_G4_login_and_logout_redirect_only_inside(cw: App, client: TestClient, target: str) -> None:  # noqa: F811
    page = client.get("/login", params={"next": target})
    hidden = BeautifulSoup(page.text, "html.parser").find("input", {"name": "next"})
    assert hidden is not None and _internal(str(hidden["value"])), hidden
    csrf = csrf_of(page.text)
    done = client.post("/login", data={"csrf_token": csrf, "name": "ana", "token": "ana-token-0123456789",
                                       "next": target}, follow_redirects=False)
    assert done.status_code == 303 and _internal(done.headers["location"]), done.headers.get("location")
    csrf = csrf_of(client.get("/changes").text)
    out = client.post("/logout", data={"csrf_token": csrf, "next": target}, follow_redirects=False)
    assert out.status_code == 303 and _internal(out.headers["location"]), out.headers.get("location")


def _internal(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\")) and \
        not any(ord(c) < 32 for c in location)


SCRIPT = "<script>window.__pwned = 1</script>"


def test_G5_stored_script_is_inert_in_diff_version_and_raw(cw: App, client: TestClient) -> None:  # noqa: F811
    url = "https://www.gob.pe/institucion/mpfn/noticias/7-juliaca"
    text = "La Fiscalía de Juliaca informa sobre la masacre del 9 de enero de 2023."
    body = f"<html><body><main><p>{text}</p>{SCRIPT}</main></body></html>".encode()
    store(cw, url, title=f"Comunicado {SCRIPT}", text=f"{text}\n{SCRIPT}", body=body)
    changed = store(cw, url, title=f"Comunicado {SCRIPT}", text=f"{text}\n{SCRIPT}\n<img src=x onerror=alert(1)>",
                    body=body + b"<img src=x onerror=alert(1)>", now=datetime(2026, 11, 25, tzinfo=UTC))
    with cw.db.read() as session:
        versions = list(session.scalars(select(Version.id).order_by(Version.id)))
    for path in (f"/changes/{changed}", f"/versions/{versions[-1]}", f"/documents/{_doc(cw, url)}"):
        page = client.get(path)
        assert page.status_code == 200, path
        soup = BeautifulSoup(page.text, "html.parser")
        assert not soup.find_all("script") and not soup.find_all("img", onerror=True), path
        assert "&lt;script&gt;window.__pwned" in page.text, path
        assert "script-src 'none'" in page.headers["content-security-policy"]
    raw = client.get(f"/versions/{versions[-1]}/raw")
    assert raw.status_code == 200 and raw.content.endswith(b"<img src=x onerror=alert(1)>")
    assert not raw.headers["content-type"].startswith("text/html")
    assert raw.headers["content-disposition"].startswith("attachment")
    assert raw.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in raw.headers["content-security-policy"]


def _doc(cw: App, url: str) -> int:  # noqa: F811
    with cw.db.read() as session:
        document = get_document(session, url)
        assert document is not None
        return document.id


ECHOES = ("/timeline/<script>alert(1)</script>", "/cases/<script>alert(1)</script>/feed.atom",
          "/changes?kind=<script>alert(1)</script>", "/changes?since=<script>alert(1)</script>",
          "/changes?source=<script>alert(1)</script>", "/changes?case=<script>alert(1)</script>",
          "/changes?milestone=<script>alert(1)</script>", "/changes?page=<script>alert(1)</script>",
          "/api/timeline/<script>alert(1)</script>", "/api/changes?since=<script>alert(1)</script>",
          "/changes/<script>alert(1)</script>", "/login?next=<script>alert(1)</script>")


@pytest.mark.slow
def test_G6_errors_echoing_input_are_escaped(cw: App, client: TestClient) -> None:  # noqa: F811
    seed(cw)
    now = datetime(2026, 11, 26, tzinfo=UTC)
    with cw.db.write() as session:  # a fetch error naming a hostile URL, as a crawl records it
        record_failed_run(session, "mpfn", now, now,
                          "source mpfn: https://www.gob.pe/<script>alert(1)</script> answered HTTP 403")
    for path in (*ECHOES, "/", "/api/sources"):
        response = client.get(path)
        kind = response.headers.get("content-type", "")
        assert response.headers["x-content-type-options"] == "nosniff", path
        if kind.startswith("application/json"):
            continue  # JSON is data: no markup context (and nosniff keeps it from being sniffed as HTML)
        assert "<script>alert(1)" not in response.text, (path, response.status_code)
        assert not BeautifulSoup(response.text, "html.parser").find_all("script"), path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/").text  # the error is shown, escaped


TRAVERSALS = ("/static/%2e%2e/app.py", "/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e%2fapp.py",
              "/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml", "/static/..%5c..%5cpyproject.toml",
              "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/timeline/..%2f..%2fetc%2fpasswd",
              "/changes/1%2f..%2f..%2fpyproject.toml", "/versions/..%2f1/raw", "/cases/..%2f..%2fconfig/feed.atom",
              "/api/documents/1%00", "/static/style.css%00.py")


def test_G7_no_path_traversal_and_no_upload_route(cw: App, client: TestClient) -> None:  # noqa: F811
    seed(cw)
    assert client.get("/static/style.css").status_code == 200
    for path in TRAVERSALS:
        response = client.get(path)
        assert response.status_code in (400, 404), (path, response.status_code)
        for leak in ("def create_app", "[project]", "root:x:0:0", "sources:"):
            assert leak not in response.text, (path, leak)
    # No import, restore or upload feature exists to zip-slip or zip-bomb: no route reads a file upload.
    for path, route in routes(client.app.routes):  # type: ignore[attr-defined]
        if (route.methods or set()) & UNSAFE_METHODS:
            assert path in ACTIONS | EXEMPT, path
    big = client.post("/login", files={"f": ("../../x.zip", b"PK\x03\x04" + b"\0" * 70_000)})
    assert big.status_code in (400, 403, 413), big.status_code
