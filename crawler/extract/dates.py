"""Publication dates as timezone-aware datetimes, from feeds, metadata, Spanish prose, PDFs and URLs.

Peruvian sources mix RFC 822 feed dates, ISO timestamps without offset (local Lima time), long
Spanish dates ("9 de enero de 2023", "10 Diciembre, 2023", "setiembre"), PDF metadata dates
("D:20230109183000-05'00'") and dates in URL paths (``/2024/05/17/`` or Servindi's ``/24/06/2020/``).
Everything is table-driven so new formats are one line.

Spiders must not read the clock, so anything that needs "now" takes an explicit ``reference`` (the
HTTP ``Date`` header of the response): a date without a year ("lunes 15 de setiembre", gob.pe) is
the latest such date not after the reference, and is None without one. Relative dates ("hace 2
horas") stay None: they drift on every fetch. Anything unrecognised is None, never a guess.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from textkit import LIMA_TZ as DEFAULT_TZ
from textkit import MONTH_ABBREVIATIONS, SPANISH_MONTHS, fold  # 'Sáb' = 'sab', 'Setiembre' = 'setiembre'
from textkit import MONTHS as MONTH_NAMES

# Month names and abbreviations, accents stripped and lower-cased (Spanish first, English too).
MONTHS: dict[str, int] = {**MONTH_NAMES, **MONTH_ABBREVIATIONS}
# Only full Spanish names are trusted in a date without a year: "3 de mar" or "1 set" are other words.
YEARLESS_MONTHS: tuple[str, ...] = tuple(SPANISH_MONTHS)

# Zone abbreviations that email.utils does not know but Peruvian sites print.
ZONE_ABBREVIATIONS: dict[str, str] = {"PET": "-0500", "UTC": "+0000", "Z": "+0000"}

# Plausible years for dates found in prose and URLs (a 4-digit number there may be anything).
MIN_YEAR, MAX_YEAR = 1900, 2199
# How far back a year-less date may go: 8 years always include a 29 February.
YEARLESS_LOOKBACK_YEARS = 8

_TIME = (
    r"(?:\s*(?:-|–|—|,|\||/|a\s+las?|at)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?!\d)"
    r"\s*(?P<ampm>[ap]\.?\s?m\b\.?)?)?"
)
_MONTH = r"(?P<mon>[a-z]{3,10})\.?"
_ORDINAL = r"(?:\.?(?:o|°|ro))?"  # "1.º", "1ro" (º folds to "o")
# Numeric dates must not be the middle of an id or a case number ("506015504-2023-12-0").
_NUM_BEFORE = r"(?<![\d./-])\b"
_NUM_AFTER = r"(?![\d]|[./-]\d)"

# (pattern, example). Each defines d, year, and mon (a name) or mnum (a number). When several match,
# the one starting first in the text wins (ties: the earlier pattern).
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p + _TIME, re.IGNORECASE), example)
    for p, example in (
        (r"\b(?P<d>\d{1,2})" + _ORDINAL + r"\s*(?:de\s+|-|/|\.|\s)\s*" + _MONTH
         + r"\s*(?:del?\s+|-|/|,|\.|\s)\s*(?P<year>\d{4})\b",
         "9 de enero de 2023 / 10 Diciembre, 2023 / 13-Enero-2023"),
        (r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?:de\s+)?(?P<year>\d{4})\b",
         "July 1, 2025 / enero 9 de 2023"),
        (_NUM_BEFORE + r"(?P<d>\d{1,2})(?P<sep>[/.-])(?P<mnum>\d{1,2})(?P=sep)(?P<year>\d{4})" + _NUM_AFTER,
         "19/08/2025 (day first, Peru)"),
        (_NUM_BEFORE + r"(?P<year>\d{4})(?P<sep>[/.-])(?P<mnum>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _NUM_AFTER,
         "2023/01/09"),
    )
)
# A day and a full month name, not followed by a year (those are PATTERNS): "lunes 15 de setiembre".
YEARLESS: re.Pattern[str] = re.compile(
    r"\b(?P<d>\d{1,2})" + _ORDINAL + r"\s+(?:de\s+)?(?P<mon>" + "|".join(YEARLESS_MONTHS) + r")\b"
    r"(?!\s*(?:del?\s+|-|/|,|\.)?\s*\d{4})" + _TIME,
    re.IGNORECASE,
)
_PDF_DATE = re.compile(
    r"^D:(?P<year>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2})?(?P<S>\d{2})?)?"
    r"(?:(?P<z>[Zz])(?:00'?00'?)?|(?P<sign>[+-])(?P<oh>\d{2})'?(?P<om>\d{2})?'?)?$",
)
_DIGITS = re.compile(r"[0-9]{1,4}")
# Path-date orders, in preference: /2024/05/17/ (La República, Infobae, WordPress), then
# /24/06/2020/ (Servindi, epanoticias).
URL_DATE_ORDERS: tuple[tuple[str, str, str], ...] = (("y", "m", "d"), ("d", "m", "y"))


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


def _pdf(value: str, default_tz: str) -> datetime | None:
    """PDF metadata dates (ISO 32000 §7.9.4): D:YYYYMMDDHHmmSS+HH'mm'; time and offset optional.

A bare year or month is not a day: those are refused rather than read as the 1st of January."""
    m = _PDF_DATE.match(value.strip())
    if m is None:
        return None
    g = m.groupdict()
    if g["sign"] and g["oh"]:
        delta = timedelta(hours=int(g["oh"]), minutes=int(g["om"] or 0))
        tz: timezone | ZoneInfo = timezone(-delta if g["sign"] == "-" else delta)
    elif g["z"]:
        tz = UTC
    else:
        tz = ZoneInfo(default_tz)
    try:
        return datetime(int(g["year"]), int(g["m"]), int(g["d"]), int(g["H"] or 0), int(g["M"] or 0),
                        int(g["S"] or 0), tzinfo=tz)
    except ValueError:
        return None


def _clock(groups: dict[str, str | None]) -> tuple[int, int, int]:
    """Hour, minute, second of a matched time (midnight if absent or impossible)."""
    hour, minute, second = int(groups.get("H") or 0), int(groups.get("M") or 0), int(groups.get("S") or 0)
    ampm = (groups.get("ampm") or "").replace(".", "").replace(" ", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return 0, 0, 0
    return hour, minute, second


def _month(groups: dict[str, str | None]) -> int:
    if groups.get("mon"):
        return MONTHS.get(groups["mon"] or "", 0)
    return int(groups.get("mnum") or 0)


def _from_match(groups: dict[str, str | None], default_tz: str) -> datetime | None:
    year, month = int(groups["year"] or 0), _month(groups)
    if not month or not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        day = date(year, month, int(groups["d"] or 0))
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, *_clock(groups), tzinfo=ZoneInfo(default_tz))


def _prose(value: str, default_tz: str) -> datetime | None:
    text = fold(value)
    best: tuple[int, datetime] | None = None  # (start in text, date)
    for pattern, _example in PATTERNS:
        for m in pattern.finditer(text):
            if best is not None and m.start() >= best[0]:
                break
            if (found := _from_match(m.groupdict(), default_tz)) is not None:
                best = (m.start(), found)
                break
    return best[1] if best else None


def _latest_year(month: int, day: int, reference: datetime, default_tz: str) -> date | None:
    """The latest ``day``/``month`` not after the reference's local date (None if it never exists)."""
    today = _aware(reference, default_tz).astimezone(ZoneInfo(default_tz)).date()
    for year in range(today.year, today.year - YEARLESS_LOOKBACK_YEARS, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February in a common year, 31 de abril...
            continue
        if candidate <= today:
            return candidate
    return None


def _yearless(value: str, default_tz: str, reference: datetime) -> datetime | None:
    for m in YEARLESS.finditer(fold(value)):
        groups = m.groupdict()
        found = _latest_year(MONTHS[groups["mon"]], int(groups["d"]), reference, default_tz)
        if found is not None:
            return datetime(found.year, found.month, found.day, *_clock(groups), tzinfo=ZoneInfo(default_tz))
    return None


PARSERS: tuple[Callable[[str, str], datetime | None], ...] = (_iso, _rfc822, _pdf, _prose)


def parse_date(value: object, *, reference: datetime | None = None,
               default_tz: str = DEFAULT_TZ) -> datetime | None:
    """Parse a date from a feed, a meta tag, prose or PDF metadata; always aware (naive means ``default_tz``).

    Accepts strings, datetimes, dates and ``time.struct_time`` (feedparser's UTC tuples).
    ``reference`` (the server's idea of "now", e.g. the HTTP Date header; naive means ``default_tz``)
    dates year-less text: "15 de setiembre" with reference 2026-01-10 is 2025-09-15. A date with a
    year anywhere in the text wins over a year-less one. Returns None for anything unrecognised.
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
    if reference is not None:
        return _yearless(text, default_tz, reference)
    return None


def date_from_url(url: str, *, default_tz: str = DEFAULT_TZ) -> datetime | None:
    """The date in a URL path (midnight, ``default_tz``): ``/2024/05/17/`` first, then ``/24/06/2020/``.

    Only whole path segments count, so ids ("-1515952", "/noticias/582313-...") and the query string
    (CIDH's ``?File=/es/cidh/prensa/comunicados/2022/280.asp``) never pass for dates; ranges are checked.
    """
    if not isinstance(url, str) or not url.strip():
        return None
    segments = urlsplit(url.strip()).path.split("/")
    for order in URL_DATE_ORDERS:
        for i in range(len(segments) - 2):
            parts = dict(zip(order, segments[i:i + 3], strict=True))
            if not all(_DIGITS.fullmatch(v) for v in parts.values()):
                continue
            if len(parts["y"]) != 4 or len(parts["m"]) > 2 or len(parts["d"]) > 2:
                continue
            year, month, day = int(parts["y"]), int(parts["m"]), int(parts["d"])
            if not MIN_YEAR <= year <= MAX_YEAR:
                continue
            try:
                return datetime(year, month, day, tzinfo=ZoneInfo(default_tz))
            except ValueError:
                continue
    return None
