"""Catalogue row B5: a page flapping A -> B -> A -> B (a rotating banner, an edit taken back and made
again) is compared with the document's whole history (urlwatch's ``history_data`` matching), not only
with its last version: one edit, then returns to versions already stored, never a second alert.

A real crawl: the ``page`` spider fetches a loopback page four times, the real CLI files immediate
alerts to the outbox folder, then one digest covers the period."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casewatch.localsite import LocalSite
from tests.support.cli import CASE_FILE, outbox_messages, plain_text, run_cli

TITLE = "Comunicado sobre la masacre de Juliaca"
A = ("La Fiscalía recibió a las familias de las víctimas de la masacre de Juliaca del 9 de enero de 2023, "
     "que pidieron justicia por los 18 fallecidos cerca del aeropuerto Inca Manco Cápac.")
B = ("La Fiscalía formalizó investigación preparatoria en la carpeta fiscal 023-2023 contra mandos policiales "
     "por las muertes del 9 de enero de 2023 en la masacre de Juliaca.")


def _page(text: str) -> bytes:
    return (f"<!doctype html><html lang='es'><head><meta charset='utf-8'><title>{TITLE}</title></head><body>"
            f"<article><h1>{TITLE}</h1><p>{text}</p><p>Lima, noviembre de 2026.</p></article></body></html>").encode()


@pytest.mark.slow
def test_B5_page_alternating_A_B_A_B_is_one_edit_then_reverts_and_one_alert(db_url: str, tmp_path: Path) -> None:
    var, config = tmp_path / "var", tmp_path / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "subscribers.yaml").write_text(
        "subscribers:\n  - {email: familias@example.org, name: Familias, cases: [juliaca-2023]}\n", encoding="utf-8")
    env = {"CASEWATCH_VAR_DIR": str(var)}
    cli = ("--config", str(config), "--db", db_url)
    with LocalSite() as site:
        (config / "sources.yaml").write_text(
            f'sources:\n  - {{id: mpfn, name: Ministerio Público, kind: prosecutor, spider: page, '
            f'urls: ["{site.base}/comunicado"], allow_private: true, download_delay: 0}}\n', encoding="utf-8")
        alerts_after: list[int] = []
        for i, text in enumerate((A, B, A, B)):
            site.routes["/comunicado"] = (200, "text/html; charset=utf-8", _page(text))
            crawl = run_cli(*cli, "crawl", "mpfn", env=env)
            assert crawl.returncode == 0, crawl.stderr
            assert ("1 reverted" in crawl.stdout + crawl.stderr) == (i >= 2)  # the run summary says so
            alerts_after.append(len(outbox_messages(var)))
        assert [(p, s) for p, s in site.log if p == "/comunicado"] == [("/comunicado", 200)] * 4  # four fetches

    # new (A), updated (B: the one edit), reverted to v1, reverted to v2; two versions stored.
    listed = run_cli(*cli, "changes", "--since", "3650d", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    changes = sorted(json.loads(listed.stdout), key=lambda c: c["id"])
    assert [c["kind"] for c in changes] == ["new", "updated", "reverted", "reverted"]
    new, updated, back_to_a, back_to_b = changes
    v1, v2 = new["to_version"], updated["to_version"]
    assert (back_to_a["from_version"], back_to_a["to_version"]) == (v2, v1)
    assert (back_to_b["from_version"], back_to_b["to_version"]) == (v1, v2)
    # the edit's new step; the page's earlier one rides along marked re-published (docs/architecture.md)
    assert [m["type"] for m in updated["milestones"] if not m["republished"]] == ["formal_investigation"]
    assert back_to_a["milestones"] == back_to_b["milestones"] == []
    reverts = run_cli(*cli, "changes", "--since", "3650d", "--kind", "reverted", "--json", env=env)
    assert [c["id"] for c in json.loads(reverts.stdout)] == [back_to_b["id"], back_to_a["id"]]

    # The edit's step was alerted once, in the crawl that found it; the returns alerted nothing.
    assert alerts_after == [0, 1, 1, 1]
    [alert] = outbox_messages(var)
    assert "carpeta fiscal 023-2023" in plain_text(alert)

    # One digest over the period: the page once, as alternating; its step is not announced again (the
    # alert is named in the one-line "already sent" list).
    digest = run_cli(*cli, "digest", env=env)
    assert digest.returncode == 0, digest.stderr
    [later] = [m for m in outbox_messages(var) if m["Message-ID"] != alert["Message-ID"]]
    body = plain_text(later)
    assert body.count("Alterna entre dos versiones") == 1
    assert "3 cambios en este periodo" in body  # new and both returns; the edit went out as the alert
    subject = " ".join(str(later["Subject"]).split())  # as unfolded from its encoded words
    assert subject.startswith(f"Alterna entre dos versiones: {TITLE} · ")  # what moved: the page
    assert body.count(f"* {TITLE}") == 2 and body.index("Alterna entre dos versiones") < body.index("Ya enviados")
    steps = [line for line in body.splitlines() if line.strip().startswith("Hitos:")]
    assert len(steps) <= 1 and not any("Investigación preparatoria formalizada" in line for line in steps), steps
