"""`casewatch demo` (what `make demo` runs) ends with a digest of exactly the case's movements."""

from __future__ import annotations

import subprocess
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from casewatch.demo_site import ARTICLES


@pytest.mark.slow
@pytest.mark.xdist_group("demo")
def test_demo_writes_digest_of_case_changes_only(demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    result, var = demo_run
    assert result.returncode == 0, result.stderr
    emls = sorted((var / "outbox").glob("*.eml"), key=lambda p: p.stat().st_mtime)
    parsed = [(p, BytesParser(policy=policy.default).parsebytes(p.read_bytes())) for p in emls]
    alerts = [m for _, m in parsed if m["Subject"].startswith("Alerta: ")]
    digests = [(p, m) for p, m in parsed if not m["Subject"].startswith("Alerta: ")]
    # The first cycle is the sources' baseline: its steps fill the digest and the timeline but send no
    # immediate alert. The second cycle's new step (the indictment) is mailed at once; the edit of the
    # formalisation release carries its step re-published (docs/architecture.md): digest news, no alert.
    assert len(alerts) == 1 and len(digests) == 2
    baseline = digests[0][1].get_body(preferencelist=("plain",)).get_content()
    final_path, final = digests[-1]
    assert str(final_path) in result.stdout
    alert = alerts[-1].get_body(preferencelist=("plain",)).get_content()
    text = final.get_body(preferencelist=("plain",)).get_content()
    new = ARTICLES["/noticias/acusacion-mandos-policiales-juliaca/"]["title"]
    updated = "Fiscalía formaliza investigación por muertes en Juliaca"
    # Each subject says what moved: the lead step's headline, the case, how many more entries.
    case = "Masacre de Juliaca (9 de enero de 2023)"
    assert digests[0][1]["Subject"] == f"{updated} · {case} · +3 más"  # the prosecutor's formalisation leads
    assert alerts[-1]["Subject"] == f"Alerta: {new} · {case}"
    assert final["Subject"] == f"Actualizado: {updated} · {case} · +1 más"  # the edit, then the removal
    assert updated in baseline and new not in baseline
    assert new in alert and updated not in alert  # the indictment (new); the edit is no new step
    assert "+El juzgado de investigación preparatoria programó la audiencia" in text  # the edit's diff
    assert "Equipo especial recibe pericias balísticas del caso Juliaca" in text  # removed: digest news
    assert text.count(new) == 1 and text.count(updated) == 1  # the alert named once as "already sent"
    for unrelated in ("/noticias/heladas-juliaca/", "/noticias/seleccion-peruana/",
                      "/noticias/congreso-mesa-directiva/"):
        assert ARTICLES[unrelated]["title"] not in text and ARTICLES[unrelated]["title"] not in alert
    assert "Juliaca: exigimos justicia" not in text + alert  # only its visit counter changed
