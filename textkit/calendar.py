"""The case's calendar: Lima time, and month and weekday names as sources write them (folded: no accents,
lower case; Spanish first, English too)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

LIMA_TZ = "America/Lima"  # the case's readers: a 22:00 Lima publication is that day's news
LIMA = ZoneInfo(LIMA_TZ)

# Full month names, Spanish (both "setiembre", Peru's spelling, and "septiembre") and English.
SPANISH_MONTHS: dict[str, int] = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "setiembre": 9, "septiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}
ENGLISH_MONTHS: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}
MONTHS: dict[str, int] = {**SPANISH_MONTHS, **ENGLISH_MONTHS}

# Abbreviations headers and date lines use ("10 Dic, 2023", "Sep 3"); in prose they are ordinary words
# ("mar", "may", "set"), so only parsers of date fields add them to MONTHS.
MONTH_ABBREVIATIONS: dict[str, int] = {
    "ene": 1, "jan": 1, "feb": 2, "mar": 3, "abr": 4, "apr": 4, "jun": 6, "jul": 7, "ago": 8, "aug": 8,
    "set": 9, "sep": 9, "sept": 9, "setiem": 9, "oct": 10, "nov": 11, "dic": 12, "dec": 12,
}

SPANISH_WEEKDAYS: dict[str, int] = {
    "lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5, "domingo": 6,
}
WEEKDAYS: dict[str, int] = {
    **SPANISH_WEEKDAYS,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}
