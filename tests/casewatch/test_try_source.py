"""`casewatch try-source`: what a source extracts from a saved file, storing nothing."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from tests.support.cli import ROOT, run_cli

FEED = ROOT / "tests" / "fixtures" / "spiders" / "feed" / "larepublica_politica.xml"


@pytest.mark.slow
def test_try_source_file_json(tmp_path: Path) -> None:
    """The real captured La República RSS 2.0 feed: one item per <item>, each complete, nothing stored."""
    db = tmp_path / "never.db"
    result = run_cli("--db", f"sqlite:///{db}", "try-source", "larepublica-politica", "--file", str(FEED), "--json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert len(items) == len(etree.parse(str(FEED)).getroot().findall("./channel/item")) > 0
    for item in items:
        assert {"url", "title", "published_at", "text"} <= set(item)
        assert item["url"].startswith("https://larepublica.pe/") and "?" not in item["url"]
        assert item["title"] and item["title"] == item["title"].strip()
        assert datetime.fromisoformat(item["published_at"]).utcoffset() is not None
        assert item["text"].strip()
    assert not db.exists(), "try-source stores nothing"


@pytest.mark.slow
def test_try_source_merges_tracking_variants_of_one_article() -> None:
    """El Comercio's real feed lists one article twice (?ref=ecr and ?ref=rss): one document."""
    feed = FEED.with_name("elcomercio_politica.xml")
    items = json.loads(run_cli("try-source", "elcomercio-politica", "--file", str(feed), "--json").stdout)
    links = [el.text for el in etree.parse(str(feed)).getroot().iter("link")][1:]  # [0] is the channel's
    assert len(links) == 5 and len(items) == len({link.split("?")[0] for link in links}) == 4
    assert all("?" not in i["url"] and datetime.fromisoformat(i["published_at"]).utcoffset() for i in items)


@pytest.mark.slow
def test_try_source_la_republica_full_text(tmp_path: Path) -> None:
    items = json.loads(run_cli("try-source", "larepublica-politica", "--file", str(FEED), "--json").stdout)
    assert any(i["title"].startswith("Milagros Samillán") for i in items)
    assert all(len(i["text"]) > 100 for i in items)  # content:encoded, not the one-line dek


@pytest.mark.slow
def test_try_source_mistakes_are_one_line(tmp_path: Path) -> None:
    missing = run_cli("try-source", "larepublica-politica", "--file", str(tmp_path / "nope.xml"))
    assert missing.returncode == 1 and "nope.xml: cannot read" in missing.stderr and "Traceback" not in missing.stderr
    unknown = run_cli("try-source", "no-such-source", "--file", str(FEED))
    assert unknown.returncode == 1 and "unknown source 'no-such-source'" in unknown.stderr


@pytest.mark.slow
def test_try_source_non_feed_reports_error_and_exit_3(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>no es un feed</p></body></html>", encoding="utf-8")
    result = run_cli("try-source", "larepublica-politica", "--file", str(page), "--json")
    assert result.returncode == 3
    assert json.loads(result.stdout) == []
    assert "error:" in result.stderr
