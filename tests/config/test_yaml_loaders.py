"""Config files and rule tables are read with libyaml when PyYAML has it: the same values as the pure-Python
loader, the same limits (aliases, expansion), and the pure-Python loader's message for a malformed file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from config import files
from config.files import MAX_ALIASES, ConfigFileError, read_limited_yaml

ROOT = Path(__file__).resolve().parents[2]
# The config, the rule tables and the test fixtures (not the eval sets: labelled texts, read by eval/ alone).
SHIPPED = sorted(p for p in ROOT.rglob("*.yaml")
                 if not {".venv", ".peers-venv", "node_modules", "eval"} & set(p.relative_to(ROOT).parts))


def _pure(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(files, "_C_LOADER", None)
        return read_limited_yaml(path)


def test_libyaml_is_there() -> None:
    """The wheel PyYAML ships is built with libyaml; without it every read silently takes the slow path."""
    assert files._C_LOADER is yaml.CSafeLoader


def test_every_yaml_file_of_the_repository_reads_the_same_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(SHIPPED) > 30
    for path in SHIPPED:
        assert read_limited_yaml(path) == _pure(path, monkeypatch), path


@pytest.mark.parametrize("text", [
    "a: &x [1, 2]\nb: *x\nc: {<<: {k: v}, d: *x}\n",
    "- &s hello\n- *s\n- ? *s\n  : 2\n",
    "when: 2023-01-09\nn: 012\nf: .5\nb: yes\nnull_: ~\ns: '9:30'\n",
    "",
    "# only a comment\n",
])
def test_the_same_values_as_the_pure_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    assert read_limited_yaml(path) == _pure(path, monkeypatch)


@pytest.mark.parametrize("text", [
    "base: &a [x]\n" + "".join(f"k{i}: *a\n" for i in range(MAX_ALIASES + 1)),  # one alias too many
    "a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",  # few aliases, a million values
    "a: &a [1, *a]\n",  # recursive
    "a: [1, 2\nb: 3\n",  # malformed
    "a:\n  - x\n - y\n",  # bad indentation
    "[" * 1200 + "]" * 1200,  # deeper than libyaml goes
    "a: [1,\t2]\n",  # a tab libyaml would take
])
def test_refused_with_the_pure_loaders_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises((ConfigFileError, yaml.YAMLError, RecursionError)) as fast:
        read_limited_yaml(path)
    with pytest.raises((ConfigFileError, yaml.YAMLError, RecursionError)) as pure:
        _pure(path, monkeypatch)
    assert (type(fast.value), str(fast.value)) == (type(pure.value), str(pure.value))
