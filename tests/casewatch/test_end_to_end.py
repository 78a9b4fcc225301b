"""Local HTTP server -> crawl -> changes -> digest -> a real SMTP server on loopback, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casewatch.demo_site import ARTICLES, MPFN_1, MPFN_2, NGO, ReplicaSite
from tests.support.cli import replica_config, run_cli
from tests.support.contract import CHANGE_FIELDS, SOURCE_FIELDS
from tests.support.smtpd import smtp_server

NEW_CASE = "/noticias/acusacion-mandos-policiales-juliaca/"
UNRELATED = ["/noticias/heladas-juliaca/", "/noticias/seleccion-peruana/", "/noticias/congreso-mesa-directiva/"]



def _bodies(message) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


@pytest.mark.slow
def test_crawl_change_digest_smtp(db_url: str, tmp_path: Path) -> None:
    with ReplicaSite() as site, smtp_server() as smtp:
        config = replica_config(tmp_path, site.base)
        cli = ("--config", str(config), "--db", db_url)
        smtp_env = {"SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none"}

        first = run_cli(*cli, "crawl", "--all")
        assert first.returncode == 0, first.stderr
        assert "5 new" in first.stdout

        # Crawling an unchanged site again: no version, no change.
        again = run_cli(*cli, "crawl")
        assert again.returncode == 0 and "0 new, 0 updated, 0 removed" in again.stdout, again.stdout

        sent = run_cli(*cli, "digest", env=smtp_env)
        assert sent.returncode == 0, sent.stderr
        assert len(smtp.messages) == 1
        text, html = _bodies(smtp.messages[0])
        first_title = ARTICLES["/noticias/fiscalia-amplia-investigacion-juliaca/"]["title"]
        for body in (text, html):
            assert first_title in body and f"{site.base}/noticias/fiscalia-amplia-investigacion-juliaca/" in body
            assert ARTICLES["/noticias/congreso-mesa-directiva/"]["title"] not in body

        # The sites change; two crawls (a removal needs two 404s in a row).
        site.switch(2)
        for _ in range(2):
            assert run_cli(*cli, "crawl").returncode == 0

        changes = json.loads(run_cli(*cli, "changes", "--json").stdout)
        assert all(set(c) == CHANGE_FIELDS for c in changes)
        by_url = {(c["url"], c["kind"]) for c in changes}
        assert (f"{site.base}{NEW_CASE}", "new") in by_url
        assert (f"{site.base}{MPFN_1}", "updated") in by_url
        assert (f"{site.base}{MPFN_2}", "removed") in by_url
        # Visit counters and "hace N horas" changed on the NGO page, outside its content: no change.
        assert [k for u, k in by_url if u == f"{site.base}{NGO}"] == ["new"]
        updated = next(c for c in changes if c["kind"] == "updated")
        assert "+El juzgado de investigación preparatoria programó la audiencia" in updated["diff"]
        assert len(updated["version_sha256"]) == 64 and updated["cases"] == ["juliaca-2023"]
        assert json.loads(run_cli(*cli, "show", str(updated["id"]), "--json").stdout) == updated
        only = json.loads(run_cli(*cli, "changes", "--since", "1d", "--kind", "removed", "--json").stdout)
        assert [(c["url"], c["kind"]) for c in only] == [(f"{site.base}{MPFN_2}", "removed")]

        sources = json.loads(run_cli(*cli, "sources", "--json").stdout)
        assert sources and all(set(s) == SOURCE_FIELDS for s in sources)
        assert {s["last_run"]["status"] for s in sources} == {"ok"}

        assert run_cli(*cli, "digest", env=smtp_env).returncode == 0
        assert len(smtp.messages) == 2
        text, html = _bodies(smtp.messages[1])
        for body in (text, html):
            assert ARTICLES[NEW_CASE]["title"] in body
            assert "Fiscalía formaliza investigación por muertes en Juliaca" in body
            assert "Equipo especial recibe pericias balísticas del caso Juliaca" in body
            for path in UNRELATED:
                assert ARTICLES[path]["title"] not in body

        # Nothing twice: another digest run sends nothing.
        assert run_cli(*cli, "digest", env=smtp_env).returncode == 0
        assert len(smtp.messages) == 2


@pytest.mark.slow
def test_smtp_down_keeps_digest_pending_then_delivers_once(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    with ReplicaSite() as site, smtp_server() as smtp:
        cli = ("--config", str(replica_config(tmp_path, site.base)), "--db", db_url)
        env = {"SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none"}
        assert run_cli(*cli, "crawl").returncode == 0
        smtp.stop()
        down = run_cli(*cli, "digest", env=env)
        assert down.returncode == 3 and "NOT sent" in down.stdout
        # The crawl cycle already filed its immediate alert (to var/outbox: no SMTP during the crawl).
        status = [d for d in json.loads(run_cli(*cli, "digest", "--status", "--json").stdout)
                  if d["kind"] == "digest"]
        assert [(d["status"], d["attempts"]) for d in status] == [("pending", 1)]
        assert f"{smtp.host}:{smtp.port}" in status[0]["last_error"]
        smtp.start()
        assert run_cli(*cli, "digest", env=env).returncode == 0
        assert len(smtp.messages) == 1
        status = [d for d in json.loads(run_cli(*cli, "digest", "--status", "--json").stdout)
                  if d["kind"] == "digest"]
        assert [d["status"] for d in status] == ["sent"]
