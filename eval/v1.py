"""The first labelled set (eval/dev.yaml, eval/test.yaml): one main milestone per text.

Kept as it was when the v2 set arrived, so its figures stay comparable (`eval/run.py --set v1`).
Relevance: precision and recall over (text, case) pairs for every configured case. Milestones: the
main type found versus the labelled one, per type, on texts that report a step; texts reporting
none count a "spurious" milestone when one is found.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from config.schema import Case
from pipeline.classify.milestones import find_milestones
from pipeline.classify.relevance import classify

HERE = Path(__file__).resolve().parent
TARGETS = {"precision": 0.95, "recall": 0.95, "milestone_accuracy": 0.90}


def load_items(split: str) -> list[dict[str, Any]]:
    names = ["dev", "test"] if split == "all" else [split]
    items: list[dict[str, Any]] = []
    for name in names:
        for item in yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8")) or []:
            items.append({**item, "split": name})
    return items


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    type_total: Counter[str] = field(default_factory=Counter)
    type_right: Counter[str] = field(default_factory=Counter)
    status_total: int = 0
    status_right: int = 0
    null_total: int = 0
    spurious: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def milestone_accuracy(self) -> float:
        total = sum(self.type_total.values())
        return sum(self.type_right.values()) / total if total else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "pairs": {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn},
            "precision": round(self.precision, 4), "recall": round(self.recall, 4),
            "milestone_accuracy": round(self.milestone_accuracy, 4),
            "per_type": {t: {"n": n, "right": self.type_right[t]} for t, n in sorted(self.type_total.items())},
            "status_accuracy": round(self.status_right / self.status_total, 4) if self.status_total else None,
            "texts_without_milestone": self.null_total, "spurious_milestones": self.spurious,
        }


def evaluate(items: list[dict[str, Any]], cases: dict[str, Case]) -> Scores:
    scores = Scores()
    ordered = list(cases.values())
    for item in items:
        title, text = item.get("title") or "", item.get("text") or ""
        for rel in classify(ordered, title, text):
            truth = item.get("case") == rel.case_id
            if rel.relevant and truth:
                scores.tp += 1
            elif rel.relevant:
                scores.fp += 1
                scores.errors.append(f"{item['id']}: FALSE {rel.explain()} | {title}")
            elif truth:
                scores.fn += 1
                scores.errors.append(f"{item['id']}: MISSED {rel.explain()} | {title}")
            else:
                scores.tn += 1
        case = cases.get(item.get("case") or "")
        found = find_milestones(title, text, case=case, language=item.get("lang") or "es")
        label = item.get("milestone")
        if label:
            scores.type_total[label] += 1
            main = found[0] if found else None
            if main is not None and main.type == label:
                scores.type_right[label] += 1
                if item.get("status"):
                    scores.status_total += 1
                    if main.status == item["status"]:
                        scores.status_right += 1
                    else:
                        scores.errors.append(f"{item['id']}: STATUS {main.status} != {item['status']} | {title}")
            else:
                got = f"{main.type} <- {main.evidence!r}" if main else "none"
                scores.errors.append(f"{item['id']}: MILESTONE {got} != {label} | {title}")
        else:
            scores.null_total += 1
            if found:
                scores.spurious += 1
                scores.errors.append(f"{item['id']}: SPURIOUS {found[0].type} <- {found[0].evidence!r} | {title}")
    return scores


def report(name: str, n: int, s: Scores) -> str:
    lines = [f"{name}: {n} texts, {s.tp + s.fp + s.fn + s.tn} (text, case) pairs",
             f"  relevance  precision {s.precision:.3f}  recall {s.recall:.3f}  "
             f"(tp {s.tp}, fp {s.fp}, fn {s.fn})",
             f"  milestones type accuracy {s.milestone_accuracy:.3f} on {sum(s.type_total.values())} texts; "
             f"status right {s.status_right}/{s.status_total}; "
             f"spurious on {s.spurious}/{s.null_total} texts that report no step"]
    for t in sorted(s.type_total):
        n_t, right = s.type_total[t], s.type_right[t]
        lines.append(f"    {t:<26} {right:>3}/{n_t:<3} {right / n_t:.2f}")
    return "\n".join(lines)


def run(split: str | None, cases: dict[str, Case], errors: bool, as_json: bool) -> None:
    """Print the v1 figures: one split, or dev, test and all (the targets are judged on the last)."""
    splits = [split] if split else ["dev", "test", "all"]
    results = {}
    for name in splits:
        items = load_items(name)
        results[name] = (len(items), evaluate(items, cases))
    if as_json:
        print(json.dumps({k: {"texts": n, **s.as_dict()} for k, (n, s) in results.items()}, indent=2))
        return
    for name, (n, s) in results.items():
        print(report(name, n, s))
        if errors and name != "all":
            for line in s.errors:
                print(f"    ! {line}")
    n, final = results[splits[-1]]
    missed = [k for k, target in TARGETS.items() if getattr(final, k) < target]
    print(f"targets (precision, recall >= 0.95; milestone accuracy >= 0.90) on {splits[-1]}: "
          + ("met" if not missed else "NOT met: " + ", ".join(missed)))
