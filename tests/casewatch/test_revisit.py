"""Revisit policy: known documents a listing no longer shows are re-checked on a decaying
schedule, pinned ones at every crawl, and edits and removals are found on those revisits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
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

    def age(self, slug: str, *, seen: timedelta, checked: timedelta, section: str = "puno") -> None:
        """Pretend the document was first seen ``seen`` ago and last checked ``checked`` ago."""
        now = datetime.now(UTC)
        with self.db.write() as s:
            s.execute(update(Document).where(Document.url == f"{self.site.base}/{section}/{slug}")
                      .values(first_seen_at=now - seen, last_checked_at=now - checked))

    def changes(self) -> list[tuple[str, str]]:
        out = run_cli(*self.cli, "changes", "--json", env=self.env)
        return sorted((c["kind"], c["url"].rsplit("/", 1)[1]) for c in json.loads(out.stdout))


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


# Feed articles are re-checked the way they were stored. "formaliza" is stored from the
# feed's own full text (content:encoded); its page words it differently (outlet suffix in the title,
# a dek, "Lee también"). "archivo" has no full text in the feed: it is followed and stored from its
# page. The site sends no validators (many news sites don't), and its pages change their boilerplate
# at every fetch (a most-read box), so an unchanged article is really extracted again, not skipped.
FEED_SOURCE = """  - id: lr-politica
    name: La República política (réplica)
    kind: news
    spider: feed
    urls: ["{base}/rss/politica.xml"]
    follow: auto
    allow_private: true
    download_delay: 0
"""
FEED_STORIES = {
    "formaliza": ("Fiscalía formaliza investigación contra cuatro policías por la masacre de Juliaca",
                  "La Fiscalía formalizó ayer la investigación preparatoria contra cuatro mandos policiales "
                  "por las muertes del 9 de enero de 2023 en Juliaca."),
    "archivo": ("Fiscalía archiva investigación contra militares por las muertes en Juliaca",
                "La Fiscalía archivó la investigación contra tres oficiales del Ejército por las muertes "
                "en Juliaca."),
}


def _feed(base: str, full_text: dict[str, str]) -> tuple[int, str, bytes]:
    """An Arc XP-style RSS feed; stories in ``full_text`` carry their body in content:encoded."""
    items = []
    for slug, (title, lead) in FEED_STORIES.items():
        content = (f"<content:encoded><![CDATA[<p>{full_text[slug]}</p>]]></content:encoded>"
                   if slug in full_text else "")
        items.append(f"<item><title><![CDATA[{title}]]></title><link>{base}/politica/{slug}?ref=rss</link>"
                     f"<guid isPermaLink=\"true\">{base}/politica/{slug}</guid><description><![CDATA[{lead}]]>"
                     f"</description>{content}<pubDate>Mon, 23 Nov 2026 15:00:00 +0000</pubDate></item>")
    body = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>La República</title>'
            f"{''.join(items)}</channel></rss>")
    return 200, "application/rss+xml; charset=utf-8", body.encode()


def _lr_page(slug: str, body: str, fetch: int) -> tuple[int, str, bytes]:
    title, lead = FEED_STORIES[slug]
    return 200, HTML, (
        f"<html><head><title>{title} | La República</title></head><body><header>menú</header><main>"
        f"<h1>{title}</h1><p class='dek'>{lead}</p><p>{body}</p>"
        f"<p>Lee también: Congreso debate la vacancia</p></main>"
        f"<aside>Lo más leído #{fetch}</aside><footer>pie</footer></body></html>").encode()


@pytest.mark.slow
def test_feed_articles_rechecked_like_with_like_record_only_real_edits(db_url: str, tmp_path: Path) -> None:
    """Five consecutive re-checks (daily revisits, then `pin`) of unchanged feed
    articles record no change; an edit records exactly one, whichever way the article was stored."""
    formaliza = ("La Fiscalía formalizó ayer la investigación preparatoria contra cuatro mandos policiales por "
                 "las muertes del 9 de enero de 2023 en Juliaca. La carpeta fiscal suma seis víctimas.")
    archivo = "La Fiscalía archivó la investigación contra tres oficiales del Ejército por las muertes en Juliaca."
    with LocalSite({}, etags=False) as site:
        fetches = {"formaliza": 0, "archivo": 0}

        def pages(edits: dict[str, str] | None = None) -> None:
            for slug, body in {"formaliza": formaliza, "archivo": archivo, **(edits or {})}.items():
                fetches[slug] += 1
                site.routes[f"/politica/{slug}"] = _lr_page(slug, body, fetches[slug])

        site.routes["/rss/politica.xml"] = _feed(site.base, {"formaliza": formaliza})
        pages()
        w = Setup(tmp_path, db_url, site, extra=FEED_SOURCE.format(base=site.base))
        site.routes.update({"/puno": _listing("fiscalia"), "/puno/fiscalia": _article("fiscalia")})  # the other source

        def recheck(how: str) -> list[str]:
            if how == "daily":
                for slug in ("formaliza", "archivo"):
                    w.age(slug, seen=timedelta(days=3), checked=timedelta(days=1, minutes=5), section="politica")
            pages()  # same articles, other boilerplate bytes
            site.log.clear()
            done = run_cli(*w.cli, "crawl", env=w.env)
            assert done.returncode == 0, done.stderr
            return sorted(p for p, _ in site.log if p.startswith("/politica/"))

        def changes() -> list[tuple[str, str]]:
            out = run_cli(*w.cli, "changes", "--json", env=w.env)
            return sorted((c["kind"], c["url"].rsplit("/", 1)[1]) for c in json.loads(out.stdout)
                          if "/politica/" in c["url"])

        w.crawl()
        assert changes() == [("new", "archivo"), ("new", "formaliza")]
        for how in ("daily", "daily", "daily", "pin", "pin"):
            if how == "pin":  # from the fourth re-check on, pinned: re-checked at every crawl
                for slug in ("formaliza", "archivo"):
                    assert run_cli(*w.cli, "pin", f"{site.base}/politica/{slug}", env=w.env).returncode == 0
            # the feed is the same (not re-read); both articles are re-checked at their own URL
            assert recheck(how) == ["/politica/archivo", "/politica/formaliza"], how
        assert changes() == [("new", "archivo"), ("new", "formaliza")]

        # An edit of the followed article's page: found on the revisit, once.
        edited = archivo.replace("tres oficiales", "cinco oficiales")
        pages({"archivo": edited})
        archivo = edited
        recheck("pin")
        # An edit of the feed article's own text in the feed: found by the feed, once.
        formaliza = formaliza.replace("seis víctimas", "nueve víctimas")
        site.routes["/rss/politica.xml"] = _feed(site.base, {"formaliza": formaliza})
        recheck("pin")
        for how in ("pin", "daily", "pin", "daily", "pin"):
            recheck(how)
        assert changes() == [("new", "archivo"), ("new", "formaliza"), ("updated", "archivo"),
                             ("updated", "formaliza")]
        updated = {c["url"].rsplit("/", 1)[1]: c for c in json.loads(
            run_cli(*w.cli, "changes", "--kind", "updated", "--json", env=w.env).stdout) if "/politica/" in c["url"]}
        assert "cinco oficiales" in updated["archivo"]["diff"] and "nueve víctimas" in updated["formaliza"]["diff"]

        # The feed article's page deleted: still noticed (two 404s in a row), without a text comparison.
        site.routes.pop("/politica/formaliza")
        for _ in range(2):
            assert run_cli(*w.cli, "crawl", env=w.env).returncode == 0
        assert ("removed", "formaliza") in changes()
