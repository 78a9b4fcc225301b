"""Scraped values as an email shows them: links only for absolute http(s) URLs, dates and times in Lima
in the reader's language without the process locale, summaries that read as sentences, a change's badge.
Everything here treats its input as hostile (scraped pages).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from alerts import labels
from alerts.message import clean_header, strip_controls
from alerts.views import ChangeView
from textkit import LIMA, SPANISH_MONTHS

SUMMARY_MAX = 1500
EMAIL_SUMMARY_MAX = 600  # the email shows the lead paragraph; the review page has the whole text


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


def lima(moment: datetime) -> datetime:
    """Naive datetimes from the database are UTC; readers are in Peru."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LIMA)


def format_date(day: date, lang: str) -> str:
    """'27 nov 2026' / '27 Nov 2026' without depending on the process locale."""
    return f"{day.day} {labels.MONTHS[labels.language(lang)][day.month - 1]} {day.year}"


def format_datetime(moment: datetime, lang: str) -> str:
    """Date and 24-hour time in Lima."""
    local = lima(moment)
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


def kind_text(change: ChangeView, lang: str) -> str:
    """The entry's badge: the kind, or 'Alterna entre dos versiones · 4 cambios en este periodo'."""
    if change.kind != "alternating":
        return clean_header(labels.kind_label(lang, change.kind), 40)
    return " · ".join(labels.alternating_phrases(lang, len(change.versions), change.count))
