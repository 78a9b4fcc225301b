"""Each subscriber's digest at their own local time; a stop spanning several times gives one catch-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.delivery_times import due_periods, last_delivery_time, next_delivery_time
from config.schema import Subscriber

LIMA = ZoneInfo("America/Lima")
MADRID = ZoneInfo("Europe/Madrid")


def _sub(**kw: object) -> Subscriber:
    return Subscriber.model_validate({"email": "a@example.org", "cases": ["juliaca-2023"], **kw})


def test_daily_at_the_subscribers_local_time() -> None:
    sub = _sub(at="07:00")
    before = datetime(2026, 11, 27, 6, 59, tzinfo=LIMA)
    assert last_delivery_time(sub, before) == datetime(2026, 11, 26, 7, 0, tzinfo=LIMA)
    assert next_delivery_time(sub, before) == datetime(2026, 11, 27, 7, 0, tzinfo=LIMA)
    at = datetime(2026, 11, 27, 7, 0, tzinfo=LIMA)
    assert last_delivery_time(sub, at) == at
    assert next_delivery_time(sub, at) == datetime(2026, 11, 28, 7, 0, tzinfo=LIMA)


def test_weekly_on_monday_in_another_timezone() -> None:
    sub = _sub(frequency="weekly", at="09:00", timezone="Europe/Madrid")
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert last_delivery_time(sub, wednesday) == datetime(2026, 11, 23, 9, 0, tzinfo=MADRID)
    assert next_delivery_time(sub, wednesday) == datetime(2026, 11, 30, 9, 0, tzinfo=MADRID)
    assert last_delivery_time(_sub(frequency="immediate"), wednesday) is None
    assert next_delivery_time(_sub(frequency="immediate"), wednesday) is None


def test_madrid_daylight_saving_days_deliver_once_at_local_time() -> None:
    sub = _sub(at="09:00", timezone="Europe/Madrid")
    # 29 March 2026: clocks go from 02:00 to 03:00 in Madrid; 09:00 local is 07:00 UTC that day, 08:00 the day before.
    assert last_delivery_time(sub, datetime(2026, 3, 29, 7, 0, tzinfo=UTC)) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert last_delivery_time(sub, datetime(2026, 3, 29, 6, 59, tzinfo=UTC)) == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)


def test_a_window_holding_several_delivery_times_gives_one_period() -> None:
    sub = _sub(at="07:00")
    now = datetime(2026, 11, 27, 15, 0, tzinfo=LIMA)
    three_days = due_periods(now - timedelta(days=3), now)
    assert three_days(sub) == "daily:2026-11-27"  # the latest one: a single catch-up digest
    assert due_periods(datetime(2026, 11, 27, 7, 0, tzinfo=LIMA), now)(sub) is None  # 07:00 already handled
    assert due_periods(datetime(2026, 11, 27, 6, 59, tzinfo=LIMA), now)(sub) == "daily:2026-11-27"
    weekly = _sub(frequency="weekly", at="07:00")
    assert due_periods(now - timedelta(days=10), now)(weekly) == "weekly:2026-W48"
    assert due_periods(now - timedelta(days=1), now)(weekly) is None  # Monday's already passed before the window
    assert three_days(None) is None
