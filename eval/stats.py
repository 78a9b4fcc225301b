"""Validate the evaluation set (eval/dev.yaml, eval/test.yaml) and print its counts.

    python eval/stats.py            # validate, print markdown tables; exit 1 on any problem

Checks: unique ids, allowed values, status set iff milestone set, origin format, and the coverage
rules of the set (every milestone type >= 5 items, >= 2 in test, >= 1 English example).
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SPLITS = ("dev", "test")
MILESTONES = (
    "complaint",
    "constitutional_complaint",
    "preliminary_investigation",
    "investigation_extended",
    "formal_investigation",
    "indictment",
    "hearing",
    "trial",
    "ruling",
    "coercive_measure",
    "archived",
    "testimony",
    "forensic",
    "report",
    "precautionary_measure",
    "statement",
    "institutional",
    "legislation",
    "appeal",
)
CASES = ("juliaca-2023", "ayacucho-2022", None)
RELATED = ("juliaca-2011", "other", None)
KEYS = {"id", "lang", "title", "text", "case", "related", "milestone", "status", "origin"}
OPTIONAL = {"note"}


def load() -> list[dict]:
    items = []
    for split in SPLITS:
        data = yaml.safe_load((HERE / f"{split}.yaml").read_text(encoding="utf-8"))
        for item in data:
            item["_split"] = split
            items.append(item)
    return items


def category(item: dict) -> str:
    if item["case"]:
        return item["case"]
    return f"related: {item['related']}" if item["related"] else "unrelated"


def validate(items: list[dict]) -> list[str]:
    errors = []
    seen = collections.Counter(i.get("id") for i in items)
    errors += [f"duplicate id {k}" for k, n in seen.items() if n > 1]
    for it in items:
        where = f"{it['_split']}.yaml {it.get('id')}"
        keys = set(it) - {"_split"}
        if KEYS - keys:
            errors.append(f"{where}: missing {sorted(KEYS - keys)}")
            continue
        if keys - KEYS - OPTIONAL:
            errors.append(f"{where}: unknown keys {sorted(keys - KEYS - OPTIONAL)}")
        if not re.fullmatch(r"(es|en)-\d{3}", str(it["id"])) or not it["id"].startswith(it["lang"]):
            errors.append(f"{where}: id must be <lang>-NNN")
        if it["lang"] not in ("es", "en"):
            errors.append(f"{where}: lang {it['lang']!r}")
        if it["case"] not in CASES:
            errors.append(f"{where}: case {it['case']!r}")
        if it["related"] not in RELATED:
            errors.append(f"{where}: related {it['related']!r}")
        if it["case"] and it["related"]:
            errors.append(f"{where}: related is only for texts that are not about a tracked case")
        if it["milestone"] not in MILESTONES + (None,):
            errors.append(f"{where}: milestone {it['milestone']!r}")
        if it["milestone"] and it["status"] not in ("taken", "announced"):
            errors.append(f"{where}: status must be taken|announced when milestone is set")
        if not it["milestone"] and it["status"] is not None:
            errors.append(f"{where}: status must be null without a milestone")
        if not (it["origin"] == "written" or re.fullmatch(r"feed:[\w.-]+\.xml", str(it["origin"]))):
            errors.append(f"{where}: origin {it['origin']!r}")
        if not str(it["title"]).strip():
            errors.append(f"{where}: empty title")
    # coverage rules of the set
    for m in MILESTONES:
        of = [i for i in items if i["milestone"] == m]
        if len(of) < 5:
            errors.append(f"milestone {m}: {len(of)} items (< 5)")
        if sum(i["_split"] == "test" for i in of) < 2:
            errors.append(f"milestone {m}: fewer than 2 items in test")
        if not any(i["lang"] == "en" for i in of):
            errors.append(f"milestone {m}: no English example")
    for split in SPLITS:
        cats = {category(i) for i in items if i["_split"] == split}
        missing = {category(i) for i in items} - cats
        if missing:
            errors.append(f"{split}: no items of {sorted(missing)}")
    return errors


def table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def report(items: list[dict]) -> str:
    def count(pred, split=None):
        return sum(1 for i in items if pred(i) and (split is None or i["_split"] == split))

    parts = []
    rows = [["**total**", count(lambda i: True, "dev"), count(lambda i: True, "test"), len(items)]]
    cats = ["juliaca-2023", "ayacucho-2022", "related: juliaca-2011", "related: other", "unrelated"]
    for c in cats:
        rows.append(
            [c] + [count(lambda i, c=c: category(i) == c, s) for s in SPLITS] + [count(lambda i, c=c: category(i) == c)]
        )
    rows.append(
        ["of which from real feeds"]
        + [count(lambda i: i["origin"] != "written", s) for s in SPLITS]
        + [count(lambda i: i["origin"] != "written")]
    )
    rows.append(
        ["English"] + [count(lambda i: i["lang"] == "en", s) for s in SPLITS] + [count(lambda i: i["lang"] == "en")]
    )
    parts.append(table(["category", "dev", "test", "total"], rows))

    rows = []
    for m in MILESTONES + (None,):
        sel = [i for i in items if i["milestone"] == m]
        rows.append(
            [
                m or "(none)",
                sum(i["_split"] == "dev" for i in sel),
                sum(i["_split"] == "test" for i in sel),
                len(sel),
                sum(i["case"] == "juliaca-2023" for i in sel),
                sum(i["case"] == "ayacucho-2022" for i in sel),
                sum(i["case"] is None for i in sel),
                sum(i["status"] == "announced" for i in sel),
                sum(i["lang"] == "en" for i in sel),
            ]
        )
    parts.append(
        table(["milestone", "dev", "test", "total", "juliaca", "ayacucho", "case null", "announced", "en"], rows)
    )

    feeds = collections.Counter(i["origin"] for i in items if i["origin"] != "written")
    parts.append(
        table(
            ["origin", "items", "of which juliaca-2023"],
            [
                [o, n, count(lambda i, o=o: i["origin"] == o and i["case"] == "juliaca-2023")]
                for o, n in sorted(feeds.items())
            ],
        )
    )
    return "\n\n".join(parts)


def main() -> int:
    items = load()
    errors = validate(items)
    print(report(items))
    if errors:
        print("\nPROBLEMS:", *errors, sep="\n  ", file=sys.stderr)
        return 1
    print(f"\nOK: {len(items)} items, {len({i['id'] for i in items})} unique ids")
    return 0


if __name__ == "__main__":
    sys.exit(main())
