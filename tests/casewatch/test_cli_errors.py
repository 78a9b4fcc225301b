"""A broken configuration is one clear line per mistake on stderr, exit code 1, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.cli import ROOT, run_cli


@pytest.fixture
def config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: _replace(c / "sources.yaml", "spider: feed", "spider: fead"),
         r"sources.yaml: sources\[\d+\].spider: unknown spider 'fead'"),
        (lambda c: _replace(c / "sources.yaml", 'schedule: "30m"', "schedule: '61 * * * *'"),
         r"sources.yaml: sources\[\d+\].schedule: invalid cron expression '61 \* \* \* \*'"),
        (lambda c: _replace(c / "sources.yaml", "    kind: news\n", "\n"),
         r"sources.yaml: sources\[\d+\].kind: required field is missing"),
        (lambda c: _replace(c / "sources.yaml", "sources:", "sources: [\n"),
         r"sources.yaml: line \d+, column \d+: YAML syntax error"),
        (lambda c: _replace(c / "cases" / "juliaca-2023.yaml", "threshold:", "treshold:"),
         r"juliaca-2023.yaml: treshold: unknown field"),
        (lambda c: _replace(c / "sources.yaml", "backfill_sheets: 3", "backfil_sheets: 3"),
         r"sources.yaml: sources\[\d+\]: source 'mpfn': params.backfil_sheets: unknown parameter for the gobpe "
         r"spider"),
        (lambda c: _replace(c / "sources.yaml", "sheets: 3\n", "sheets: tres\n"),
         r"sources.yaml: sources\[\d+\]: source 'mpfn': params.sheets: "),
    ],
    ids=["unknown-spider", "bad-cron", "missing-field", "yaml-syntax", "unknown-case-field", "unknown-spider-param",
         "wrong-spider-param"],
)
def test_broken_config_is_one_line_exit_1(config: Path, tmp_path: Path, edit, expected: str) -> None:
    import re

    edit(config)
    result = run_cli("--config", str(config), "--db", f"sqlite:///{tmp_path / 'x.db'}", "sources")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert re.search(expected, lines[0]), lines[0]


@pytest.mark.slow
def test_unknown_source_is_one_line(tmp_path: Path) -> None:
    result = run_cli("--db", f"sqlite:///{tmp_path / 'x.db'}", "crawl", "no-such-source")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("casewatch: unknown source 'no-such-source' (known: mpfn, ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_config_folder(tmp_path: Path) -> None:
    result = run_cli("--config", str(tmp_path / "nope"), "sources")
    assert result.returncode == 1 and "configuration directory not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    result = run_cli("--db", "mysql://nobody@127.0.0.1/x", "sources")
    assert result.returncode == 1 and "unsupported database" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


BAD_LISTING = """sources:
  - id: listado-roto
    name: Listado roto
    kind: news
    spider: listing
    urls: ["http://127.0.0.1:9/puno"]
    allow_private: true
    params: {item: "article[", link: "a::attr(href)"}
"""


@pytest.mark.slow
def test_bad_spider_params_are_one_line_for_crawl_and_try_source(tmp_path: Path) -> None:
    """The spider family checks its params when the config loads: every command refuses the config with
    one line naming the source and the param, before anything is fetched or stored."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config" / "cases", config / "cases")
    (config / "sources.yaml").write_text(BAD_LISTING, encoding="utf-8")
    cli = ("--config", str(config), "--db", f"sqlite:///{tmp_path / 'c.db'}")
    tried = run_cli(*cli, "try-source", "listado-roto")
    assert tried.returncode == 1 and "Traceback" not in tried.stderr
    assert tried.stderr.strip().splitlines() == [line for line in tried.stderr.strip().splitlines()
                                                   if "listado-roto" in line and "params.item" in line]
    for command in ("crawl", "sources"):
        refused = run_cli(*cli, command)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr and refused.stdout == ""
        assert refused.stderr.strip().splitlines() == tried.stderr.strip().splitlines()
