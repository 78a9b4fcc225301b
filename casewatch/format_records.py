"""What the `casewatch` command prints as plain text for people: sources, the change log, one change, a
case's timeline, a classification and a trial extraction. Each function returns the lines; the CLI only
chooses the stream. The JSON shapes are elsewhere (casewatch/serialize.py), stable for scripts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from alerts.labels import milestone_label
from config.redact import redact
from textkit import LIMA

if TYPE_CHECKING:  # the command starts fast: the classifier and the store load only when a command needs them
    from config.schema import Source
    from pipeline.classify.decision import Decision
    from pipeline.store.models import Change, CrawlRun
    from pipeline.store.models import Source as SourceRow
    from pipeline.store.stories import StoryInfo
    from pipeline.store.timeline import TimelineEntry

RUN_PROBLEMS = ("failed", "partial", "empty")  # a last run worth a second line under its source


def source_lines(source: Source, run: CrawlRun | None, row: SourceRow | None) -> list[str]:
    """One configured source and its last run; a second line says why it is unhealthy or what went wrong."""
    last = (f"{run.status} {run.started_at.astimezone(LIMA):%Y-%m-%d %H:%M}, {run.items} items"
            if run else "never run")
    state = "enabled " if source.enabled else "disabled"
    unhealthy = row is not None and row.health == "unhealthy" and source.enabled
    health = "UNHEALTHY" if unhealthy else ""
    lines = [f"{source.id:<28} {state} {source.kind:<10} {source.spider:<10} {source.schedule.expression:<12} "
             f"{last}{'  ' + health if health else ''}"]
    if unhealthy and row is not None:
        lines.append(f"{'':<28} ↳ unhealthy: {redact(row.health_reason or '')}")
    elif run and run.status in RUN_PROBLEMS and run.error:
        lines.append(f"{'':<28} ↳ {redact(run.error)}")
    return lines


def change_line(change: Change, stories: Mapping[int, StoryInfo]) -> str:
    """One row of the change log: id, relevance star, detection time (Lima), kind, source, title, story."""
    mark = "★" if change.relevant else " "
    story = stories.get(change.story_id) if change.story_id is not None else None
    also = f"  [story {story.id}: {len(story.source_ids)} sources]" if story and story.size > 1 else ""
    return (f"{change.id:>6} {mark} {change.detected_at.astimezone(LIMA):%Y-%m-%d %H:%M} {change.kind:<8} "
            f"{change.source_id:<24} {change.title[:80]}{also}")


def show_lines(c: Change, stories: Mapping[int, StoryInfo]) -> list[str]:
    """One change as `casewatch show` prints it: what, where, when, the evidence (version, hash), the cases
    and the story it belongs to, then its diff (or its summary)."""
    version = c.to_version or c.from_version
    lines = [f"change {c.id}: {c.kind} · {c.source.name} ({c.source_id}, {c.source.kind})",
             f"title:     {c.title}",
             f"url:       {c.document.url}",
             f"detected:  {c.detected_at.astimezone(LIMA):%Y-%m-%d %H:%M %Z}"]
    if c.withdrawn_at is not None:
        lines.append(f"WITHDRAWN: {c.withdrawn_at.astimezone(LIMA):%Y-%m-%d %H:%M %Z}: {c.withdrawn_reason} "
                     "(kept as a record; not in the change log, digests or exports)")
    if c.kind == "reverted" and version:
        lines.append(f"reverted:  back to version {version.id} (stored {version.fetched_at.isoformat()}) "
                     f"from version {c.from_version_id}; seen again at detection, not stored twice")
    elif version:
        lines.append(f"version:   {version.id} sha256 {version.sha256} fetched {version.fetched_at.isoformat()} "
                     f"HTTP {version.http_status}")
    cases = ", ".join(f"{link.case_id} ({link.score:g})" for link in c.case_links) or "none"
    lines.append(f"cases:     {cases}; terms: {', '.join(c.matched_terms or []) or '-'}")
    if (story := stories.get(c.story_id) if c.story_id is not None else None) is not None:
        others = [r for r in story.reports if r.document_id != c.document_id]
        lines.append(f"story:     {story.id}, {story.size} report(s)" + (": also reported by" if others else ""))
        lines += [f"           {r.source_id} (change {r.change_id}): {r.title[:70]} <{r.url}>" for r in others]
    return [*lines, "", c.diff if c.diff else c.summary]


def timeline_lines(name: str, case_id: str, entries: Sequence[TimelineEntry], lang: str) -> list[str]:
    """A case's legal steps in the order they happened, each with its sources; ~ marks an undated step."""
    lines = [f"{name} ({case_id}): {len(entries)} step(s)"]
    for e in entries:
        day = e.date.isoformat() if e.date_known else f"~{e.date.isoformat()}"
        status = (" (announced)" if e.announced else "") + (" (removed from its sources)" if e.removed else "")
        lines.append(f"  {day:<11} {milestone_label(lang, e.type, e.label)}{status}")
        lines += [f"  {'':<11}   {src.source_id}: {src.title[:70]} <{src.url}>" for src in e.sources]
    if not entries:
        lines.append("  no milestones found yet")
    elif any(not e.date_known for e in entries):
        lines.append("  (~ the sources gave no date for the step: the date it was published is shown)")
    return lines


def decision_lines(decisions: Iterable[Decision]) -> list[str]:
    """`casewatch classify`: each case's relevance explained, then every step found with its status and why
    (only taken and announced steps are reported)."""
    lines: list[str] = []
    for d in decisions:
        lines.append(d.relevance.explain())
        for m in d.steps:
            extra = [m.status + (" primary" if m.primary else "")]
            if m.date:
                extra.append(m.date.isoformat())
            extra += [f"{i['kind']} {i['value']}" for i in m.identifiers]
            extra += list(m.actors)
            lines.append(f"  milestone {m.type} ({m.label}): {'; '.join(extra)}  <- {m.evidence!r}  [{m.reason}]")
    return lines


def extracted_lines(item: Mapping[str, Any]) -> list[str]:
    """One item `casewatch try-source` extracted: date and title, URL, the start of its text, a blank line."""
    return [f"{item['published_at'] or '(no date)':<26} {item['title']}\n{'':<26} {item['url']}",
            f"{'':<26} {' '.join(item['text'].split())[:160]}\n"]
