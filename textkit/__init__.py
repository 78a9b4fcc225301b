"""Text and calendar helpers every layer shares: accent-free folding, word tokens, Spanish and English
month and weekday names, and the case's time zone (Lima); ``textkit.catalogue`` reads the one catalogue of
words (catalogue.json) that digests and the review page show.

A leaf: it imports only the standard library and nothing in the project, so config, crawler, pipeline,
alerts and the shell can all use one definition without pointing a dependency the wrong way.
"""

from textkit.calendar import (
    LIMA,
    LIMA_TZ,
    MONTH_ABBREVIATIONS,
    MONTHS,
    SPANISH_MONTHS,
    SPANISH_WEEKDAYS,
    WEEKDAYS,
)
from textkit.tokens import fold, words

__all__ = [
    "LIMA",
    "LIMA_TZ",
    "MONTHS",
    "MONTH_ABBREVIATIONS",
    "SPANISH_MONTHS",
    "SPANISH_WEEKDAYS",
    "WEEKDAYS",
    "fold",
    "words",
]
