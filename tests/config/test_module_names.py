"""A module of a package never shares its name with a data folder beside it.

`config/cases/` holds the case files; a module `config/cases.py` next to it imported as an empty
namespace package whenever Python looked it up from another directory that had a `config/cases/` folder
of its own (the layout the README tells users to copy): `python -m casewatch` failed with
"cannot import name 'Case' from 'config.cases' (unknown location)".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("textkit", "config", "crawler", "pipeline", "alerts", "casewatch")


def test_no_module_is_named_like_a_folder_beside_it() -> None:
    clashes = [str(p.relative_to(ROOT)) for name in PACKAGES for p in (ROOT / name).rglob("*.py")
               if p.with_suffix("").is_dir()]
    assert clashes == []


@pytest.mark.slow
def test_casewatch_starts_from_a_folder_laid_out_like_the_repository(tmp_path: Path) -> None:
    (tmp_path / "config" / "cases").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-m", "casewatch", "--help"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "worker" in done.stdout
