"""The import contracts (pyproject.toml, run by ``make test``) fail when a layer is crossed.

`lint-imports` passing proves little unless breaking a rule makes it fail: on a copy of the packages,
one import that runs the wrong way (the store reaching up into the classifier; the classifier reaching
down into the database) must be reported, naming the contract it breaks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("textkit", "config", "crawler", "pipeline", "alerts", "casewatch")
LINT = Path(sys.executable).with_name("lint-imports")


def _copy(tmp_path: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.yaml"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("pipeline/store/models.py", "import pipeline.classify.relevance", "Inside the pipeline"),
    ("pipeline/classify/relevance.py", "import pipeline.store.models", "Classify and detect are pure"),
    ("config/settings.py", "import crawler.settings", "Packages point one way"),
])
def test_an_import_against_a_layer_fails_the_contracts(tmp_path: Path, module: str, line: str, contract: str) -> None:
    tree = _copy(tmp_path)
    assert _lint(tree).returncode == 0, "the unchanged copy keeps every contract"
    path = tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa: E402\n", encoding="utf-8")
    result = _lint(tree)
    assert result.returncode != 0
    assert contract in result.stdout
    assert "BROKEN" in result.stdout
