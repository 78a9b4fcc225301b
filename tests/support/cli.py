"""Run the real `casewatch` command in a child process (Scrapy's reactor runs once per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from casewatch.demo_site import SUBSCRIBERS_YAML, sources_yaml

ROOT = Path(__file__).resolve().parents[2]
CASE_FILE = ROOT / "config" / "cases" / "juliaca-2023.yaml"


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m casewatch ARGS`; SMTP_* and DATABASE_URL from the caller's environment are dropped."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "DATABASE_URL", "CASEWATCH_"))}
    base.update(env or {})
    return subprocess.run([sys.executable, "-m", "casewatch", *args], capture_output=True, text=True,
                          timeout=timeout, env=base, cwd=cwd or ROOT, check=False)


def replica_config(tmp: Path, base_url: str) -> Path:
    """A config folder watching the demo replica served at ``base_url``."""
    config = tmp / "config"
    (config / "cases").mkdir(parents=True)
    (config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (config / "sources.yaml").write_text(sources_yaml(base_url), encoding="utf-8")
    (config / "subscribers.yaml").write_text(SUBSCRIBERS_YAML, encoding="utf-8")
    return config
