"""``sources.yaml``: the sources, the defaults they share, the digest and scheduler blocks, maintainers.

Checks against the rest of the config (the case files, the spider families and their params models)
read the load's :class:`~config.context.Known` from pydantic's validation context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, cast

from pydantic import (
    AfterValidator,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from config.context import Known, ParamsCheck, known
from config.errors import again, problem, problems
from config.fields import IMMEDIATE_MILESTONES, MILESTONE_TYPES, ConfigModel, Maintainers, check_timezone
from config.scheduling import SchedulerSettings
from config.source import Source
from config.urls import userinfo_problems

# What ``defaults:`` may set for every source: anything but what identifies one source.
DEFAULTABLE = frozenset((set(Source.model_fields) | {"timezone"}) - {"id", "name", "urls"})


def params_errors(check: ParamsCheck, source: Source) -> list[str]:
    """The one-line reason ``source``'s params are wrong for its spider family (naming the source and the
    field, e.g. "source 'x': params.match: ..."), or nothing."""
    try:
        check(source)
    except ValueError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [message if source.id in message else f"source '{source.id}': {message}"]
    return []


def _milestone_type(value: str) -> str:
    if value not in MILESTONE_TYPES:
        raise ValueError(f"unknown milestone type '{value}' (known: {', '.join(sorted(MILESTONE_TYPES))})")
    return value


class Digest(ConfigModel):
    """``digest:``: the legal steps that are emailed within the crawl cycle that found them."""

    immediate: tuple[Annotated[str, AfterValidator(_milestone_type)], ...] = IMMEDIATE_MILESTONES
    schedule: None = None  # before per-subscriber times, one cron line set every digest's time

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        return _mapping(data, "expected a mapping with immediate")

    @field_validator("immediate", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise ValueError("expected a list of milestone types")
        return value

    @field_validator("schedule", mode="before")
    @classmethod
    def _gone(cls, value: Any) -> Any:
        raise ValueError("no longer used: each subscriber's `at` and `timezone` (subscribers.yaml) set when "
                         "their digest is sent; remove this line")


def _mapping(value: Any, message: str) -> dict[str, Any]:
    """An optional block: absent is empty, anything but a mapping is the one-line ``message``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(message)
    return value


def _usable(defaults: Any) -> dict[str, Any]:
    """The defaults a source inherits: the valid ones (the others are reported once, under ``defaults``)."""
    if not isinstance(defaults, dict):
        return {}
    usable = {k: v for k, v in defaults.items() if k in DEFAULTABLE}
    if "timezone" in usable:
        try:
            check_timezone(usable["timezone"])
        except ValueError:
            del usable["timezone"]
    return usable


@dataclass(frozen=True)
class _Entry:
    """One item of ``sources:`` as written (``raw``) and with the defaults filled in (``merged``)."""

    index: int
    raw: Any
    merged: Any


def _against_known(source: Source, index: int, facts: Known) -> list[InitErrorDetails]:
    """Mistakes only the rest of the config shows: a repeated id, an unknown spider, wrong params."""
    found = []
    if (before := facts.source_ids.get(source.id)) is not None:
        found.append(problem(("id",), f"duplicate source id '{source.id}' (also sources[{before}])", source.id))
    facts.source_ids[source.id] = index
    if not source.enabled:  # a disabled source may name a spider that does not exist yet (planned work)
        return found
    if facts.spiders is not None and source.spider not in facts.spiders:
        names = ", ".join(sorted(facts.spiders))
        found.append(problem(("spider",), f"unknown spider '{source.spider}' (known: {names})", source.spider))
    elif (check := facts.checks.get(source.spider)) is not None:
        found.extend(problem((), line) for line in params_errors(check, source))
    return found


def _in_file(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Source:
    """Validate one entry; credentials are looked for in what the entry itself writes (not its defaults,
    reported once), and the cross-file checks run on entries that are otherwise valid."""
    if not isinstance(value, _Entry):
        return cast(Source, handler(value))
    if not isinstance(value.raw, dict):
        raise ValueError("expected a mapping")
    written = {k: v for k, v in value.raw.items() if k != "urls"}  # urls: checked by Source itself
    found = [problem(loc, message) for loc, message in userinfo_problems(written, (), str(value.raw.get("id", "?")))]
    try:
        source: Source = handler(value.merged)
    except ValidationError as exc:
        raise problems("Source", [*found, *again(exc.errors())]) from None
    if (facts := known(info)) is not None:
        found.extend(_against_known(source, value.index, facts))
    if found:
        raise problems("Source", found)
    return source


class SourcesFile(ConfigModel):
    """The whole file. ``defaults`` is declared first: its mistakes are reported once, not per source."""

    defaults: dict[str, Any] = {}
    maintainers: Maintainers = ()
    scheduler: SchedulerSettings = SchedulerSettings()
    digest: Digest = Digest()
    sources: tuple[Annotated[Source, WrapValidator(_in_file)], ...]

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
            raise problems("SourcesFile", [problem(("sources",), "expected a list of sources")])
        usable = _usable(data.get("defaults"))
        entries = [_Entry(i, raw, {**usable, **raw} if isinstance(raw, dict) else raw)
                   for i, raw in enumerate(data["sources"])]
        return {**data, "sources": entries}

    @field_validator("defaults", mode="before")
    @classmethod
    def _defaults(cls, value: Any) -> Any:
        value = _mapping(value, "expected a mapping")
        found = [problem((key,), "unknown field", key) for key in value if key not in DEFAULTABLE]
        if "timezone" in value:
            try:
                check_timezone(value["timezone"])
            except ValueError as exc:
                found.append(problem(("timezone",), str(exc), value["timezone"]))
        usable = {k: v for k, v in value.items() if k in DEFAULTABLE}
        found += [problem(loc, message) for loc, message in userinfo_problems(usable, (), None)]
        if found:
            raise problems("defaults", found)
        return value

    @field_validator("scheduler", mode="before")
    @classmethod
    def _null_is_default(cls, value: Any) -> Any:
        return SchedulerSettings() if value is None else value
