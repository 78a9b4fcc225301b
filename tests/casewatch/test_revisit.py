"""Revisit policy (issue 6): known documents a listing no longer shows are re-checked on a decaying
schedule, pinned ones at every crawl, and edits and removals are found on those revisits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from casewatch.localsite import LocalSite
from config.schema import DEFAULT_REVISIT
from pipeline import revisit
from pipeline.store.models import Document
from pipeline.store.session import Database
from tests.support.cli import CASE_FILE, run_cli

HTML = "text/html; charset=utf-8"
CARD = '<article class="news"><h2 class="t"><a href="/puno/{slug}">{title}</a></h2></article>'
ARTICLE = ("<html><body><header>menú</header><main><h1>{title}</h1><p>{body}</p></main>"
           "<footer>pie</footer></body></html>")
STORIES = {
    "fiscalia": ("Fiscalía cita a declarar a jefes policiales por Juliaca",
                 "La fiscalía citó a declarar a los jefes policiales por las muertes en Juliaca."),
    "congreso": ("Congreso debate denuncia constitucional por Juliaca",
                 "El Congreso debatió la denuncia constitucional contra Dina Boluarte por Juliaca."),
}
SOURCES = """sources:
  - id: rpp-puno
    name: RPP Puno (réplica)
    kind: news
    spider: listing
    urls: ["{base}/puno"]
    follow: always
    allow_private: true
    download_delay: 0
    params: {{item: article.news, link: "h2.t a::attr(href)", title: h2.t a}}
{extra}"""


def _listing(*slugs: str) -> tuple[int, str, bytes]:
    cards = "".join(CARD.format(slug=s, title=STORIES[s][0]) for s in slugs)
    return 200, HTML, f"<html><body><main>{cards}</main></body></html>".encode()


def _article(slug: str, body: str | None = None) -> tuple[int, str, bytes]:
    title, text = STORIES[slug]
    return 200, HTML, ARTICLE.format(title=title, body=body or text).encode()


class Setup:
    def __init__(self, tmp: Path, db_url: str, site: LocalSite, extra: str = "") -> None:
        config = tmp / "config"
        (config / "cases").mkdir(parents=True)
        (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
        (config / "sources.yaml").write_text(SOURCES.format(base=site.base, extra=extra), encoding="utf-8")
        self.cli = ("--config", str(config), "--db", db_url)
        self.env = {"CASEWATCH_VAR_DIR": str(tmp / "var")}
        self.site, self.db = site, Database(db_url)

    def crawl(self) -> list[str]:
        """Crawl; return the article paths fetched (not the listing, not robots.txt)."""
        self.site.log.clear()
        done = run_cli(*self.cli, "crawl", env=self.env)
        assert done.returncode == 0, done.stderr
        return sorted(p for p, _ in self.site.log if p.startswith("/puno/"))

    def age(self, slug: str, *, seen: timedelta, checked: timedelta) -> None:
        """Pretend the document was first seen ``seen`` ago and last checked ``checked`` ago."""
        now = datetime.now(UTC)
        with self.db.write() as s:
            s.execute(update(Document).where(Document.url == f"{self.site.base}/puno/{slug}")
                      .values(first_seen_at=now - seen, last_checked_at=now - checked))

    def changes(self) -> list[tuple[str, str]]:
        out = run_cli(*self.cli, "changes", "--json", env=self.env)
        return sorted((c["kind"], c["url"].rsplit("/", 1)[1]) for c in json.loads(out.stdout))


def test_dropped_documents_are_revisited_when_due_and_edits_and_removals_found(db_url: str, tmp_path: Path) -> None:
    routes = {"/puno": _listing("fiscalia", "congreso"), "/puno/fiscalia": _article("fiscalia"),
              "/puno/congreso": _article("congreso")}
    with LocalSite(routes) as site:
        w = Setup(tmp_path, db_url, site)
        assert w.crawl() == ["/puno/congreso", "/puno/fiscalia"]
        site.routes["/puno"] = _listing("congreso")  # a newer story pushed "fiscalia" off the listing
        site.routes["/puno/fiscalia"] = _article("fiscalia", "La fiscalía archivó la investigación por Juliaca.")
        assert w.crawl() == ["/puno/congreso"]  # checked minutes ago: not due yet

        w.age("fiscalia", seen=timedelta(days=3), checked=timedelta(days=1, minutes=5))  # daily while young
        assert w.crawl() == ["/puno/fiscalia"]  # the listing answered 304; only the revisit was fetched
        assert ("updated", "fiscalia") in w.changes()

        site.routes.pop("/puno/fiscalia")  # deleted from the site
        w.age("fiscalia", seen=timedelta(days=3), checked=timedelta(days=2))
        assert w.crawl() == ["/puno/fiscalia"]  # first 404: not removed yet
        assert ("removed", "fiscalia") not in w.changes()
        # A 404 is confirmed at the very next crawl, not a day later.
        assert w.crawl() == ["/puno/fiscalia"]
        assert ("removed", "fiscalia") in w.changes()


def test_old_documents_are_revisited_rarely_and_pinned_ones_always(db_url: str, tmp_path: Path) -> None:
    routes = {"/puno": _listing("fiscalia", "congreso"), "/puno/fiscalia": _article("fiscalia"),
              "/puno/congreso": _article("congreso")}
    with LocalSite(routes) as site:
        w = Setup(tmp_path, db_url, site)
        w.crawl()
        site.routes["/puno"] = _listing()  # both pushed off the listing
        w.age("fiscalia", seen=timedelta(days=40), checked=timedelta(days=6))  # weekly between 2 weeks and 3 months
        w.age("congreso", seen=timedelta(days=200), checked=timedelta(days=20))  # monthly after that
        assert w.crawl() == []
        w.age("fiscalia", seen=timedelta(days=40), checked=timedelta(days=8))
        w.age("congreso", seen=timedelta(days=200), checked=timedelta(days=31))
        assert w.crawl() == ["/puno/congreso", "/puno/fiscalia"]
        assert w.crawl() == []  # just checked

        pinned = run_cli(*w.cli, "pin", f"{site.base}/puno/congreso", env=w.env)
        assert pinned.returncode == 0 and "pinned:" in pinned.stdout
        assert w.crawl() == ["/puno/congreso"]
        assert w.crawl() == ["/puno/congreso"]
        assert run_cli(*w.cli, "pin", "--off", f"{site.base}/puno/congreso", env=w.env).returncode == 0
        assert w.crawl() == []

        unknown = run_cli(*w.cli, "pin", f"{site.base}/puno/nunca", env=w.env)
        assert unknown.returncode == 1 and "no stored document" in unknown.stderr and "Traceback" not in unknown.stderr


def test_revisits_per_crawl_are_capped_longest_unchecked_first(db_url: str, tmp_path: Path) -> None:
    routes = {"/puno": _listing("fiscalia", "congreso"), "/puno/fiscalia": _article("fiscalia"),
              "/puno/congreso": _article("congreso")}
    with LocalSite(routes) as site:
        w = Setup(tmp_path, db_url, site, extra="scheduler: {revisit_max_per_crawl: 1}\n")
        w.crawl()
        site.routes["/puno"] = _listing()
        w.age("fiscalia", seen=timedelta(days=5), checked=timedelta(days=2))
        w.age("congreso", seen=timedelta(days=5), checked=timedelta(days=3))
        assert w.crawl() == ["/puno/congreso"]
        assert w.crawl() == ["/puno/fiscalia"]  # the other one waited one crawl
        assert w.crawl() == []


def test_tiers_split_documents_by_age() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    tiers = revisit.tiers(DEFAULT_REVISIT, now)
    assert [(t.seen_after, t.seen_until, now - t.checked_before) for t in tiers] == [
        (now - timedelta(days=14), None, timedelta(days=1)),
        (now - timedelta(days=90), now - timedelta(days=14), timedelta(days=7)),
        (None, now - timedelta(days=90), timedelta(days=30)),
    ]
