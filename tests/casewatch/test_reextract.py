"""`casewatch reextract`: after an ignore rule changes, the stored raw bodies are extracted
again, offline, and the changes the rule now ignores are withdrawn (kept as records, gone from the
change log, digests, the timeline and exports) while real edits stay; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select, update

from casewatch.reextract import NotReextractable, extract_version
from config.schema import Source
from crawler.extract.urls import canonical_url
from crawler.items import DocumentItem
from crawler.spiders.base import SourceSpider
from pipeline.store.digests import pending_changes_for
from pipeline.store.models import Change, Version
from pipeline.store.subscribers import subscriber_by_email
from tests.casewatch.evidence_site import EDIT, EMAIL, Watched, page
from tests.crawler.test_golden import _serve, spider_class
from tests.crawler.test_golden import cases as golden_cases
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import run_spider

PATTERN = "    ignore:\n      patterns: ['visitas: \\d+']\n"
SELECTOR = "    ignore:\n      selectors: [.visitas]\n"


def _history(tmp_path: Path, db_url: str) -> tuple[Watched, dict[str, int]]:
    """Four crawls: the visit counter moves every time, the text is edited once (third crawl).

    Returns the change ids by what they are: new, counter (2nd crawl), edit (3rd), counter_again (4th).
    The server is stopped when this returns: nothing can be fetched any more.
    """
    with LocalHTTPServer() as server:
        w = Watched(tmp_path, db_url, server)
        for visits, edited in [(10, False), (11, False), (12, True), (13, True)]:
            w.serve(page(visits, edited=edited))
            w.crawl()
    with w.db.read() as s:
        ids = [c.id for c in s.scalars(select(Change).order_by(Change.id))]
    assert len(ids) == 4
    return w, dict(zip(["new", "counter", "edit", "counter_again"], ids, strict=True))


def _pending(w: Watched) -> list[int]:
    with w.db.read() as s:
        sub = subscriber_by_email(s, EMAIL)
        assert sub is not None
        return [c.id for c in pending_changes_for(s, sub)]


def _stored(w: Watched) -> list[tuple[Any, ...]]:
    with w.db.read() as s:
        versions = [(v.id, v.sha256, v.text, v.title, v.raw_body)
                    for v in s.scalars(select(Version).order_by(Version.id))]
        changes = [(c.id, c.withdrawn_at, c.withdrawn_reason, c.diff)
                   for c in s.scalars(select(Change).order_by(Change.id))]
    return versions + changes


@pytest.mark.slow
def test_a_new_ignore_pattern_withdraws_counter_changes_offline(db_url: str, tmp_path: Path) -> None:
    w, ids = _history(tmp_path, db_url)
    assert [c["id"] for c in w.changes()] == [ids["counter_again"], ids["edit"], ids["counter"], ids["new"]]
    pending = set(_pending(w))  # relevant (the page is about the case); the edit may have gone out at once
    assert {ids["new"], ids["counter"], ids["counter_again"]} <= pending
    with w.db.read() as s:
        raw_before = [(v.raw_body, v.raw_sha256) for v in s.scalars(select(Version).order_by(Version.id))]

    with pytest.raises(OSError):  # the site is down: re-extraction can only use what is stored
        urllib.request.urlopen(w.url, timeout=5)
    w.set_ignore(PATTERN)
    done = w.run("reextract", "--source", "fiscalia", "--json")
    report = json.loads(done.stdout)  # --json: one JSON document on stdout, nothing else
    assert report["dry_run"] is False
    [source] = report["sources"]
    assert source["source"] == "fiscalia" and source["error"] is None
    assert (source["documents"], source["versions"]) == (1, 4)
    assert source["skipped"] == {"pruned": 0, "not_reextractable": 0} and source["problems"] == []
    assert sorted(source["withdrawn"]) == [ids["counter"], ids["counter_again"]]
    assert (source["changes_withdrawn"], source["changes_kept"], source["changes_reinstated"]) == (2, 1, 0)
    assert source["texts_changed"] == 4  # the fingerprints: the counter no longer counts
    assert report["totals"]["changes_withdrawn"] == 2

    # Gone from the change log, the digests and the report export; the real edit stays.
    assert [c["id"] for c in w.changes()] == [ids["edit"], ids["new"]]
    assert set(_pending(w)) == pending - {ids["counter"], ids["counter_again"]}
    exported = json.loads(w.run("export", "--format", "json").stdout)
    assert [r["id"] for r in exported] == [ids["new"], ids["edit"]]
    edit = next(c for c in w.changes() if c["id"] == ids["edit"])
    assert f"+{EDIT}" in edit["diff"] and "visitas" not in edit["diff"]  # its diff recomputed

    # Withdrawn, not deleted: the record says why, and `show` says so.
    with w.db.read() as s:
        row = s.get(Change, ids["counter"])
        assert row is not None and row.withdrawn_at is not None
        assert row.withdrawn_reason and "no longer differ" in row.withdrawn_reason
        assert [(v.raw_body, v.raw_sha256) for v in s.scalars(select(Version).order_by(Version.id))] == raw_before
        shas = [v.sha256 for v in s.scalars(select(Version).order_by(Version.id))]
    assert shas[0] == shas[1] and shas[2] == shas[3] and shas[1] != shas[2]
    shown = w.run("show", str(ids["counter"]))
    assert "WITHDRAWN" in shown.stdout and "no longer differ" in shown.stdout
    shown_json = json.loads(w.run("show", str(ids["counter"]), "--json").stdout)
    assert "no longer differ" in shown_json["withdrawn"]["reason"]
    assert "withdrawn" not in json.loads(w.run("show", str(ids["edit"]), "--json").stdout)

    # Running it again changes nothing; taking the rule back reinstates what it withdrew.
    again = json.loads(w.run("reextract", "--json").stdout)["sources"][0]
    assert (again["texts_changed"], again["changes_withdrawn"], again["changes_reinstated"]) == (0, 0, 0)
    w.set_ignore("")
    back = json.loads(w.run("reextract", "--json").stdout)["sources"][0]
    assert sorted(back["reinstated"]) == [ids["counter"], ids["counter_again"]]
    assert len(w.changes()) == 4


@pytest.mark.slow
def test_a_new_ignore_selector_dry_run_then_for_real(db_url: str, tmp_path: Path) -> None:
    w, ids = _history(tmp_path, db_url)
    before = _stored(w)

    w.set_ignore(SELECTOR)
    dry = w.run("reextract", "--dry-run")
    assert "fiscalia: 1 documents, 4 versions re-extracted, 4 texts changed, 2 changes withdrawn, 1 kept" \
        in dry.stdout, dry.stdout
    assert "nothing was stored" in dry.stderr
    assert _stored(w) == before  # not a byte changed
    assert len(w.changes()) == 4

    done = w.run("reextract")
    assert "2 changes withdrawn" in done.stdout
    assert [c["id"] for c in w.changes()] == [ids["edit"], ids["new"]]
    with w.db.read() as s:
        texts = [v.text for v in s.scalars(select(Version).order_by(Version.id))]
    assert all("visitas" not in t for t in texts) and EDIT in texts[2]  # the selector removed it from the text


@pytest.mark.slow
def test_pruned_and_fragment_versions_are_skipped_and_counted(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'casewatch.db'}"
    w, ids = _history(tmp_path, db_url)
    with w.db.write() as s:
        first, second, third, _ = s.scalars(select(Version.id).order_by(Version.id)).all()
        s.execute(update(Version).where(Version.id == first).values(raw_body=b"", raw_pruned_at=Version.fetched_at))
        # As a feed entry is stored: its XML fragment, fetched at the feed's URL.
        s.execute(update(Version).where(Version.id == third).values(
            raw_body=zlib.compress(b"<item><title>x</title></item>"), fetched_url=w.url + "feed/"))
    w.set_ignore(PATTERN)
    report = json.loads(w.run("reextract", "--json").stdout)["sources"][0]
    assert report["versions"] == 2 and report["skipped"] == {"pruned": 1, "not_reextractable": 1}
    assert len(report["problems"]) == 1 and f"version {third}" in report["problems"][0]
    # Skipped versions keep their stored text, fingerprinted under the current pattern: the counter
    # changes are still withdrawn.
    assert sorted(report["withdrawn"]) == [ids["counter"], ids["counter_again"]]
    text = w.run("reextract")
    assert "skipped 1 pruned, 1 not re-extractable" in text.stdout and "not re-extractable: version" in text.stdout


@pytest.mark.slow
def test_reextract_user_errors(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'casewatch.db'}"
    with LocalHTTPServer() as server:
        w = Watched(tmp_path, db_url, server)
    done = w.run("reextract", "--source", "nope", ok=False)
    assert done.returncode == 1 and done.stdout == ""
    assert re.fullmatch(r"casewatch: unknown source 'nope' \(known: [a-z0-9, -]+\)", done.stderr.strip()), done.stderr
    empty = json.loads(w.run("reextract", "--json").stdout)
    assert empty["sources"][0]["documents"] == 0


def _golden_items(module: str, fixture: Path) -> tuple[type[SourceSpider], Source, list[DocumentItem]]:
    """Crawl one golden fixture as tests/crawler/test_golden.py does; the items with their bodies."""
    spider = spider_class(module)
    spec_path = fixture.with_name(fixture.stem + ".source.yaml")
    spec = (yaml.safe_load(spec_path.read_text(encoding="utf-8")) if spec_path.exists() else None) or {}
    with LocalHTTPServer() as server:
        _serve(server, f"/{fixture.name}", fixture.read_bytes(), fixture.name, {})
        for path, route in (spec.get("routes") or {}).items():
            if "file" in route:
                file = fixture.parent / route["file"]
                _serve(server, path, file.read_bytes(), file.name, route)
            else:
                _serve(server, path, str(route.get("body", "")).encode("utf-8"), "x.html", route)
        data = {"id": fixture.stem.replace("_", "-"), "name": fixture.stem, "kind": "news", "spider": spider.name,
                "urls": [server.url(u) for u in spec.get("urls") or [f"/{fixture.name}"]],
                **(spec.get("source") or {})}
        run = run_spider(spider, data, revisit=[server.url(u) for u in spec.get("revisit") or []])
    source = Source.model_validate({**data, "allow_private": True})
    return spider, source, run.items


@pytest.mark.slow
@pytest.mark.parametrize(("module", "fixture"), [c for c in golden_cases() if c.values[1] is not None])
def test_reextraction_reproduces_every_spiders_extraction(module: str, fixture: Path) -> None:
    """Each stored item, re-extracted offline from its body, gives the text the crawl gave; an item
    whose body is not its own page (a feed entry, a listing card) is reported, never mis-extracted."""
    spider_cls, source, items = _golden_items(module, fixture)
    spider = spider_cls(source=source)
    for item in items:
        if item.status >= 400:
            continue  # a 404/410 stores no version
        version = Version(id=1, raw_body=zlib.compress(item.body), headers=item.headers, http_status=item.status,
                          fetched_url=item.fetched_url, content_type=item.content_type)
        try:
            title, text = extract_version(spider, version, item.url)
        except NotReextractable as exc:
            assert canonical_url(item.fetched_url) != item.url or not (item.title or item.text), (item.url, exc)
            continue
        assert text == item.text, item.url
        assert title == item.title or not title, item.url  # no title: the stored one is kept
