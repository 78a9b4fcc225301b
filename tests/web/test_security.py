"""Acceptance, on both databases: (2) scraped markup is inert text on every route, and (3) every
state-changing route refuses requests without a login and logged-in requests without a valid CSRF token.

Both walk the app's own route table, so a route added later is covered (or fails here, asking for a
parameter value) without editing these tests.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from itertools import product
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from alerts.digest import build_digests
from casewatch.app import App, UserError
from casewatch.web.app import create_app
from casewatch.web.auth import UNSAFE_METHODS, parse_reviewers, token_digest
from pipeline.store.changes import get_change
from pipeline.store.models import Change, Document, Review
from pipeline.store.outbox import outbox_page
from tests.web.conftest import (
    EN,
    FORMALIZED,
    OTHER_TOKEN,
    T0,
    TOKEN,
    auth_config,
    csrf_of,
    login,
    seed,
    store,
    write_config,
)

# ------------------------------------------------------------------------------ the route table


def _routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Route):
            yield prefix + route.path, route
        elif isinstance(route, Mount):
            yield from _routes(list(route.routes or []), prefix + route.path)


def _fill(path: str, values: dict[str, str]) -> str:
    """``/changes/{change_id:int}`` -> ``/changes/12``; an unknown parameter fails, naming the route."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            pytest.fail(f"route {path} has parameter {name!r}: give it a value in this test")
        return values[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", one, path)


def _unsafe(app: Any) -> list[tuple[str, str, str]]:
    """(method, path template, route name) of every state-changing route."""
    return [(method, path, route.name) for path, route in _routes(app.routes)
            for method in sorted((route.methods or set()) & UNSAFE_METHODS)]


def _get_routes(app: Any) -> list[tuple[str, str]]:
    return [(path, route.name) for path, route in _routes(app.routes) if "GET" in (route.methods or set())]


def _state(cw: App) -> tuple[Any, ...]:
    """Everything a review action could change."""
    with cw.db.read() as session:
        reviews = session.query(Review).count()
        changes = sorted((c.id, c.relevant, c.review_state) for c in session.query(Change))
        docs = sorted((d.id, d.relevance_override) for d in session.query(Document))
    return reviews, changes, docs


def _logged_in(client: TestClient, change_id: int) -> bool:
    return "Log in to review this change" not in client.get(f"/changes/{change_id}", headers=EN).text


# ---------------------------------------------------------------- login and CSRF on every action


@pytest.mark.slow
def test_every_state_changing_route_needs_a_login_and_a_csrf_token(cw: App, client: TestClient) -> None:
    s = seed(cw)
    values = {"change_id": str(s.updated), "document_id": str(s.document), "case_id": "juliaca-2023"}
    # The one explicit exemption, the RFC 8058 one-click unsubscribe: tests/reliability/test_unsubscribe.py.
    unsafe = [route for route in _unsafe(client.app) if route[2] != "unsubscribe_post"]
    assert {name for _, _, name in unsafe} >= {"login_post", "logout", "review"}, unsafe
    body = {"action": "irrelevant", "note": "probe"}
    start = _state(cw)
    for method, template, name in unsafe:
        url = _fill(template, values)
        before = _state(cw)  # an earlier route's control may have changed it
        # Without authentication: refused with and without a (valid, anonymous) CSRF token.
        anonymous = TestClient(client.app)
        token = csrf_of(anonymous.get("/login").text)
        if name == "login_post":  # the login form is the authentication: wrong or no credentials
            for credentials in ({}, {"name": "ana", "token": "wrong-token-000000"}, {"name": "eve", "token": TOKEN}):
                response = anonymous.request(method, url, data={"csrf_token": token, **credentials},
                                             follow_redirects=False)
                assert response.status_code == 401, (name, credentials, response.status_code)
            assert not _logged_in(anonymous, s.updated)
        else:
            for data in ({**body, "csrf_token": token}, body):
                response = anonymous.request(method, url, data=data, follow_redirects=False)
                assert response.status_code in (401, 403), (name, response.status_code)
        assert _state(cw) == before, name

        # Authenticated, without a valid CSRF token: refused.
        user = TestClient(client.app)
        own = login(user) if name != "login_post" else csrf_of(user.get("/login").text)
        credentials = {"name": "ana", "token": TOKEN} if name == "login_post" else {}
        foreign = csrf_of(TestClient(client.app).get("/login").text)  # another session's token
        attempts: list[tuple[dict[str, str], dict[str, str]]] = [
            ({**body, **credentials}, {}),
            ({**body, **credentials, "csrf_token": ""}, {}),
            ({**body, **credentials, "csrf_token": own[:-2] + "xx"}, {}),
            ({**body, **credentials, "csrf_token": foreign}, {}),
            ({**body, **credentials}, {"X-CSRF-Token": foreign}),
            ({**body, **credentials, "csrf_token": own}, {"Origin": "http://evil.example"}),
            ({**body, **credentials, "csrf_token": own}, {"Origin": "null"}),
            ({**body, **credentials, "csrf_token": own}, {"Referer": "http://evil.example/page"}),
        ]
        for data, headers in attempts:
            response = user.request(method, url, data=data, headers=headers, follow_redirects=False)
            assert response.status_code == 403, (name, data.get("csrf_token"), headers, response.status_code)
        assert _state(cw) == before, name
        if name == "login_post":
            assert not _logged_in(user, s.updated)
        # The control: the same request with the token (and our own Origin) goes through.
        response = user.request(method, url, data={**body, **credentials, "csrf_token": own},
                                headers={"Origin": "http://testserver"}, follow_redirects=False)
        assert response.status_code == 303, (name, response.status_code, response.text[:300])
    assert _state(cw) != start  # the review control ran


def test_oversized_or_unmeasured_forms_are_refused_unread(cw: App, client: TestClient) -> None:
    s = seed(cw)
    csrf = login(client)
    huge = client.post(f"/changes/{s.new}/review", data={"action": "reviewed", "csrf_token": csrf,
                                                          "note": "x" * 70_000})
    assert huge.status_code == 413

    def chunks() -> Iterator[bytes]:
        yield f"action=reviewed&csrf_token={csrf}".encode()

    unmeasured = client.post(f"/changes/{s.new}/review", content=chunks(),
                             headers={"content-type": "application/x-www-form-urlencoded"})
    assert unmeasured.status_code == 413
    assert _state(cw)[0] == 0


def test_create_app_refuses_an_unprotected_state_changing_route(cw: App) -> None:
    from starlette.responses import PlainTextResponse

    from casewatch.web import app as web_app

    async def sneaky(request: Any) -> PlainTextResponse:
        return PlainTextResponse("changed")

    with pytest.raises(RuntimeError, match="/sneaky: state-changing route without"):
        web_app.check_protected([Route("/sneaky", sneaky, methods=["POST"])])


@pytest.mark.slow
def test_without_reviewers_actions_are_refused_and_the_page_says_how(cw: App) -> None:
    s = seed(cw)
    client = TestClient(create_app(cw, auth=auth_config("")), headers=EN)
    page = client.get("/login").text
    assert "CASEWATCH_REVIEWERS" in page and "No reviewers are configured" in page
    assert "CASEWATCH_REVIEWERS" in client.get("/").text
    token = csrf_of(page) if 'name="csrf_token"' in page else csrf_of(client.get(f"/changes/{s.new}").text) \
        if 'name="csrf_token"' in client.get(f"/changes/{s.new}").text else ""
    refused = client.post(f"/changes/{s.new}/review", data={"action": "reviewed", "csrf_token": token})
    assert refused.status_code == 403
    login_refused = client.post("/login", data={"name": "ana", "token": TOKEN, "csrf_token": token})
    assert login_refused.status_code == 403
    outbox = client.get("/outbox")
    assert outbox.status_code == 403 and "CASEWATCH_REVIEWERS" in outbox.text


@pytest.mark.slow
def test_login_logout_and_token_rotation(cw: App, client: TestClient) -> None:
    s = seed(cw)
    # After logging in, the form sends the reviewer back where they were, never to another site.
    token = csrf_of(client.get("/login").text)
    for target, expected in (("/changes/1", "/changes/1"), ("https://evil.example/", "/"), ("//evil.example", "/"),
                             ("/\\evil.example", "/")):
        fresh = TestClient(client.app)
        token = csrf_of(fresh.get("/login").text)
        done = fresh.post("/login", data={"csrf_token": token, "name": "ana", "token": TOKEN, "next": target},
                          follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == expected
    # Logging in replaces the session's CSRF token (nothing from before the login carries over).
    before = csrf_of(client.get("/login").text)
    after = login(client)
    assert before != after and _logged_in(client, s.new)
    assert client.post("/logout", data={"csrf_token": after}, follow_redirects=False).status_code == 303
    assert not _logged_in(client, s.new)
    # A changed token ends the sessions made with the old one.
    luis = TestClient(client.app)
    login(luis, "luis", OTHER_TOKEN)
    assert _logged_in(luis, s.new)
    rotated = create_app(cw, auth=auth_config(f"ana:{TOKEN},luis:a-brand-new-token-42"))
    rotated.state.auth.secret_key = client.app.state.auth.secret_key
    moved = TestClient(rotated, cookies=dict(luis.cookies))
    assert not _logged_in(moved, s.new)


def test_reviewer_configuration() -> None:
    hashed = token_digest("a-long-token-for-ana").hex()
    reviewers = parse_reviewers(f" ana:sha256:{hashed} , luis:another-long-token ")
    assert set(reviewers) == {"ana", "luis"} and reviewers["ana"].digest == token_digest("a-long-token-for-ana")
    auth = auth_config(f"ana:sha256:{hashed}")
    assert auth.authenticate("ana", "a-long-token-for-ana") is not None
    assert auth.authenticate("ana", "sha256:" + hashed) is None  # the hash is not a password
    for bad, message in (("ana:short", "too short"), ("ana", "expected name:token"),
                         ("ana:long-enough-token,ana:long-enough-token", "listed twice"),
                         ("<b>:long-enough-token", "expected name:token")):
        with pytest.raises(UserError, match=message):
            parse_reviewers(bad)


# ------------------------------------------------------------------------ scraped markup stays inert

SCRIPT = '<script>window.__pwned = 1; alert("script")</script>'
HOSTILE = (f'{SCRIPT} <img src=x onerror="alert(\'onerror\')"> '
           '<a href="javascript:alert(\'link\')" onclick="alert(\'onclick\')">pulsa aquí</a> '
           '<svg onload=alert(1)> <iframe src="javascript:alert(2)"></iframe> "><script>alert(3)</script> '
           "<body onload=alert(4)> <meta http-equiv=refresh content=\"0;url=javascript:alert(5)\">")
HOSTILE_URL = "javascript:alert(document.cookie)//masacre-de-juliaca"
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data", "poster", "background", "xlink:href", "srcdoc")
FORBIDDEN_TAGS = ("script", "iframe", "frame", "object", "embed", "applet", "svg", "math", "img", "base", "body")


def _live(html: str, parser: str) -> list[str]:
    """Anything in the parsed page that a browser could run: scripts, handlers, script URLs, refreshes."""
    soup = BeautifulSoup(html, parser)
    found: list[str] = []
    for tag in soup.find_all(True):
        if tag.name in FORBIDDEN_TAGS and not (tag.name == "body" and not tag.attrs):
            found.append(f"<{tag.name}> element")
        if tag.name == "meta" and tag.get("http-equiv"):
            found.append(f"meta http-equiv={tag.get('http-equiv')}")
        for attr, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if attr.lower().startswith("on"):
                found.append(f"<{tag.name} {attr}=...>")
            if attr.lower() in URL_ATTRIBUTES:
                scheme = re.sub(r"[\x00-\x20]", "", text).lower()
                if scheme.startswith(("javascript:", "vbscript:", "data:")) or attr.lower() == "srcdoc":
                    found.append(f"<{tag.name} {attr}={text[:40]!r}>")
            if attr.lower() == "style" and "javascript" in text.lower():
                found.append(f"<{tag.name} style={text[:40]!r}>")
    return found


def _hostile_world(cw: App) -> list[dict[str, str]]:
    """A hostile page stored through ingest (new, then edited), reviewed with a hostile note, and a digest."""
    new = store(cw, HOSTILE_URL, source_id="evil", title=f"Masacre de Juliaca {SCRIPT}",
                text=f"{FORMALIZED}\n{HOSTILE}", summary=HOSTILE, outlet=SCRIPT,
                headers={"ETag": '"><script>alert(6)</script>', "Last-Modified": '<img src=x onerror=alert(7)>',
                         "X-Evil": HOSTILE, "Content-Type": "text/html"},
                body=f"<html><body>{HOSTILE}</body></html>".encode())
    updated = store(cw, HOSTILE_URL, source_id="evil", title=f"Masacre de Juliaca {SCRIPT}",
                    text=f"{FORMALIZED}\n{HOSTILE}\n<a href=javascript:alert(8) onmouseover=alert(9)>más</a>",
                    summary=HOSTILE, now=T0 + timedelta(days=1))
    # An http(s) URL is a link: quotes and markup in it must stay inside the attribute.
    linked = store(cw, 'https://evil.example/nota?x="><script>alert(12)</script>&y=\'onmouseover=alert(13)',
                   source_id="evil", title=f"Juliaca: {SCRIPT}", text=f"{FORMALIZED}\n{HOSTILE}",
                   now=T0 + timedelta(hours=5))
    assert new is not None and updated is not None and linked is not None
    build_digests(cw.db, cw.config, now=T0 + timedelta(days=2), base_url="http://testserver")
    worlds = []
    with cw.db.read() as session:
        digest, _ = outbox_page(session)
        assert digest, "the hostile changes should be in a digest"
        for change_id in (updated, linked):
            change = get_change(session, change_id)
            assert change is not None and change.relevant and change.to_version is not None
            worlds.append({"change_id": str(change_id), "document_id": str(change.document_id),
                           "version_id": str(change.to_version.id), "digest_id": str(digest[0].id),
                           "case_id": "juliaca-2023", "token": str(digest[0].unsubscribe_url).rsplit("/", 1)[-1]})
    return worlds


@pytest.fixture
def hostile_app(db_url: str, tmp_path: Path) -> Iterator[App]:
    config = write_config(tmp_path)
    with (config / "sources.yaml").open("a", encoding="utf-8") as f:
        f.write('  - {id: evil, name: "<script>alert(\'source\')</script>", kind: news, spider: page, '
                'urls: ["https://evil.example/"], schedule: 1h}\n')
    app = App(config_dir=config, db_url=db_url)
    yield app
    app.db.dispose()


@pytest.mark.slow
def test_hostile_markup_is_inert_text_on_every_route(hostile_app: App) -> None:
    cw = hostile_app
    worlds = _hostile_world(cw)
    values = worlds[0]
    client = TestClient(create_app(cw, auth=auth_config()))
    csrf = login(client)  # the reviewer's view: forms, the outbox
    noted = client.post(f"/changes/{values['change_id']}/review",
                        data={"action": "reviewed", "note": HOSTILE, "csrf_token": csrf}, follow_redirects=False)
    assert noted.status_code == 303
    extra = {  # reflected parameters and error pages too (the language links repeat the query string)
        "dashboard": ["?lang=" + quote(SCRIPT), "?lang=en&x=" + quote('"><script>alert(14)</script>')],
        "changes": ["?q=" + quote(SCRIPT) + "&source=" + quote('"><script>alert(10)</script>'),
                    "?from=" + quote(SCRIPT)],
        "change": ["?view=side"],
        "login": ["?next=" + quote("javascript:alert(11)")],
        "outbox": ["?page=" + quote(SCRIPT)],
        "api_changes": ["?q=" + quote(SCRIPT), "?case=" + quote(SCRIPT)],
        "case_timeline": ["", "../" + quote(SCRIPT)],
    }
    checked = 0
    visits = [(_fill(template, world) + suffix, name) for template, name in _get_routes(client.app)
              if not template.startswith("/static")
              for world in (worlds if "{" in template else worlds[:1]) for suffix in ["", *extra.get(name, [])]]
    for (url, name), lang in product(dict.fromkeys(visits), ("es", "en")):  # both languages' words and links
        response = client.get(url, headers={"accept-language": lang}, follow_redirects=False)
        assert response.status_code in (200, 303, 400, 404), (url, response.status_code)
        kind = response.headers.get("content-type", "")
        if kind.startswith("text/html"):
            for parser in ("html.parser", "lxml"):
                assert _live(response.text, parser) == [], (url, parser)
            checked += 1
        elif "json" in kind:
            json.loads(response.text)
        elif "atom+xml" in kind:
            root = ET.fromstring(response.content)
            assert all(el.tag.startswith("{http://www.w3.org/2005/Atom}") for el in root.iter()), url
            assert all(el.get("type") in (None, "text") for el in root.iter()), url
            assert all(not (el.get("href") or "").lower().startswith("javascript") for el in root.iter()), url
        else:
            assert name == "version_raw" and kind == "application/octet-stream", (url, kind)
            assert response.headers["content-disposition"].startswith("attachment")
    assert checked >= 24
    # The markup is shown, as text, where the reader looks for it.
    page = BeautifulSoup(client.get(f"/changes/{values['change_id']}").text, "html.parser")
    shown = page.get_text()
    assert SCRIPT in shown and "onerror=" in shown and HOSTILE_URL in shown
    assert page.select_one("span.unsafe").get_text() == HOSTILE_URL  # the javascript: URL is not a link
    assert "onclick=" in page.select_one(".reviews blockquote").get_text()
    assert "javascript:alert(8)" in page.select_one("section.diff").get_text()
    feed = client.get("/cases/juliaca-2023/feed.atom")
    titles = [el.text for el in ET.fromstring(feed.content).iter("{http://www.w3.org/2005/Atom}title")]
    assert any(SCRIPT in (t or "") for t in titles)
    related = [el.get("href") for el in ET.fromstring(feed.content).iter("{http://www.w3.org/2005/Atom}link")
               if el.get("rel") == "related"]
    assert HOSTILE_URL not in related


def test_the_checker_finds_live_markup() -> None:
    """The inertness check itself can fail: raw hostile markup trips it with both parsers."""
    for parser in ("html.parser", "lxml"):
        found = _live(f"<html><body><p>{HOSTILE}</p></body></html>", parser)
        assert any("script" in f for f in found) and any("onerror" in f for f in found), found
        assert any("javascript" in f for f in found), found
