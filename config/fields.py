"""The building blocks of every config file: the strict base model, ids, emails, timezones, schedules,
durations, and the vocabularies (source kinds, the 19 milestone types of docs/architecture.md)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from config.cron import check_cron
from textkit import LIMA_TZ

SourceKind = Literal[
    "prosecutor", "court", "congress", "gazette", "iachr", "un", "ombudsman", "ngo", "news", "aggregator"
]
MilestoneType = Literal[
    "complaint", "constitutional_complaint", "preliminary_investigation", "investigation_extended",
    "formal_investigation", "indictment", "hearing", "trial", "ruling", "coercive_measure", "archived",
    "testimony", "forensic", "report", "precautionary_measure", "statement", "institutional",
    "legislation", "appeal",
]
MILESTONE_TYPES: tuple[str, ...] = MilestoneType.__args__  # type: ignore[attr-defined]
# Legal steps that warrant an email within the crawl cycle that found them (digest.immediate).
IMMEDIATE_MILESTONES: tuple[str, ...] = ("constitutional_complaint", "formal_investigation", "indictment", "ruling",
                                         "archived", "precautionary_measure", "institutional")

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DEFAULT_TIMEZONE = LIMA_TZ


class ConfigModel(BaseModel):
    """Unknown fields are mistakes (a typo must not be ignored), and a loaded config never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"must be 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit "
                         f"(got {value!r})")
    return value


def check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"invalid email address {value!r}")
    return value


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown timezone '{value}'") from None
    return value


Id = Annotated[str, AfterValidator(check_id)]
Email = Annotated[str, AfterValidator(check_email)]
Timezone = Annotated[str, AfterValidator(check_timezone)]


class Schedule(ConfigModel):
    """Either an interval (``30m``, ``2h``, ``1d``) or a five-field cron expression."""

    expression: str
    timezone: Timezone = DEFAULT_TIMEZONE

    @property
    def interval(self) -> timedelta | None:
        m = _INTERVAL.match(self.expression)
        return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))}) if m else None


def parse_schedule(value: str, timezone: str = DEFAULT_TIMEZONE) -> Schedule:
    """Validate a schedule string; raises ValueError with the message users see."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("schedule must be an interval like '30m' or a cron expression like '0 7 * * *'")
    check_timezone(timezone)
    if m := _INTERVAL.match(value):
        if int(m.group(1)) <= 0:
            raise ValueError(f"interval must be positive: '{value}'")
        return Schedule(expression=value.strip(), timezone=timezone)
    try:
        check_cron(value.strip())
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid cron expression '{value}' ({exc})") from None
    return Schedule(expression=value.strip(), timezone=timezone)


def parse_duration(value: Any) -> timedelta:
    """``"14d"``, ``"12h"``, ``"30m"`` or ``"45s"`` as a positive timedelta (ValueError says what is wrong)."""
    m = _INTERVAL.match(value) if isinstance(value, str) else None
    if m is None or int(m.group(1)) <= 0:
        raise ValueError(f"expected a duration like '14d', '12h' or '30m' (got {value!r})")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


Duration = Annotated[timedelta, BeforeValidator(lambda v: v if isinstance(v, timedelta) else parse_duration(v))]


def quoted_time(value: Any, example: str) -> Any:
    """YAML 1.1 reads an unquoted 07:00 as the sexagesimal number 420: ask for quotes, naming the value read."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f'write the time in quotes, like "{example}" (YAML read {value!r})')
    return value



def _email_list(value: Any) -> Any:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ValueError("expected a list of email addresses")
    return [item if isinstance(item, str) else repr(item) for item in value]  # 5 -> "invalid email address '5'"


Maintainers = Annotated[tuple[Email, ...], BeforeValidator(_email_list)]  # who hears of broken sources
