"""Five-field cron expressions checked when the config loads, without the scheduler library.

config/ describes what to watch; the shell's scheduler (casewatch/triggers.py) turns a schedule into an
APScheduler trigger. This module accepts what APScheduler 3's ``CronTrigger.from_crontab`` accepts
(numbers, ``*``, ranges, steps, lists, month and weekday names, ``last`` and ``1st mon`` in the day
field) and refuses the rest with the same kind of message, so a bad cron is a load error, not a
scheduler crash. Weekdays are APScheduler 3's: 0 is Monday, 6 is Sunday.
"""

from __future__ import annotations

import re

# (field, lowest, highest, names) in crontab order.
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day", 1, 31, ()),
    ("month", 1, 12, MONTH_NAMES),
    ("day_of_week", 0, 6, WEEKDAY_NAMES),
)
_ALL = re.compile(r"\*(?:/(?P<step>\d+))?$")
_RANGE = re.compile(r"(?P<first>\d+)(?:-(?P<last>\d+))?(?:/(?P<step>\d+))?$")
_NAMES = re.compile(r"(?P<first>[a-z]+)(?:-(?P<last>[a-z]+))?$", re.IGNORECASE)
_DAY_SPECIAL = re.compile(r"last$|(?:1st|2nd|3rd|4th|5th|last) +(?:mon|tue|wed|thu|fri|sat|sun)$", re.IGNORECASE)
_SEPARATOR = re.compile(" *, *")


def check_cron(expression: str) -> None:
    """Raise ValueError naming the field and the part that is wrong; return quietly when it is valid."""
    values = expression.split()
    if len(values) != 5:
        raise ValueError(f"Wrong number of fields; got {len(values)}, expected 5")
    for value, (name, lowest, highest, names) in zip(values, FIELDS, strict=True):
        for part in _SEPARATOR.split(value.strip()):
            _check_part(part, name, lowest, highest, names)


def _check_part(part: str, name: str, lowest: int, highest: int, names: tuple[str, ...]) -> None:
    if m := _ALL.match(part):
        _check_step(m.group("step"), highest - lowest, part)
    elif m := _RANGE.match(part):
        first, step = int(m.group("first")), m.group("step")
        last = int(m.group("last")) if m.group("last") else (first if step is None else None)
        if step is not None and int(step) == 0:
            raise ValueError("Increment must be higher than 0")
        if last is not None and first > last:
            raise ValueError("The minimum value in a range must not be higher than the maximum")
        if first < lowest:
            raise ValueError(f"Error validating expression {part!r}: the first value ({first}) is lower than the "
                             f"minimum value ({lowest})")
        if last is not None and last > highest:
            raise ValueError(f"Error validating expression {part!r}: the last value ({last}) is higher than the "
                             f"maximum value ({highest})")
        _check_step(step, (last if last is not None else highest) - first, part)
    elif names and (m := _NAMES.match(part)):
        span = [w.lower() for w in (m.group("first"), m.group("last")) if w]
        for word in span:
            if word not in names:
                raise ValueError(f'Invalid {"month" if name == "month" else "weekday"} name "{word}"')
        if len(span) == 2 and names.index(span[0]) > names.index(span[1]):
            raise ValueError("The minimum value in a range must not be higher than the maximum")
    elif not (name == "day" and _DAY_SPECIAL.match(part)):
        raise ValueError(f'Unrecognized expression "{part}" for field "{name}"')


def _check_step(step: str | None, span: int, part: str) -> None:
    if step is None:
        return
    if int(step) == 0:
        raise ValueError("Increment must be higher than 0")
    if int(step) > span:
        raise ValueError(f"Error validating expression {part!r}: the step value ({step}) is higher than the total "
                         f"range of the expression ({span})")
