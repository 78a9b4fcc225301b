"""Config mistakes as lines: pydantic's errors become ``file: field.path: message``, one per problem.

Checks that span fields or files raise :func:`problems` (a ValidationError at a field below the one
being validated), so every mistake, wherever it is found, reaches the user through the same path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails

from config.redact import redact

Loc = tuple[str | int, ...]


class ConfigError(Exception):
    """A configuration mistake; ``lines`` holds one human-readable line per problem."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def problem(loc: Loc, message: str, value: Any = None) -> InitErrorDetails:
    """One mistake at ``loc`` (relative to what is being validated), shown as ``message``."""
    return InitErrorDetails(type="value_error", loc=loc, input=value, ctx={"error": ValueError(message)})


def again(errors: Iterable[ErrorDetails]) -> list[InitErrorDetails]:
    """Errors pydantic already reported, in the form :func:`problems` takes, to report them with others."""
    out = []
    for err in errors:
        details = InitErrorDetails(type=err["type"], loc=err["loc"], input=err["input"])
        if "ctx" in err:
            details["ctx"] = err["ctx"]
        out.append(details)
    return out


def problems(title: str, found: Sequence[InitErrorDetails]) -> ValidationError:
    """The ValidationError to raise inside a validator: pydantic prefixes each ``loc`` with its own place."""
    return ValidationError.from_exception_data(title, list(found))


def _path(loc: Iterable[Any], prefix: str = "") -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before", "function-wrap") or str(part).startswith(
            ("function-", "literal[", "constrained-str")
        ):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(err: ErrorDetails) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    msg = str(err.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    value = err.get("input")
    if kind not in ("value_error", "assertion_error") and isinstance(value, str | int | float | bool):
        msg += f" (got {value!r})"  # scalars only: a whole mapping would not fit on one line
    return msg


def validation_lines(file: str, exc: ValidationError, prefix: str = "") -> list[str]:
    """``file: field.path: message`` for each error of ``exc`` (``prefix`` starts every path)."""
    lines = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if p != "__root__"]
        field = _path(loc, prefix)
        message = redact(_message(err), secrets=())  # "(got ...)" may echo a URL with credentials
        lines.append(f"{file}: {field}: {message}" if field else f"{file}: {message}")
    return lines
