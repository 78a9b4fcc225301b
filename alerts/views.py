"""View objects the digest builder fills from the database and the renderer reads.

Plain frozen dataclasses keep templates away from ORM objects (no lazy loads, no sessions in
rendering) and make digests easy to build by hand in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

ChangeKind = Literal["new", "updated", "reverted", "removed", "restored"]
Language = Literal["es", "en"]


@dataclass(frozen=True, slots=True)
class MilestoneView:
    """A legal step the classifier found; `type` is from the controlled list of docs/architecture.md.

    ``actors``: canonical names of the people and institutions named near the step (the classifier's
    ``actors``), from which the digest groups legal progress by institution; ``status``: taken | announced;
    ``republished``: an edit carrying the document's step again (docs/architecture.md), not a new step;
    ``primary``: the step the document is about (it leads the subject and the first screen).
    """

    type: str
    label: str
    actors: tuple[str, ...] = ()
    status: str = "taken"
    republished: bool = False
    primary: bool = False


@dataclass(frozen=True, slots=True)
class ReportView:
    """Another outlet's report of the same event (a story), or a source of a timeline step."""

    source_id: str
    source_name: str
    url: str


@dataclass(frozen=True, slots=True)
class ChangeView:
    """One change to show; every text field is scraped and therefore untrusted."""

    id: int
    kind: str  # 'new' | 'updated' | 'reverted' | 'removed' | 'restored'; 'alternating' for a folded entry
    detected_at: datetime
    source_id: str
    source_name: str
    source_kind: str
    url: str
    title: str
    published_at: datetime | None
    cases: tuple[str, ...]
    relevance: float
    matched_terms: tuple[str, ...] = ()
    milestones: tuple[MilestoneView, ...] = ()
    summary: str = ""
    diff: str | None = None  # unified diff text, for 'updated'
    story_id: int | None = None  # reports of one story are shown once, the others as "also reported by"
    also: tuple[ReportView, ...] = ()  # the story's other reports
    versions: tuple[int, ...] = ()  # ids of the stored versions the change goes between (from, to)
    count: int = 1  # how many changes an 'alternating' entry stands for


@dataclass(frozen=True, slots=True)
class SourceHealthView:
    """An unhealthy source, as the digest's "source health" section shows it."""

    source_id: str
    source_name: str
    reason: str
    since: datetime | None


@dataclass(frozen=True, slots=True)
class TimelineEntryView:
    """One legal step of a case for the digest's "case status" section (pipeline.store.timeline)."""

    case_id: str
    date: date  # when it happened; when ``date_known`` is False, when it was published
    date_known: bool
    type: str
    label: str
    status: str  # taken | announced
    sources: tuple[ReportView, ...]
    removed: bool = False  # every report of the step is gone from its site


@dataclass(frozen=True, slots=True)
class AlreadySentView:
    """A change already mailed as an immediate alert: the next digest names it in one line."""

    title: str
    url: str
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class DigestView:
    """Everything one subscriber's email for one period needs."""

    subscriber_email: str
    subscriber_name: str
    language: str  # 'es' | 'en'
    period_label: str  # e.g. '2026-11-27'
    cases: dict[str, str]  # case id -> case name
    changes: tuple[ChangeView, ...]
    generated_at: datetime
    base_url: str
    sources_watched: int = 0
    unhealthy: tuple[SourceHealthView, ...] = ()
    timeline: tuple[TimelineEntryView, ...] = ()  # latest steps per case, oldest first
    already_sent: tuple[AlreadySentView, ...] = ()  # immediate alerts since the last digest
    immediate: bool = False  # an immediate alert (major steps), not the periodic digest
    unsubscribe_url: str = ""  # the subscriber's own signed link (alerts.unsubscribe); "" shows none


@dataclass(frozen=True, slots=True)
class QuietWeekView:
    """The optional "nothing new" email of a period without changes (off by default)."""

    subscriber_email: str
    subscriber_name: str
    language: str  # 'es' | 'en'
    period_label: str  # e.g. 'weekly:2026-W48' or '2026-11-27'
    sources_watched: int
    last_checked: datetime | None  # end of the latest crawl run; None when nothing ran yet
    generated_at: datetime | None = None  # None: not shown
    cases: dict[str, str] = field(default_factory=dict)  # case id -> case name
    base_url: str = ""
    unsubscribe_url: str = ""  # the subscriber's own signed link (alerts.unsubscribe); "" shows none
