"""Small modules named for what they do: no Python file in the repository over 400 lines (data tables live in
YAML), so a unit that grows past it is split by job before it lands, not after."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 400


def _tracked_python() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z", "*.py"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_python_module_is_over_400_lines() -> None:
    files = _tracked_python()
    assert len(files) > 100  # the listing found the tree, not an empty checkout
    long = {str(p.relative_to(ROOT)): n for p in files if p.exists()
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert long == {}, f"split these by job (over {LIMIT} lines): {long}"
