"""Word-level highlighting inside a unified diff: the edit "seis" -> "nueve" is marked inside its line.

A stored diff is line-level, and a line is often a whole paragraph, so the one changed word hides in
two 30-word lines. Each run of removed lines is paired with the added lines that replaced it (first
with first, as the side-by-side view does) and the words that differ are marked. Lines that share
too little are left whole: marking every word of an unrelated paragraph says nothing. The text stays
untrusted: segments are plain strings, escaped by the templates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import zip_longest

from alerts.message import strip_controls

SIMILAR_ENOUGH = 0.4  # below this share of equal characters two lines are a rewrite, not an edit
SHORT_EDIT_WORDS = 8  # a replacement this short is named in the "changed words" line
# Bounds against hostile sizes: word matching is quadratic in the worst case, so only lines of up to
# MAX_TOKENS words and spaces are compared, and only in the first MARKED_ROWS rows (an email shows 20).
MAX_TOKENS = 3000
MARKED_ROWS = 400
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)

Segment = tuple[str, bool]  # (text, changed)
Pair = tuple[tuple[Segment, ...] | None, tuple[Segment, ...] | None]  # (old line, new line); None: no line


def diff_lines(diff: str | None) -> list[tuple[str, str]]:
    """Classify unified-diff lines as add / del / hunk / ctx, dropping file headers and control chars."""
    return list(_lines(diff))


def _lines(diff: str | None) -> Iterator[tuple[str, str]]:
    """diff_lines, one at a time (a reader that needs only the start stops early)."""
    in_hunk = False
    for raw in (diff or "").splitlines():
        line = strip_controls(raw, keep="\t").replace("\t", "    ")
        if not in_hunk and line.startswith(("---", "+++")):
            continue  # file headers name versions, not content
        if line.startswith("@@"):
            in_hunk = True
            yield "hunk", line
        elif line.startswith("\\"):
            continue  # "\ No newline at end of file"
        elif line.startswith("+"):
            yield "add", line
        elif line.startswith("-"):
            yield "del", line
        else:
            yield "ctx", line


def runs(diff: str | None) -> Iterator[tuple[str, str] | tuple[list[str], list[str]]]:
    """The diff as context lines (kind, line) and edit runs (removed texts, added texts), lazily."""
    removed: list[str] = []
    added: list[str] = []
    for kind, line in _lines(diff):
        if kind in ("del", "add") and not (kind == "del" and added):
            (removed if kind == "del" else added).append(line[1:])
            continue
        if removed or added:
            yield removed, added
            removed, added = [], []
        if kind == "del":  # a removal after additions starts a new run
            removed.append(line[1:])
        else:
            yield kind, line
    if removed or added:
        yield removed, added


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One diff line: add | del | ctx | hunk, its marker ('+', '-', ' ' or ''), and its text in segments."""

    kind: str
    marker: str
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return "".join(part for part, _ in self.segments)


def _merge(parts: list[Segment]) -> tuple[Segment, ...]:
    """Adjacent segments with the same flag joined; a changed run of only spaces is not marked."""
    out: list[Segment] = []
    for text, changed in parts:
        changed = changed and not text.isspace()
        if out and out[-1][1] == changed:
            out[-1] = (out[-1][0] + text, changed)
        elif text:
            out.append((text, changed))
    return tuple(out)


def word_diff(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """(old, new) as segments with the differing words marked; unmarked when the lines are unrelated."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    if len(a) + len(b) > MAX_TOKENS:
        return _merge([(old, False)]), _merge([(new, False)])
    words = SequenceMatcher(None, [t for t in a if not t.isspace()], [t for t in b if not t.isspace()], autojunk=False)
    if words.ratio() < SIMILAR_ENOUGH:  # shared spaces say nothing about shared content
        return _merge([(old, False)]), _merge([(new, False)])
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    left: list[Segment] = []
    right: list[Segment] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            left.append(("".join(a[i1:i2]), False))
            right.append(("".join(b[j1:j2]), False))
            continue
        left.append(("".join(a[i1:i2]), True))
        right.append(("".join(b[j1:j2]), True))
    return _merge(left), _merge(right)


def pair_lines(removed: list[str], added: list[str], mark: bool = True) -> list[Pair]:
    """Removed and added lines of one run, paired first with first, each with its words marked (``mark``)."""
    pairs: list[Pair] = []
    for old, new in zip_longest(removed, added):
        if mark and old is not None and new is not None:
            pairs.append(word_diff(old, new))
        else:
            pairs.append((_merge([(old, False)]) if old is not None else None,
                          _merge([(new, False)]) if new is not None else None))
    return pairs


def diff_rows(diff: str | None) -> list[DiffRow]:
    """The unified diff's lines with the changed words marked in edited lines (removed lines first)."""
    rows: list[DiffRow] = []
    for run in runs(diff):
        if isinstance(run[0], str):
            kind, line = run
            assert isinstance(line, str)
            text = line if kind == "hunk" else line[1:]
            rows.append(DiffRow(kind, "" if kind == "hunk" else line[:1], _merge([(text, False)])))
            continue
        pairs = pair_lines(*run, mark=len(rows) < MARKED_ROWS)  # type: ignore[misc]
        rows.extend(DiffRow("del", "-", old) for old, _ in pairs if old is not None)
        rows.extend(DiffRow("add", "+", new) for _, new in pairs if new is not None)
    return rows


def changed_words(diff: str | None, limit: int = 3) -> list[tuple[str, str]]:
    """Short replacements inside edited lines, as (old words, new words): the edit in one glance."""
    out: list[tuple[str, str]] = []
    lines = 0
    for run in runs(diff):
        if isinstance(run[0], str):
            lines += 1
            continue
        lines += len(run[0]) + len(run[1])
        if lines > MARKED_ROWS or len(out) >= limit:
            break
        for old, new in pair_lines(*run):  # type: ignore[arg-type]
            if old is None or new is None:
                continue
            left = [" ".join(t.split()) for t, changed in old if changed]
            right = [" ".join(t.split()) for t, changed in new if changed]
            if not left or len(left) != len(right):
                continue
            for a, b in zip(left, right, strict=True):
                if a and b and len(a.split()) <= SHORT_EDIT_WORDS and len(b.split()) <= SHORT_EDIT_WORDS \
                        and (a, b) not in out:
                    out.append((a, b))
    return out[:limit]
