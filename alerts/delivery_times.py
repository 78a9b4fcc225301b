"""When a subscriber's email is due: their delivery times (``at`` in their time zone, Mondays for weekly
digests), the period a digest belongs to, and the next email a preview shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from config.schema import Subscriber as SubscriberConfig
from textkit import LIMA


def _delivery_on(sub: SubscriberConfig, day: date) -> datetime | None:
    """The subscriber's delivery time on ``day`` (their local date), if they get one that day."""
    if sub.frequency == "immediate" or (sub.frequency == "weekly" and day.isoweekday() != 1):
        return None
    hour, minute = (int(part) for part in sub.at.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(sub.timezone))


def last_delivery_time(sub: SubscriberConfig, now: datetime) -> datetime | None:
    """The subscriber's latest delivery time at or before ``now``: the latest ``at`` in their timezone
    (on a Monday for weekly digests); None for ``immediate`` subscribers."""
    today = now.astimezone(ZoneInfo(sub.timezone)).date()
    for back in range(8):
        fire = _delivery_on(sub, today - timedelta(days=back))
        if fire is not None and fire <= now:
            return fire
    return None


def next_delivery_time(sub: SubscriberConfig, now: datetime) -> datetime | None:
    """The subscriber's next delivery time after ``now`` (for `casewatch status`)."""
    today = now.astimezone(ZoneInfo(sub.timezone)).date()
    for ahead in range(9):
        fire = _delivery_on(sub, today + timedelta(days=ahead))
        if fire is not None and fire > now:
            return fire
    return None


def period_of(sub: SubscriberConfig, fire: datetime) -> str:
    local = fire.astimezone(ZoneInfo(sub.timezone))
    if sub.frequency == "weekly":
        year, week, _ = local.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    return f"daily:{local.date().isoformat()}"


def due_periods(since: datetime, now: datetime) -> Callable[[SubscriberConfig | None], str | None]:
    """Each subscriber's digest period if one of their delivery times fell in (``since``, ``now``].

    However many fell in that window (a scheduler stopped for days), only the latest counts: one
    catch-up digest holds everything, never one per missed period.
    """
    def period_for(sub: SubscriberConfig | None) -> str | None:
        if sub is None:
            return None
        fire = last_delivery_time(sub, now)
        return period_of(sub, fire) if fire is not None and fire > since else None

    return period_for


def next_email(sub: SubscriberConfig | None, now: datetime) -> tuple[str, datetime, str]:
    """(kind, when, period) of the subscriber's next email: their next scheduled digest, or for
    ``frequency: immediate`` (and subscribers missing from the config) an alert built now."""
    fire = next_delivery_time(sub, now) if sub is not None else None
    if sub is None or fire is None:
        return "immediate", now, f"immediate:{now.astimezone(LIMA).strftime('%Y-%m-%dT%H:%M:%S.%f')}"
    return "digest", fire, period_of(sub, fire)
