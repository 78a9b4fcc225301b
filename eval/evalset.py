"""The labelled sets v2 (eval/v2/{es,en}.{dev,test}.yaml), v3 (eval/v3/{es,en}.test.yaml, held out
whole) and v4 (eval/v4/{es,en}.dev.yaml, for tuning): loading, and the rules every item must meet.

Kept apart from the scoring so the structural check can read the held-out split without scoring it,
and so a file that is still being written (a language missing, fewer items) loads as what it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from config.schema import MILESTONE_TYPES

V2_DIR = Path(__file__).resolve().parent / "v2"
V3_DIR = Path(__file__).resolve().parent / "v3"
V4_DIR = Path(__file__).resolve().parent / "v4"
V5_DIR = Path(__file__).resolve().parent / "v5"
V6_DIR = Path(__file__).resolve().parent / "v6"
V7_DIR = Path(__file__).resolve().parent / "v7"
V8_DIR = Path(__file__).resolve().parent / "v8"
V9_DIR = Path(__file__).resolve().parent / "v9"
V10_DIR = Path(__file__).resolve().parent / "v10"
V11_DIR = Path(__file__).resolve().parent / "v11"
V12_DIR = Path(__file__).resolve().parent / "v12"
V13_DIR = Path(__file__).resolve().parent / "v13"
V14_DIR = Path(__file__).resolve().parent / "v14"
V15_DIR = Path(__file__).resolve().parent / "v15"
V16_DIR = Path(__file__).resolve().parent / "v16"
V17_DIR = Path(__file__).resolve().parent / "v17"
V18_DIR = Path(__file__).resolve().parent / "v18"
V19_DIR = Path(__file__).resolve().parent / "v19"
V20_DIR = Path(__file__).resolve().parent / "v20"
V21_DIR = Path(__file__).resolve().parent / "v21"
V22_DIR = Path(__file__).resolve().parent / "v22"
V23_DIR = Path(__file__).resolve().parent / "v23"
V24_DIR = Path(__file__).resolve().parent / "v24"
# Sets held out whole, each run once at the end of a round of work: name -> folder.
HELD_OUT_SETS = {"v3": V3_DIR, "v7": V7_DIR, "v8": V8_DIR, "v24": V24_DIR}
# Sets held out whole and scored once (their figures are in their README), then opened for tuning: they join
# `tune` with their test files as they are, and per-item errors may be read.
OPENED_SETS = {"v12": V12_DIR, "v13": V13_DIR, "v14": V14_DIR, "v15": V15_DIR, "v16": V16_DIR, "v17": V17_DIR,
              "v18": V18_DIR, "v19": V19_DIR, "v20": V20_DIR, "v21": V21_DIR, "v22": V22_DIR,
              "v23": V23_DIR}
# Every set written whole into its test files (held out, or held out once and then opened).
WHOLE_TEST_SETS = {**HELD_OUT_SETS, **OPENED_SETS}
# Sets written by three writers each, for tuning whole: name -> folder.
TUNING_SETS = {"v4": V4_DIR, "v5": V5_DIR, "v6": V6_DIR, "v9": V9_DIR}
# Sets written by three writers and split by the k % 5 rule on each writer's numbers: the dev part joins
# the tuning set, the test part is held out and run once at the end of a round of work.
SPLIT_SETS = {"v10": V10_DIR, "v11": V11_DIR}
LANGS = ("es", "en")
SPLITS = ("dev", "test")
STATUSES = ("taken", "announced", "requested", "background")
CASES = ("juliaca-2023", "ayacucho-2022")
RELATED = ("juliaca-2011", "other")
SOURCE_KINDS = ("prosecutor", "court", "congress", "gazette", "iachr", "un", "ombudsman", "ngo", "news", "aggregator")
KEYS = {"id", "lang", "source_kind", "published", "title", "text", "cases", "related", "steps"}
OPTIONAL = {"note"}
STEP_KEYS = {"type", "status", "primary", "evidence", "event_date"}
_ID = re.compile(r"^(es|en)-v2-(\d{3,4})$")
# v3 to v24: three or four writers each (a letter) numbered their own items; v3, v7, v8 and v12-v24 were held out whole,
# v10 and v11 are split by the k % 5 rule on the writer's number.
_ID_WRITERS = re.compile(r"^(es|en)-v([3-9]|1[0-9]|2[0-4])-([a-z])(\d{3})$")
_WHOLE_SPLIT = {**{name[1:]: ("test", f"{name} is held out whole") for name in WHOLE_TEST_SETS},
                **{name[1:]: ("dev", f"{name} is for tuning whole") for name in TUNING_SETS}}


class EvalSetError(ValueError):
    """A set file that cannot be used: the message names the file and, where known, the item and field."""


@dataclass(frozen=True)
class Step:
    type: str
    status: str
    primary: bool
    evidence: str
    event_date: date | None


@dataclass(frozen=True)
class Item:
    id: str
    lang: str
    split: str
    source_kind: str
    published: date
    title: str
    text: str
    cases: tuple[str, ...]
    related: str | None
    steps: tuple[Step, ...]

    @property
    def taken_types(self) -> frozenset[str]:
        return frozenset(s.type for s in self.steps if s.status == "taken")

    @property
    def primary_type(self) -> str | None:
        return next((s.type for s in self.steps if s.primary), None)

    @property
    def background_only(self) -> bool:
        """Steps labelled, none of them taken: the text must not get a taken step."""
        return bool(self.steps) and not self.taken_types


def split_of(number: int) -> str:
    """The writers' deterministic rule: item k (1-based) is held out when k % 5 is 2 or 4."""
    return "test" if number % 5 in (2, 4) else "dev"


def _id_problem(ident: str, lang: Any, split: str) -> str | None:
    """v2 ids follow the k % 5 split rule; v3 ids are all in the test split, v4 ids all in dev."""
    if m := _ID_WRITERS.match(ident):
        if m.group(1) != lang:
            return f"id {ident!r} does not match lang {lang!r}"
        if m.group(2) not in _WHOLE_SPLIT:  # a split set: the writer's number decides
            want = split_of(int(m.group(4)))
            return None if split == want else f"id {ident!r} belongs to the {want} split (k % 5 rule)"
        whole, why = _WHOLE_SPLIT[m.group(2)]
        return None if split == whole else f"id {ident!r} belongs to the {whole} split ({why})"
    m = _ID.match(ident)
    if not m:
        return f"id {ident!r} is not <lang>-v2-NNN or <lang>-v3..v24-<writer>NNN"
    if m.group(1) != lang:
        return f"id {ident!r} does not match lang {lang!r}"
    if split_of(int(m.group(2))) != split:
        return f"id {ident!r} belongs to the {split_of(int(m.group(2)))} split (k % 5 rule)"
    return None


def problems(raw: Any, split: str) -> list[str]:
    """Why one raw item breaks the format of the writers' brief (empty when it is well-formed)."""
    if not isinstance(raw, dict):
        return ["not a mapping"]
    out: list[str] = []
    keys = set(raw)
    if KEYS - keys:
        return [f"missing {', '.join(sorted(KEYS - keys))}"]
    if keys - KEYS - OPTIONAL:
        out.append(f"unknown field(s) {', '.join(sorted(keys - KEYS - OPTIONAL))}")
    if bad_id := _id_problem(str(raw["id"]), raw["lang"], split):
        out.append(bad_id)
    if raw["lang"] not in LANGS:
        out.append(f"lang {raw['lang']!r}")
    if raw["source_kind"] not in SOURCE_KINDS:
        out.append(f"source_kind {raw['source_kind']!r}")
    if not isinstance(raw["published"], date):
        out.append(f"published {raw['published']!r} is not a date")
    for name in ("title", "text"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            out.append(f"{name} is empty")
    cases = raw["cases"]
    if not isinstance(cases, list) or any(c not in CASES for c in cases) or len(set(cases)) != len(cases):
        out.append(f"cases {cases!r}")
    if raw["related"] is not None and (raw["related"] not in RELATED or cases):
        out.append(f"related {raw['related']!r} (only {' | '.join(RELATED)}, and only when cases is [])")
    steps = raw["steps"]
    if not isinstance(steps, list):
        return [*out, "steps is not a list"]
    haystack = f"{raw['title']}\n{raw['text']}"
    for k, step in enumerate(steps):
        out += [f"steps[{k}]: {p}" for p in _step_problems(step, haystack)]
    if sum(1 for s in steps if isinstance(s, dict) and s.get("primary") is True) > 1:
        out.append("more than one primary step")
    return out


def _step_problems(step: Any, haystack: str) -> list[str]:
    if not isinstance(step, dict):
        return ["not a mapping"]
    if set(step) != STEP_KEYS:
        return [f"fields {', '.join(sorted(step))} (want {', '.join(sorted(STEP_KEYS))})"]
    out = []
    if step["type"] not in MILESTONE_TYPES:
        out.append(f"type {step['type']!r}")
    if step["status"] not in STATUSES:
        out.append(f"status {step['status']!r}")
    if not isinstance(step["primary"], bool):
        out.append(f"primary {step['primary']!r} is not true/false")
    elif step["primary"] and step["status"] != "taken":
        out.append(f"primary on a {step['status']} step")
    evidence = step["evidence"]
    if not isinstance(evidence, str) or not evidence.strip() or evidence not in haystack:
        out.append("evidence is not a substring of title or text")
    if step["event_date"] is not None and not isinstance(step["event_date"], date):
        out.append(f"event_date {step['event_date']!r} is not a date")
    return out


def build(raw: dict[str, Any], split: str) -> Item:
    """An Item from a raw mapping that has no problems()."""
    return Item(
        id=raw["id"], lang=raw["lang"], split=split, source_kind=raw["source_kind"], published=raw["published"],
        title=raw["title"], text=raw["text"], cases=tuple(raw["cases"]), related=raw["related"],
        steps=tuple(Step(s["type"], s["status"], s["primary"], s["evidence"], s["event_date"]) for s in raw["steps"]),
    )


def path_of(directory: Path, lang: str, split: str) -> Path:
    return directory / f"{lang}.{split}.yaml"


def read_raw(path: Path) -> list[Any]:
    """The items of one file; an unreadable or non-list file is an EvalSetError naming it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise EvalSetError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except OSError as exc:
        raise EvalSetError(f"{path}: cannot read ({exc.strerror})") from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise EvalSetError(f"{path}: expected a YAML list of items")
    return data


def load(split: str, directory: Path = V2_DIR, langs: Iterable[str] = LANGS) -> tuple[list[Item], list[Path]]:
    """Every item of one split, and the language files that are missing (a set still being written).

    Any malformed item or duplicate id is an EvalSetError: a score on half-checked labels means nothing.
    """
    items: list[Item] = []
    missing: list[Path] = []
    seen: set[str] = set()
    for lang in langs:
        path = path_of(directory, lang, split)
        if not path.exists():
            missing.append(path)
            continue
        for n, raw in enumerate(read_raw(path), 1):
            where = f"{path}: item {n}" + (f" ({raw.get('id')})" if isinstance(raw, dict) else "")
            bad = problems(raw, split)
            if bad:
                raise EvalSetError(f"{where}: {bad[0]}" + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""))
            if raw["id"] in seen:
                raise EvalSetError(f"{where}: duplicate id")
            seen.add(raw["id"])
            items.append(build(raw, split))
    return items, missing
