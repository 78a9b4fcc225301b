"""Publication dates as timezone-aware datetimes, from feeds, metadata and Spanish prose.

Peruvian sources mix RFC 822 feed dates, ISO timestamps without offset (local Lima time) and long
Spanish dates ("9 de enero de 2023", "10 Diciembre, 2023", "setiembre"). Everything is table-driven so
new formats are one line. Relative dates ("hace 2 horas") and dates without a year need the clock,
which spiders must not read: they return None.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ = "America/Lima"

# Month names and abbreviations, accents stripped and lower-cased (Spanish first, English too).
MONTHS: dict[str, int] = {
    "enero": 1, "ene": 1, "january": 1, "jan": 1,
    "febrero": 2, "feb": 2, "february": 2,
    "marzo": 3, "mar": 3, "march": 3,
    "abril": 4, "abr": 4, "april": 4, "apr": 4,
    "mayo": 5, "may": 5,
    "junio": 6, "jun": 6, "june": 6,
    "julio": 7, "jul": 7, "july": 7,
    "agosto": 8, "ago": 8, "august": 8, "aug": 8,
    "setiembre": 9, "septiembre": 9, "set": 9, "sep": 9, "sept": 9, "setiem": 9, "september": 9,
    "octubre": 10, "oct": 10, "october": 10,
    "noviembre": 11, "nov": 11, "november": 11,
    "diciembre": 12, "dic": 12, "december": 12, "dec": 12,
}

# Zone abbreviations that email.utils does not know but Peruvian sites print.
ZONE_ABBREVIATIONS: dict[str, str] = {"PET": "-0500", "UTC": "+0000", "Z": "+0000"}

_TIME = (
    r"(?:\s*(?:-|,|\||a\s+las|at)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?)?"
)
_MONTH = r"(?P<mon>[a-z]{3,10})\.?"

# (pattern, description). Each must define d, year and mon (name) or mnum (number).
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p + _TIME, re.IGNORECASE), why)
    for p, why in (
        (r"\b(?P<d>\d{1,2})(?:º|°|ro)?\s*(?:de\s+|-|/|\.|\s)\s*" + _MONTH
         + r"\s*(?:del?\s+|-|/|,|\.|\s)\s*(?P<year>\d{4})\b",
         "9 de enero de 2023 / 10 Diciembre, 2023 / 13-Enero-2023"),
        (r"\b" + _MONTH + r"\s+(?P<d>\d{1,2}),?\s+(?:de\s+)?(?P<year>\d{4})\b", "July 1, 2025"),
        (r"\b(?P<d>\d{1,2})[/.-](?P<mnum>\d{1,2})[/.-](?P<year>\d{4})\b", "19/08/2025 (day first, Peru)"),
        (r"\b(?P<year>\d{4})/(?P<mnum>\d{1,2})/(?P<d>\d{1,2})\b", "2023/01/09 (URL paths)"),
    )
)


def _fold(text: str) -> str:
    """Lower-case without accents, so 'Sáb' and 'sab', 'Setiembre' and 'setiembre' match alike."""
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).lower()


def _aware(value: datetime, default_tz: str) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(default_tz))


def _iso(value: str, default_tz: str) -> datetime | None:
    text = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        return _aware(datetime.fromisoformat(text), default_tz)
    except ValueError:
        return None


def _rfc822(value: str, default_tz: str) -> datetime | None:
    text = value.strip()
    if not re.search(r"\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}", text):
        return None
    for abbr, offset in ZONE_ABBREVIATIONS.items():
        text = re.sub(rf"\s{abbr}$", f" {offset}", text)
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000": UTC with unknown local zone (RFC 2822 §3.3)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _prose(value: str, default_tz: str) -> datetime | None:
    text = _fold(value)
    for pattern, _why in PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            month = MONTHS.get(groups["mon"]) if groups.get("mon") else int(groups.get("mnum") or 0)
            if not month:
                continue
            try:
                day = date(int(groups["year"]), month, int(groups["d"]))
            except ValueError:
                continue
            hour, minute, second = int(groups["H"] or 0), int(groups["M"] or 0), int(groups["S"] or 0)
            ampm = (groups.get("ampm") or "").replace(".", "").replace(" ", "")
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            if hour > 23 or minute > 59 or second > 59:
                hour = minute = second = 0
            return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=ZoneInfo(default_tz))
    return None


PARSERS: tuple[Callable[[str, str], datetime | None], ...] = (_iso, _rfc822, _prose)


def parse_date(value: object, *, default_tz: str = DEFAULT_TZ) -> datetime | None:
    """Parse a date from a feed, a meta tag or prose; always aware (naive means ``default_tz``).

    Accepts strings, datetimes, dates and ``time.struct_time`` (feedparser's UTC tuples).
    Returns None for anything unrecognised instead of guessing.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _aware(value, default_tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=ZoneInfo(default_tz))
    if isinstance(value, time.struct_time):
        return datetime(*value[:6], tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    for parser in PARSERS:
        if (result := parser(text, default_tz)) is not None:
            return result
    return None
