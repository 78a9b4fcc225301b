"""Out-of-range input is a 400 or a 404 on every route, never a 500; absolute links never come from the
Host header; ``--since``/``--until`` refuse what cannot be stored, on the command line too."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from alerts import unsubscribe
from casewatch.app import App
from casewatch.cli import cli
from casewatch.since import BadTime, parse_since, parse_until
from casewatch.web.app import create_app
from casewatch.web.views import LogParams
from config.settings import get_settings
from tests.web.conftest import EN, Seeded, auth_config, login, seed
from tests.web.test_security import _fill, _routes

WEB = Path(__file__).resolve().parents[2] / "casewatch" / "web"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

# Numbers and dates a form would never send: past the id column, past year 9999, NUL, very long.
PATH_VALUES = ["9" * 20, "2147483648", "99999999999", "0", "9999-12-31", "%00", "x" * 2000]
QUERY_VALUES = ["9" * 20, "-1", "99999999999d", "9999-12-31", "0001-01-01", "9999-12-31T23:59:59-12:00",
                "\x00", "x" * 5000]
NOT_5XX = {200, 400, 404}


def known_query_parameters() -> set[str]:
    """Every query parameter the page reads: ``.get("name")`` on the query in casewatch/web, and the change
    log's filters (read by name from ``LogParams.FIELDS``)."""
    found = set(LogParams.FIELDS)
    for module in WEB.glob("*.py"):
        found |= set(re.findall(r'(?:query_params|\bq|\bparams)\.get\(\s*"(\w+)"', module.read_text("utf-8")))
    return found


def valid_path_values(cw: App, s: Seeded) -> dict[str, str]:
    """A value that exists for every path parameter of the route table."""
    key = unsubscribe.signing_key(cw.db)
    assert key is not None
    return {"change_id": str(s.updated), "document_id": str(s.document), "version_id": "1", "digest_id": "1",
            "case_id": "juliaca-2023", "path": "style.css", "token": unsubscribe.token(key, "familias@example.org")}


@pytest.mark.slow
def test_out_of_range_input_on_every_route_is_400_or_404(cw: App) -> None:
    s = seed(cw)
    # Entered: one event loop serves the few thousand requests (not a thread and a loop started for each).
    with TestClient(create_app(cw, auth=auth_config()), headers=EN, raise_server_exceptions=False) as client:
        csrf = login(client)  # the reviewer's view: the outbox and the review form answer too
        known = known_query_parameters()
        assert known >= {"since", "page", "per_page", "limit", "from", "to", "q", "case", "lang", "next", "view"}, known
        valid = valid_path_values(cw, s)
        routes = list(_routes(client.app.routes))
        with_params = [(p, r) for p, r in routes if "{" in p]
        assert {r.name for _, r in with_params} >= {"change", "review", "api_change", "document", "case_feed",
                                                    "outbox_item", "api_case_timeline"}
        bad: list[tuple[str, str, int]] = []
        for template, route in with_params:
            for name in re.findall(r"\{(\w+)", template):
                for value in PATH_VALUES:
                    url = _fill(template, {**valid, name: value})
                    for method in sorted(route.methods or {"GET"}):
                        if method == "HEAD":
                            continue
                        response = client.request(method, url, data={"action": "reviewed", "csrf_token": csrf})
                        if response.status_code not in (400, 404):
                            bad.append((method, url[:80], response.status_code))
        for template, route in routes:
            if "GET" not in (route.methods or {"GET"}):
                continue
            url = _fill(template, valid)
            for name in sorted(known):
                for value in QUERY_VALUES:
                    response = client.get(url, params={name: value})
                    if response.status_code not in NOT_5XX:
                        bad.append(("GET", f"{url}?{name}={value[:30]!r}", response.status_code))
        assert bad == []
        assert client.get("/changes", params={"to": "9999-12-31"}).status_code == 400
        assert client.get("/api/changes", params={"since": "99999999999d"}).json() == {
            "error": "since: '99999999999d' is out of range"}
        assert client.get("/changes", params={"to": "9999-12-30"}).status_code == 200  # the last day that has an end


def test_since_and_until_refuse_what_cannot_be_stored(cw: App) -> None:
    assert parse_since("7d", NOW) == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert parse_until("2026-11-01", NOW) == datetime.fromisoformat("2026-11-02T00:00-05:00")
    for value in ("99999999999d", "9" * 5000 + "d", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00+01:00"):
        with pytest.raises(BadTime, match="out of range"):
            parse_since(value, NOW)
    with pytest.raises(BadTime, match="out of range"):
        parse_until("9999-12-31", NOW)
    with pytest.raises(BadTime, match="expected 7d"):
        parse_until("2026-13-45", NOW)
    runner = CliRunner()
    base = ["--config", str(cw.config_dir), "--db", cw.database_url]
    for args in (["changes", "--since", "99999999999d"], ["export", "--format", "json", "--until", "9999-12-31"]):
        result = runner.invoke(cli, [*base, *args])
        assert result.exit_code == 2, (args, result.output, result.exception)  # click's usage error: exit 1 in main
        assert "is out of range" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_absolute_links_come_from_the_base_url_never_the_host_header(cw: App) -> None:
    s = seed(cw)
    cw.settings = get_settings().model_copy(update={"base_url": "https://casewatch.example.org/"})
    forged = {"host": "evil.example", "x-forwarded-host": "evil.example", **EN}
    client = TestClient(create_app(cw, auth=auth_config()), headers=forged)
    feed = client.get("/cases/juliaca-2023/feed.atom")
    links = [link.get("href") for link in ET.fromstring(feed.content).iter("{http://www.w3.org/2005/Atom}link")
             if link.get("rel") != "related"]
    assert f"https://casewatch.example.org/changes/{s.new}" in links
    assert links and all(h.startswith("https://casewatch.example.org/") for h in links), links
    page = client.get("/api/changes", params={"per_page": 1, "page": 2, "q": "Juliaca"})
    assert page.headers["link"] == (
        '<https://casewatch.example.org/api/changes?per_page=1&q=Juliaca&page=1>; rel="prev", '
        '<https://casewatch.example.org/api/changes?per_page=1&q=Juliaca&page=3>; rel="next"')
    # A trailing slash is not redirected to an address built from the Host header.
    slash = client.get("/changes/", follow_redirects=False)
    assert slash.status_code == 404 and "location" not in slash.headers
    login(client)
    for template, route in _routes(client.app.routes):
        if "GET" in (route.methods or {"GET"}):
            url = _fill(template, valid_path_values(cw, s))
            response = client.get(url, follow_redirects=False)
            assert "evil.example" not in response.text + str(response.headers), url
