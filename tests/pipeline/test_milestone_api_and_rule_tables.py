"""The milestone API (labels, as_dict, empty and long texts) and the YAML rule tables behind it: their
phrase syntax, no phrase lost to a YAML comment, and load errors naming the file and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.schema import MILESTONE_TYPES
from pipeline.classify.milestones import (
    RuleError,
    _compile,
    _load_table,
    find_milestones,
    labels,
)
from tests.support.milestones import CASE, PUBLISHED, main

# --- API ------------------------------------------------------------------------------------------


def test_labels_follow_the_language_and_as_dict_is_json() -> None:
    es = main("La Fiscalía formalizó investigación contra los policías el 15 de marzo de 2024.")
    en = main("La Fiscalía formalizó investigación contra los policías el 15 de marzo de 2024.", language="en")
    assert es.label == "Investigación preparatoria formalizada" and en.label == "Formal investigation"
    assert labels("fr") == labels("es") and set(labels("en")) == set(MILESTONE_TYPES)
    d = json.loads(json.dumps(es.as_dict()))
    assert d == {"type": "formal_investigation", "label": es.label, "identifiers": [], "actors": ["Ministerio Público"],
                 "date": "2024-03-15", "status": "taken", "primary": True, "evidence": "formalizó investigación"}


def test_empty_text() -> None:
    assert find_milestones("", "") == []


@pytest.mark.parametrize(("yaml_text", "message"), [
    ("language: es\nmilestones:\n  verdict: {label: X, priority: 1}\n", "milestones.verdict: unknown milestone type"),
    ("language: es\nmilestones:\n  trial: {label: X}\n", "milestones.trial: needs a label and an integer priority"),
    ("language: es\nmilestones:\n  trial: {label: X, priority: 5, weaker: {9: [juicio]}}\n",
     "milestones.trial.weaker.9: must be an integer below 5"),
    ("language: es\nmilestones:\n  trial: {label: X, priority: 5, phrases: [\"juicio|juicio-oral\"]}\n",
     r"milestones.trial.phrases\[0\]: 'juicio-oral' is several words"),
    ("language: es\nwords: []\nmilestones: {}\n", "words: unknown field"),
    ("language: es\nmilestones:\n  trial: {label: X, priority: 5, requested: maybe}\n",
     "milestones.trial.requested: must be 'announced' or 'taken'"),
])
def test_rule_table_errors_name_file_and_field(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "milestones.es.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(RuleError, match=f"^milestones.es.yaml: {message}"):
        _load_table(path)


def test_rule_syntax() -> None:
    [elems] = _compile("formaliz* ...4 investigación|pesquisa", "t")
    assert [e.gap for e in elems] == [0, 4, 0] and elems[0].stems == ("formaliz",)
    assert elems[2].words == frozenset({"investigacion", "pesquisa"})
    assert len(_compile("la? denuncia", "t")) == 2  # an optional first word: with and without it
    with pytest.raises(RuleError, match="t: .*several words"):
        _compile("carpeta|023-2023", "t")
    with pytest.raises(RuleError, match="no required word"):
        _compile("de? ...", "t")


def test_no_number_placeholder_is_lost_to_a_yaml_comment() -> None:
    """An unquoted phrase ending in " #" (a number) loses it to a YAML comment and then matches every time
    its words occur ("reports|reported #" became "reports|reported"): such phrases must be quoted."""
    rules = Path(__file__).resolve().parents[2] / "pipeline" / "classify" / "rules"
    for path in sorted(rules.glob("milestones.*.yaml")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            item = line.strip()
            assert not (item.startswith("- ") and item[2:3] not in "\"'" and item.endswith(" #")), (path.name, n)


# --- Long texts ------------------------------------------------------------------------------------
# (Speed is measured by bench/classify.py, not here: a timed test fails on a busy machine.)


def test_a_long_article_reports_each_step_once() -> None:
    paragraph = (
        "La Fiscalía formalizó investigación preparatoria contra cinco policías por la muerte de 18 personas en "
        "Juliaca, según la carpeta fiscal N° 023-2023. Los deudos exigieron justicia el 9 de enero de 2024 y la "
        "defensa anunció que apelará. El juez evaluará el pedido de prisión preventiva en una audiencia. "
        "Mientras tanto, las lluvias afectaron varias provincias y el precio de la papa subió en los mercados. "
    )
    text = paragraph * (5000 // len(paragraph.split()) + 1)
    assert len(text.split()) >= 5000
    found = find_milestones("Fiscalía formaliza investigación", text, case=CASE, published=PUBLISHED)
    assert found[0].type == "formal_investigation" and found[0].primary
    pairs = [(m.type, m.status) for m in found]
    assert len(pairs) == len(set(pairs)), pairs  # 50 repetitions of the paragraph: each step once per status
