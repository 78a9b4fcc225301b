"""`casewatch demo` (what `make demo` runs) ends with a digest of exactly the case's movements."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

from casewatch.demo_site import ARTICLES
from tests.support.cli import run_cli


def test_demo_writes_digest_of_case_changes_only(tmp_path: Path) -> None:
    result = run_cli("demo", env={"CASEWATCH_VAR_DIR": str(tmp_path)}, timeout=60)
    assert result.returncode == 0, result.stderr
    emls = sorted((tmp_path / "outbox").glob("*.eml"), key=lambda p: p.stat().st_mtime)
    parsed = [(p, BytesParser(policy=policy.default).parsebytes(p.read_bytes())) for p in emls]
    alerts = [m for _, m in parsed if "· Alerta ·" in m["Subject"]]
    digests = [(p, m) for p, m in parsed if "· Alerta ·" not in m["Subject"]]
    # Each crawl cycle mails its major legal steps at once; each digest then has the rest.
    assert len(alerts) == 2 and len(digests) == 2
    final_path, final = digests[-1]
    assert str(final_path) in result.stdout
    alert = alerts[-1].get_body(preferencelist=("plain",)).get_content()
    text = final.get_body(preferencelist=("plain",)).get_content()
    assert "1 nuevo, 1 actualizado" in alerts[-1]["Subject"] and "1 eliminado" in final["Subject"]
    new = ARTICLES["/noticias/acusacion-mandos-policiales-juliaca/"]["title"]
    updated = "Fiscalía formaliza investigación por muertes en Juliaca"
    assert new in alert and updated in alert  # the indictment (new) and the widened formalisation (edit)
    assert "+El juzgado de investigación preparatoria programó la audiencia" in alert  # the edit's diff
    assert "Equipo especial recibe pericias balísticas del caso Juliaca" in text  # removed: digest news
    assert text.count(new) == 1 and text.count(updated) == 1  # named once as "already sent", not repeated
    assert "+El juzgado de investigación preparatoria" not in text
    for unrelated in ("/noticias/heladas-juliaca/", "/noticias/seleccion-peruana/",
                      "/noticias/congreso-mesa-directiva/"):
        assert ARTICLES[unrelated]["title"] not in text and ARTICLES[unrelated]["title"] not in alert
    assert "Juliaca: exigimos justicia" not in text + alert  # only its visit counter changed
