"""Which entries a digest shows and which leads: reports of one story once, a document flapping between
stored versions once, new legal steps by how far they take the case, and the institution that acts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from alerts.views import ChangeView, DigestView, MilestoneView, ReportView
from pipeline.classify.institutions import acting_institution
from pipeline.store.changes import ALTERNATING_KINDS

# Which new step leads the subject and the first screen: the further it takes the case, the earlier here.
STEP_WEIGHT = ("ruling", "indictment", "trial", "formal_investigation", "coercive_measure", "archived",
               "constitutional_complaint", "precautionary_measure", "investigation_extended",
               "preliminary_investigation", "hearing", "complaint", "appeal", "institutional", "report",
               "forensic", "testimony", "legislation", "statement")
# Which report of a story leads its entry: the institution's own word before the press, then the earliest.
OFFICIAL_KINDS = ("prosecutor", "court", "congress", "gazette", "iachr", "un", "ombudsman")


def collapse_stories(changes: Sequence[ChangeView]) -> tuple[ChangeView, ...]:
    """New reports of one story become one entry: the official or earliest report leads, the others are
    listed as "also reported by", and every milestone any of them found stays visible (so a wrong merge
    cannot hide a legal step). Other kinds are shown one by one: an edit's diff is its own news."""
    groups: dict[int, list[ChangeView]] = {}
    for change in changes:
        if change.kind == "new" and change.story_id is not None:
            groups.setdefault(change.story_id, []).append(change)
    out: list[ChangeView] = []
    for change in changes:
        members = groups.get(change.story_id) if change.kind == "new" and change.story_id is not None else None
        if members is None:
            out.append(change)
        elif members[0] is change:  # the group takes the place of its first report
            out.append(_story_entry(members))
    return tuple(out)


def _story_entry(members: list[ChangeView]) -> ChangeView:
    lead = min(members, key=lambda c: (c.source_kind not in OFFICIAL_KINDS, c.detected_at, c.id))
    seen = {lead.url}
    also: list[ReportView] = []
    for report in [*(ReportView(c.source_id, c.source_name, c.url) for c in members if c is not lead),
                   *(r for c in members for r in c.also)]:
        if report.url not in seen:
            seen.add(report.url)
            also.append(report)
    milestones = list(lead.milestones)
    for c in members:
        milestones += [m for m in c.milestones if m.type not in {x.type for x in milestones}]
    return replace(lead, also=tuple(also), milestones=tuple(milestones))


def collapse_alternating(changes: Sequence[ChangeView]) -> tuple[ChangeView, ...]:
    """A document whose changes here go back to a stored version (``reverted``) is ONE entry, kind
    ``alternating``, with how many changes it stands for: a page flapping A/B reads as one unstable
    page, not as several edits. It takes the place of the document's first change; it shows the
    latest title and summary, the edit's diff, and every milestone any of them found."""
    groups: dict[str, list[ChangeView]] = {}
    for change in changes:
        if change.kind in ALTERNATING_KINDS:
            groups.setdefault(change.url, []).append(change)
    flapping = {url for url, members in groups.items() if any(m.kind == "reverted" for m in members)}
    out: list[ChangeView] = []
    for change in changes:
        if change.kind not in ALTERNATING_KINDS or change.url not in flapping:
            out.append(change)
        elif groups[change.url][0] is change:
            out.append(_alternating_entry(groups[change.url]))
    return tuple(out)


def _alternating_entry(members: list[ChangeView]) -> ChangeView:
    latest = members[-1]
    edit = next((c for c in members if c.kind == "updated" and c.diff), None) or latest
    milestones = list(latest.milestones)
    for c in members:
        milestones += [m for m in c.milestones if (m.type, m.status) not in {(x.type, x.status) for x in milestones}]
    versions = tuple(sorted({v for c in members for v in c.versions}))
    return replace(latest, kind="alternating", diff=edit.diff, milestones=tuple(milestones), versions=versions,
                   count=sum(c.count for c in members))


def digest_entries(view: DigestView) -> tuple[ChangeView, ...]:
    """The digest's entries: alternating documents once, then stories once."""
    return collapse_stories(collapse_alternating(view.changes))


def institution_of(change: ChangeView) -> tuple[str, str] | None:
    """(group, display name) of the institution whose legal step a change reports, or None.

    The first institution among the actors of its steps (main step first, actors in reading order,
    so "el Poder Judicial dictó ... a pedido de la Fiscalía" is the Judiciary's), else the source
    itself when it is an institution (prosecutor, court, congress, iachr, ombudsman, un, gazette).
    A change without milestones reports no legal step.
    """
    if not change.milestones:
        return None
    actors = (actor for milestone in change.milestones for actor in milestone.actors)
    return acting_institution(actors, change.source_kind, change.source_name or change.source_id)


def new_steps(change: ChangeView) -> tuple[MilestoneView, ...]:
    """The legal steps a new report says were taken (not announced, not an edit re-publishing one), the
    document's main step first, then the furthest along the case."""
    if change.kind != "new":
        return ()
    steps = [m for m in change.milestones if m.status == "taken" and not m.republished]
    return tuple(sorted(steps, key=lambda m: (not m.primary, _step_rank(m.type))))


def _step_rank(type_: str) -> int:
    return STEP_WEIGHT.index(type_) if type_ in STEP_WEIGHT else len(STEP_WEIGHT)


def stepped(entries: Sequence[ChangeView]) -> list[tuple[ChangeView, MilestoneView]]:
    """Entries reporting a new taken step with that step, the most significant first (official first)."""
    found = [(c, new_steps(c)[0]) for c in entries if new_steps(c)]
    return sorted(found, key=lambda pair: (_step_rank(pair[1].type), pair[0].source_kind not in OFFICIAL_KINDS,
                                           pair[0].detected_at, pair[0].id))


def lead_entry(entries: Sequence[ChangeView]) -> ChangeView | None:
    """What the subject names: the most significant new step, else the first new document (official
    first), else the first edit or removal."""
    found = stepped(entries)
    if found:
        return found[0][0]
    fresh = sorted((c for c in entries if c.kind == "new"),
                   key=lambda c: (c.source_kind not in OFFICIAL_KINDS, c.detected_at, c.id))
    return fresh[0] if fresh else (entries[0] if entries else None)
