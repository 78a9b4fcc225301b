"""A site redesign: `empty` runs, one unhealthy alert after N runs, the digest section, one recovery alert."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from casewatch.localsite import LocalSite
from tests.support.cli import CASE_FILE, run_cli

CARD = """<article class="news"><h2 class="news__title"><a href="/puno/{slug}">{title}</a></h2>
<time datetime="2026-11-2{n}T09:00:00-05:00">2{n} de noviembre</time><p class="news__summary">{summary}</p></article>"""
CARDS = [
    ("fiscalia-amplia-investigacion", "Fiscalía amplía investigación por las muertes en Juliaca",
     "La fiscalía amplió la investigación por la masacre de Juliaca del 9 de enero de 2023 contra Dina Boluarte."),
    ("heladas", "Heladas en Puno: alerta por bajas temperaturas", "El Senamhi advierte heladas en la sierra sur."),
]
OK_PAGE = ("<html><body><header>RPP</header><main>"
           + "".join(CARD.format(slug=s, title=t, summary=d, n=i) for i, (s, t, d) in enumerate(CARDS))
           + "</main><footer>pie</footer></body></html>").encode()
# The same news after a redesign: the cards are now <div class="card-nota">, the selector finds nothing.
REDESIGNED = OK_PAGE.replace(b'<article class="news">', b'<div class="card-nota">').replace(b"</article>", b"</div>")

SOURCES = """maintainers: [mantenimiento@example.org]
sources:
  - id: rpp-puno
    name: RPP Puno (réplica)
    kind: news
    spider: listing
    urls: ["{base}/puno"]
    follow: never
    allow_private: true
    download_delay: 0
    params: {{item: article.news, link: "h2.news__title a::attr(href)", title: h2.news__title a,
              date: "time::attr(datetime)", summary: p.news__summary}}
"""
SUBSCRIBERS = """subscribers:
  - {email: familias@example.org, name: Familias, language: es, cases: [juliaca-2023], frequency: daily}
"""


def _outbox(var: Path) -> list[str]:
    folder = var / "outbox"
    if not folder.is_dir():
        return []
    subjects = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        subjects.append(str(message["Subject"]))
    return subjects


def _alerts(var: Path, kind: str) -> list[str]:
    return [s for s in _outbox(var) if s.startswith("[casewatch] source rpp-puno") and kind in s]


@pytest.mark.slow
def test_redesign_makes_one_alert_a_digest_section_and_one_recovery(db_url: str, tmp_path: Path) -> None:
    var = tmp_path / "var"
    config = tmp_path / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "subscribers.yaml").write_text(SUBSCRIBERS, encoding="utf-8")
    env = {"CASEWATCH_VAR_DIR": str(var)}
    with LocalSite({"/puno": (200, "text/html; charset=utf-8", OK_PAGE)}) as site:
        (config / "sources.yaml").write_text(SOURCES.format(base=site.base), encoding="utf-8")
        cli = ("--config", str(config), "--db", db_url)

        def crawl() -> str:
            done = run_cli(*cli, "crawl", env=env)
            assert done.returncode == 0, done.stderr
            runs = json.loads(run_cli(*cli, "sources", "--json", env=env).stdout)
            return runs[0]["last_run"]["status"]

        assert crawl() == "ok"
        site.routes["/puno"] = (200, "text/html; charset=utf-8", REDESIGNED)
        assert [crawl(), crawl()] == ["empty", "empty"]
        assert _alerts(var, "unhealthy") == []
        assert crawl() == "empty"  # the third bad run in a row (unhealthy_after: 3, the default)
        assert _alerts(var, "unhealthy") == [
            "[casewatch] source rpp-puno is unhealthy: the last 3 runs found no items: source rpp-puno: "
            f"{site.base}/puno yielded no items (structure changed?): selector 'article.news' matched nothing"]
        assert crawl() == "empty"
        assert len(_alerts(var, "unhealthy")) == 1  # one alert per turn, not one per run

        listed = run_cli(*cli, "sources", env=env).stdout
        assert "UNHEALTHY" in listed and "unhealthy: the last 3 runs found no items" in listed
        health = json.loads(run_cli(*cli, "sources", "--json", env=env).stdout)[0]
        assert health["health"] == "unhealthy" and "found no items" in health["health_reason"]

        digest = run_cli(*cli, "digest", env=env)
        assert digest.returncode == 0, digest.stderr
        digest_file = next(p for p in (var / "outbox").glob("*.eml")
                           if "familias@example.org" in p.read_text(encoding="utf-8", errors="replace"))
        message = email.message_from_bytes(digest_file.read_bytes(), policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        for body in (text, html):
            assert "Estado de las fuentes" in body and "RPP Puno (réplica)" in body
            # in the subscriber's language; the English technical reason went to the maintainers
            assert "Las últimas 3 revisiones no encontraron publicaciones" in body and "found no items" not in body

        site.routes["/puno"] = (200, "text/html; charset=utf-8", OK_PAGE)
        assert crawl() == "ok"
        assert _alerts(var, "recovered") == ["[casewatch] source rpp-puno recovered"]
        assert crawl() == "ok"
        assert len(_alerts(var, "recovered")) == 1 and len(_alerts(var, "unhealthy")) == 1
        assert "UNHEALTHY" not in run_cli(*cli, "sources", env=env).stdout
