"""The rule tables (rules/milestones.{es,en}.yaml) loaded, checked and compiled with a case's names.

Every table is applied to every text; the language of a digest only picks the labels. Mistakes in a
table raise RuleError naming the file and the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from config.schema import MILESTONE_TYPES, Case
from pipeline.classify.milestones.patterns import Index, Rule, RuleError, compile_phrase, literal

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
LANGUAGES = ("es", "en")  # every table is applied to every text; the first is the default for labels

# Cue kinds of the rule tables and the mark each leaves on its words (pipeline.classify.milestones.status).
CUE_KINDS: dict[str, str] = {
    "announced": "A", "future": "F", "requests": "R", "demands": "D", "granted": "T", "recap": "B",
    "nonevent": "N", "iterative": "I",
}

@dataclass(frozen=True)
class Tables:
    rules: tuple[Rule, ...]
    labels: dict[str, dict[str, str]]  # language -> type -> label
    policies: dict[str, dict[str, str]]  # type -> {"requested": status, "demanded": status}


def _phrases(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise RuleError(f"{where}: expected a list of phrases")
    return value


# libyaml when PyYAML has it: the same values, ~10x faster (~35 ms of every crawl process that reads a step).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_table(path: Path) -> tuple[str, list[Rule], dict[str, str], dict[str, dict[str, str]]]:
    name = path.name
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # a safe loader
    except (OSError, yaml.YAMLError) as exc:
        raise RuleError(f"{name}: cannot read rules: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("milestones"), dict):
        raise RuleError(f"{name}: expected a mapping with language and milestones")
    unknown_keys = set(data) - {"language", "institutions", "milestones", "background", *CUE_KINDS}
    if unknown_keys:
        raise RuleError(f"{name}: {sorted(unknown_keys)[0]}: unknown field")
    if not isinstance(data.get("institutions") or {}, dict):
        raise RuleError(f"{name}: institutions: expected a mapping of canonical name to phrases")
    language = str(data.get("language") or path.suffixes[0].lstrip("."))
    rules: list[Rule] = []
    labels: dict[str, str] = {}
    policies: dict[str, dict[str, str]] = {}

    def add(kind: str, key: str, priority: int, phrases: list[str], where: str) -> None:
        for i, phrase in enumerate(phrases):
            for elems in compile_phrase(phrase, f"{name}: {where}[{i}]"):
                rules.append(Rule(kind, key, priority, phrase, elems))

    for cue in CUE_KINDS:
        add(cue, cue, 0, _phrases(data.get(cue), f"{name}: {cue}"), cue)
    add("background", "background", 0, _phrases(data.get("background"), f"{name}: background"), "background")
    for canonical, phrases in (data.get("institutions") or {}).items():
        add("actor", str(canonical), 0, _phrases(phrases, f"{name}: institutions.{canonical}"),
            f"institutions.{canonical}")
    for mtype, spec in data["milestones"].items():
        where = f"milestones.{mtype}"
        if mtype not in MILESTONE_TYPES:
            raise RuleError(f"{name}: {where}: unknown milestone type (known: {', '.join(MILESTONE_TYPES)})")
        if not isinstance(spec, dict) or not isinstance(spec.get("label"), str) or not isinstance(
                spec.get("priority"), int):
            raise RuleError(f"{name}: {where}: needs a label and an integer priority")
        unknown = set(spec) - {"label", "priority", "phrases", "weaker", "unless", "requested", "demanded"}
        if unknown:
            raise RuleError(f"{name}: {where}.{sorted(unknown)[0]}: unknown field")
        for key in ("requested", "demanded"):
            if spec.get(key, "announced") not in ("announced", "taken"):
                raise RuleError(f"{name}: {where}.{key}: must be 'announced' or 'taken'")
            policies.setdefault(mtype, {})[key] = spec.get(key, "announced")
        labels[mtype] = spec["label"]
        add("step", mtype, spec["priority"], _phrases(spec.get("phrases"), f"{name}: {where}.phrases"),
            f"{where}.phrases")
        for prio, phrases in (spec.get("weaker") or {}).items():
            if not isinstance(prio, int) or prio >= spec["priority"]:
                raise RuleError(f"{name}: {where}.weaker.{prio}: must be an integer below {spec['priority']}")
            add("step", mtype, prio, _phrases(phrases, f"{name}: {where}.weaker.{prio}"), f"{where}.weaker.{prio}")
        add("veto", mtype, 0, _phrases(spec.get("unless"), f"{name}: {where}.unless"), f"{where}.unless")
    return language, rules, labels, policies


@lru_cache(maxsize=1)
def tables() -> Tables:
    rules: list[Rule] = []
    labels: dict[str, dict[str, str]] = {}
    policies: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        language, table_rules, table_labels, table_policies = load_table(RULES_DIR / f"milestones.{lang}.yaml")
        missing = set(MILESTONE_TYPES) - set(table_labels)
        if missing:
            raise RuleError(f"milestones.{lang}.yaml: no rules for {', '.join(sorted(missing))}")
        rules += table_rules
        labels[language] = table_labels
        for mtype, policy in table_policies.items():
            if policies.setdefault(mtype, policy) != policy:
                raise RuleError(f"milestones.{lang}.yaml: milestones.{mtype}: requested/demanded differ from "
                                f"milestones.{LANGUAGES[0]}.yaml")
    return Tables(tuple(rules), labels, policies)


def labels(language: str = "es") -> dict[str, str]:
    """Milestone type -> label in ``language`` (Spanish for languages without a table)."""
    table = tables().labels
    return table.get(language, table[LANGUAGES[0]])


@lru_cache(maxsize=32)
def index(case: Case | None) -> Index:
    """The tables plus one case's people, institutions and case numbers, compiled together.

    Actor and identifier rules of the case carry priority 1, the tables' generic ones 0: where both
    name the same words, the case's own name wins (see _actors)."""
    rules = list(tables().rules)
    if case is not None:
        for actor in (*case.people, *case.institutions):
            for name in (actor.name, *actor.aliases):
                rules += [Rule("actor", actor.name, 1, name, e) for e in literal(name)]
        for number in case.case_numbers:
            for alias in (number.value, *number.aliases):
                rules += [Rule("id", f"{number.kind}\t{number.value}", 1, alias, e) for e in literal(alias)]
    return Index(rules)

