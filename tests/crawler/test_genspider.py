"""`scrapy genspider -t source NAME URL` gives a working spider and a fixture that the golden test runs.

Runs in a copy of the project (the command writes into crawler/spiders/ and tests/fixtures/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.spiders import ROOT

COPY = ["crawler", "config", "scrapy.cfg", "pyproject.toml", "tests/__init__.py", "tests/conftest.py",
        "tests/support", "tests/crawler/__init__.py", "tests/crawler/test_golden.py"]


def _project_copy(tmp: Path) -> Path:
    for rel in COPY:
        src, dst = ROOT / rel, tmp / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)
    return tmp


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_genspider_source_template_and_fixture_skeleton(tmp_path: Path) -> None:
    project = _project_copy(tmp_path)
    scrapy = [sys.executable, "-m", "scrapy"]
    made = _run(project, *scrapy, "genspider", "-t", "source", "radio_puno", "https://radio-puno.example/noticias")
    assert made.returncode == 0, made.stderr
    spider = (project / "crawler/spiders/radio_puno.py").read_text(encoding="utf-8")
    assert "Source:   https://radio-puno.example/noticias" in spider
    assert "Author:   " in spider and "History:" in spider and 'name = "radio_puno"' in spider
    assert "class RadioPunoSpider(SourceSpider)" in spider
    fixtures = project / "tests/fixtures/spiders/radio_puno"
    assert sorted(p.name for p in fixtures.iterdir()) == ["example", "example.html", "example.source.yaml"]
    assert "radio_puno" in _run(project, *scrapy, "list").stdout.split()

    # One test: in pytest's own process (-n 0), not the two xdist workers pyproject's addopts would start.
    pytest = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "tests/crawler/test_golden.py",
              "-k", "radio_puno"]
    first = _run(project, *pytest)
    assert first.returncode == 1 and "wrote tests/fixtures/spiders/radio_puno/example.expected.json" in first.stdout
    expected = (fixtures / "example.expected.json").read_text(encoding="utf-8")
    assert "Fiscalía amplía investigación por muertes en Juliaca" in expected and '"errors": []' in expected
    second = _run(project, *pytest)
    assert second.returncode == 0, second.stdout
    assert "1 passed" in second.stdout
