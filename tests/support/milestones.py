"""What the milestone tests share: the publication time they read dates against, a case with its people,
institutions and case numbers, the main milestone of a text and the statuses found per type."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from config.schema import Actor, Case, CaseNumber, Term
from pipeline.classify.milestones import Milestone, find_milestones

PUBLISHED = datetime(2025, 9, 17, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Lima

CASE = Case(
    id="juliaca-test",
    name="Juliaca (test)",
    terms=(Term(term="Juliaca"),),
    people=(
        Actor(name="Dina Boluarte", aliases=("Boluarte", "presidenta Boluarte"), role="official"),
        Actor(name="Marco Antonio Lara Vergara", aliases=("Lara Vergara",), role="police"),
        Actor(name="Delia Espinoza", role="prosecutor"),
    ),
    institutions=(
        Actor(name="Fiscalía de la Nación", aliases=("Fiscal de la Nación",), role="prosecutor"),
        Actor(name="EFICAVIP", aliases=("Equipo Especial de Fiscales",), role="prosecutor"),
    ),
    case_numbers=(
        CaseNumber(kind="carpeta_fiscal", value="023-2023", aliases=("EFICAVIP-Juliaca",)),
        CaseNumber(kind="denuncia_constitucional", value="509", aliases=("denuncia 509/2023",)),
    ),
    event_date=date(2023, 1, 9),
)


def read_rules(title: str, text: str, **kw: Any) -> list[Milestone]:
    """The rules alone (no learned layer): what the rules' tests check; the layer has test_milestone_rerank.py."""
    return find_milestones(title, text, learned=False, **kw)


def main(text: str, **kw: object) -> Milestone:
    found = read_rules(text, "", **kw)
    assert found, f"no milestone in {text!r}"
    return found[0]


def statuses(title: str, text: str = "") -> dict[str, set[str]]:
    """type -> statuses the rules find (a type may be taken in the lead and background further down). The rules
    alone: the learned layer's flips are tested in test_milestone_rerank.py and measured by eval/rerank.md."""
    out: dict[str, set[str]] = {}
    for m in find_milestones(title, text, published=PUBLISHED, learned=False):
        out.setdefault(m.type, set()).add(m.status)
    return out
