"""Re-extraction: what a document's stored chain of changes becomes under the current rules.

After an ignore rule or a spider's extraction changes, the stored versions' texts and fingerprints are
recomputed from their raw bodies (``casewatch.reextract`` runs the spiders; this module does not import
the crawler). Then each ``updated`` (or ``reverted``) change is judged again:

- its two versions no longer differ -> the change is **withdrawn** (``withdrawn_at``, a reason), never
  deleted: it may already have been emailed and stays part of the record;
- they still differ -> kept; its diff is recomputed from the new texts (cheap, and the diff a reviewer
  reads should not show what the rules now ignore). Relevance, milestones and the story are *not*
  re-decided: they are what was alerted at detection time, and re-classifying would silently rewrite
  history that recipients have seen;
- a change an earlier re-extraction withdrew whose versions differ again (a rule was taken back) is
  reinstated, so re-extraction depends only on the rules, not on how often it ran.

``new``, ``removed`` and ``restored`` changes state facts about the page's existence and are kept.
Raw bodies are never touched; version text, title and sha256 are derived data and updated in place, so
the next crawl compares against fingerprints made with the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pipeline.detect.diff import unified_diff
from pipeline.detect.fingerprint import fingerprint
from pipeline.detect.normalize import clean_text, normalize
from pipeline.ingest import MAX_TEXT_CHARS
from pipeline.store.models import Change, Version

REASON_PREFIX = "re-extraction:"


@dataclass(frozen=True)
class Text:
    """A version's title and text under the current rules, and the fingerprint they give."""

    title: str
    text: str  # cleaned, as Version.text stores it (ignore patterns are applied only for the hash)
    normalized: str
    sha256: str


def current_text(title: str, text: str, ignore_patterns: Sequence[str]) -> Text:
    """The same cleaning and fingerprint as ``pipeline.ingest``, so a re-extracted version and a fresh
    crawl of the same body agree."""
    title = clean_text(title).replace("\n", " ")
    text = clean_text(text)[:MAX_TEXT_CHARS]
    normalized = normalize(text, ignore_patterns)
    return Text(title, text, normalized, fingerprint(title, normalized))


@dataclass
class Plan:
    """What re-extraction changes in one document (nothing is applied until ``apply``)."""

    texts: dict[int, Text] = field(default_factory=dict)  # version id -> new text (only those that changed)
    withdraw: dict[int, str] = field(default_factory=dict)  # change id -> reason
    reinstate: list[int] = field(default_factory=list)
    diffs: dict[int, str] = field(default_factory=dict)  # kept change id -> recomputed diff
    kept: list[int] = field(default_factory=list)  # updated changes that still differ

    @property
    def empty(self) -> bool:
        return not (self.texts or self.withdraw or self.reinstate or self.diffs)


def plan_document(versions: Sequence[Version], changes: Sequence[Change], extracted: Mapping[int, tuple[str, str]],
                  ignore_patterns: Sequence[str]) -> Plan:
    """Recompute one document. ``extracted``: version id -> (title, text) the spider extracts now from
    the stored body; versions missing from it (pruned, not re-extractable) keep their stored title and
    text, re-fingerprinted under the current ignore patterns so comparisons stay consistent."""
    plan = Plan()
    now_text: dict[int, Text] = {}
    for v in versions:
        title, text = extracted.get(v.id, (v.title, v.text))
        fresh = current_text(title or v.title, text, ignore_patterns)
        now_text[v.id] = fresh
        if (fresh.title, fresh.text, fresh.sha256) != (v.title, v.text, v.sha256):
            plan.texts[v.id] = fresh
    for c in changes:
        if c.kind not in ("updated", "reverted") or c.from_version_id is None or c.to_version_id is None:
            continue
        old, new = now_text.get(c.from_version_id), now_text.get(c.to_version_id)
        if old is None or new is None:
            continue
        ours = c.withdrawn_at is not None and (c.withdrawn_reason or "").startswith(REASON_PREFIX)
        if old.sha256 == new.sha256:
            if c.withdrawn_at is None:
                plan.withdraw[c.id] = (f"{REASON_PREFIX} versions {c.from_version_id} and {c.to_version_id} "
                                       "no longer differ under the current rules")
            continue
        if c.withdrawn_at is not None and not ours:
            continue  # withdrawn for another reason: not ours to bring back
        if ours:
            plan.reinstate.append(c.id)
        plan.kept.append(c.id)
        diff = unified_diff(f"{old.title}\n\n{old.normalized}", f"{new.title}\n\n{new.normalized}",
                            old_label=f"version {c.from_version_id}",
                            new_label="new version" if c.kind == "updated" else f"version {c.to_version_id}")
        if diff != c.diff:
            plan.diffs[c.id] = diff
    return plan


def apply(plan: Plan, versions: Sequence[Version], changes: Sequence[Change], now: datetime) -> None:
    """Write the plan onto the loaded rows (the caller's transaction commits them together)."""
    for v in versions:
        if (fresh := plan.texts.get(v.id)) is not None:
            v.title, v.text, v.sha256 = fresh.title, fresh.text, fresh.sha256
    if versions and (latest := plan.texts.get(versions[-1].id)) is not None and latest.title:
        versions[-1].document.title = latest.title
    for c in changes:
        if c.id in plan.withdraw:
            c.withdrawn_at, c.withdrawn_reason = now, plan.withdraw[c.id]
        elif c.id in plan.reinstate:
            c.withdrawn_at, c.withdrawn_reason = None, None
        if c.id in plan.diffs:
            c.diff = plan.diffs[c.id]
