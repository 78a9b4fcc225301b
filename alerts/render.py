"""Render a DigestView into a subject line, a plain-text body and an HTML body: the templates' context.
Which entries show is alerts/entries.py; how a scraped value shows, alerts/display.py; the subject line,
alerts/subject.py.

Every string in a DigestView comes from scraped pages, so the renderer treats it as hostile:
the HTML template is autoescaped, links are kept only for http(s), header text goes through
`clean_header`, and templates ship inside the package (no user-editable templates).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alerts import labels
from alerts.display import clean_summary, format_date, format_datetime, kind_text, lima, safe_href
from alerts.entries import digest_entries, institution_of, stepped
from alerts.message import RenderedDigest, clean_header
from alerts.subject import build_quiet_subject, build_subject, case_names, case_title
from alerts.views import ChangeView, DigestView, QuietWeekView, ReportView, SourceHealthView, TimelineEntryView
from alerts.worddiff import changed_words, diff_lines, diff_rows

TEMPLATES_DIR = Path(__file__).parent / "templates"
DIFF_MAX_LINES = 20  # enough to see the edit on a phone; the review page (full_href) has the whole diff
TITLE_MAX = 300
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


def _period_text(view: DigestView, lang: str) -> str:
    """The period label as a readable date when it is one, else the label itself."""
    try:
        return format_date(date.fromisoformat(view.period_label.strip()), lang)
    except ValueError:
        pass
    label = clean_header(view.period_label, max_length=40)
    return label or format_date(lima(view.generated_at).date(), lang)


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
        "kind_label": kind_text(change, lang),
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
    changes = digest_entries(view)
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
    for change, step in stepped(entries):
        institution = institution_of(change)
        if institution is None:
            who = clean_header(change.source_name, 200)
        else:  # the group's name ("Fiscalía / Ministerio Público"); an "other" institution by its own name
            who = clean_header(institution[1], 120) if institution[0] == "other" \
                else labels.institution_label(lang, institution[0])
        when = change.published_at or change.detected_at
        lines.append({"label": _milestone_text(lang, step.type, step.label, step.status), "who": who,
                      "date": format_date(lima(when).date(), lang), "anchor": f"c{int(change.id)}"})
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
    names = case_names(view)
    timeline = _timeline(view, lang)
    entries = digest_entries(view)
    sections = _sections(view, lang)
    steps = _new_step_lines(entries, lang)
    return {
        "lang": lang,
        "t": t,
        "more_lines": partial(_more_lines, lang),
        "diff_max_lines": DIFF_MAX_LINES,
        "case_title": case_title(view, lang),
        "case_names": names,
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
        "footer_why": t("footer_why", email=email, cases=", ".join(names) or "casewatch"),
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
    quiet_names = [clean_header(n, 120) or clean_header(cid, 60) for cid, n in view.cases.items()]
    cases = ", ".join(n for n in quiet_names if n) or t("the_case")
    sources = labels.sources_phrase(lang, max(int(view.sources_watched), 0))
    if view.last_checked is not None:
        line = t("quiet_line", sources=sources, when=format_datetime(view.last_checked, lang))
    else:
        line = t("quiet_line_never", sources=sources)
    context = {
        "lang": lang,
        "t": t,
        "title": t("quiet_title"),
        "case_title": " / ".join(n for n in quiet_names if n),
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
