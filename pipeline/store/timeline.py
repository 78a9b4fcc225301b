"""A case's legal steps in the order they happened, each once, with every source that reported it.

Changes carry milestones (``{type, label, identifiers, actors, date, status, evidence}``) as their
documents reported them; several outlets report the same step, and a step is often reported days
after it happened. So entries are keyed by *what* happened and *when*: same type and status, event
dates at most ``DATE_TOLERANCE`` days apart (one outlet's "ayer" is another's "el lunes" when they
publish either side of midnight) and the same case: reports of one step on the same day are one entry
unless their case numbers differ (two formalizations in two case files); a day apart they must also
share the story, a case number or ``SHARED_ACTORS`` actors. The entry's date is the one most of its
reports give (the earliest on a tie). A step reported without a date cannot be placed that way; it is one
entry per story (the same event across outlets), dated by the report's publication (else detection)
and flagged ``date_known=False``, and it joins a dated entry of the same type when a report of the same
story dated it. Announced steps ("formalizará", "programó la audiencia") stay separate from taken ones;
background and requested steps, and an edit's re-published step, are no entries at all. An entry
whose every report is gone from its site (a release taken down) stays, marked ``removed``.

``merge`` is pure: rows in, entries out; ``timeline_rows`` is its query and ``case_timeline`` both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.store.models import Change, ChangeCase, Document, Source
from textkit import LIMA  # the case's calendar: a 22:00 Lima publication is that day's news

SHOWN_STATUSES = ("taken", "announced")  # docs/architecture.md: background and requested never reach the timeline
DATE_TOLERANCE = 1  # days between two reports' dates of one step (publication either side of midnight)
SHARED_ACTORS = 2  # a day apart, one shared actor (often the institution acting) is no evidence of one step


@dataclass(frozen=True)
class MilestoneRow:
    """One milestone as one stored change reported it."""

    change_id: int
    document_id: int
    detected_at: datetime
    published_at: datetime | None
    source_id: str
    source_name: str
    url: str
    title: str
    story_id: int | None
    milestone: Mapping[str, Any]
    removed: bool = False  # the document is gone from its site now


@dataclass(frozen=True)
class TimelineSource:
    source_id: str
    source_name: str
    url: str
    title: str
    change_id: int

    def as_json(self) -> dict[str, Any]:
        return {"source_id": self.source_id, "source_name": self.source_name, "url": self.url,
                "title": self.title, "change_id": self.change_id}


@dataclass(frozen=True)
class TimelineEntry:
    """One legal step of a case. ``label`` is the stored one; callers show ``alerts.labels`` by type."""

    type: str
    label: str
    date: date
    date_known: bool  # False: the reports gave no date; ``date`` is when it was published (or detected)
    status: str  # taken | announced
    identifiers: tuple[Mapping[str, str], ...]
    actors: tuple[str, ...]
    sources: tuple[TimelineSource, ...]
    first_detected_at: datetime
    evidence: str = ""
    removed: bool = False  # every report of it is gone from its site: shown, but marked

    @property
    def announced(self) -> bool:
        return self.status == "announced"

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type, "label": self.label, "date": self.date.isoformat(), "date_known": self.date_known,
            "status": self.status, "identifiers": [dict(i) for i in self.identifiers], "actors": list(self.actors),
            "sources": [s.as_json() for s in self.sources], "first_detected_at": self.first_detected_at.isoformat(),
            "evidence": self.evidence, "removed": self.removed,
        }


@dataclass
class _Group:
    type: str
    status: str
    date: date
    date_known: bool
    rows: list[MilestoneRow] = field(default_factory=list)
    stories: set[tuple[str, int]] = field(default_factory=set)
    identifiers: set[str] = field(default_factory=set)
    actors: set[str] = field(default_factory=set)
    dates: Counter[date] = field(default_factory=Counter)

    def add(self, row: MilestoneRow, fallback: date | None = None, when: date | None = None) -> None:
        self.rows.append(row)
        self.stories.add(_story_key(row))
        self.identifiers |= _identifiers(row)
        self.actors |= _actors(row)
        if when is not None:  # a dated step: the date most reports give, the earliest on a tie
            self.dates[when] += 1
            self.date = min(self.dates, key=lambda d: (-self.dates[d], d))
        if fallback is not None and not self.date_known:
            self.date = min(self.date, fallback)

    def takes(self, row: MilestoneRow, when: date) -> bool:
        """Whether a report of the same type and status dated ``when`` tells this group's step."""
        if any(abs((when - d).days) > DATE_TOLERANCE for d in self.dates):
            return False
        ids = _identifiers(row)
        if ids and self.identifiers and not ids & self.identifiers:
            return False  # another case file
        if when in self.dates:
            return True
        return (_story_key(row) in self.stories or bool(ids & self.identifiers)
                or len(_actors(row) & self.actors) >= SHARED_ACTORS)


def _identifiers(row: MilestoneRow) -> set[str]:
    """The case numbers a report gives for the step ("023-2023"), spacing and case aside."""
    return {"".join(str(i["value"]).split()).casefold() for i in row.milestone.get("identifiers") or ()
            if isinstance(i, Mapping) and i.get("value")}


def _actors(row: MilestoneRow) -> set[str]:
    names = (a.get("name") if isinstance(a, Mapping) else a for a in row.milestone.get("actors") or ())
    return {" ".join(str(n).split()).casefold() for n in names if n}


def _story_key(row: MilestoneRow) -> tuple[str, int]:
    """Reports of one event: its story, else its document (a report nobody else carried)."""
    return ("story", row.story_id) if row.story_id is not None else ("document", row.document_id)


def event_date(milestone: Mapping[str, Any]) -> date | None:
    """The date the step happened, when the report gave one (``YYYY-MM-DD``); None otherwise."""
    value = milestone.get("date")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _lima_day(moment: datetime) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LIMA).date()


def fallback_date(row: MilestoneRow) -> date:
    """Without an event date: the day the report was published, else the day it was detected (Lima)."""
    return _lima_day(row.published_at or row.detected_at)


def merge(rows: Iterable[MilestoneRow]) -> list[TimelineEntry]:
    """One entry per step (type, status, event date within tolerance, case; or, undated, per story), by
    event date then detection."""
    ordered = sorted(rows, key=lambda r: (r.detected_at, r.change_id))
    dated: list[_Group] = []
    undated: list[tuple[MilestoneRow, str, str]] = []
    for row in ordered:
        mtype = str(row.milestone.get("type") or "")
        if not mtype:
            continue
        status = str(row.milestone.get("status") or "taken")  # rows stored before statuses: taken
        if status not in SHOWN_STATUSES or row.milestone.get("republished"):
            continue  # background/requested steps are context; an edit re-publishing a step is no new one
        when = event_date(row.milestone)
        if when is None:
            undated.append((row, mtype, status))
            continue
        fits = [g for g in dated if g.type == mtype and g.status == status and g.takes(row, when)]
        group = min(fits, key=lambda g: (min(abs((when - d).days) for d in g.dates), g.date), default=None)
        if group is None:
            group = _Group(mtype, status, when, True)
            dated.append(group)
        group.add(row, when=when)
    by_story: dict[tuple[str, str, tuple[str, int]], _Group] = {}
    for row, mtype, status in undated:
        story = _story_key(row)
        # Another report of the same event dated this step: it is that entry.
        same = next((g for g in sorted(dated, key=lambda g: g.date)
                     if g.type == mtype and g.status == status and story in g.stories), None)
        if same is not None:
            same.add(row)
            continue
        key = (mtype, status, story)
        if key not in by_story:
            by_story[key] = _Group(mtype, status, fallback_date(row), False)
        by_story[key].add(row, fallback_date(row))
    entries = [_entry(g) for g in [*dated, *by_story.values()]]
    return sorted(entries, key=lambda e: (e.date, e.first_detected_at, e.type, e.status))


def _entry(group: _Group) -> TimelineEntry:
    rows = sorted(group.rows, key=lambda r: (r.detected_at, r.change_id))
    first = rows[0].milestone
    sources: dict[tuple[str, str], TimelineSource] = {}
    identifiers: dict[tuple[str, str], Mapping[str, str]] = {}
    actors: dict[str, None] = {}
    for row in rows:
        sources.setdefault((row.source_id, row.url),
                           TimelineSource(row.source_id, row.source_name, row.url, row.title, row.change_id))
        for ident in row.milestone.get("identifiers") or ():
            if isinstance(ident, Mapping) and ident.get("value"):
                identifiers.setdefault((str(ident.get("kind", "")), str(ident["value"])),
                                       {"kind": str(ident.get("kind", "")), "value": str(ident["value"])})
        for actor in row.milestone.get("actors") or ():
            name = actor.get("name") if isinstance(actor, Mapping) else actor
            if name:
                actors.setdefault(str(name), None)
    return TimelineEntry(
        type=group.type,
        label=str(first.get("label") or group.type),
        date=group.date,
        date_known=group.date_known,
        status=group.status,
        identifiers=tuple(identifiers.values()),
        actors=tuple(actors),
        sources=tuple(sources.values()),
        first_detected_at=rows[0].detected_at,
        evidence=str(first.get("evidence") or ""),
        removed=all(r.removed for r in rows),
    )


def timeline_rows(session: Session, case_id: str) -> list[MilestoneRow]:
    """Every milestone that relevant changes of the case reported (a removal reports nothing new); a
    report found through an aggregator is named by its outlet; ``removed``: its document is gone now."""
    q = (select(Change.id, Change.document_id, Change.detected_at, Document.published_at, Change.source_id,
                func.coalesce(func.nullif(Document.outlet, ""), Source.name), Document.url, Change.title,
                Document.title, Change.story_id, Change.milestones, Document.state)
         .join(Source, Source.id == Change.source_id).join(Document, Document.id == Change.document_id)
         .where(Change.id.in_(select(ChangeCase.change_id).where(ChangeCase.case_id == case_id)),
                Change.relevant.is_(True), Change.kind != "removed", Change.withdrawn_at.is_(None))
         .order_by(Change.detected_at, Change.id))
    rows: list[MilestoneRow] = []
    for cid, did, detected, published, src, name, url, title, doc_title, story, milestones, state in \
            session.execute(q):
        for m in milestones or ():  # a JSON list: filtered here, the same way on both databases
            if isinstance(m, dict) and m.get("type"):
                rows.append(MilestoneRow(cid, did, detected, published, src, name, url, title or doc_title,
                                         story, m, removed=state == "removed"))
    return rows


def case_timeline(session: Session, case_id: str) -> list[TimelineEntry]:
    """The case's legal steps by event date, each once with all its sources."""
    return merge(timeline_rows(session, case_id))
