"""APScheduler triggers for the config's schedules: built by the shell that schedules, so config/ never
imports the scheduler library (config/cron.py checks cron expressions when the config loads)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from config.schema import Schedule


def trigger_for(schedule: Schedule, jitter: int | None = None) -> BaseTrigger:
    """The trigger of ``schedule``: an interval (with ``jitter`` seconds of spread) or a crontab, in its zone."""
    tz = ZoneInfo(schedule.timezone)
    if (every := schedule.interval) is not None:
        return IntervalTrigger(seconds=int(every.total_seconds()), timezone=tz, jitter=jitter)
    return CronTrigger.from_crontab(schedule.expression, timezone=tz)
