"""A major legal step found by a crawl is mailed in that crawl cycle, once; the next digest names it in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from casewatch.localsite import LocalSite
from tests.support.cli import CASE_FILE, outbox_messages, plain_text, rss_feed, run_cli

MAJOR_TITLE = "Fiscalía formaliza investigación preparatoria por la masacre de Juliaca"
MAJOR_TEXT = ("La Fiscalía formalizó investigación preparatoria en la carpeta fiscal 023-2023 contra mandos "
              "policiales por las muertes del 9 de enero de 2023 en Juliaca.")
MINOR_TITLE = "Tres años después, las familias de la masacre de Juliaca siguen esperando"
MINOR_TEXT = "Familiares de las víctimas del 9 de enero recuerdan a los fallecidos, en sus casas de Juliaca."


@pytest.mark.slow
def test_major_step_mailed_in_the_crawl_cycle_and_referenced_in_the_digest(db_url: str, tmp_path: Path) -> None:
    var = tmp_path / "var"
    config = tmp_path / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "subscribers.yaml").write_text(
        "subscribers:\n  - {email: familias@example.org, name: Familias, cases: [juliaca-2023]}\n", encoding="utf-8")
    env = {"CASEWATCH_VAR_DIR": str(var)}
    with LocalSite() as site:
        site.routes["/feed"] = (200, "application/rss+xml", rss_feed(site.base, [("vigilia", MINOR_TITLE, MINOR_TEXT)]))
        (config / "sources.yaml").write_text(
            f'sources:\n  - {{id: diario, name: Diario, kind: news, spider: feed, urls: ["{site.base}/feed"], '
            f"follow: never, allow_private: true, download_delay: 0}}\n", encoding="utf-8")
        cli = ("--config", str(config), "--db", db_url)

        first = run_cli(*cli, "crawl", env=env)
        assert first.returncode == 0, first.stderr
        assert outbox_messages(var) == []  # a feature is news for the digest, not an immediate alert

        site.routes["/feed"] = (200, "application/rss+xml", rss_feed(site.base, [
            ("vigilia", MINOR_TITLE, MINOR_TEXT), ("formaliza", MAJOR_TITLE, MAJOR_TEXT)]))
        second = run_cli(*cli, "crawl", env=env)
        assert second.returncode == 0, second.stderr
        [alert] = outbox_messages(var)
        assert MAJOR_TITLE in plain_text(alert) and MINOR_TITLE not in plain_text(alert)
        assert "1 immediate alert" in second.stderr

        assert run_cli(*cli, "crawl", env=env).returncode == 0
        assert len(outbox_messages(var)) == 1  # nothing new: no second alert

        digest = run_cli(*cli, "digest", env=env)
        assert digest.returncode == 0, digest.stderr
        [later] = [m for m in outbox_messages(var) if m["Message-ID"] != alert["Message-ID"]]
        text = plain_text(later)
        assert MINOR_TITLE in text and MINOR_TEXT.split(",")[0] in text  # the feature, in full
        assert text.count(MAJOR_TITLE) == 1  # the formalisation: one "already sent" line
        assert "carpeta fiscal 023-2023 contra mandos" not in text
