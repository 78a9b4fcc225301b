"""How every `casewatch` command speaks: a JSON document on standard output for scripts, and a mistake as
one redacted line on standard error with exit code 1, never a traceback."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from config.redact import redact

EXIT_USER_ERROR = 1
EXIT_SOURCES_FAILED = 3


def fail(lines: list[str] | str) -> NoReturn:
    """Each line on stderr after ``casewatch:``, redacted (a database error may quote its URL); exit 1."""
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(f"casewatch: {redact(line)}", err=True)
    sys.exit(EXIT_USER_ERROR)


def print_json(data: Any) -> None:
    """One JSON document, indented, non-ASCII as is (Spanish titles stay readable)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
