"""Copy a set written by three writers into eval/v3/ or eval/v4/, byte for byte, after checking it.

    .venv/bin/python eval/import_writers.py v3 /work/evalsets/v3     # held out whole: es.test, en.test
    .venv/bin/python eval/import_writers.py v4 /work/evalsets/v4     # for tuning: es.dev, en.dev
    .venv/bin/python eval/import_writers.py v5 /work/evalsets/v5     # a check on fresh text, then tuning
    .venv/bin/python eval/import_writers.py v6 /work/evalsets/v6     # the same
    .venv/bin/python eval/import_writers.py v7 /work/evalsets/v7     # held out whole, like v3
    .venv/bin/python eval/import_writers.py v8 /work/evalsets/v8     # held out whole, like v3 and v7
    .venv/bin/python eval/import_writers.py v9 /work/evalsets/v9     # a check on fresh text, then tuning
    .venv/bin/python eval/import_writers.py v10 /work/evalsets/v10   # split by k % 5: dev tunes, test held out
    .venv/bin/python eval/import_writers.py v11 /work/evalsets/v11   # the same
    .venv/bin/python eval/import_writers.py v12 /work/evalsets/v12   # held out whole, like v3, v7 and v8
    .venv/bin/python eval/import_writers.py v13 /work/evalsets/v13   # the same
    .venv/bin/python eval/import_writers.py v14 /work/evalsets/v14   # the same
    .venv/bin/python eval/import_writers.py v15 /work/evalsets/v15   # the same, four writers
    .venv/bin/python eval/import_writers.py v16 /work/evalsets/v16   # the same
    .venv/bin/python eval/import_writers.py v17 /work/evalsets/v17   # the same
    .venv/bin/python eval/import_writers.py v18 /work/evalsets/v18   # the same
    .venv/bin/python eval/import_writers.py v19 /work/evalsets/v19   # the same
    .venv/bin/python eval/import_writers.py v20 /work/evalsets/v20   # the same
    .venv/bin/python eval/import_writers.py v21 /work/evalsets/v21   # the same
    .venv/bin/python eval/import_writers.py v22 /work/evalsets/v22   # the same
    .venv/bin/python eval/import_writers.py v23 /work/evalsets/v23   # the same
    .venv/bin/python eval/import_writers.py v24 /work/evalsets/v24   # the same

Each writer wrote one file (v3: es-v3-a, es-v3-b, en-v3-c; v4: es-v4-d, es-v4-e, en-v4-f); the Spanish
files are joined. Only ids, counts and problems are printed, never texts or labels (nobody tuning
casewatch reads v3). A missing writer's file is skipped and named.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.evalset import (
    V3_DIR,
    V4_DIR,
    V5_DIR,
    V6_DIR,
    V7_DIR,
    V8_DIR,
    V9_DIR,
    V10_DIR,
    V11_DIR,
    V12_DIR,
    V13_DIR,
    V14_DIR,
    V15_DIR,
    V16_DIR,
    V17_DIR,
    V18_DIR,
    V19_DIR,
    V20_DIR,
    V21_DIR,
    V22_DIR,
    V23_DIR,
    V24_DIR,
    problems,
    split_of,
)

SETS = {
    "v3": (V3_DIR, "test", {"es": ("es-v3-a.yaml", "es-v3-b.yaml"), "en": ("en-v3-c.yaml",)}),
    "v4": (V4_DIR, "dev", {"es": ("es-v4-d.yaml", "es-v4-e.yaml"), "en": ("en-v4-f.yaml",)}),
    "v5": (V5_DIR, "dev", {"es": ("es-v5-g.yaml", "es-v5-h.yaml"), "en": ("en-v5-i.yaml",)}),
    "v6": (V6_DIR, "dev", {"es": ("es-v6-j.yaml", "es-v6-k.yaml"), "en": ("en-v6-l.yaml",)}),
    "v7": (V7_DIR, "test", {"es": ("es-v7-m.yaml", "es-v7-n.yaml"), "en": ("en-v7-o.yaml",)}),
    "v8": (V8_DIR, "test", {"es": ("es-v8-p.yaml", "es-v8-q.yaml"), "en": ("en-v8-r.yaml",)}),
    "v9": (V9_DIR, "dev", {"es": ("es-v9-s.yaml", "es-v9-t.yaml"), "en": ("en-v9-u.yaml",)}),
    "v10": (V10_DIR, "k % 5", {"es": ("es-v10-v.yaml", "es-v10-w.yaml"), "en": ("en-v10-x.yaml",)}),
    "v11": (V11_DIR, "k % 5", {"es": ("es-v11-y.yaml", "es-v11-z.yaml"), "en": ("en-v11-a.yaml",)}),
    "v12": (V12_DIR, "test", {"es": ("es-v12-q.yaml", "es-v12-r.yaml"), "en": ("en-v12-c.yaml",)}),
    "v13": (V13_DIR, "test", {"es": ("es-v13-m.yaml", "es-v13-n.yaml"), "en": ("en-v13-o.yaml",)}),
    "v14": (V14_DIR, "test", {"es": ("es-v14-j.yaml", "es-v14-k.yaml"), "en": ("en-v14-l.yaml",)}),
    "v15": (V15_DIR, "test", {"es": ("es-v15-m.yaml", "es-v15-n.yaml", "es-v15-p.yaml"), "en": ("en-v15-o.yaml",)}),
    "v16": (V16_DIR, "test", {"es": ("es-v16-q.yaml", "es-v16-r.yaml", "es-v16-t.yaml"), "en": ("en-v16-s.yaml",)}),
    "v17": (V17_DIR, "test", {"es": ("es-v17-u.yaml", "es-v17-v.yaml", "es-v17-x.yaml"), "en": ("en-v17-w.yaml",)}),
    "v18": (V18_DIR, "test", {"es": ("es-v18-a.yaml", "es-v18-b.yaml", "es-v18-d.yaml"), "en": ("en-v18-c.yaml",)}),
    "v19": (V19_DIR, "test", {"es": ("es-v19-e.yaml", "es-v19-f.yaml", "es-v19-h.yaml"), "en": ("en-v19-g.yaml",)}),
    "v20": (V20_DIR, "test", {"es": ("es-v20-i.yaml", "es-v20-j.yaml", "es-v20-l.yaml"), "en": ("en-v20-k.yaml",)}),
    "v21": (V21_DIR, "test", {"es": ("es-v21-m.yaml", "es-v21-n.yaml", "es-v21-p.yaml"), "en": ("en-v21-o.yaml",)}),
    "v22": (V22_DIR, "test", {"es": ("es-v22-m.yaml", "es-v22-n.yaml", "es-v22-p.yaml"), "en": ("en-v22-o.yaml",)}),
    "v23": (V23_DIR, "test", {"es": ("es-v23-m.yaml", "es-v23-n.yaml", "es-v23-p.yaml"), "en": ("en-v23-o.yaml",)}),
    "v24": (V24_DIR, "test", {"es": ("es-v24-m.yaml", "es-v24-n.yaml", "es-v24-p.yaml"), "en": ("en-v24-o.yaml",)}),
}


def _chunks(text: str) -> list[str]:
    """The items of a writer's YAML list as written: each starts with a "- " line at column 0."""
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("- ") or not out:
            out.append(line)
        else:
            out[-1] += line
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in SETS:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    target, split, writers = SETS[argv[0]]
    source = Path(argv[1])
    target.mkdir(exist_ok=True)
    seen: set[str] = set()
    for lang, names in writers.items():
        parts = []
        by_split: dict[str, list[str]] = {"dev": [], "test": []}
        for name in names:
            if not (source / name).exists():
                print(f"{name}: missing in {source}, skipped")
                continue
            text = (source / name).read_text(encoding="utf-8")
            items = yaml.safe_load(text) or []
            chunks = _chunks(text) if split == "k % 5" else []
            if chunks and [yaml.safe_load(c)[0] for c in chunks] != items:
                print(f"{source / name}: items do not start at column 0 ('- id:'); nothing copied", file=sys.stderr)
                return 1
            for n, raw in enumerate(items, 1):
                part = split_of(int(str(raw.get("id", ""))[-3:] or 0)) if split == "k % 5" else split
                bad = problems(raw, part)
                if bad or raw["id"] in seen:
                    print(f"{source / name}: item {n} ({raw.get('id')}): {bad[0] if bad else 'duplicate id'}; "
                          "nothing copied", file=sys.stderr)
                    return 1
                seen.add(raw["id"])
                if chunks:
                    by_split[part].append(chunks[n - 1].rstrip("\n") + "\n")
            if not chunks:
                parts.append(text.rstrip("\n") + "\n")
            print(f"{name}: {len(items)} items")
        if parts:
            (target / f"{lang}.{split}.yaml").write_text("".join(parts), encoding="utf-8")
        for part, texts in by_split.items():
            if texts:
                (target / f"{lang}.{part}.yaml").write_text("".join(texts), encoding="utf-8")
                print(f"eval/{argv[0]}/{lang}.{part}.yaml: {len(texts)} items")
    print(f"eval/{argv[0]}: {len(seen)} items")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
