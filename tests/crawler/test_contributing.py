"""CONTRIBUTING.md section 1, followed literally: its YAML entry added to a config, then try-source and crawl.

Only the feed URL is changed (to a local copy of a WordPress feed) and loopback is allowed.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.support.cli import CASE_FILE, run_cli
from tests.support.httpserver import LocalHTTPServer
from tests.support.spiders import ROOT

WORDPRESS_FEED = ROOT / "tests/fixtures/spiders/feed/wayka_filtered.xml"


def documented_entry() -> dict[str, object]:
    """The first ```yaml block of CONTRIBUTING.md: one source entry."""
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", guide, re.DOTALL)
    assert block, "CONTRIBUTING.md lost its YAML example"
    entries = yaml.safe_load(textwrap.dedent(block.group(1)))
    assert isinstance(entries, list) and len(entries) == 1
    return entries[0]


@pytest.mark.slow
def test_a_wordpress_site_is_a_config_entry_only(tmp_path: Path) -> None:
    entry = documented_entry()
    assert entry["spider"] == "feed" and entry["id"] == "radio-santa-rosa"
    with LocalHTTPServer() as server:
        server.set_route("/feed/", body=WORDPRESS_FEED.read_bytes().replace(b"{base}", server.base_url.encode()),
                         headers={"Content-Type": "application/rss+xml; charset=UTF-8"})
        entry = {**entry, "urls": [server.url("/feed/")], "allow_private": True, "download_delay": 0}
        config = tmp_path / "config"
        (config / "cases").mkdir(parents=True)
        (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
        (config / "sources.yaml").write_text(yaml.safe_dump({"sources": [entry]}, allow_unicode=True),
                                             encoding="utf-8")
        cli = ("--config", str(config), "--db", f"sqlite:///{tmp_path / 'c.db'}")

        tried = run_cli(*cli, "try-source", "radio-santa-rosa", "--json")
        assert tried.returncode == 0, tried.stderr
        items = json.loads(tried.stdout)
        titles = sorted(i["title"] for i in items)
        # keywords [Juliaca, Puno, "9 de enero"]: the Congress and Candelaria entries are left out
        assert len(titles) == 3 and all("Congreso" not in t and "Candelaria" not in t for t in titles), titles
        assert all(i["url"].startswith(server.base_url) and "utm_" not in i["url"] for i in items)
        assert all(i["published_at"] and i["text"] for i in items)

        crawled = run_cli(*cli, "crawl", "radio-santa-rosa")
        assert crawled.returncode == 0, crawled.stderr
        assert "3 new" in crawled.stdout
        changes = json.loads(run_cli(*cli, "changes", "--json").stdout)
        assert sorted(c["title"] for c in changes) == titles
