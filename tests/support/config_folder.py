"""A config folder of the Juliaca case with the sources a test writes, and the one error line it
loads to: what the reliability tests of config mistakes and secrets build on."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.schema import ConfigError, load_config
from tests.support.cli import CASE_FILE


def _config(tmp_path: Path, sources_yaml: str) -> Path:
    root = tmp_path / "config"
    (root / "cases").mkdir(parents=True)
    (root / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
    (root / "sources.yaml").write_text(sources_yaml, encoding="utf-8")
    return root


def _load_error(root: Path) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(root)
    assert len(err.value.lines) == 1, err.value.lines
    return err.value.lines[0]


def _one_source(url: str, **extra: str) -> str:
    fields = "".join(f", {k}: {v}" for k, v in extra.items())
    return f"sources:\n  - {{id: vigilada, name: V, kind: news, spider: page, urls: ['{url}']{fields}}}\n"
