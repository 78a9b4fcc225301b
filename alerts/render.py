"""Render a DigestView into a subject line, a plain-text body and an HTML body.

Every string in a DigestView comes from scraped pages, so the renderer treats it as hostile:
the HTML template is autoescaped, links are kept only for http(s), header text goes through
`clean_header`, and templates ship inside the package (no user-editable templates).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alerts import labels
from alerts.message import RenderedDigest, clean_header, strip_controls
from alerts.views import (
    ChangeView,
    DigestView,
    MilestoneView,
    QuietWeekView,
    ReportView,
    SourceHealthView,
    TimelineEntryView,
)
from alerts.worddiff import changed_words, diff_lines, diff_rows
from pipeline.classify.institutions import acting_institution
from pipeline.store.changes import ALTERNATING_KINDS
from textkit import LIMA, SPANISH_MONTHS

__all__ = ["RenderedDigest", "render_digest", "render_quiet_week", "safe_href", "diff_lines", "environment",
           "collapse_stories", "collapse_alternating", "institution_of"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
DIFF_MAX_LINES = 20  # enough to see the edit on a phone; the review page (full_href) has the whole diff
SUMMARY_MAX = 1500
TITLE_MAX = 300
SUBJECT_MAX = 200
SUBJECT_CASE_MAX = 80
SUBJECT_TITLE_MAX = 110  # a headline a phone still shows most of, with the case after it
EMAIL_SUMMARY_MAX = 600  # the email shows the lead paragraph; the review page has the whole text
# Which new step leads the subject and the first screen: the further it takes the case, the earlier here.
STEP_WEIGHT = ("ruling", "indictment", "trial", "formal_investigation", "coercive_measure", "archived",
               "constitutional_complaint", "precautionary_measure", "investigation_extended",
               "preliminary_investigation", "hearing", "complaint", "appeal", "institutional", "report",
               "forensic", "testimony", "legislation", "statement")
# Which report of a story leads its entry: the institution's own word before the press, then the earliest.
OFFICIAL_KINDS = ("prosecutor", "court", "congress", "gazette", "iachr", "un", "ombudsman")

def _build_environment() -> Environment:
    """One environment for both bodies; autoescape decided by file name (.html.j2 yes, .txt.j2 no)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2", "htm.j2", "xml.j2"),
            disabled_extensions=("txt", "txt.j2"),
            default_for_string=True,
            default=True,  # anything unexpected is escaped rather than trusted
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["diff_lines"] = diff_lines
    env.filters["diff_rows"] = diff_rows
    return env


def safe_href(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link with nothing odd in it, else None (shown as text)."""
    candidate = (url or "").strip()
    if not candidate or len(candidate) > 2048:
        return None
    if any(ch.isspace() or unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in candidate):
        return None
    try:
        parts = urlsplit(candidate)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not host:
        return None
    return candidate


def _lima(moment: datetime) -> datetime:
    """Naive datetimes from the database are UTC; readers are in Peru."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LIMA)


def format_date(day: date, lang: str) -> str:
    """'27 nov 2026' / '27 Nov 2026' without depending on the process locale."""
    return f"{day.day} {labels.MONTHS[labels.language(lang)][day.month - 1]} {day.year}"


def format_datetime(moment: datetime, lang: str) -> str:
    """Date and 24-hour time in Lima."""
    local = _lima(moment)
    return f"{format_date(local.date(), lang)}, {local:%H:%M}"


def _multiline(value: str, max_length: int) -> str:
    """Untrusted paragraph text: newlines kept (at most one blank line), other controls dropped."""
    text = strip_controls(value.replace("\r\n", "\n").replace("\r", "\n"), keep="\n\t")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    paragraphs: list[str] = []
    for line in lines:
        if line or (paragraphs and paragraphs[-1]):
            paragraphs.append(line)
    text = "\n".join(paragraphs).strip()
    if len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


_MONTH_NAMES = "|".join(SPANISH_MONTHS)
_SEP = r"\s*(?:[-–—|·:,/]\s*)?"
# What pages put before their first sentence: a machine timestamp ("2026-11-10T09:00:00"), a numeric date
# or a time, and a written date only when a separator or a time follows it ("10 de noviembre de 2026 -"),
# since "9 de enero de 2023 murieron ..." would be the sentence itself.
_LEADING_STAMP = re.compile(
    r"^(?:"
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?=[\s|·,–—-]|$)"
    r"|\d{1,2}/\d{1,2}/\d{2,4}(?=\s|$)"
    r"|\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:[ap]\.?\s?m\.?|h(?:rs?|oras)?\b))?(?=\s|$)"
    rf"|(?:(?:lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo),?\s+)?\d{{1,2}}\s+de\s+(?:{_MONTH_NAMES})"
    r"(?:\s+(?:de|del)\s+\d{4})?(?=\s*(?:[-–—|·]|\d{1,2}:\d{2}))"
    r")" + _SEP,
    re.IGNORECASE,
)


def clean_summary(value: str, title: str = "", max_length: int = EMAIL_SUMMARY_MAX) -> str:
    """A summary that reads as sentences: no timestamp, date or time before the first word, not the
    headline again, cut after a sentence when it is long (scraped text: controls dropped)."""
    text = _multiline(value, SUMMARY_MAX)
    for _ in range(4):  # "2026-11-10T09:00:00 | 09:00 h La Fiscalía ..."
        stripped = _LEADING_STAMP.sub("", text, count=1).lstrip()
        if stripped == text:
            break
        text = stripped
    heading = " ".join(title.split())
    if heading and text.startswith(heading) and len(text) > len(heading):
        text = text[len(heading):].lstrip(" .:-–—|\n")
    if len(text) <= max_length:
        return text
    cut = text[:max_length]
    end = max(cut.rfind(". "), cut.rfind(".\n"))
    if end >= max_length // 2:
        return cut[:end + 1]
    return cut[:max_length - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _period_text(view: DigestView, lang: str) -> str:
    """The period label as a readable date when it is one, else the label itself."""
    try:
        return format_date(date.fromisoformat(view.period_label.strip()), lang)
    except ValueError:
        pass
    label = clean_header(view.period_label, max_length=40)
    return label or format_date(_lima(view.generated_at).date(), lang)


def _case_names(view: DigestView) -> list[str]:
    """Case names as one-line text, in the digest's order."""
    return [clean_header(name, max_length=120) or clean_header(cid, 60) for cid, name in view.cases.items()]


def _case_title(view: DigestView, lang: str) -> str:
    """One case by name; several by name if short, else '3 casos'."""
    names = [n for n in _case_names(view) if n]
    if not names:
        return ""
    joined = " / ".join(names)
    if len(names) == 1 or len(joined) <= SUBJECT_CASE_MAX:
        return clean_header(joined, max_length=SUBJECT_CASE_MAX)
    return labels.text(lang, "several_cases", n=len(names))


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


def _entries(view: DigestView) -> tuple[ChangeView, ...]:
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


def _stepped(entries: Sequence[ChangeView]) -> list[tuple[ChangeView, MilestoneView]]:
    """Entries reporting a new taken step with that step, the most significant first (official first)."""
    found = [(c, new_steps(c)[0]) for c in entries if new_steps(c)]
    return sorted(found, key=lambda pair: (_step_rank(pair[1].type), pair[0].source_kind not in OFFICIAL_KINDS,
                                           pair[0].detected_at, pair[0].id))


def _lead(entries: Sequence[ChangeView]) -> ChangeView | None:
    """What the subject names: the most significant new step, else the first new document (official
    first), else the first edit or removal."""
    stepped = _stepped(entries)
    if stepped:
        return stepped[0][0]
    fresh = sorted((c for c in entries if c.kind == "new"),
                   key=lambda c: (c.source_kind not in OFFICIAL_KINDS, c.detected_at, c.id))
    return fresh[0] if fresh else (entries[0] if entries else None)


def _shorten(line: str, max_length: int = SUBJECT_TITLE_MAX) -> str:
    """A one-line headline cut at a word boundary ('… del 9 de enero…', not '… en Juli…')."""
    if len(line) <= max_length:
        return line
    cut = line[:max_length].rsplit(" ", 1)[0] if " " in line[:max_length] else line[:max_length - 1]
    return cut.rstrip(" ,;:·-–—") + "…"


def build_subject(view: DigestView) -> str:
    """What moved, in one line: 'Fiscalía formaliza investigación contra 4 policías · Masacre de Juliaca
    · +2 más'. The lead entry's headline (scraped: one line, capped), the case, how many more entries."""
    lang = labels.language(view.language)
    entries = _entries(view)
    lead = _lead(entries)
    if lead is None:
        head = labels.text(lang, "subject_nothing")
    else:
        head = _shorten(clean_header(lead.title, SUBJECT_MAX)) or clean_header(lead.url, 60) \
            or labels.text(lang, "untitled")
        if lead.kind != "new":
            head = f"{_kind_text(lead, lang).split(' · ')[0]}: {head}"
    parts = [head]
    case = _case_title(view, lang)
    if case:
        parts.append(case)
    if len(entries) > 1:
        parts.append(labels.text(lang, "subject_more", n=len(entries) - 1))
    subject = " · ".join(parts)
    if view.immediate:
        subject = f"{labels.text(lang, 'alert')}: {subject}"
    return clean_header(subject, max_length=SUBJECT_MAX)


def _milestone_text(lang: str, type_: str, label: str, status: str, republished: bool = False) -> str:
    """'Audiencia', 'Audiencia (anuncio)' for a step only announced, 'Audiencia (re-publicado)' for an edit."""
    text = clean_header(labels.milestone_label(lang, type_, label), 80)
    if status == "announced":
        return f"{text} ({labels.text(lang, 'timeline_announced')})"
    return f"{text} ({labels.text(lang, 'republished')})" if republished else text


def _full_href(view: DigestView, change: ChangeView) -> str | None:
    """The review page of a change (whole diff, stored versions) when base_url is an http(s) link."""
    base = safe_href(view.base_url)
    return safe_href(f"{base.rstrip('/')}/changes/{int(change.id)}") if base else None


def _item(change: ChangeView, view: DigestView, lang: str) -> dict[str, Any]:
    """Template-ready, already-cleaned strings for one change."""
    url_text = clean_header(change.url, max_length=2048)
    published = format_datetime(change.published_at, lang) if change.published_at else ""
    detected = format_datetime(change.detected_at, lang)
    dates = f"{labels.text(lang, 'detected')}: {detected}"
    if published:
        dates = f"{labels.text(lang, 'published')}: {published} · {dates}"
    title = clean_header(change.title, max_length=TITLE_MAX) or url_text or labels.text(lang, "untitled")
    return {
        "id": change.id,
        "kind": change.kind,
        "kind_label": _kind_text(change, lang),
        "title": title,
        "href": safe_href(change.url),
        "url": url_text,
        "source_name": clean_header(change.source_name, 200) or clean_header(change.source_id, 100),
        "published": published,
        "detected": detected,
        "dates": dates,
        "cases": [clean_header(view.cases.get(c, c), 120) for c in change.cases],
        "milestones": [_milestone_text(lang, m.type, m.label, m.status, m.republished) for m in change.milestones],
        "actors": list(dict.fromkeys(a for a in (clean_header(actor, 120) for m in change.milestones
                                                 for actor in m.actors) if a))[:8],
        "institution": "",  # set for the "other institutions" group, whose heading does not name it
        "summary": clean_summary(change.summary or "", change.title),
        "diff": change.diff if change.kind in ("updated", "alternating") and change.diff else None,
        "changed_words": changed_words(change.diff) if change.kind in ("updated", "alternating") else [],
        "full_href": _full_href(view, change) if change.kind != "new" else None,
        "also": [_link(r) for r in change.also if r.url != change.url],
    }


def _kind_text(change: ChangeView, lang: str) -> str:
    """The entry's badge: the kind, or 'Alterna entre dos versiones · 4 cambios en este periodo'."""
    if change.kind != "alternating":
        return clean_header(labels.kind_label(lang, change.kind), 40)
    return " · ".join(labels.alternating_phrases(lang, len(change.versions), change.count))


def _link(report: ReportView) -> dict[str, Any]:
    """A source name with its link (None when the URL is not a safe http(s) link)."""
    return {"name": clean_header(report.source_name, 200) or clean_header(report.source_id, 100) or "?",
            "href": safe_href(report.url), "url": clean_header(report.url, max_length=2048)}


def _timeline(view: DigestView, lang: str) -> list[dict[str, Any]]:
    """The "case status" section: per case (in the digest's order), its latest steps, oldest first."""
    by_case: dict[str, list[TimelineEntryView]] = {}
    for entry in view.timeline:
        by_case.setdefault(entry.case_id, []).append(entry)
    order = [c for c in view.cases if c in by_case] + [c for c in by_case if c not in view.cases]

    def entries(cid: str, status: str) -> list[dict[str, Any]]:
        return [{
            "date": format_date(e.date, lang),
            "approx": not e.date_known,
            "label": clean_header(labels.milestone_label(lang, e.type, e.label), 80)
                     + (f" ({labels.text(lang, 'timeline_removed')})" if e.removed else ""),
            "announced": e.status == "announced",
            "sources": [_link(r) for r in e.sources],
        } for e in sorted(by_case[cid], key=lambda e: e.date) if e.status == status]

    # Stages reached are taken steps only; what an actor announced is listed apart, never as reached.
    return [{"name": clean_header(view.cases.get(cid, cid), 120), "entries": entries(cid, "taken"),
             "announced": entries(cid, "announced")} for cid in order]


def _sections(view: DigestView, lang: str) -> dict[str, Any]:
    """Every change once: new reports of an institution's legal step under that institution (fixed
    order), edits/removals/restorations as changed documents (kinds in the fixed order, unknown kinds
    last so nothing is dropped), then the other new reports (news, one entry per story). A document
    alternating between stored versions is one entry among the changed documents."""
    changes = _entries(view)
    legal: dict[str, list[dict[str, Any]]] = {}
    changed: list[ChangeView] = []
    news: list[dict[str, Any]] = []
    for change in changes:
        institution = institution_of(change) if change.kind == "new" else None
        if institution is not None:
            item = _item(change, view, lang)
            if institution[0] == "other":  # the group heading does not name it: the entry does
                item["institution"] = clean_header(institution[1], 120)
                item["actors"] = [a for a in item["actors"] if a != item["institution"]]
            legal.setdefault(institution[0], []).append(item)
        elif change.kind == "new":
            news.append(_item(change, view, lang))
        else:
            changed.append(change)
    order = {kind: i for i, kind in enumerate(labels.KIND_ORDER)}
    changed.sort(key=lambda c: order.get(c.kind, len(order)))  # stable: detection order within a kind
    return {
        "legal": [{"key": key, "label": labels.institution_label(lang, key), "items": legal[key]}
                  for key in labels.INSTITUTION_ORDER if key in legal],
        "legal_total": sum(len(items) for items in legal.values()),
        "changed": [_item(c, view, lang) for c in changed],
        "news": news,
    }


def _new_step_lines(entries: Sequence[ChangeView], lang: str) -> list[dict[str, Any]]:
    """The first screen: each new taken step in one line (step, who took it, when), most significant first,
    pointing at its entry below."""
    lines = []
    for change, step in _stepped(entries):
        institution = institution_of(change)
        if institution is None:
            who = clean_header(change.source_name, 200)
        else:  # the group's name ("Fiscalía / Ministerio Público"); an "other" institution by its own name
            who = clean_header(institution[1], 120) if institution[0] == "other" \
                else labels.institution_label(lang, institution[0])
        when = change.published_at or change.detected_at
        lines.append({"label": _milestone_text(lang, step.type, step.label, step.status), "who": who,
                      "date": format_date(_lima(when).date(), lang), "anchor": f"c{int(change.id)}"})
    return lines


def _overview(lang: str, steps: int, changed: int, total: int) -> str:
    """'En este resumen: 2 pasos legales nuevos, 1 documento modificado, 3 noticias o documentos nuevos.'"""
    parts = [labels.text(lang, f"overview_{key}_one" if n == 1 else f"overview_{key}_many", n=n)
             for key, n in (("steps", steps), ("changed", changed), ("other", total - steps - changed)) if n > 0]
    return labels.text(lang, "overview", parts=", ".join(parts)) if parts else ""


# pipeline.health's reasons ("the last 3 runs failed: <error>"): the subscriber gets the gist in their
# language; the error itself, in English and technical, goes to the maintainers' alert.
_HEALTH_REASON = re.compile(r"^the last (\d+) runs (found no items|failed or found nothing|failed)\b")
_HEALTH_KEYS = {"found no items": "health_empty", "failed": "health_failed", "failed or found nothing": "health_mixed"}


def health_line(health: SourceHealthView, lang: str) -> str:
    """Why a source is unhealthy, in the subscriber's language."""
    match = _HEALTH_REASON.match(" ".join(health.reason.split()))
    if match is None:
        return labels.text(lang, "health_unknown")
    return labels.text(lang, _HEALTH_KEYS[match.group(2)], n=int(match.group(1)))


def _already_sent(view: DigestView, lang: str) -> list[dict[str, Any]]:
    """Steps mailed as immediate alerts since the last digest: one line each."""
    return [{"title": clean_header(a.title, TITLE_MAX) or clean_header(a.url, 2048) or labels.text(lang, "untitled"),
             "href": safe_href(a.url), "url": clean_header(a.url, max_length=2048),
             "sent": format_datetime(a.sent_at, lang) if a.sent_at else ""} for a in view.already_sent]


def _more_lines(lang: str, n: int) -> str:
    """'… 12 more lines' in the reader's language."""
    return labels.text(lang, "more_lines_one") if n == 1 else labels.text(lang, "more_lines", n=n)


def _context(view: DigestView) -> dict[str, Any]:
    """Everything the two templates need; both get the same content."""
    lang = labels.language(view.language)
    t: Callable[..., str] = partial(labels.text, lang)
    name = clean_header(view.subscriber_name, max_length=80)
    email = clean_header(view.subscriber_email, max_length=254)
    case_names = _case_names(view)
    timeline = _timeline(view, lang)
    entries = _entries(view)
    sections = _sections(view, lang)
    steps = _new_step_lines(entries, lang)
    return {
        "lang": lang,
        "t": t,
        "more_lines": partial(_more_lines, lang),
        "diff_max_lines": DIFF_MAX_LINES,
        "case_title": _case_title(view, lang),
        "case_names": case_names,
        "show_cases": len(view.cases) > 1,
        "period": _period_text(view, lang),
        "generated": format_datetime(view.generated_at, lang),
        "greeting": t("greeting", name=name) if name else t("greeting_anon"),
        "immediate": view.immediate,
        "intro": t("intro_immediate") if view.immediate else t("intro"),
        "section_titles": labels.SECTION_LABELS[lang],
        **sections,
        "new_steps": steps,
        "overview": _overview(lang, len(steps), len(sections["changed"]), len(entries)),
        "already_sent": _already_sent(view, lang),
        "total": len(entries),
        "timeline": timeline,
        "timeline_approx": any(e["approx"] for group in timeline for e in (*group["entries"], *group["announced"])),
        "footer_why": t("footer_why", email=email, cases=", ".join(case_names) or "casewatch"),
        "footer_sources": t("footer_sources", n=view.sources_watched) if view.sources_watched else "",
        "unhealthy": [{"name": clean_header(h.source_name, 200), "id": h.source_id, "reason": health_line(h, lang),
                       "since": format_datetime(h.since, lang) if h.since else ""} for h in view.unhealthy],
        "base_href": safe_href(view.base_url),
        "base_url": clean_header(view.base_url, max_length=300),
        **_unsubscribe(view.unsubscribe_url),
    }


def _unsubscribe(url: str) -> dict[str, Any]:
    """The footer's unsubscribe link (the same URL as the List-Unsubscribe header); none when empty."""
    return {"unsubscribe_href": safe_href(url), "unsubscribe_url": clean_header(url, max_length=2048)}


environment = _build_environment()


def render_digest(view: DigestView) -> RenderedDigest:
    """Subject, text and HTML for one subscriber's digest."""
    context = _context(view)
    text = environment.get_template("email/digest.txt.j2").render(context)
    html = environment.get_template("email/digest.html.j2").render(context)
    return RenderedDigest(subject=build_subject(view), text=text, html=html, language=context["lang"])


def build_quiet_subject(view: QuietWeekView) -> str:
    """'casewatch: sin novedades esta semana — vigilando 12 fuentes', one line."""
    lang = labels.language(view.language)
    sources = labels.sources_phrase(lang, max(int(view.sources_watched), 0))
    return clean_header(labels.text(lang, "quiet_subject", sources=sources), max_length=SUBJECT_MAX)


def _quiet_period(view: QuietWeekView, lang: str) -> str:
    """'daily:2026-11-27' as '27 nov 2026', 'weekly:2026-W48' as 'semana del 23 nov 2026', else as given."""
    label = clean_header(view.period_label, max_length=40)
    label = label.split(":", 1)[1] if ":" in label else label
    try:
        day = date.fromisoformat(label)
    except ValueError:
        return label
    return labels.text(lang, "week_of", day=format_date(day, lang)) if "W" in label else format_date(day, lang)


def render_quiet_week(view: QuietWeekView) -> RenderedDigest:
    """The "nothing new — still watching N sources, last checked …" email of a quiet period."""
    lang = labels.language(view.language)
    t: Callable[..., str] = partial(labels.text, lang)
    name = clean_header(view.subscriber_name, max_length=80)
    email = clean_header(view.subscriber_email, max_length=254)
    case_names = [clean_header(n, 120) or clean_header(cid, 60) for cid, n in view.cases.items()]
    cases = ", ".join(n for n in case_names if n) or t("the_case")
    sources = labels.sources_phrase(lang, max(int(view.sources_watched), 0))
    if view.last_checked is not None:
        line = t("quiet_line", sources=sources, when=format_datetime(view.last_checked, lang))
    else:
        line = t("quiet_line_never", sources=sources)
    context = {
        "lang": lang,
        "t": t,
        "title": t("quiet_title"),
        "case_title": " / ".join(n for n in case_names if n),
        "period": _quiet_period(view, lang),
        "generated": format_datetime(view.generated_at, lang) if view.generated_at else "",
        "greeting": t("greeting", name=name) if name else t("greeting_anon"),
        "line": line,
        "explain": t("quiet_explain", cases=cases),
        "footer_why": t("footer_why", email=email, cases=cases),
        "base_href": safe_href(view.base_url),
        "base_url": clean_header(view.base_url, max_length=300),
        **_unsubscribe(view.unsubscribe_url),
    }
    text = environment.get_template("email/quiet.txt.j2").render(context)
    html = environment.get_template("email/quiet.html.j2").render(context)
    return RenderedDigest(subject=build_quiet_subject(view), text=text, html=html, language=lang)
