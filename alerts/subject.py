"""A digest's subject line: what moved, in one line (the lead entry's headline, the case, how many more),
and the quiet week's. Scraped text: one line, capped, controls dropped.
"""

from __future__ import annotations

from alerts import labels
from alerts.display import kind_text
from alerts.entries import digest_entries, lead_entry
from alerts.message import clean_header
from alerts.views import DigestView, QuietWeekView

SUBJECT_MAX = 200
SUBJECT_CASE_MAX = 80
SUBJECT_TITLE_MAX = 110  # a headline a phone still shows most of, with the case after it


def case_names(view: DigestView) -> list[str]:
    """Case names as one-line text, in the digest's order."""
    return [clean_header(name, max_length=120) or clean_header(cid, 60) for cid, name in view.cases.items()]


def case_title(view: DigestView, lang: str) -> str:
    """One case by name; several by name if short, else '3 casos'."""
    names = [n for n in case_names(view) if n]
    if not names:
        return ""
    joined = " / ".join(names)
    if len(names) == 1 or len(joined) <= SUBJECT_CASE_MAX:
        return clean_header(joined, max_length=SUBJECT_CASE_MAX)
    return labels.text(lang, "several_cases", n=len(names))


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
    entries = digest_entries(view)
    lead = lead_entry(entries)
    if lead is None:
        head = labels.text(lang, "subject_nothing")
    else:
        head = _shorten(clean_header(lead.title, SUBJECT_MAX)) or clean_header(lead.url, 60) \
            or labels.text(lang, "untitled")
        if lead.kind != "new":
            head = f"{kind_text(lead, lang).split(' · ')[0]}: {head}"
    parts = [head]
    case = case_title(view, lang)
    if case:
        parts.append(case)
    if len(entries) > 1:
        parts.append(labels.text(lang, "subject_more", n=len(entries) - 1))
    subject = " · ".join(parts)
    if view.immediate:
        subject = f"{labels.text(lang, 'alert')}: {subject}"
    return clean_header(subject, max_length=SUBJECT_MAX)


def build_quiet_subject(view: QuietWeekView) -> str:
    """'casewatch: sin novedades esta semana — vigilando 12 fuentes', one line."""
    lang = labels.language(view.language)
    sources = labels.sources_phrase(lang, max(int(view.sources_watched), 0))
    return clean_header(labels.text(lang, "quiet_subject", sources=sources), max_length=SUBJECT_MAX)
