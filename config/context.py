"""What one config file is checked against: the other files (cases a source or subscriber names) and the
code (the spider families and their params models). Passed to pydantic as its validation context."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo

from config.errors import problem, problems

# A spider family's check of a source's params (given the Source): raises ValueError if one is wrong.
ParamsCheck = Callable[[Any], object]


@dataclass
class Known:
    """Facts gathered while loading a config folder; validators read them through ``info.context``."""

    cases: set[str] = field(default_factory=set)  # ids of the case files that loaded
    broken: set[str] = field(default_factory=set)  # ids (and file stems) of case files that failed: not echoed
    spiders: frozenset[str] | None = None  # the spider families that exist; None: not checked
    checks: Mapping[str, ParamsCheck | None] = field(default_factory=dict)  # per family, its params check
    source_ids: dict[str, int] = field(default_factory=dict)  # sources.yaml: id -> where it last appeared
    emails: set[str] = field(default_factory=set)  # subscribers already read (lower case)

    @classmethod
    def for_spiders(cls, spiders: Iterable[str] | Mapping[str, ParamsCheck | None] | None) -> Known:
        return cls(spiders=frozenset(spiders) if spiders is not None else None,
                   checks=spiders if isinstance(spiders, Mapping) else {})


def known(info: ValidationInfo) -> Known | None:
    """The load's facts, or None when a model is validated on its own (tests, spiders)."""
    return info.context if isinstance(info.context, Known) else None


def _known_cases(case_ids: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    facts = known(info)
    if facts and facts.cases:  # none loaded: their files' own errors say why
        unknown = [problem((i,), f"unknown case '{case_id}'", case_id) for i, case_id in enumerate(case_ids)
                   if case_id not in facts.cases and case_id not in facts.broken]
        if unknown:
            raise problems("cases", unknown)
    return case_ids


# The ids of cases: each one of the loaded case files (checked after the list itself, e.g. its length).
CaseRefs = Annotated[tuple[str, ...], AfterValidator(_known_cases)]
