"""``--since``/``--until`` and the API's ``since``: '7d', '12h', a date or a time, parsed once for the CLI and the
review page (no click here: the CLI turns ``BadTime`` into its usage error, the page into a 400).

Every result is a moment the databases can store: a value that overflows (``99999999999d``, ``9999-12-31``
as an end of day, a time whose UTC form is past year 9999) is refused like a malformed one, never a crash.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from textkit import LIMA

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
EXPECTED = "expected 7d, 12h, 2w or a date like 2026-11-01"


class BadTime(ValueError):
    """A time the user typed that cannot be used; the message is one line naming the value."""


def _storable(moment: datetime, value: str) -> datetime:
    """``moment`` if its UTC form exists (the stores keep UTC), else the one-line refusal."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise BadTime(f"{value!r} is out of range") from None
    return moment


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """'7d', '12h', '2w', '30m', a date (2026-11-01) or an ISO datetime; dates are Lima days."""
    if not value:
        return None
    if m := re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", value):
        try:
            return _storable(now - timedelta(**{UNITS[m.group(2)]: int(m.group(1))}), value)
        except (OverflowError, ValueError):  # ValueError: more digits than int() reads
            raise BadTime(f"{value!r} is out of range") from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadTime(f"{EXPECTED}, got {value!r}") from None
    return _storable(moment if moment.tzinfo else moment.replace(tzinfo=LIMA), value)


def parse_until(value: str | None, now: datetime) -> datetime | None:
    """Like ``parse_since``, but a plain date (2026-11-01) means the end of that Lima day (it is included)."""
    if value and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            day = datetime.fromisoformat(value.strip()).replace(tzinfo=LIMA)
            return _storable(day + timedelta(days=1), value)
        except ValueError:
            raise BadTime(f"{EXPECTED}, got {value!r}") from None
        except OverflowError:
            raise BadTime(f"{value!r} is out of range") from None
    return parse_since(value, now)
