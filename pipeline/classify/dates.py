"""Dates that prose gives for an event ("el 9 de enero de 2023", "este lunes 15 de setiembre", "on March 3").

The milestone finder needs the day a legal step happened or will happen, which is rarely the
publication date. pipeline/ may not import crawler/, so this is a small, pure, table-driven finder of
its own: it returns every mention with its character span, and each mention resolves to a ``date``
only with what it needs: a year in the text, or the publication date for "15 de setiembre", "ayer"
and "el lunes". A year-less date is the latest such day not after publication (``forward=False``,
for steps taken) or the first one on or after it (``forward=True``, for steps announced).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from textkit import LIMA as LOCAL_TZ

# Full month names only: abbreviations ("mar", "may", "set") are ordinary words in prose.
from textkit import MONTHS, WEEKDAYS, fold

# Words that are a day relative to publication.
RELATIVE_DAYS: dict[str, int] = {
    "hoy": 0, "today": 0, "ayer": -1, "yesterday": -1, "anteayer": -2, "manana": 1, "tomorrow": 1,
}
# Before a weekday, these point forward ("el próximo lunes", "next Monday"); others point back.
FORWARD_WORDS = ("proximo", "proxima", "next", "coming")
MIN_YEAR, MAX_YEAR = 1990, 2100

_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH = "(?P<mon>" + _MONTH_NAMES + ")"
_WEEKDAY = "(?:" + "|".join(WEEKDAYS) + ")"
_YEAR = r"(?P<year>\d{4})(?!\d)"
_NOT_NUM = r"(?<![\d/.-])"  # a date is never the tail of an identifier such as 023-2023 or 12/2023

# Each pattern runs on folded text (lower case, no accents, same length as the original for Spanish
# and English letters) and defines d, mon or mnum, and optionally year.
_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in (
    # 9 de enero de 2023 / 9 de enero del 2023 / 15 de setiembre / 9 January 2023 / 1.o de mayo
    _NOT_NUM + r"\b(?P<d>\d{1,2})(?:\.?(?:o|ro|er))?\s+(?:de\s+)?" + _MONTH + r"\b"
    r"(?:\s*(?:,|de|del)?\s*" + _YEAR + ")?",
    # January 9, 2023 / March 3 / enero 9 de 2023
    r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?!\s*(?:de\s+)?(?:" + _MONTH_NAMES + r"))"
    r"(?:\s*(?:,|de|del)?\s*" + _YEAR + ")?",
    # 09/01/2023 (day first, as in Peru) and 2023-01-09
    _NOT_NUM + r"\b(?P<d>\d{1,2})/(?P<mnum>\d{1,2})/" + _YEAR + r"(?![/-]\d)",
    _NOT_NUM + r"\b" + r"(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<d>\d{2})\b(?![/-]\d)",
))
_RELATIVE = re.compile(r"(?:\b(?P<before>\w+)\s+)?\b(?P<rel>" + "|".join(RELATIVE_DAYS) + r")\b(?!\s+en\s+dia)")
# "mañana" is also "morning": "esta mañana" is today, "la/una/por la mañana" no day at all.
MORNING_BEFORE: dict[str, int | None] = {"esta": 0, "la": None, "una": None, "cada": None, "manana": None}
_WEEKDAY_ONLY = re.compile(
    r"\b(?P<lead>este|esta|el|la|del|on|this|last|next|coming|(?:el|la|este)\s+proxim[oa]|proxim[oa])\s+"
    r"(?P<wd>" + _WEEKDAY + r")\b(?!\s*,?\s*\d)"
)


@dataclass(frozen=True)
class DateMention:
    """A date as written: absolute (day, month, year), year-less, a relative day or a bare weekday."""

    start: int
    end: int
    day: int | None = None
    month: int | None = None
    year: int | None = None
    offset_days: int | None = None  # "hoy" 0, "ayer" -1, "mañana" +1
    weekday: int | None = None  # "el lunes": 0 = Monday
    forward: bool = False  # "el próximo lunes": the weekday after publication

    def resolve(self, published: date | datetime | None, *, forward: bool = False) -> date | None:
        """The calendar day meant, or None when the text and the publication date cannot fix it."""
        if self.day is not None and self.month is not None and self.year is not None:
            return _day(self.year, self.month, self.day)
        ref = local_date(published)
        if ref is None:
            return None
        if self.offset_days is not None:
            return ref + timedelta(days=self.offset_days)
        if self.weekday is not None:
            delta = (self.weekday - ref.weekday()) % 7
            if self.forward:
                return ref + timedelta(days=delta or 7)
            return ref + timedelta(days=delta) if forward else ref - timedelta(days=(-delta) % 7)
        if self.day is None or self.month is None:
            return None
        step = 1 if forward else -1
        for year in range(ref.year, ref.year + 9 * step, step):  # 8 years always hold a 29 February
            found = _day(year, self.month, self.day)
            if found is not None and (found >= ref if forward else found <= ref):
                return found
        return None


def local_date(value: date | datetime | None) -> date | None:
    """Publication day in Lima: a feed's UTC midnight is still the previous evening in Peru."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).date() if value.tzinfo else value.date()
    return value


def _day(year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str) -> list[DateMention]:
    """Every date mention in ``text``, in reading order, spans as character offsets into ``text``."""
    folded = fold(text)
    if len(folded) != len(text):  # exotic characters changed the length: offsets must stay true
        folded = "".join(fold(c)[:1] or " " for c in text)
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    for pattern in _PATTERNS:
        for m in pattern.finditer(folded):
            if not free(m.start(), m.end()):
                continue
            g = m.groupdict()
            if g.get("mon") == "may" and text[m.start("mon")] == "m":
                continue  # "may" the English modal verb, not the month
            month = MONTHS[g["mon"]] if g.get("mon") else int(g["mnum"])
            year = int(g["year"]) if g.get("year") else None
            day = int(g["d"])
            if not 1 <= month <= 12 or not 1 <= day <= 31 or (year is not None and _day(year, month, day) is None):
                continue
            found.append(DateMention(m.start(), m.end(), day, month, year))
            taken.append((m.start(), m.end()))
    for m in _RELATIVE.finditer(folded):
        offset: int | None = RELATIVE_DAYS[m.group("rel")]
        if m.group("rel") == "manana" and m.group("before") in MORNING_BEFORE:
            offset = MORNING_BEFORE[m.group("before") or ""]
        if offset is not None and free(m.start("rel"), m.end()):
            found.append(DateMention(m.start("rel"), m.end(), offset_days=offset))
    for m in _WEEKDAY_ONLY.finditer(folded):
        if free(m.start(), m.end()):
            forward = any(w in m.group("lead") for w in FORWARD_WORDS)
            found.append(DateMention(m.start("wd"), m.end(), weekday=WEEKDAYS[m.group("wd")], forward=forward))
    return sorted(found, key=lambda d: d.start)
