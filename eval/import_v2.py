"""Copy the v2 set from its writers' directory into eval/v2/, byte for byte, complete items only.

    .venv/bin/python eval/import_v2.py /work/evalsets/v2

The writers append batches while they work, so a file copied mid-write may end in a half-written
item: that last item (from its `- id:` line on) is left out and named. Any other problem is the
writer's to fix: the file is not copied and the problem is printed (ids and fields, never texts).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.evalset import LANGS, SPLITS, V2_DIR, problems

_ITEM_START = re.compile(r"^- id:", re.MULTILINE)


def _first_problem(text: str, split: str) -> str | None:
    try:
        data = yaml.safe_load(text) or []
    except yaml.YAMLError:
        return "not valid YAML"
    if not isinstance(data, list):
        return "not a YAML list"
    ids: set[str] = set()
    for n, raw in enumerate(data, 1):
        bad = problems(raw, split)
        if bad:
            return f"item {n} ({raw.get('id') if isinstance(raw, dict) else '?'}): {bad[0]}"
        if raw["id"] in ids:
            return f"item {n} ({raw['id']}): duplicate id"
        ids.add(raw["id"])
    return None


def complete_items(text: str, split: str) -> tuple[str, str | None]:
    """The text up to its last well-formed item, and the problem of a dropped half-written last item."""
    problem = _first_problem(text, split)
    if problem is None:
        return text, None
    starts = [m.start() for m in _ITEM_START.finditer(text)]
    if starts and _first_problem(text[: starts[-1]], split) is None:
        return text[: starts[-1]], problem
    raise ValueError(problem)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    source, status = Path(argv[0]), 0
    V2_DIR.mkdir(exist_ok=True)
    for lang in LANGS:
        for split in SPLITS:
            name = f"{lang}.{split}.yaml"
            if not (source / name).exists():
                print(f"{name}: missing in {source}, not copied")
                status = 1
                continue
            text = (source / name).read_text(encoding="utf-8")
            try:
                kept, dropped = complete_items(text, split)
            except ValueError as exc:
                print(f"{source / name}: {exc}; not copied")
                status = 1
                continue
            (V2_DIR / name).write_text(kept, encoding="utf-8")
            count = len(yaml.safe_load(kept) or [])
            print(f"{name}: {count} items copied" + (f"; left out a half-written last item ({dropped})"
                                                      if dropped else ""))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
