"""A case file (``cases/<id>.yaml``): the case to follow and how to recognise documents about it."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from config.context import known
from config.fields import ConfigModel, Id


class Term(ConfigModel):
    """A keyword or phrase; weights let a victim's full name count more than the word 'Puno'."""

    term: str = Field(min_length=2)
    weight: float = Field(default=1.0, gt=0)


class Actor(ConfigModel):
    """A person or institution of the case: named as an actor of the milestones a text reports."""

    name: str = Field(min_length=2)
    aliases: tuple[str, ...] = ()
    role: str = ""  # victim | relative | lawyer | prosecutor | judge | official | police | ngo | ...


class CaseNumber(ConfigModel):
    """An identifier of the case in an institution's records (carpeta fiscal, expediente, ...)."""

    kind: Literal["carpeta_fiscal", "denuncia_constitucional", "expediente", "resolucion", "proyecto_de_ley",
                  "informe", "medida_cautelar", "other"]
    value: str = Field(min_length=1)  # as written, e.g. "023-2023", "509", "13048/2025-CR"
    aliases: tuple[str, ...] = ()
    label: str = ""  # a human description: "Carpeta fiscal del Equipo Especial (EFICAVIP)"


class NearRule(ConfigModel):
    """Words that count only when close together: "Juliaca" within 12 words of "fiscal"."""

    terms: tuple[str, ...] = Field(min_length=2)
    within: int = Field(default=12, ge=1, le=200)  # words between the first and the last
    weight: float = Field(default=1.0, gt=0)


class RelatedCase(ConfigModel):
    """A look-alike case (same place, other year; same kind of event, other region): a text matching
    it is tagged as related, and counted as the look-alike's rather than this case's when it names this
    case by no term weighing ``needs`` (or its headline names the look-alike and no such term)."""

    id: Id
    name: str = Field(min_length=1)
    phrases: tuple[str, ...] = Field(min_length=1)
    # The weight one matched term of this case must have for such a text to stay this case's:
    # default the threshold (a decisive term: the event's name, a victim); 2.5 lets "Juliaca"
    # keep a text naming both the Ayacucho and the Juliaca deaths.
    needs: float | None = Field(default=None, gt=0)


class Case(ConfigModel):
    """A legal case to follow and how to recognise documents about it."""

    id: Id
    name: str = Field(min_length=1)
    description: str = ""
    threshold: float = Field(default=3.0, gt=0)
    terms: tuple[Term, ...] = Field(min_length=1)
    exclude: tuple[str, ...] = ()
    near: tuple[NearRule, ...] = ()
    related: tuple[RelatedCase, ...] = ()
    people: tuple[Actor, ...] = ()
    institutions: tuple[Actor, ...] = ()
    case_numbers: tuple[CaseNumber, ...] = ()
    event_date: date | None = None  # when it happened (the timeline's first entry)

    @field_validator("terms", mode="before")
    @classmethod
    def _strings_are_terms(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"term": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("expected a mapping with id, name, terms")
        return data

    @field_validator("id")
    @classmethod
    def _first_of_its_id(cls, value: str, info: ValidationInfo) -> str:
        facts = known(info)
        if facts is not None and value in facts.cases:
            raise ValueError(f"duplicate case id '{value}'")
        return value
