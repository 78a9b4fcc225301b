"""Copy the held-out set v3 from its writers' directory into eval/v3/, byte for byte, after checking it.

    .venv/bin/python eval/import_v3.py /work/evalsets/v3

Three writers wrote one file each (es-v3-a.yaml, es-v3-b.yaml: Spanish; en-v3-c.yaml: English); the
Spanish files are joined into es.test.yaml, the English one is en.test.yaml. Only ids, counts and
problems are printed, never texts or labels: nobody tuning casewatch reads this set.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.evalset import V3_DIR, problems

WRITERS = {"es": ("es-v3-a.yaml", "es-v3-b.yaml"), "en": ("en-v3-c.yaml",)}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    source = Path(argv[0])
    V3_DIR.mkdir(exist_ok=True)
    seen: set[str] = set()
    for lang, names in WRITERS.items():
        parts = []
        for name in names:
            text = (source / name).read_text(encoding="utf-8")
            items = yaml.safe_load(text) or []
            for n, raw in enumerate(items, 1):
                bad = problems(raw, "test")
                if bad or raw["id"] in seen:
                    print(f"{source / name}: item {n} ({raw.get('id')}): {bad[0] if bad else 'duplicate id'}; "
                          "nothing copied", file=sys.stderr)
                    return 1
                seen.add(raw["id"])
            parts.append(text.rstrip("\n") + "\n")
            print(f"{name}: {len(items)} items")
        (V3_DIR / f"{lang}.test.yaml").write_text("".join(parts), encoding="utf-8")
    print(f"eval/v3: {len(seen)} items")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
