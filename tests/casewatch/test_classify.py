"""`casewatch classify`: the explained decision for one text, as the CLI contract describes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from casewatch.cli import cli
from tests.support.cli import ROOT, run_cli

TEXT = """La fiscal Nancy Chávez, del Equipo Especial, formalizó el 12 de marzo de 2024 la investigación
preparatoria en la carpeta fiscal 023-2023 contra la expresidenta Dina Boluarte por las muertes del
9 de enero de 2023 en Juliaca. Los abogados de las víctimas anunciaron que presentarán una denuncia
constitucional."""


def test_classify_json_contract(tmp_path: Path) -> None:
    text = tmp_path / "nota.txt"
    text.write_text(TEXT, encoding="utf-8")
    out = run_cli("classify", "--case", "juliaca-2023", "--title", "Fiscalía formaliza investigación por Juliaca",
                  "--text-file", str(text), "--json")
    assert out.returncode == 0, out.stderr
    decision = json.loads(out.stdout)
    assert {"case", "relevant", "score", "matched_terms", "milestones"} <= set(decision)
    assert decision["case"] == "juliaca-2023" and decision["relevant"] is True
    assert "carpeta fiscal 023-2023" in decision["matched_terms"] and decision["score"] >= 3
    main, *others = decision["milestones"]
    assert {"type", "label", "identifiers", "actors", "date"} <= set(main)
    assert main["type"] == "formal_investigation" and main["status"] == "taken"
    assert main["date"] == "2024-03-12"
    assert {"kind": "carpeta_fiscal", "value": "023-2023"} in main["identifiers"]
    assert "Dina Boluarte" in main["actors"]
    assert any(m["type"] == "constitutional_complaint" and m["status"] == "announced" for m in others)


@pytest.mark.slow
def test_classify_reads_stdin_and_explains_in_text(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.support.cli import ROOT, child_env

    proc = subprocess.run([sys.executable, "-m", "casewatch", "classify", "--text-file", "-"], input=TEXT,
                          capture_output=True, text=True, cwd=ROOT, env=child_env(), timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "juliaca-2023: relevant (score" in proc.stdout
    assert "ayacucho-2022: not relevant" in proc.stdout
    assert "milestone formal_investigation" in proc.stdout


def test_classify_mistakes_are_one_line(tmp_path: Path) -> None:
    nothing = run_cli("classify")
    assert nothing.returncode == 1 and "nothing to classify" in nothing.stderr
    unknown = run_cli("classify", "--case", "nope", "--title", "x")
    assert unknown.returncode == 1 and "unknown case 'nope'" in unknown.stderr
    missing = run_cli("classify", "--text-file", str(tmp_path / "no.txt"))
    assert missing.returncode == 1 and "no.txt: cannot read" in missing.stderr and "Traceback" not in missing.stderr


# A prosecutor's page about both configured cases, one about Juliaca only, and a look-alike.
SAME_EITHER_WAY = [
    ("Fiscalía formaliza investigación por las muertes en Ayacucho y Juliaca",
     "Nota de prensa. La Fiscalía Supraprovincial Especializada en Derechos Humanos formalizó la investigación "
     "preparatoria contra mandos militares y policiales por las muertes ocurridas en Huamanga (Ayacucho) el 15 de "
     "diciembre de 2022 y en Juliaca el 9 de enero de 2023, durante las protestas contra Dina Boluarte."),
    ("Fiscalía formaliza investigación por Juliaca", TEXT),
    ("Juliaca recuerda a los muertos del aeropuerto de junio de 2011",
     "Deudos de las muertes de 2011 en el aeropuerto de Juliaca exigen reabrir el caso."),
]


@pytest.mark.parametrize(("title", "text"), SAME_EITHER_WAY)
def test_classify_gives_the_same_decision_with_and_without_case(tmp_path: Path, title: str, text: str) -> None:
    """`classify --case X` is exactly X's entry of `classify` over every case: decision, score, explanation, steps."""
    text_file = tmp_path / "nota.txt"
    text_file.write_text(text, encoding="utf-8")
    runner = CliRunner()
    base = ["--config", str(ROOT / "config"), "classify", "--title", title, "--text-file", str(text_file)]

    def run(*extra: str) -> str:
        result = runner.invoke(cli, [*base, *extra])
        assert result.exit_code == 0, (result.output, result.exception)
        return result.stdout

    every = json.loads(run("--json"))
    assert [d["case"] for d in every] == ["ayacucho-2022", "juliaca-2023"]
    full_text = run()
    for decision in every:
        assert json.loads(run("--case", decision["case"], "--json")) == decision
        assert run("--case", decision["case"]) in full_text
    if "Ayacucho y Juliaca" in title:
        assert all(d["relevant"] for d in every), [d["explanation"] for d in every]
