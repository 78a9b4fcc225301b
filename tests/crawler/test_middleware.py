"""AddressGuardMiddleware: no file:/data: URLs, no private addresses unless the source allows them.

Private and IPv4-embedding addresses, every hop: catalogue row A12 in tests/reliability/test_config_guard.py.
"""

from __future__ import annotations

import socket
from types import SimpleNamespace
from typing import Any

import pytest

from crawler.middlewares import AddressGuardMiddleware
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import run_spider

ADDRESSES = {"public.example": "93.184.216.34", "intranet.example": "10.1.2.3", "v6.example": "::1"}


def fake_resolver(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
    if host not in ADDRESSES:
        raise socket.gaierror("unknown host")
    family = socket.AF_INET6 if ":" in ADDRESSES[host] else socket.AF_INET
    return [(family, socket.SOCK_STREAM, 6, "", (ADDRESSES[host], port))]


def guard(allow_private: bool = False) -> AddressGuardMiddleware:
    crawler = SimpleNamespace(spider=SimpleNamespace(source=SimpleNamespace(allow_private=allow_private)),
                              stats=None)
    return AddressGuardMiddleware(crawler, resolver=fake_resolver)  # type: ignore[arg-type]


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "data:text/html,<p>x</p>", "ftp://example.pe/x", "s3://bucket/key", "//no-scheme",
])
def test_non_http_schemes_refused_even_when_private_allowed(url: str) -> None:
    assert guard().refusal(url, allow_private=True)


def test_public_and_unresolvable_pass() -> None:
    assert guard().refusal("https://public.example/x", allow_private=False) is None
    assert guard().refusal("https://unknown.example/x", allow_private=False) is None  # DNS error later


@pytest.mark.slow
def test_real_crawl_refuses_loopback_without_allow_private() -> None:
    with LocalHTTPServer() as server:
        server.set_route("/page", body="<html><body><main><p>secreto</p></main></body></html>")
        source = {"id": "guarded", "name": "g", "kind": "news", "spider": "page", "urls": [server.url("/page")],
                  "allow_private": True}
        run = run_spider("crawler.spiders.page:PageSpider", source, allow_private=False)
        assert server.requests == []
    assert run.items == []
    assert any("address guard refused" in e and "/page" in e and "127.0.0.1" in e for e in run.errors)
