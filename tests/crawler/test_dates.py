"""parse_date: feed, ISO and Spanish dates, always timezone-aware."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from crawler.extract.dates import parse_date

LIMA = timedelta(hours=-5)

CASES = [
    ("Mon, 20 Jul 2026 03:45:11 GMT", "2026-07-20T03:45:11+00:00"),
    ("Wed, 29 Jul 2026 03:03:59 +0000", "2026-07-29T03:03:59+00:00"),
    ("Wed, 15 Jul 2026 05:01:00 -0500", "2026-07-15T05:01:00-05:00"),
    ("Tue, 14 Jul 2026 09:00:00 PET", "2026-07-14T09:00:00-05:00"),
    ("2024-05-17T10:30:00", "2024-05-17T10:30:00-05:00"),  # naive -> America/Lima
    ("2024-05-17T10:30:00Z", "2024-05-17T10:30:00+00:00"),
    ("2024-01-09T08:00:00+00:00", "2024-01-09T08:00:00+00:00"),
    ("2023-01-09", "2023-01-09T00:00:00-05:00"),
    ("9 de enero de 2023", "2023-01-09T00:00:00-05:00"),
    ("10 Diciembre, 2023", "2023-12-10T00:00:00-05:00"),
    ("lunes 15 de setiembre de 2025", "2025-09-15T00:00:00-05:00"),
    ("15 de septiembre del 2025", "2025-09-15T00:00:00-05:00"),
    ("Actualización: 6 de enero de 2024 - 10:37", "2024-01-06T10:37:00-05:00"),
    ("13-Enero-2023 2:46", "2023-01-13T02:46:00-05:00"),
    ("17 de mayo de 2024 - 10:30 a. m.", "2024-05-17T10:30:00-05:00"),
    ("3 de marzo de 2023, 4:30 p. m.", "2023-03-03T16:30:00-05:00"),
    ("Dom, 21/06/2026 - 08:00", "2026-06-21T08:00:00-05:00"),
    ("19/08/2025", "2025-08-19T00:00:00-05:00"),
    ("July 1, 2025", "2025-07-01T00:00:00-05:00"),
]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_parse(value: str, expected: str) -> None:
    parsed = parse_date(value)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed.isoformat() == expected


@pytest.mark.parametrize("value", ["hace 2 horas", "lunes 15 de setiembre", "", "   ", "31 de febrero de 2023",
                                   "garbage", None, 12])
def test_unparseable_is_none(value: object) -> None:
    assert parse_date(value) is None


def test_other_inputs() -> None:
    assert parse_date(datetime(2023, 1, 9, 10)).utcoffset() == LIMA
    assert parse_date(time.struct_time((2023, 1, 9, 15, 0, 0, 0, 9, 0))) == datetime(2023, 1, 9, 15, tzinfo=UTC)
    assert parse_date("2023-01-09T10:00", default_tz="UTC").utcoffset() == timedelta(0)
