"""`--since` and `--until` as the command line reads them: casewatch.since's parsing, with a bad value
reported as click's usage error naming the option."""

from __future__ import annotations

from datetime import datetime

import click

from casewatch import since


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """``casewatch.since.parse_since`` with the CLI's usage error for a bad value."""
    try:
        return since.parse_since(value, now)
    except since.BadTime as exc:
        raise click.BadParameter(str(exc), param_hint="'--since'") from None


def parse_until(value: str | None, now: datetime) -> datetime | None:
    """Like --since, but a plain date (2026-11-01) means the end of that Lima day (it is included)."""
    try:
        return since.parse_until(value, now)
    except since.BadTime as exc:
        raise click.BadParameter(str(exc), param_hint="'--until'") from None
