"""The ``params`` of a source as a pydantic model its spider family declares.

A family subclasses ``SpiderParams`` with typed fields and validators; ``from_source`` reads a source's
``params`` through it and turns the first problem into one line naming the source and the param
("source 'mpfn': params.sheets: expected a whole number from 1 to 100, got 0"). The family's
``check_params`` returns it, and the config loader calls ``check_params`` (``crawler.runner.spider_checks``),
so a wrong param is refused when the config loads, before any crawl.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from config.schema import Source


class SpiderParams(BaseModel):
    """Base of the families' params models: unknown keys refused, values frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    FAMILY: ClassVar[str] = ""  # the spider family's name, for "unknown parameter for the X spider"

    @classmethod
    def from_source(cls, source: Source) -> Self:
        """The source's params through this model; ValueError (one line: source, param, reason) if wrong."""
        try:
            return cls.from_params(source.params, context={"source": source})
        except ValueError as exc:
            raise ValueError(f"source '{source.id}': {exc}") from None

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: dict[str, Any] | None = None) -> Self:
        """``params`` through this model; ValueError ("params.<field>: reason", one line) if wrong.
        ``context``: ``{"source": Source}`` for validators that check a param against the source's URLs."""
        try:
            return cls.model_validate(dict(params), context=context)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in err["loc"])
            problem = (err.get("ctx") or {}).get("error")
            if isinstance(problem, ParamProblem):  # a validator naming an item: "params.categories[1]"
                where += problem.at
            raise ValueError(f"params{where}: {cls.problem(err)}") from None

    @classmethod
    def problem(cls, err: Any) -> str:
        """The reason of one pydantic error, as the family words it."""
        if err["type"] == "extra_forbidden":
            return f"unknown parameter for the {cls.FAMILY} spider (known: {', '.join(sorted(cls.model_fields))})"
        return str(err["msg"]).removeprefix("Value error, ")


class ParamProblem(ValueError):
    """A validator's reason that names a part of the param (``at``: "[1]" for its second item)."""

    def __init__(self, message: str, at: str = ""):
        super().__init__(message)
        self.at = at


def whole_number(value: Any, low: int, high: int) -> int:
    """``value`` if it is a whole number from ``low`` to ``high`` (YAML's true/false are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"expected a whole number from {low} to {high}, got {value!r}")
    return value
