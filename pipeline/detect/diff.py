"""Readable differences between two versions of a document."""

from __future__ import annotations

import difflib

MAX_DIFF_LINES = 2000


def unified_diff(old: str, new: str, *, old_label: str = "before", new_label: str = "after") -> str:
    """A line-based unified diff (3 lines of context), capped so one huge page cannot bloat the store."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm="", n=3
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        omitted = len(lines) - MAX_DIFF_LINES
        lines = lines[:MAX_DIFF_LINES] + [f"@@ … {omitted} more diff lines not shown @@"]
    return "\n".join(lines)


def diff_summary(diff: str) -> tuple[int, int]:
    """(lines added, lines removed) of a unified diff."""
    added = removed = 0
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed
