"""Legal steps read right from a loopback replica, end to end (real `casewatch crawl`).

A prosecutor release that formalizes and mentions an earlier complaint, a news story on the archiving of a
constitutional complaint, an NGO demand and a page about both configured cases: each change carries only
the step it reports as taken; the first crawl of the sources is a baseline (no immediate alert) and a new
formalization in the next crawl is alerted once, an edit of it never again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from casewatch.localsite import LocalSite
from tests.support.cli import ROOT, outbox_messages, plain_text, rss_feed, run_cli

CASES = ("juliaca-2023", "ayacucho-2022")

RELEASE = ("formaliza", "Fiscalía formaliza investigación preparatoria contra mandos policiales por la masacre de "
           "Juliaca",
           "La Fiscalía formalizó investigación preparatoria en la carpeta fiscal 023-2023 contra cinco mandos "
           "policiales por las muertes del 9 de enero de 2023 en Juliaca. La denuncia penal contra los mandos había "
           "sido presentada por los familiares de las víctimas en 2023.")
ARCHIVING = ("archivo", "Congreso archiva la denuncia constitucional contra Dina Boluarte por la masacre de Juliaca",
             "El Pleno del Congreso archivó este miércoles la denuncia constitucional contra la expresidenta Dina "
             "Boluarte por las muertes del 9 de enero de 2023 en Juliaca. La denuncia, presentada por la Fiscalía de "
             "la Nación en 2024, la acusaba de homicidio calificado.")
DEMAND = ("exigen", "Familias de la masacre de Juliaca exigen justicia a la Fiscalía",
          "La Asociación de Mártires y Víctimas del 9 de enero exigió a la Fiscalía que acuse a los responsables de "
          "las muertes en Juliaca, en un comunicado publicado este lunes. Las familias piden que se dicte prisión "
          "preventiva contra los mandos.")
TWO_CASES = ("dos-casos", "Fiscalía amplía investigación por las muertes en Ayacucho y Juliaca",
             "La Fiscalía amplió por ocho meses el plazo de la investigación preparatoria por las muertes del 15 de "
             "diciembre de 2022 en Ayacucho y del 9 de enero de 2023 en Juliaca. La masacre de Ayacucho dejó diez "
             "muertos en Huamanga; la masacre de Juliaca, dieciocho.")
NEW_FORMALIZATION = ("militares", "Fiscalía formaliza investigación contra militares por las muertes en Juliaca",
                     "La Fiscalía formalizó ayer investigación preparatoria contra tres oficiales del Ejército por "
                     "las muertes del 9 de enero de 2023 en Juliaca, en la carpeta fiscal 031-2023.")
EDITED = (NEW_FORMALIZATION[0], NEW_FORMALIZATION[1],
          NEW_FORMALIZATION[2] + " La disposición fue notificada a las defensas de los oficiales.")


def _config(tmp: Path, base: str) -> Path:
    """Both configured cases, a prosecutor, a news outlet and an NGO; one daily subscriber of both cases."""
    config = tmp / "config"
    (config / "cases").mkdir(parents=True)
    for case in CASES:
        (config / "cases" / f"{case}.yaml").write_bytes((ROOT / "config" / "cases" / f"{case}.yaml").read_bytes())
    (config / "sources.yaml").write_text("sources:\n" + "".join(
        f"  - {{id: {sid}, name: {sid.upper()}, kind: {kind}, spider: feed, urls: ['{base}/{sid}.xml'], "
        f"follow: never, allow_private: true, download_delay: 0}}\n"
        for sid, kind in (("mpfn", "prosecutor"), ("diario", "news"), ("aprodeh", "ngo"))), encoding="utf-8")
    (config / "subscribers.yaml").write_text(
        "subscribers:\n  - {email: familias@example.org, name: Familias, cases: [juliaca-2023, ayacucho-2022]}\n",
        encoding="utf-8")
    return config


def _taken(change: dict[str, Any]) -> list[str]:
    return [m["type"] for m in change["milestones"] if m["status"] == "taken"]


@pytest.mark.slow
def test_replica_week_steps_relevance_and_immediate_alerts(db_url: str, tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = {"CASEWATCH_VAR_DIR": str(var)}
    with LocalSite() as site:
        site.routes["/mpfn.xml"] = (200, "application/rss+xml", rss_feed(site.base, [RELEASE, TWO_CASES]))
        site.routes["/diario.xml"] = (200, "application/rss+xml", rss_feed(site.base, [ARCHIVING]))
        site.routes["/aprodeh.xml"] = (200, "application/rss+xml", rss_feed(site.base, [DEMAND]))
        cli = ("--config", str(_config(tmp_path, site.base)), "--db", db_url)

        first = run_cli(*cli, "crawl", env=env)
        assert first.returncode == 0, first.stderr
        assert outbox_messages(var) == []  # the sources' baseline: old steps are not news to alert
        assert "immediate alert" not in first.stderr

        changes = {c["url"].rsplit("/", 1)[1]: c for c in json.loads(run_cli(*cli, "changes", "--json").stdout)}
        assert _taken(changes["formaliza"]) == ["formal_investigation"]  # the earlier complaint is background
        assert _taken(changes["archivo"]) == ["archived"]  # the archived complaint is no new complaint
        assert _taken(changes["exigen"]) == ["statement"]  # what the families ask for is requested, not taken
        assert _taken(changes["dos-casos"]) == ["investigation_extended"]
        assert sorted(changes["dos-casos"]["cases"]) == sorted(CASES)  # relevant to both configured cases
        for slug in ("formaliza", "archivo", "exigen"):
            assert changes[slug]["cases"] == ["juliaca-2023"], slug
        assert all(m["status"] in ("taken", "announced") for c in changes.values() for m in c["milestones"])

        # The baseline still fills the timeline with its steps, and only with taken (or announced) ones.
        timeline = json.loads(run_cli(*cli, "timeline", "--case", "juliaca-2023", "--json").stdout)
        assert sorted(e["type"] for e in timeline["entries"]) == sorted(
            ["formal_investigation", "archived", "statement", "investigation_extended"])

        site.routes["/mpfn.xml"] = (200, "application/rss+xml",
                                    rss_feed(site.base, [RELEASE, TWO_CASES, NEW_FORMALIZATION]))
        second = run_cli(*cli, "crawl", env=env)
        assert second.returncode == 0, second.stderr
        [alert] = outbox_messages(var)
        text = plain_text(alert)
        assert NEW_FORMALIZATION[1] in text and RELEASE[1] not in text and ARCHIVING[1] not in text
        assert "1 immediate alert" in second.stderr

        site.routes["/mpfn.xml"] = (200, "application/rss+xml", rss_feed(site.base, [RELEASE, TWO_CASES, EDITED]))
        third = run_cli(*cli, "crawl", env=env)
        assert third.returncode == 0, third.stderr
        assert len(outbox_messages(var)) == 1, third.stderr  # an edit of an alerted document: no new alert
        edits = [c for c in json.loads(run_cli(*cli, "changes", "--json").stdout)
                 if c["url"].endswith("/militares") and c["kind"] == "updated"]
        assert [[(m["type"], m["primary"]) for m in c["milestones"]] for c in edits] == [
            [("formal_investigation", True)]]  # the document's step, carried (re-published), not a new one
        timeline = json.loads(run_cli(*cli, "timeline", "--case", "juliaca-2023", "--json").stdout)
        assert [e["type"] for e in timeline["entries"]].count("formal_investigation") == 2  # not a third
