"""How far two careful human labellers agree, scored with the very figures `make eval` gives casewatch.

    .venv/bin/python eval/agreement.py v9 eval/v9/relabel        # second labels of v9's texts

Issue 13's targets (taken-type precision 0.90, recall 0.85, primary 0.90, background-only 0.95) are
figures of agreement with one team of writers. This script takes a second, independent labelling of the
same texts (people given the same milestone guide and brief, the texts without their labels) and scores
it against the set's labels exactly as `eval/run.py` scores the classifier: the first labels are the
truth, the second labels are the "prediction". The result is the ceiling the guide itself allows: where
two people who read the guide disagree, no reader, human or rules, can agree with both.

Only tuning sets may be relabelled (their texts are read anyway); a held-out set stays unread.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.schema import load_config
from eval.evalset import TUNING_SETS, Item, build, load, problems
from eval.metrics import Outcome, normalise, score
from eval.run import report

HERE = Path(__file__).resolve().parent


def second_labels(folder: Path, split: str) -> dict[str, Item]:
    """Every item of every labels-*.yaml in ``folder``, checked like a set file."""
    out: dict[str, Item] = {}
    for path in sorted(folder.glob("labels-*.yaml")):
        for n, raw in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or [], 1):
            bad = problems(raw, split)
            if bad:
                raise SystemExit(f"{path}: item {n} ({raw.get('id')}): {bad[0]}")
            out[raw["id"]] = build(raw, split)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in TUNING_SETS:
        print(__doc__.strip().splitlines()[2].strip() + "  (a tuning set: " + ", ".join(TUNING_SETS) + ")",
              file=sys.stderr)
        return 2
    name, folder, split = argv[0], Path(argv[1]), "dev"
    items = {i.id: i for i in load(split, TUNING_SETS[name])[0]}
    second = second_labels(folder, split)
    unknown = sorted(set(second) - set(items))
    if unknown:
        print(f"eval: {len(unknown)} relabelled ids are not in {name} (first: {unknown[0]})", file=sys.stderr)
        return 1
    changed = [i for i in second if (second[i].title, second[i].text) != (items[i].title, items[i].text)]
    if changed:
        print(f"eval: {len(changed)} relabelled texts differ from {name}'s (first: {changed[0]})", file=sys.stderr)
        return 1
    case_ids = list(load_config(str(HERE.parent / "config")).cases)
    outcomes = []
    for ident, other in second.items():
        outcomes.append(Outcome(items[ident], {c: c in other.cases for c in case_ids}, normalise(other.steps)))
    scored = [items[i] for i in second]
    print(report(f"second labels of {name} ({len(second)} of {len(items)} texts) against its labels", scored,
                 score(outcomes, case_ids), case_ids))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
