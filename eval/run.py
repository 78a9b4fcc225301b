"""`make eval`: how well casewatch decides relevance and legal steps on a labelled set.

    .venv/bin/python eval/run.py [--set tune|v2|v4|v3|v1] [--split dev|test|all] [--errors] [--json]

Sets written independently from the milestone guide, every step labelled with its status (see
eval/v2/README.md): v2 (dev and test; its test split was held out for two runs, then opened for
tuning when v3 took its place) and v4 (three later writers, for tuning) make the tuning set `tune`
(the default). v3 (three other writers, same brief) is held out whole: run it (`make eval SET=v3`)
once, at the end of the work; per-item results on it are never shown. v1 (eval/dev.yaml,
eval/test.yaml): the first set, one main milestone per text, kept as it was (`--set v1`).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from datetime import datetime, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.schema import Case, ConfigError, load_config
from eval import v1
from eval.evalset import (
    HELD_OUT_SETS,
    LANGS,
    OPENED_SETS,
    SPLIT_SETS,
    STATUSES,
    TUNING_SETS,
    V2_DIR,
    WHOLE_TEST_SETS,
    EvalSetError,
    Item,
    load,
)
from eval.metrics import NONE, TARGETS, Outcome, Scores, normalise, score
from pipeline.classify.milestones import find_milestones
from pipeline.classify.relevance import classify

HERE = Path(__file__).resolve().parent
LABELS = {
    "relevance_precision": "relevance precision", "relevance_recall": "relevance recall",
    "taken_precision": "taken-type precision (micro)", "taken_recall": "taken-type recall (micro)",
    "primary_accuracy": "primary-step accuracy", "background_only_clean": "background-only texts, no taken step",
}


def predict(item: Item, cases: Sequence[Case]) -> Outcome:
    """The classifier as ingest runs it: relevance to every configured case at once, then the steps
    read with the first relevant case's vocabulary (none when the text is about no case)."""
    rels = classify(list(cases), item.title, item.text)
    case = next((c for c, r in zip(cases, rels, strict=True) if r.relevant), None)
    published = datetime.combine(item.published, time(12))
    found = find_milestones(item.title, item.text, case=case, language=item.lang, published=published)
    return Outcome(item, {r.case_id: r.relevant for r in rels}, normalise(found),
                   {r.case_id: r.explain() for r in rels})


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def _target(key: str, value: float | None) -> str:
    target = TARGETS[key]
    verdict = "n/a" if value is None else ("met" if value >= target else "NOT met")
    return f"(target >= {target:.2f}: {verdict})"


def report(name: str, items: list[Item], s: Scores, case_ids: Sequence[str]) -> str:
    """The human-readable report: headline figures with their targets, per-type table, confusion."""
    langs = ", ".join(f"{lang} {sum(i.lang == lang for i in items)}" for lang in LANGS)
    fig = s.figures()
    r, t = s.relevance, s.taken
    lines = [
        f"{name}: {s.texts} texts ({langs}); relevance over {s.texts * len(case_ids)} (text, case) pairs "
        f"for {', '.join(case_ids)}",
        f"  {LABELS['relevance_precision']:<38} {_fmt(fig['relevance_precision'])}  "
        f"{_target('relevance_precision', fig['relevance_precision'])}  tp {r.tp}, fp {r.fp}",
        f"  {LABELS['relevance_recall']:<38} {_fmt(fig['relevance_recall'])}  "
        f"{_target('relevance_recall', fig['relevance_recall'])}  fn {r.fn}",
        f"  {LABELS['taken_precision']:<38} {_fmt(fig['taken_precision'])}  "
        f"{_target('taken_precision', fig['taken_precision'])}  tp {t.tp}, fp {t.fp}",
        f"  {LABELS['taken_recall']:<38} {_fmt(fig['taken_recall'])}  "
        f"{_target('taken_recall', fig['taken_recall'])}  fn {t.fn}",
        f"  {LABELS['primary_accuracy']:<38} {_fmt(fig['primary_accuracy'])}  "
        f"{_target('primary_accuracy', fig['primary_accuracy'])}  {s.primary.right}/{s.primary.total} texts",
        f"  {LABELS['background_only_clean']:<38} {_fmt(fig['background_only_clean'])}  "
        f"{_target('background_only_clean', fig['background_only_clean'])}  "
        f"{s.background_only.total - s.background_only.right}/{s.background_only.total} get a taken step",
        f"  {'status accuracy (steps found)':<38} {_fmt(s.status_accuracy.value)}  "
        f"{s.status_accuracy.right}/{s.status_accuracy.total} steps",
        f"  {'taken types exactly right':<38} {_fmt(s.exact_taken.value)}  "
        f"{s.exact_taken.right}/{s.exact_taken.total} texts with a taken step",
        f"  {'texts with no step, no taken step':<38} {_fmt(s.no_steps.value)}  "
        f"{s.no_steps.total - s.no_steps.right}/{s.no_steps.total} get a taken step",
        "  taken steps per type:",
        f"    {'type':<26} {'labelled':>8} {'found':>6} {'right':>6} {'precision':>10} {'recall':>7}",
    ]
    for mtype, pr in sorted(s.per_type.items()):
        lines.append(f"    {mtype:<26} {pr.tp + pr.fn:>8} {pr.tp + pr.fp:>6} {pr.tp:>6} "
                     f"{_fmt(pr.precision):>10} {_fmt(pr.recall):>7}")
    lines.append(f"    {'(micro)':<26} {t.tp + t.fn:>8} {t.tp + t.fp:>6} {t.tp:>6} "
                 f"{_fmt(t.precision):>10} {_fmt(t.recall):>7}")
    found_cols = [*STATUSES, *sorted({b for _, b in s.confusion} - {*STATUSES, NONE}), NONE]
    lines.append("  status confusion (rows labelled, columns found; steps paired by type and place):")
    lines.append("    " + f"{'':<12}" + "".join(f"{c:>11}" for c in found_cols))
    for row in [*STATUSES, NONE]:
        cells = [s.confusion[(row, c)] for c in found_cols]
        if row == NONE:
            cells[-1] = 0
        lines.append("    " + f"{row:<12}" + "".join(f"{n:>11}" for n in cells))
    missed = [LABELS[k] for k, v in fig.items() if v is not None and v < TARGETS[k]]
    lines.append(f"targets of issue 13 on {name}: " + ("met" if not missed else "NOT met: " + "; ".join(missed)))
    return "\n".join(lines)


def run_v2(evalset: str, split: str, cases: dict[str, Case], parts: Sequence[tuple[Path, Sequence[str]]],
           errors: bool, as_json: bool) -> int:
    """Score the items of ``parts`` (directory, splits) together."""
    items: list[Item] = []
    for data, splits in parts:
        for one in splits:
            found, missing = load(one, data)
            items += found
            for path in missing:
                print(f"eval: {path} is missing; scoring what is there", file=sys.stderr)
    if not items:
        print(f"eval: no {split} items under {', '.join(str(d) for d, _ in parts)}", file=sys.stderr)
        return 2
    ordered = list(cases.values())
    case_ids = [c.id for c in ordered]
    scores = score((predict(i, ordered) for i in items), case_ids)
    if as_json:
        doc = {"set": evalset, "split": split, "by_lang": {lang: sum(i.lang == lang for i in items) for lang in LANGS},
               **scores.as_dict()}
        if errors:
            doc["errors"] = [{"id": m.id, "title": m.title, "mistakes": m.lines} for m in scores.mistakes]
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    print(report(f"{evalset} {split}", items, scores, case_ids))
    if errors:
        print(f"mistakes on {len(scores.mistakes)} of {scores.texts} texts:")
        for m in scores.mistakes:
            print(f"  {m.id} | {m.title}")
            for line in m.lines:
                print(f"      ! {line}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="evalset",
                        choices=["tune", "v2", *TUNING_SETS, *SPLIT_SETS, *OPENED_SETS, *HELD_OUT_SETS, "v1"],
                        default="tune", help="tune: the tuning set, v2, v4, v5, v6, v9 and v10's dev split "
                                             "(default); v10: --split dev, or test once at the end; v3, v7, "
                                             "v8: held-out sets, each run once; v1: the first set")
    parser.add_argument("--split", choices=["dev", "test", "all"], default=None,
                        help="v2: dev, test or all (default); v3: test (all of it); v1: one split (default: each)")
    parser.add_argument("--config", default=str(HERE.parent / "config"))
    parser.add_argument("--data", default=None, help="directory of {es,en}.{dev,test}.yaml (default: the set's)")
    parser.add_argument("--errors", action="store_true", help="list every wrong decision (not on v3)")
    parser.add_argument("--json", action="store_true", help="one JSON document")
    args = parser.parse_args(argv)
    if args.evalset in WHOLE_TEST_SETS and args.split not in (None, "test"):
        parser.error(f"{args.evalset} is held out whole: its only split is test")
    if (args.evalset in TUNING_SETS or args.evalset == "tune") and args.split not in (None, "all"):
        parser.error(f"{args.evalset} is scored whole (no held-out split); for one split of v2: --set v2")
    if args.evalset in SPLIT_SETS and args.split not in (None, "dev", "test"):
        parser.error(f"{args.evalset} has a dev split (tuning) and a test split (held out): --split dev or test")
    held_out = args.evalset in HELD_OUT_SETS or (args.evalset in SPLIT_SETS and args.split == "test")
    if held_out and args.errors:
        print(f"eval: --errors is refused on the held-out set {args.evalset} (per-item results are for the tuning "
              "sets only)", file=sys.stderr)
        return 2
    try:
        cases = load_config(args.config).cases
        if args.evalset == "v1":
            v1.run(args.split, cases, args.errors, args.json)
            return 0
        both = ("dev", "test")
        if args.evalset in WHOLE_TEST_SETS:
            folder = Path(args.data or WHOLE_TEST_SETS[args.evalset])
            return run_v2(args.evalset, "test", cases, [(folder, ["test"])], args.errors, args.json)
        if args.evalset in SPLIT_SETS:
            folder = Path(args.data or SPLIT_SETS[args.evalset])
            return run_v2(args.evalset, args.split or "dev", cases, [(folder, [args.split or "dev"])], args.errors,
                          args.json)
        if args.evalset in TUNING_SETS:
            folder = Path(args.data or TUNING_SETS[args.evalset])
            return run_v2(args.evalset, "all", cases, [(folder, ["dev"])], args.errors, args.json)
        if args.evalset == "tune":
            parts = [(Path(args.data), both)] if args.data else [
                (V2_DIR, both), *((folder, ["dev"]) for folder in TUNING_SETS.values()),
                *((folder, ["dev"]) for folder in SPLIT_SETS.values()),
                *((folder, ["test"]) for folder in OPENED_SETS.values())]
            names = [*TUNING_SETS, *(f"{name} dev" for name in SPLIT_SETS), *OPENED_SETS]
            return run_v2("tune (v2 + " + " + ".join(names) + ")", "all", cases, parts, args.errors, args.json)
        split = args.split or "all"
        return run_v2("v2", split, cases, [(Path(args.data or V2_DIR), both if split == "all" else [split])],
                      args.errors, args.json)
    except (EvalSetError, ConfigError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # `eval/run.py --errors | head` ends quietly, as a shell user expects
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
