"""Catalogue row G10: a config folder or file that others may write is refused, with the chmod that
fixes it; the repository's config, copies made under umask 022 and the scheduler's snapshot load.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.schema import ConfigError, load_config
from tests.config.test_load_config import SPIDERS, _copy
from tests.support.spiders import ROOT

# ---------------------------------------------------------------------------------------------
# G10: config writable by others


@pytest.mark.parametrize(("target", "mode"), [
    ("sources.yaml", 0o664), ("sources.yaml", 0o646), ("subscribers.example.yaml", 0o666),
    ("cases/juliaca-2023.yaml", 0o660), (".", 0o775), ("cases", 0o757),
])
def test_G10_config_writable_by_others_refused_with_the_chmod_that_fixes_it(tmp_path: Path, target: str,
                                                                             mode: int) -> None:
    root = _copy(tmp_path)
    path = root / target if target != "." else root
    path.chmod(mode)
    try:
        with pytest.raises(ConfigError) as err:
            load_config(root, spiders=SPIDERS)
    finally:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert len(err.value.lines) == 1, err.value.lines
    line = err.value.lines[0]
    assert "writable by " in line and f"(mode {mode:o})" in line, line
    assert line.endswith(f"fix with: chmod go-w {path}"), line
    load_config(root, spiders=SPIDERS)  # after the chmod it loads


def test_G10_repository_config_and_copies_made_under_umask_022_load(tmp_path: Path) -> None:
    assert load_config(ROOT / "config", spiders=SPIDERS).sources
    old = os.umask(0o022)
    try:
        root = _copy(tmp_path)  # how the tests' fixtures copy the config
    finally:
        os.umask(old)
    assert load_config(root, spiders=SPIDERS).sources


def test_G10_scheduler_snapshot_for_crawl_children_loads_under_a_group_writable_umask(tmp_path: Path) -> None:
    from casewatch.reload import snapshot

    old = os.umask(0o002)  # common on shared servers: new files 0664, folders 0775
    try:
        copy = snapshot(_copy(tmp_path), tmp_path / "snapshots")
    finally:
        os.umask(old)
    assert load_config(copy, spiders=SPIDERS).sources  # what a crawl child loads
