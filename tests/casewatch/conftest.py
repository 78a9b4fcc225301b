"""Fixtures the `casewatch` command's tests share."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run_cli


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`casewatch demo` run once per test process (three crawls and two digests: half a minute), with its
    var folder: the tests that check its output and the command it ends with only read them, and mark
    themselves ``xdist_group("demo")`` to share this run."""
    var = tmp_path_factory.mktemp("demo-var")
    # A deadline, not an expectation: half a minute idle, several times that beside another test run.
    return run_cli("demo", env={"CASEWATCH_VAR_DIR": str(var)}, timeout=300), var
