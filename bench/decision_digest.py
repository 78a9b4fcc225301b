"""Digests of every classifier decision on the eval texts and the bench pages: run before and after a change
that must not change a decision, and compare the lines.

    .venv/bin/python bench/decision_digest.py [all|eval|bench] [PAGES]

For each text (every item of eval/v*/{es,en}.{dev,test}.yaml; the first PAGES bench pages, read with the
bench's scope): ``decide`` for every case (relevance, matched terms, explanation, every step with its type,
status, primary flag, evidence, reason and date), ingest's ``_decide`` (relevance and the steps of relevant
cases), and eval's reading (``classify``, then ``find_milestones`` with the first relevant case).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from datetime import datetime, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.newssite import SCOPE, NewsSite  # noqa: E402
from config.schema import load_config  # noqa: E402
from crawler.extract.text import main_text  # noqa: E402
from eval.evalset import load  # noqa: E402
from pipeline.classify.decision import decide  # noqa: E402
from pipeline.classify.milestones import Milestone, find_milestones  # noqa: E402
from pipeline.classify.relevance import classify  # noqa: E402
from pipeline.ingest import _decide  # noqa: E402

CASES = list(load_config(ROOT / "config").cases.values())


def _steps(steps: Iterable[Milestone]) -> list[tuple[str, str]]:
    return [(m.explain(), repr(m)) for m in steps]


def _digest(h: hashlib._Hash, title: str, text: str, lang: str, published: datetime | None) -> None:
    decisions = decide(CASES, title, text, published=published, language=lang)
    h.update(json.dumps([d.as_dict() for d in decisions], sort_keys=True, default=str).encode())
    h.update(repr([_steps(d.steps) for d in decisions]).encode())
    h.update(repr([(d.relevance, _steps(d.steps)) for d in _decide(CASES, title, text, published=published)]).encode())
    rels = classify(CASES, title, text)
    case = next((c for c, r in zip(CASES, rels, strict=True) if r.relevant), None)
    h.update(repr(_steps(find_milestones(title, text, case=case, language=lang, published=published))).encode())


def main(which: str = "all", pages: int = 1000) -> None:
    if which in ("all", "eval"):
        h, n = hashlib.sha256(), 0
        for folder in sorted((ROOT / "eval").glob("v[0-9]*")):
            for split in ("dev", "test"):
                items, _missing = load(split, folder)
                for item in items:
                    _digest(h, item.title, item.text, item.lang, datetime.combine(item.published, time(12)))
                    n += 1
        print(f"eval texts {n}: {h.hexdigest()}")
    if which in ("all", "bench"):
        h, site = hashlib.sha256(), NewsSite(pages)
        for i in range(site.n):
            page = main_text(site.body(i, 0).decode(), url=f"http://bench/nota/{i}", scope=SCOPE)
            _digest(h, page.title, page.text, "es", page.published_at)
        print(f"bench pages {site.n}: {h.hexdigest()}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "all", int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
