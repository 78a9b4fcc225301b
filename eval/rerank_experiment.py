"""Experiment: does a small learned decision layer over the rules' milestones help on fresh text?

    .venv/bin/python eval/rerank_experiment.py cache     # today's rules (learned=False) over the tuning set
    .venv/bin/python eval/rerank_experiment.py fresh     # v12-v23 read by the classifier first scored on each
    .venv/bin/python eval/rerank_experiment.py loso [--train now|fresh|mix] [--words] [--no-primary-model]
    .venv/bin/python eval/rerank_experiment.py final T_DEMOTE T_PROMOTE [MARGIN] --train fresh  # the one look
    .venv/bin/python eval/rerank_experiment.py weights T_DEMOTE T_PROMOTE --train fresh  # rules/rerank.json

Every milestone the rules output (any type and status) is a candidate; its features are what the rules
said (type, status, the first words of the reason, the verb in the reason) and where it stands (headline,
lead, later; primary or not, the primary's type, other taken steps), the language and a few source cues.
The target is "the labels have that type taken". A logistic regression (pure Python: no numpy in .venv)
re-decides: a taken step whose probability of being taken is below 1 - T_DEMOTE becomes background, a
non-taken step of a type not taken whose probability is above T_PROMOTE becomes taken. Thresholds are chosen
on the out-of-fold predictions of the leave-one-set-out runs over the fresh readings of v12-v23; v24 is the test.
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.evalset import OPENED_SETS, SPLIT_SETS, TUNING_SETS, V2_DIR, Item, load
from eval.metrics import TARGETS, Found, Outcome, score
from pipeline.classify.milestones import rerank

CACHE = Path(__file__).resolve().parents[1] / "var" / "rerank-cache.pkl"
TRAIN_SETS = ["v2", "v4", "v5", "v6", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17"]
TEST_SETS = ["v24"]  # the layer's test: held out whole, scored once by `make eval SET=v24` (never cached)
FIGURES = ("taken_precision", "taken_recall", "primary_accuracy", "background_only_clean")
SHORT = {"taken_precision": "P", "taken_recall": "R", "primary_accuracy": "prim", "background_only_clean": "bg"}


@dataclass(frozen=True)
class Cand:
    """One milestone the rules output, as the layer sees it."""

    type: str
    status: str
    primary: bool
    evidence: str
    reason: str
    sentence: str


@dataclass
class Row:
    set: str
    item: Item
    relevant: dict[str, bool]
    cands: list[Cand]


def groups() -> dict[str, list[tuple[Path, str]]]:
    out: dict[str, list[tuple[Path, str]]] = {"v2": [(V2_DIR, "dev"), (V2_DIR, "test")]}
    out.update({n: [(d, "dev")] for n, d in TUNING_SETS.items()})
    out.update({n: [(d, "dev")] for n, d in SPLIT_SETS.items()})
    out.update({n: [(d, "test")] for n, d in OPENED_SETS.items()})
    return out


def cache() -> None:
    """The rules' output on every item of the tuning set (the classifier as eval/run.py runs it), saved once."""
    from config.schema import load_config
    from pipeline.classify.milestones import find_milestones
    from pipeline.classify.relevance import classify

    cases = list(load_config(str(Path(__file__).resolve().parents[1] / "config")).cases.values())
    rows = []
    for name, parts in groups().items():
        for folder, split in parts:
            for item in load(split, folder)[0]:
                rels = classify(cases, item.title, item.text)
                case = next((c for c, r in zip(cases, rels, strict=True) if r.relevant), None)
                found = find_milestones(item.title, item.text, case=case, language=item.lang,
                                        published=datetime.combine(item.published, time(12)), learned=False)
                rows.append(Row(name, item, {r.case_id: r.relevant for r in rels},
                                [Cand(m.type, m.status, m.primary, m.evidence, m.reason, m.sentence) for m in found]))
        print(name, sum(r.set == name for r in rows), file=sys.stderr)
    CACHE.parent.mkdir(exist_ok=True)
    CACHE.write_bytes(pickle.dumps(rows))


# The classifier each fresh set was scored with once, before anyone tuned on it (its README): its output on that set
# is what the rules give on fresh text, which the rules' output on the sets they were tuned on is not.
FRESH_COMMITS = {"v12": "438d4e8", "v13": "aa2346b", "v14": "323c2dc", "v15": "d38982f", "v16": "b86d973",
                 "v17": "9597831", "v18": "483d553", "v19": "85b63dc", "v20": "877a01f", "v21": "918cbff",
                 "v22": "53560e0", "v23": "f477598"}
FRESH_CACHE = CACHE.with_name("rerank-fresh.pkl")
_CHILD = """
import importlib.util, inspect, pickle, sys
from datetime import datetime, time
from pathlib import Path
sys.path.insert(0, '.')
from config.schema import load_config
from pipeline.classify.milestones import find_milestones
from pipeline.classify.relevance import classify
spec = importlib.util.spec_from_file_location('evalset_now', sys.argv[1])
es = importlib.util.module_from_spec(spec); sys.modules['evalset_now'] = es; spec.loader.exec_module(es)
cases = list(load_config('config').cases.values())
rules_only = {'learned': False} if 'learned' in inspect.signature(find_milestones).parameters else {}
out = {}
for item in es.load('test', Path(sys.argv[2]))[0]:
    rels = classify(cases, item.title, item.text)
    case = next((c for c, r in zip(cases, rels) if r.relevant), None)
    found = find_milestones(item.title, item.text, case=case, language=item.lang,  # the rules alone (no layer)
                            published=datetime.combine(item.published, time(12)), **rules_only)
    out[item.id] = [(m.type, m.status, bool(getattr(m, 'primary', False)), m.evidence, getattr(m, 'reason', ''),
                     getattr(m, 'sentence', '')) for m in found]
sys.stdout.buffer.write(pickle.dumps(out))
"""


def fresh() -> None:
    """Each fresh set read by the classifier it was first scored with (a detached worktree of that commit)."""
    import subprocess
    import tempfile

    root = Path(__file__).resolve().parents[1]
    rows: list[Row] = pickle.loads(CACHE.read_bytes())
    by_id = {r.item.id: r for r in rows}
    out: list[Row] = []
    for name, commit in FRESH_COMMITS.items():
        tree = Path(tempfile.mkdtemp(prefix=f"rerank-{name}-")) / "tree"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(tree), commit], check=True,
                       capture_output=True)
        try:
            got = pickle.loads(subprocess.run([sys.executable, "-c", _CHILD, str(root / "eval" / "evalset.py"),
                                               str(OPENED_SETS[name])], cwd=tree, check=True,
                                              capture_output=True).stdout)
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(tree)], check=True)
        for ident, found in got.items():
            now = by_id[ident]
            out.append(Row(name, now.item, now.relevant, [Cand(*m) for m in found]))
        print(name, commit, len(got), file=sys.stderr)
    FRESH_CACHE.write_bytes(pickle.dumps(out))


# ---------------------------------------------------------------- logistic regression (sparse, pure Python)

def train(data: Sequence[tuple[list[str], int]], l2: float = 1e-3, epochs: int = 12, seed: int = 7) -> dict[str, float]:
    """SGD with AdaGrad steps and L2 on a sparse binary design; returns name -> weight."""
    w: dict[str, float] = {}
    g2: dict[str, float] = {}
    order = list(range(len(data)))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            feats, y = data[i]
            z = sum(w.get(n, 0.0) for n in feats)
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
            err = p - y
            for n in feats:
                wn = w.get(n, 0.0)
                grad = err + (l2 * wn if n != "bias" else 0.0)
                acc = g2.get(n, 1e-8) + grad * grad
                g2[n] = acc
                w[n] = wn - 0.5 * grad / math.sqrt(acc)
    return w


def prob(w: dict[str, float], feats: Iterable[str]) -> float:
    z = sum(w.get(n, 0.0) for n in feats)
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def top(w: dict[str, float], feats: Iterable[str], n: int = 3, sign: int = 1) -> list[str]:
    return [f"{f} {w[f]:+.2f}" for f in sorted((f for f in feats if f in w and f != "bias"),
                                                key=lambda f: -sign * w[f])[:n]]


# ---------------------------------------------------------------- re-decision and scoring

def redecide(cands: Sequence[Cand], probs: Sequence[float], t_demote: float, t_promote: float,
             promote_from: tuple[str, ...] = ("background",), prim: Sequence[float] | None = None,
             margin: float = 9.0) -> list[Cand]:
    """Flip taken -> background when p(taken) < 1 - t_demote; background -> taken when p > t_promote and the type is
    not taken; the primary is the rules' primary if still taken, else the first taken in the rules' order."""
    out = list(cands)
    for k, (c, p) in enumerate(zip(cands, probs, strict=True)):
        if c.status == "taken" and p < 1 - t_demote and not (KEEP_PRIMARY and c.primary):
            out[k] = replace(c, status="background", primary=False)
    taken_types = {c.type for c in out if c.status == "taken"}
    best: dict[str, int] = {}
    for k, (c, p) in enumerate(zip(out, probs, strict=True)):
        if c.status in promote_from and c.type not in taken_types and p > t_promote and rerank.promotable(c.reason) \
                and (c.type not in best or p > probs[best[c.type]]):
            best[c.type] = k
    for k in best.values():
        out[k] = replace(out[k], status="taken")
    if not any(c.primary for c in out):
        taken = [k for k, c in enumerate(out) if c.status == "taken"]
        if taken:
            pick = next((k for k in taken if k not in best.values()), None)
            if pick is None:
                pick = max(taken, key=lambda k: probs[k])
            out[pick] = replace(out[pick], primary=True)
    if prim is not None:  # the primary model overrules the rules' choice by a margin
        taken = [k for k, c in enumerate(out) if c.status == "taken"]
        cur = next((k for k, c in enumerate(out) if c.primary), None)
        if taken and cur is not None:
            best_k = max(taken, key=lambda k: prim[k])
            if prim[best_k] - prim[cur] > margin:
                out[cur] = replace(out[cur], primary=False)
                out[best_k] = replace(out[best_k], primary=True)
    return out


def figures(rows: Sequence[Row], decided: Sequence[Sequence[Cand]]) -> dict[str, float]:
    outs = [Outcome(r.item, r.relevant, tuple(Found(c.type, c.status, c.primary, c.evidence) for c in cs))
            for r, cs in zip(rows, decided, strict=True)]
    fig = score(outs, list(rows[0].relevant)).figures() if rows else {}
    return {k: (fig[k] or 0.0) for k in FIGURES}


def design(rows: Sequence[Row], words: bool) -> list[list[list[str]]]:
    return [[rerank.features(r.item.title, r.item.text, r.item.lang, r.cands, k, words) for k in range(len(r.cands))]
            for r in rows]


def labels(rows: Sequence[Row], primary: bool = False) -> list[list[int]]:
    if primary:
        return [[int(c.type == r.item.primary_type) for c in r.cands] for r in rows]
    return [[int(c.type in r.item.taken_types) for c in r.cands] for r in rows]


def flat(rows_x: Sequence[list[list[str]]], rows_y: Sequence[list[int]]) -> list[tuple[list[str], int]]:
    return [(x, y) for xs, ys in zip(rows_x, rows_y, strict=True) for x, y in zip(xs, ys, strict=True)]


def fmt(fig: dict[str, float]) -> str:
    return " ".join(f"{SHORT[k]} {fig[k]:.3f}" for k in FIGURES)


GRID_D = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.01)  # 1.01: never demote
GRID_P = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.01)  # 1.01: never promote


LOSS_WEIGHT, KEEP_PRIMARY = 3.0, False  # --loss-weight (0: the targets' margin); --keep-primary: keep the primary
MARGINS = (9.0, 0.3, 0.1, 0.0)  # 9: the rules' primary always stays


def objective(base: dict[str, float], fig: dict[str, float]) -> float:
    """The four figures' gains, a loss counted LOSS_WEIGHT times; with 0, the smallest margin over the targets."""
    if not LOSS_WEIGHT:
        return min(fig[k] - TARGETS[k] for k in FIGURES)
    return sum(d if d >= 0 else LOSS_WEIGHT * d for d in (fig[k] - base[k] for k in FIGURES))


def loso(evals: dict[str, list[Row]], pool: list[Row], words: bool, l2: float, promote_from: tuple[str, ...],
         say: Callable[[str], None] = print) -> tuple[float, float]:
    """Each set of ``evals`` scored with a layer trained on ``pool`` without that set; thresholds on the mean."""
    xs = {id(r): f for r, f in zip(pool, design(pool, words), strict=True)}
    ys = {id(r): y for r, y in zip(pool, labels(pool), strict=True)}
    yp = {id(r): y for r, y in zip(pool, labels(pool, primary=True), strict=True)}
    oof: dict[str, list[list[float]]] = {}
    oofp: dict[str, list[list[float]]] = {}
    for held, rows in evals.items():
        use = [r for r in pool if r.set != held]
        w = train(flat([xs[id(r)] for r in use], [ys[id(r)] for r in use]), l2=l2)
        wp = train(flat([xs[id(r)] for r in use], [yp[id(r)] for r in use]), l2=l2)
        fss = design(rows, words)
        oof[held] = [[prob(w, f) for f in fs] for fs in fss]
        oofp[held] = [[prob(wp, f) for f in fs] for fs in fss]
    base = {s: figures(rows, [r.cands for r in rows]) for s, rows in evals.items()}
    mean_base = {k: sum(b[k] for b in base.values()) / len(base) for k in FIGURES}
    results = {}
    for td in GRID_D:
        for tp in GRID_P:
            for mg in MARGINS:
                per = {s: figures(rows, [redecide(r.cands, p, td, tp, promote_from, q, mg)
                                         for r, p, q in zip(rows, oof[s], oofp[s], strict=True)])
                       for s, rows in evals.items()}
                mean = {k: sum(p[k] for p in per.values()) / len(per) for k in FIGURES}
                results[(td, tp, mg)] = (objective(mean_base, mean), mean, per)
    (td, tp, mg), (obj, mean, per) = max(results.items(), key=lambda kv: kv[1][0])
    say(f"l2={l2} words={words} promote_from={promote_from}: best T_DEMOTE={td} T_PROMOTE={tp} MARGIN={mg} "
        f"objective {obj:+.4f}")
    say(f"  LOSO mean, rules:      {fmt(mean_base)}")
    say(f"  LOSO mean, with layer: {fmt(mean)}")
    for s in evals:
        say(f"    {s:4} rules {fmt(base[s])}   layer {fmt(per[s])}")
    nested = {}  # each held-out set's thresholds chosen on the other sets' out-of-fold figures
    for s in evals:
        def others_obj(kv: tuple[tuple[float, float, float], Any], s: str = s) -> float:
            o = [t for n, t in kv[1][2].items() if n != s]
            ob = [b for n, b in base.items() if n != s]
            m = {k: sum(t[k] for t in o) / len(o) for k in FIGURES}
            mb = {k: sum(b[k] for b in ob) / len(ob) for k in FIGURES}
            return objective(mb, m)
        choice = max(results.items(), key=others_obj)
        nested[s] = (choice[0], choice[1][2][s])
    nmean = {k: sum(v[1][k] for v in nested.values()) / len(nested) for k in FIGURES}
    say(f"  LOSO mean, nested threshold choice: {fmt(nmean)}  thresholds "
        f"{Counter(v[0] for v in nested.values()).most_common(3)}")
    for k in (0.5, 0.7, 0.8, 0.9):
        for name, key in (("demote only", (k, 1.01, 9.0)), ("promote only", (1.01, k, 9.0))):
            if key in results:
                say(f"  {name} at {k}: {fmt(results[key][1])}")
    for mg in MARGINS:
        say(f"  at T_DEMOTE={td} T_PROMOTE={tp} with primary margin {mg}: {fmt(results[(td, tp, mg)][1])}")
    return td, tp


def final(pool: list[Row], tests: list[Row], td: float, tp: float, words: bool, l2: float,
          promote_from: tuple[str, ...], mg: float = 9.0) -> None:
    """The one look: trained on the whole pool, applied to TEST_SETS as the rules read them now."""
    assert not {r.set for r in pool} & set(TEST_SETS)
    w = train(flat(design(pool, words), labels(pool)), l2=l2)
    wp = train(flat(design(pool, words), labels(pool, primary=True)), l2=l2)
    for name, rows in [*((s, [r for r in tests if r.set == s]) for s in TEST_SETS), ("all tests", tests)]:
        decided = [redecide(r.cands, [prob(w, f) for f in fs], td, tp, promote_from, [prob(wp, f) for f in fs], mg)
                   for r, fs in zip(rows, design(rows, words), strict=True)]
        print(f"{name:8} {len(rows)} texts  rules {fmt(figures(rows, [r.cands for r in rows]))}   "
              f"layer {fmt(figures(rows, decided))}")
    decided = [redecide(r.cands, [prob(w, f) for f in fs], td, tp, promote_from, [prob(wp, f) for f in fs], mg)
               for r, fs in zip(tests, design(tests, words), strict=True)]
    flips = Counter((a.status, b.status, a.type) for r, d in zip(tests, decided, strict=True)
                    for a, b in zip(r.cands, d, strict=True) if a.status != b.status)
    print("flips on v18+v19:", flips.most_common(12))
    print("largest weights:", ", ".join(f"{n} {v:+.2f}" for n, v in sorted(w.items(), key=lambda kv: -abs(kv[1]))[:25]))


def save_weights(pool: list[Row], td: float, tp: float, l2: float, words: bool) -> None:
    """Train on the whole pool (never TEST_SETS) and write the runtime layer's data file."""
    assert not {r.set for r in pool} & set(TEST_SETS)
    w = train(flat(design(pool, words), labels(pool)), l2=l2)
    doc = {"about": "pipeline/classify/milestones/rerank.py: logistic weights over named features; written by "
                    "eval/rerank_experiment.py weights (see eval/rerank.md)",
           "trained_on": sorted({r.set for r in pool}), "examples": sum(len(r.cands) for r in pool), "l2": l2,
           "t_demote": td, "t_promote": tp, "sentence_words": words,
           "weights": {n: round(v, 4) for n, v in sorted(w.items()) if abs(v) >= 1e-4}}
    rerank.WEIGHTS.write_text(json.dumps(doc, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{rerank.WEIGHTS}: {len(doc['weights'])} weights", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=["cache", "fresh", "loso", "final", "weights"])
    ap.add_argument("thresholds", nargs="*", type=float)
    ap.add_argument("--words", action="store_true", help="add the stems of the candidate's sentence as features")
    ap.add_argument("--l2", type=float, default=1e-3)
    ap.add_argument("--no-primary-model", action="store_true", help="keep the rules' primary (the shipped layer)")
    ap.add_argument("--keep-primary", action="store_true", help="never demote the rules' primary step")
    ap.add_argument("--loss-weight", type=float, default=3.0, help="how much a figure's loss counts against gains")
    ap.add_argument("--promote-from", default="background", help="comma-separated statuses a step may be promoted from")
    ap.add_argument("--train", default="now", choices=["now", "fresh", "mix"],
                    help="now: the rules of today on v2-v17; fresh: v12-v23 as the classifier first scored them; "
                         "mix: both (LOSO then scores the fresh readings)")
    args = ap.parse_args(argv)
    if args.cmd == "cache":
        cache()
        return 0
    if args.cmd == "fresh":
        fresh()
        return 0
    rows: list[Row] = pickle.loads(CACHE.read_bytes())
    now = [r for r in rows if r.set in TRAIN_SETS]
    first: list[Row] = pickle.loads(FRESH_CACHE.read_bytes()) if args.train != "now" else []
    pool = {"now": now, "fresh": first, "mix": now + first}[args.train]
    promote_from = tuple(args.promote_from.split(","))
    global LOSS_WEIGHT, MARGINS, KEEP_PRIMARY
    LOSS_WEIGHT, KEEP_PRIMARY = args.loss_weight, args.keep_primary
    if args.no_primary_model:
        MARGINS = (9.0,)
    if args.cmd == "weights":
        save_weights(pool, args.thresholds[0], args.thresholds[1], args.l2, args.words)
    elif args.cmd == "loso":
        evals = {s: [r for r in (first if first else now) if r.set == s]
                 for s in (FRESH_COMMITS if first else TRAIN_SETS)}
        loso(evals, pool, args.words, args.l2, promote_from)
    else:
        final(pool, [r for r in rows if r.set in TEST_SETS], args.thresholds[0], args.thresholds[1], args.words,
              args.l2, promote_from, args.thresholds[2] if len(args.thresholds) > 2 else 9.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
