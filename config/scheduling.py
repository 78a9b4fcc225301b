"""How `casewatch run` schedules its work (the ``scheduler:`` block of sources.yaml)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field, field_validator

from config.fields import ConfigModel, Duration, quoted_time


class RevisitStep(ConfigModel):
    """Documents younger than ``younger_than`` (since first seen) are re-checked ``every``; the last
    step has no age limit."""

    younger_than: Duration | None = None
    every: Duration


DEFAULT_REVISIT = (RevisitStep(younger_than=timedelta(days=14), every=timedelta(days=1)),
                   RevisitStep(younger_than=timedelta(days=90), every=timedelta(days=7)),
                   RevisitStep(every=timedelta(days=30)))


class SchedulerSettings(ConfigModel):
    """How `casewatch run` runs crawls (sources.yaml ``scheduler:``); chosen for a small server."""

    max_parallel_crawls: int = Field(default=2, ge=1, le=32)  # crawl processes at once (K)
    crawl_time_limit: int = Field(default=1200, ge=5)  # seconds; a crawl still running is killed
    jitter: int = Field(default=30, ge=0)  # seconds of random delay, so sources do not start together
    # Known documents a listing no longer shows are fetched again on a decaying schedule (edits and
    # removals happen mostly in the first days); pinned documents at every crawl of their source.
    revisit: tuple[RevisitStep, ...] = Field(default=DEFAULT_REVISIT, min_length=1)
    revisit_max_per_crawl: int = Field(default=100, ge=0)  # oldest-checked first; the rest wait a crawl
    # Daily housekeeping (local time, America/Lima): retention, outbox retries, VACUUM/ANALYZE.
    housekeeping_at: str = Field(default="03:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # Raw bodies of documents that never concerned any case are dropped after this long (their
    # hashes, texts and metadata stay); null keeps every raw body forever.
    raw_retention: Duration | None = timedelta(days=180)
    config_poll: int = Field(default=30, ge=1)  # seconds between checks of the config files for edits

    @field_validator("revisit")
    @classmethod
    def _steps_in_order(cls, steps: tuple[RevisitStep, ...]) -> tuple[RevisitStep, ...]:
        ages = [s.younger_than for s in steps]
        if ages[-1] is not None or any(a is None for a in ages[:-1]):
            raise ValueError("only the last step may (and must) omit younger_than")
        if any(b <= a for a, b in zip(ages[:-2], ages[1:-1], strict=False)):  # type: ignore[operator]
            raise ValueError("younger_than must grow from one step to the next")
        return steps

    @field_validator("housekeeping_at", mode="before")
    @classmethod
    def _quoted_time(cls, value: Any) -> Any:
        return quoted_time(value, "03:30")
