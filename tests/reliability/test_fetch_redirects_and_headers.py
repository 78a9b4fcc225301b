"""Reliability catalogue, section A: redirects (loops, long chains, other schemes) and what a site's
headers may make the crawler do (cookies across hosts, basic auth, a Referrer-Policy naming a Python
path). Real `casewatch crawl` runs against misbehaving servers on 127.0.0.1, as in
test_fetch_hostile.py (the site and its checks: tests/support/hostile_site.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from pydantic import ValidationError
from scrapy.utils.misc import load_object

from config.schema import Source
from crawler.runner import crawler_settings
from tests.support.crawl import crawl, write_config
from tests.support.hostile_site import Site, page
from tests.support.httpserver import LocalHTTPServer, Raw

# ---------------------------------------------------------------------------------------------- A10

@pytest.mark.slow
def test_A10_redirect_loops_and_long_chains_stop(server: LocalHTTPServer, tmp_path: Path) -> None:
    """A -> B -> A, and a chain one hop longer than REDIRECT_MAX_TIMES: ERR naming the path, no hang."""
    hops = crawler_settings().getint("REDIRECT_MAX_TIMES")
    site = Site(server, tmp_path, {"loop": "/loop/a", "chain": "/chain/0"})
    site.crawl_good_first()
    server.set_route("/loop/a", status=302, headers={"Location": "/loop/b"})
    server.set_route("/loop/b", status=302, headers={"Location": "/loop/a"})
    for i in range(hops + 2):
        server.set_route(f"/chain/{i}", status=301, headers={"Location": f"/chain/{i + 1}"})
    result = site.crawl()
    loop = result.failure("loop")
    assert "redirect loop" in loop and loop.endswith(f"{server.url('/loop/b')} -> {server.url('/loop/a')}"), loop
    chain = result.failure("chain")
    assert "max redirections reached" in chain and server.url("/chain/") in chain, chain
    assert server.requests.count("/loop/a") == 2 and server.requests.count("/loop/b") == 1
    assert f"/chain/{hops + 1}" not in server.requests, "no hop beyond REDIRECT_MAX_TIMES is fetched"
    for sid in ("loop", "chain"):
        site.assert_kept(sid)


# ---------------------------------------------------------------------------------------------- A11

SCHEMES = {"file": "file:///etc/passwd", "data": "data:text/html,<main><p>root:x:0:0</p></main>",
           "ftp": "ftp://127.0.0.1/etc/passwd", "s3": "s3://bucket/etc/passwd"}


@pytest.mark.slow
def test_A11_redirects_to_other_schemes_not_followed(server: LocalHTTPServer, tmp_path: Path) -> None:
    site = Site(server, tmp_path, {f"to-{scheme}": f"/to-{scheme}" for scheme in SCHEMES})
    site.crawl_good_first()
    for scheme, target in SCHEMES.items():
        server.set_route(f"/to-{scheme}", status=301, headers={"Location": target})
    result = site.crawl()
    for scheme in SCHEMES:
        line = result.failure(f"to-{scheme}")
        assert site.url(f"to-{scheme}") in line and "301" in line, line
        site.assert_kept(f"to-{scheme}")
    assert "root:" not in result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------- A16, A17

CREDENTIAL_FIELDS = ("headers", "cookies", "http_user", "http_pass", "auth", "authorization", "credentials")


@pytest.mark.slow
def test_A16_no_credentialed_sources_and_site_cookies_stay_on_their_host(server: LocalHTTPServer,
                                                                          tmp_path: Path) -> None:
    """Not applicable as written (no source carries credentials: the schema refuses such fields); the
    cookies a site sets itself are still not sent to another host it redirects to."""
    base = {"id": "s", "name": "s", "kind": "news", "spider": "page", "urls": ["https://example.org/"]}
    for name in CREDENTIAL_FIELDS:
        with pytest.raises(ValidationError, match=name):
            Source.model_validate({**base, name: {"Authorization": "Bearer x"}})
    seen: dict[str, str | None] = {}

    def cookie_page(label: str) -> Callable[[BaseHTTPRequestHandler], None]:
        def write(handler: BaseHTTPRequestHandler) -> None:
            seen[label] = handler.headers.get("Cookie")
            body = page()
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        return write

    port = server.base_url.rsplit(":", 1)[1]
    server.set_route("/login", status=302, headers={"Set-Cookie": "session=secret-1; Path=/",
                                                     "Location": f"http://localhost:{port}/other"})
    server.set_route("/other", Raw(cookie_page("other-host")))
    server.set_route("/login-here", status=302, headers={"Set-Cookie": "session=secret-2; Path=/",
                                                          "Location": "/same"})
    server.set_route("/same", Raw(cookie_page("same-host")))  # the control: the cookie does travel here
    db = f"sqlite:///{tmp_path / 'casewatch.db'}"
    config = write_config(tmp_path, [{"id": "cookies", "urls": [server.url("/login")]},
                                     {"id": "cookies-here", "urls": [server.url("/login-here")]}])
    result = crawl(config, db)
    assert result.returncode == 0, result.stderr
    assert seen == {"other-host": None, "same-host": "session=secret-2"}, seen


def test_A17_no_http_auth_settings(tmp_path: Path) -> None:
    """Not applicable: casewatch never configures basic auth (no HTTP_USER in the project settings, no
    credential field in a source), so HTTPAUTH_DOMAIN has nothing to guard."""
    settings = crawler_settings()
    assert not settings.get("HTTP_USER") and not settings.get("HTTP_PASS")
    base = {"id": "s", "name": "s", "kind": "news", "spider": "page", "urls": ["https://example.org/"]}
    for name in ("http_user", "http_pass", "http_auth_domain"):
        with pytest.raises(ValidationError, match=name):
            Source.model_validate({**base, name: "ana"})


# ---------------------------------------------------------------------------------------------- A18

CANARY_ENV = "REFERRER_CANARY_FILE"


class Canary:
    """What a malicious ``Referrer-Policy: <python path>`` would make an old Scrapy instantiate."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        Path(os.environ[CANARY_ENV]).write_text("loaded")


@pytest.mark.slow
def test_A18_referrer_policy_header_naming_a_python_path_has_no_effect(
        server: LocalHTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata as md
    import tomllib

    from packaging.requirements import Requirement
    from packaging.version import Version

    requirements = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    floor = next(Requirement(r) for r in requirements["dependencies"] if Requirement(r).name == "scrapy")
    assert not floor.specifier.contains("2.14.1") and Version(md.version("scrapy")) >= Version("2.14.2")

    marker = tmp_path / "canary"
    hostile = f"{__name__}.{Canary.__qualname__}"
    server.set_route("/report", body=b"<html><body><main><p>Informe</p><a href='/doc.pdf'>pdf</a></main></body></html>",
                     headers={"Referrer-Policy": hostile})
    server.set_route("/doc.pdf", body=b"%PDF-1.4 broken", headers={"Content-Type": "application/pdf"})
    db = f"sqlite:///{tmp_path / 'casewatch.db'}"
    config = write_config(tmp_path, [{"id": "report", "urls": [server.url("/report")],
                                      "params": {"follow_pdfs": True}}])
    monkeypatch.setenv(CANARY_ENV, str(marker))  # the crawl child inherits it
    crawl(config, db)
    assert "/doc.pdf" in server.requests, "the link was followed (the Referer policy was consulted)"
    assert not marker.exists(), "the Referrer-Policy header loaded a Python object"
    load_object(hostile)()  # the control: the canary does notice being loaded
    assert marker.exists()
