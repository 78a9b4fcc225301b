"""``subscribers.yaml``: who gets digests, in which language, about which cases, how often."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from config.context import CaseRefs, known
from config.errors import problem, problems
from config.fields import DEFAULT_TIMEZONE, ConfigModel, Email, Maintainers, SourceKind, Timezone, quoted_time

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Subscriber(ConfigModel):
    """Who gets digests, in which language, about which cases, how often."""

    email: Email
    name: str = ""
    language: Literal["es", "en"] = "es"
    cases: CaseRefs = Field(min_length=1)
    frequency: Literal["immediate", "daily", "weekly"] = "daily"
    at: str = Field(default="07:00", pattern=_TIME.pattern)
    want: Literal["milestones", "all"] = "all"
    source_kinds: tuple[SourceKind, ...] | None = None
    quiet_weeks: bool = False  # a weekly "nothing new, still watching N sources" when a week was empty
    timezone: Timezone = DEFAULT_TIMEZONE

    @field_validator("email")
    @classmethod
    def _once(cls, value: str, info: ValidationInfo) -> str:
        """One entry per address (case-insensitive), else one person would get every digest twice."""
        facts = known(info)
        if facts is not None:
            if value.lower() in facts.emails:
                raise ValueError(f"duplicate subscriber '{value}'")
            facts.emails.add(value.lower())
        return value

    @field_validator("at", mode="before")
    @classmethod
    def _at(cls, value: Any) -> Any:
        quoted_time(value, "07:00")
        if isinstance(value, str) and not _TIME.match(value):
            raise ValueError(f'expected a 24-hour time like "07:00" (got {value!r})')
        return value


class SubscribersFile(ConfigModel):
    """The whole file: subscribers, and maintainers (also allowed in sources.yaml)."""

    subscribers: tuple[Subscriber, ...] = ()
    maintainers: Maintainers = ()

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("subscribers", []), list):
            raise problems("SubscribersFile", [problem(("subscribers",), "expected a list of subscribers")])
        return data
