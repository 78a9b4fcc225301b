"""Every spider x every saved fixture: the spider's output must equal the reviewed golden file.

Fixtures live in ``tests/fixtures/spiders/<spider>/<case>.{xml,html,json}``; ``<case>.expected.json``
is the reviewed output (items, ERROR lines, paths fetched). A missing expected file is written and
the test fails until a person has reviewed it; a spider without any fixture fails.

Optional ``<case>.source.yaml``: ``source`` (Source fields: follow, scope, ignore...), ``urls``
(paths to crawl, default the fixture itself), ``routes`` (path -> {file, status, body, headers},
files relative to the spider's fixture folder), ``revisit`` (paths). ``{base}`` in served fixtures is
replaced by the local server's URL; files without it (the real captured feeds) are served byte for
byte. Every case has its own server; the crawls of all the cases selected run one after another in one
crawl child (``run_spiders``), on one xdist worker (group ``golden``).
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.spiders.base import SourceSpider
from tests.support.httpserver import LocalHTTPServer, Route, guess_type
from tests.support.spiders import ROOT, run_spiders, spider_payload, template

SPIDERS_DIR = ROOT / "crawler" / "spiders"
FIXTURES_DIR = ROOT / "tests" / "fixtures" / "spiders"
FIXTURE_SUFFIXES = (".xml", ".html", ".json", ".pdf")


def spider_modules() -> list[str]:
    return sorted(p.stem for p in SPIDERS_DIR.glob("*.py") if p.stem not in ("__init__", "base"))


def fixture_files(module: str) -> list[Path]:
    folder = FIXTURES_DIR / module
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix in FIXTURE_SUFFIXES and not p.name.endswith(".expected.json")
    )


def cases() -> list[Any]:
    params = []
    for module in spider_modules():
        files = fixture_files(module)
        if not files:
            params.append(pytest.param(module, None, id=f"{module}-NO-FIXTURE"))
        params.extend(pytest.param(module, f, id=f"{module}/{f.stem}") for f in files)
    return params


def spider_class(module: str) -> type[SourceSpider]:
    mod = importlib.import_module(f"crawler.spiders.{module}")
    found = [
        obj for obj in vars(mod).values()
        if inspect.isclass(obj) and issubclass(obj, SourceSpider) and obj.__module__ == mod.__name__
        and getattr(obj, "name", None)
    ]
    assert len(found) == 1, f"crawler/spiders/{module}.py must define exactly one spider, found {found}"
    return found[0]


def _serve(server: LocalHTTPServer, path: str, data: bytes, name: str, extra: dict[str, Any]) -> None:
    if b"{base}" in data:
        data = data.replace(b"{base}", server.base_url.encode())
    headers = {"Content-Type": guess_type(name), **(extra.get("headers") or {})}
    server.set_route(path, Route(int(extra.get("status", 200)), data, headers))


def _start_case(stack: ExitStack, module: str, fixture: Path) -> tuple[LocalHTTPServer, dict[str, Any]]:
    """The case's own server (serving the fixture and its routes) and its crawl's payload."""
    spider = spider_class(module)
    spec_path = fixture.with_name(fixture.stem + ".source.yaml")
    spec = (yaml.safe_load(spec_path.read_text(encoding="utf-8")) if spec_path.exists() else None) or {}
    server = stack.enter_context(LocalHTTPServer())
    _serve(server, f"/{fixture.name}", fixture.read_bytes(), fixture.name, {})
    for path, route in (spec.get("routes") or {}).items():
        if "file" in route:
            file = fixture.parent / route["file"]
            _serve(server, path, file.read_bytes(), file.name, route)
        else:
            body = str(route.get("body", "")).encode("utf-8")
            _serve(server, path, body, "x.html", route)
    source = {
        "id": fixture.stem.replace("_", "-"),
        "name": f"fixture {module}/{fixture.stem}",
        "kind": "news",
        "spider": spider.name,
        "urls": [server.url(u) for u in spec.get("urls") or [f"/{fixture.name}"]],
        **(spec.get("source") or {}),
    }
    return server, spider_payload(spider, source, revisit=[server.url(u) for u in spec.get("revisit") or []])


def run_cases(cases: list[tuple[str, Path]]) -> dict[Path, dict[str, Any]]:
    """Crawl every case in one child; each case's fetched paths, errors and golden items."""
    with ExitStack() as stack:
        started = [_start_case(stack, module, fixture) for module, fixture in cases]
        runs = run_spiders([payload for _, payload in started])
        out = {}
        for (_, fixture), (server, _), run in zip(cases, started, runs, strict=True):
            base = server.base_url
            out[fixture] = {
                "fetched": sorted({p for p in server.requests if p != "/robots.txt"}),
                "errors": template(sorted(run.errors), base),
                "items": run.golden(base),
            }
    return out


@pytest.fixture(scope="module")
def golden_runs(request: pytest.FixtureRequest) -> Iterator[dict[Path, dict[str, Any]]]:
    """The outputs of every golden case this session runs, crawled together once."""
    selected = [(item.callspec.params["module"], item.callspec.params["fixture"])
                for item in request.session.items
                if getattr(item, "originalname", None) == "test_golden" and item.module is request.module
                and item.callspec.params["fixture"] is not None]
    yield run_cases(selected)


@pytest.mark.slow
@pytest.mark.xdist_group("golden")
@pytest.mark.parametrize(("module", "fixture"), cases())
def test_golden(module: str, fixture: Path | None, golden_runs: dict[Path, dict[str, Any]]) -> None:
    if fixture is None:
        pytest.fail(f"spider crawler/spiders/{module}.py has no fixture: save a real response as "
                    f"tests/fixtures/spiders/{module}/<case>.html|xml|json")
    actual = golden_runs[fixture]
    expected_path = fixture.with_name(fixture.stem + ".expected.json")
    if not expected_path.exists():
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.fail(f"wrote {expected_path.relative_to(ROOT)}: review it (titles, canonical URLs, dates, "
                    f"text without boilerplate), then commit it")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected, f"output differs from {expected_path.relative_to(ROOT)}"
