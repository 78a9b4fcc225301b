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
    assert len(emls) == 2  # the first digest (initial state) and the one about what moved
    final = BytesParser(policy=policy.default).parsebytes(emls[-1].read_bytes())
    assert str(emls[-1]) in result.stdout
    text = final.get_body(preferencelist=("plain",)).get_content()
    assert "1 nuevo, 1 actualizado, 1 eliminado" in final["Subject"]
    assert ARTICLES["/noticias/acusacion-mandos-policiales-juliaca/"]["title"] in text  # new
    assert "Fiscalía formaliza investigación por muertes en Juliaca" in text  # updated
    assert "+El juzgado de investigación preparatoria programó la audiencia" in text  # its diff
    assert "Equipo especial recibe pericias balísticas del caso Juliaca" in text  # removed
    for unrelated in ("/noticias/heladas-juliaca/", "/noticias/seleccion-peruana/",
                      "/noticias/congreso-mesa-directiva/"):
        assert ARTICLES[unrelated]["title"] not in text
    assert "Juliaca: exigimos justicia" not in text  # only its visit counter changed
