"""Catalogue rows A12-A15 and B8: what a config (or a redirect, or DNS) may not make casewatch do.

Config-time checks load real config folders; fetch-time checks run AddressGuardMiddleware, in real
crawls (child processes, loopback servers) where a resolver hook answers DNS: no test touches real DNS.
Rows G9 (secrets never shown) and G10 (config writable by others) are in test_secrets_never_shown.py
and test_config_permissions.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from config.files import MAX_BYTES
from config.schema import is_private_host, load_config
from crawler.middlewares import AddressGuardMiddleware
from tests.config.test_load_config import _copy, _duplicate_id, _edit, _one_error, _set
from tests.support.config_folder import _config, _load_error, _one_source
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import ROOT, run_spider

PAGE = "crawler.spiders.page:PageSpider"

# Each form reaches the IPv4 address after '->' (kernel mapping, NAT64 gateway, 6to4 relay, Teredo).
EMBEDDED = {
    "::ffff:127.0.0.1": "127.0.0.1 (IPv4-mapped)",
    "::127.0.0.1": "127.0.0.1 (IPv4-compatible)",
    "::ffff:0:7f00:1": "127.0.0.1 (IPv4-translated)",
    "64:ff9b::a9fe:a9fe": "169.254.169.254 (NAT64)",
    "64:ff9b:1::a00:1": "10.0.0.1 (local NAT64)",
    "2002:7f00:1::1": "127.0.0.1 (6to4)",
    "2002:c0a8:101::1": "192.168.1.1 (6to4)",
    "2001:0:4136:e378:8000:63bf:80ff:fffe": "127.0.0.1 (Teredo client, obfuscated)",
}
PRIVATE = ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
           "::1", "fc00::1", "fe80::1", *EMBEDDED]
LEGACY_IPV4 = ["127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1"]  # what resolvers accept for 127.0.0.1
PUBLIC = ["93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34", "64:ff9b::5db8:d822", "2002:5db8:d822::1"]


def _url(address: str) -> str:
    return f"http://[{address}]/x" if ":" in address else f"http://{address}/x"


# Fetch time: the middleware with a resolver hook (A12, A13).
ANSWERS: dict[str, list[str]] = {
    "public.test": ["93.184.216.34"],
    "mixed.test": ["93.184.216.34", "10.0.0.7"],  # one public and one private A record
    **{f"h{i}.test": [a] for i, a in enumerate(PRIVATE)},
    "rebind.test": ["127.0.0.1"],  # what the attacker's DNS answers once the source is configured
}


def hook_resolver(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
    """getaddrinfo's shape, from ANSWERS; real crawls load it through ADDRESSGUARD_RESOLVER."""
    if host not in ANSWERS:
        raise socket.gaierror(socket.EAI_NONAME, "unknown host")
    return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in ANSWERS[host]]


def _guard(allow_private: bool = False) -> AddressGuardMiddleware:
    crawler = SimpleNamespace(spider=SimpleNamespace(source=SimpleNamespace(allow_private=allow_private)),
                              stats=None)
    return AddressGuardMiddleware(crawler, resolver=hook_resolver)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# A12: private addresses, IPv6 forms embedding IPv4 and mixed DNS answers, at config and fetch time


@pytest.mark.parametrize("address", PRIVATE + LEGACY_IPV4)
def test_A12_private_and_embedded_addresses_refused_at_config_time(tmp_path: Path, address: str) -> None:
    line = _load_error(_config(tmp_path, _one_source(_url(address))))
    assert line.endswith(f"sources.yaml: sources[0].urls[0]: URL points to a private or loopback address: "
                         f"{_url(address)!r} (set allow_private: true to allow it)"), line


@pytest.mark.parametrize("address", PUBLIC)
def test_A12_public_addresses_and_their_embedded_forms_pass(tmp_path: Path, address: str) -> None:
    assert not is_private_host(address)
    assert load_config(_config(tmp_path, _one_source(_url(address)))).sources[0].urls == (_url(address),)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://localhost:8080/", "http://10.0.0.1/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/", "http://localhost./", "http://127.1/",
    *(_url(a) for a in EMBEDDED),  # literals
    *(f"http://h{i}.test/" for i in range(len(PRIVATE))),  # names resolving to each private address
    "http://mixed.test/",
])
def test_A12_private_refused_at_fetch_time_unless_allowed(url: str) -> None:
    reason = _guard().refusal(url, allow_private=False)
    assert reason and ("private, loopback or link-local" in reason or "non-global address" in reason), reason
    assert _guard().refusal(url, allow_private=True) is None


def test_A12_every_hop_is_checked_by_the_middleware() -> None:
    mw = _guard()
    first = Request("http://93.184.216.34/start")
    assert asyncio.run(mw.process_request(first)) is None
    for target in ("http://169.254.169.254/latest/meta-data/", "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
                   "http://[::127.0.0.1]/admin"):
        with pytest.raises(IgnoreRequest, match="private, loopback or link-local"):
            asyncio.run(mw.process_request(first.replace(url=target)))  # what a redirect produces
    with pytest.raises(IgnoreRequest, match="scheme"):
        asyncio.run(_guard(allow_private=True).process_request(Request("file:///etc/passwd")))
    assert asyncio.run(_guard(allow_private=True).process_request(Request("http://127.0.0.1/"))) is None


@pytest.mark.slow
def test_A12_redirect_to_nat64_form_of_loopback_refused_in_a_real_crawl() -> None:
    """The source may reach its own server (127.0.0.1), not 127.0.0.1 again spelled as NAT64."""
    with LocalHTTPServer() as server:
        port = server.base_url.rsplit(":", 1)[1]
        location = f"http://[64:ff9b::7f00:1]:{port}/admin"
        server.set_route("/moved", status=302, headers={"Location": location})
        server.set_route("/admin", body="<html><body><main><p>panel interno</p></main></body></html>")
        run = run_spider(PAGE, {"id": "a12", "name": "a", "kind": "news", "spider": "page",
                                "urls": [server.url("/moved")]}, allow_private=["127.0.0.1"])
        assert server.requests == ["/robots.txt", "/moved"]
    assert run.items == []
    assert any("address guard refused" in e and "64:ff9b::7f00:1" in e and "private, loopback" in e
               for e in run.errors), run.errors


# ---------------------------------------------------------------------------------------------
# A13: DNS rebinding


@pytest.mark.slow
def test_A13_host_public_when_configured_private_when_fetched_is_refused_in_a_real_crawl(tmp_path: Path) -> None:
    """Config accepts the name (no private literal); at fetch time it resolves to loopback: nothing fetched."""
    with LocalHTTPServer() as server:
        port = server.base_url.rsplit(":", 1)[1]
        server.set_route("/page", body="<html><body><main><p>interno</p></main></body></html>")
        url = f"http://rebind.test:{port}/page"
        config = load_config(_config(tmp_path, _one_source(url)))  # configured: accepted
        run = run_spider(PAGE, config.sources[0], allow_private=False,
                         settings={"ADDRESSGUARD_RESOLVER": f"{__name__}.hook_resolver"})
        assert server.requests == []
    assert run.items == []
    assert any("address guard refused" in e and "rebind.test resolves to non-global address 127.0.0.1" in e
               for e in run.errors), run.errors


PIN_PROBE = """
import asyncio, json
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from twisted.internet import defer, reactor, task
from scrapy import Request
from scrapy.resolver import CachingThreadedResolver, dnscache
from tests.reliability.test_config_guard import ANSWERS, _guard

async def main():
    ANSWERS["flip.test"] = ["93.184.216.34"]  # public when the guard looks
    await _guard().process_request(Request("http://flip.test/x"))
    ANSWERS["flip.test"] = ["127.0.0.1"]  # private when the downloader looks again
    if "flip.test" not in dnscache:  # the downloader would ask DNS itself: report, never query
        return {"connects_to": None}
    resolver = CachingThreadedResolver(reactor, 10000, 5.0)  # Scrapy's default DNS_RESOLVER
    return {"connects_to": await resolver.getHostByName("flip.test").asFuture(asyncio.get_event_loop())}

def run(_reactor):
    return defer.Deferred.fromFuture(asyncio.ensure_future(main())).addCallback(lambda r: print(json.dumps(r)))

task.react(run)
"""


@pytest.mark.slow
def test_A13_the_downloader_connects_to_the_address_the_guard_checked() -> None:
    """Rebinding inside a crawl: public for the guard, private a moment later. The downloader's resolver
    (Scrapy's, on a running reactor) answers with the address the guard judged, not a fresh lookup."""
    proc = subprocess.run([sys.executable, "-c", PIN_PROBE], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"connects_to": "93.184.216.34"}
    mw = _guard()
    assert mw._resolve("mixed.test", 80)[0] == "host mixed.test resolves to non-global address 10.0.0.7"


# ---------------------------------------------------------------------------------------------
# A14: backslash in the authority


def test_A14_backslash_url_refused_at_config_and_fetch_time(tmp_path: Path) -> None:
    url = "http://169.254.169.254:8888\\@example.org/"
    yaml_url = url.replace("\\", "\\\\")
    root = _config(tmp_path, f'sources:\n  - {{id: barra, name: B, kind: news, spider: page, urls: ["{yaml_url}"]}}\n')
    assert _load_error(root).endswith(f"sources.yaml: sources[0].urls[0]: invalid URL {url!r}")
    assert _guard(allow_private=True).refusal(url, allow_private=True) == "URL has a backslash in its host part"


# ---------------------------------------------------------------------------------------------
# A15: non-network schemes


@pytest.mark.parametrize("url", ["file:///etc/passwd", "file:/etc/passwd", "FILE:///etc/passwd",
                                 "source:file:///etc/passwd", "javascript:alert(1)", "data:text/html,<p>x</p>",
                                 "ftp://example.pe/a.pdf"])
def test_A15_non_http_source_urls_refused(tmp_path: Path, url: str) -> None:
    line = _load_error(_config(tmp_path, _one_source(url)))
    assert line == f"{tmp_path / 'config' / 'sources.yaml'}: sources[0].urls[0]: only http and https URLs are " \
                   f"allowed, not {url!r}"
    assert _guard().refusal(url, allow_private=True)  # and at fetch time, even for a trusted source


def test_A15_file_and_data_handlers_disabled_in_scrapy_settings() -> None:
    from crawler.runner import crawler_settings

    handlers = crawler_settings().getdict("DOWNLOAD_HANDLERS")
    assert handlers["file"] is None and handlers["data"] is None


# ---------------------------------------------------------------------------------------------
# B8: malformed config: one line naming file and field; nothing half-parsed is returned


B8_MISTAKES = [
    pytest.param(_set(3, urls=None), r"sources\.yaml: sources\[3\]\.urls: required field is missing$",
                 id="missing-url"),
    pytest.param(_set(2, schedule="61 * * * *"),
                 r"sources\.yaml: sources\[2\]\.schedule: invalid cron expression '61 \* \* \* \*' \(.*59.*\)$",
                 id="bad-cron"),
    pytest.param(_set(3, urll="https://example.org/"), r"sources\.yaml: sources\[3\]\.urll: unknown field$",
                 id="unknown-field"),
    pytest.param(_set(6, enabled="yes please"),
                 r"sources\[6\]\.enabled: Input should be a valid boolean.*'yes please'",
                 id="wrong-type"),
    pytest.param(_duplicate_id,
                 r"sources\.yaml: sources\[4\]\.id: duplicate source id '[a-z0-9-]+' \(also sources\[1\]\)$",
                 id="duplicate-id"),
]


@pytest.mark.parametrize(("change", "expected"), B8_MISTAKES)
def test_B8_malformed_source_config_is_one_line_naming_file_and_field(tmp_path: Path, change: Any,
                                                                        expected: str) -> None:
    import re

    root = _copy(tmp_path)
    _edit(root / "sources.yaml", change)
    line = _one_error(root)
    assert line.startswith(str(root / "sources.yaml") + ": ") or line.startswith("config/sources.yaml: ")
    assert re.search(expected, line), line


def _billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("params", [
    pytest.param(_billion_laughs(), id="billion-laughs"),  # 72 aliases, 9^9 strings once expanded
    pytest.param("".join(f"k{i}: &x{i} [1]\n" for i in range(101)) + "refs: [" +
                 ", ".join(f"*x{i}" for i in range(101)) + "]\n", id="101-aliases"),
    pytest.param("a: &a [*a]\n", id="recursive"),
])
def test_B8_yaml_alias_bomb_in_params_refused_before_expansion(tmp_path: Path, params: str) -> None:
    indented = "".join(f"      {line}\n" for line in params.splitlines())
    yaml_text = ("sources:\n  - id: bomba\n    name: B\n    kind: news\n    spider: page\n"
                 "    urls: ['https://example.org/']\n    params:\n" + indented)
    code = ("import resource, sys, time\nfrom config.schema import ConfigError, load_config\n"
            "t = time.monotonic()\ntry:\n    load_config(sys.argv[1])\nexcept ConfigError as e:\n"
            "    print(e)\nprint(round(time.monotonic() - t, 3))\n"
            # VmHWM: this process image's own peak (ru_maxrss would include the forking pytest worker's)
            "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))\n")
    root = _config(tmp_path, yaml_text)
    # A child process with a 1 GiB address-space cap: the old code needed ~3 GB for this file.
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
    proc = subprocess.run([sys.executable, "-c", limit + code, str(root)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    error, seconds, max_rss_kb = proc.stdout.strip().splitlines()
    assert error.startswith(f"{root / 'sources.yaml'}: ") and "\n" not in error
    assert "alias" in error.lower() or "expand" in error.lower(), error
    assert float(seconds) < 2.0
    assert int(max_rss_kb) < 300_000  # the interpreter with pydantic and PyYAML: well under 300 MB


def test_B8_config_file_over_the_size_limit_refused(tmp_path: Path) -> None:
    root = _config(tmp_path, _one_source("https://example.org/") + "# " + "x" * MAX_BYTES + "\n")
    assert _load_error(root) == f"{root / 'sources.yaml'}: larger than 1 MiB: not read (config files are small)"
