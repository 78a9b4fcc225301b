"""Digest views built by hand: the renderer must not need a database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from alerts.views import ChangeView, DigestView, MilestoneView

CASE = {"juliaca-2023": "Masacre de Juliaca"}
CASE_EN = {"juliaca-2023": "Juliaca massacre"}
DETECTED = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)  # 08:30 in Lima


def change(id: int, kind: str, **overrides: Any) -> ChangeView:
    """A plausible change; tests override only what they check."""
    base = ChangeView(
        id=id,
        kind=kind,
        detected_at=DETECTED,
        source_id="mpfn",
        source_name="Ministerio Público",
        source_kind="prosecutor",
        url=f"https://www.gob.pe/institucion/mpfn/noticias/{id}-juliaca",
        title=f"Fiscalía informa avance {id} en el caso Juliaca",
        published_at=datetime(2026, 11, 26, 20, 0, tzinfo=UTC),
        cases=("juliaca-2023",),
        relevance=0.9,
        matched_terms=("Juliaca", "9 de enero"),
        milestones=(MilestoneView("formal_investigation", "formalización"),),
        summary="La fiscalía formalizó la investigación preparatoria.",
        diff=None,
    )
    return replace(base, **overrides)


def standard_changes() -> tuple[ChangeView, ...]:
    """2 new, 1 updated, 1 removed: the subject example in the brief."""
    return (
        change(1, "new"),
        change(2, "new", source_name="IDL", source_kind="ngo", milestones=()),
        change(
            3,
            "updated",
            diff="--- v1\n+++ v2\n@@ -1,3 +1,3 @@\n contexto\n-texto antiguo\n+texto nuevo\n fin\n",
        ),
        change(4, "removed", published_at=None),
    )


@pytest.fixture
def make_view() -> Callable[..., DigestView]:
    """Factory for a DigestView in either language."""

    def build(language: str = "es", changes: tuple[ChangeView, ...] | None = None, **kw: Any) -> DigestView:
        return DigestView(
            subscriber_email=kw.pop("subscriber_email", "abogada@example.org"),
            subscriber_name=kw.pop("subscriber_name", "Ana"),
            language=language,
            period_label=kw.pop("period_label", "2026-11-27"),
            cases=kw.pop("cases", CASE if language == "es" else CASE_EN),
            changes=standard_changes() if changes is None else changes,
            generated_at=kw.pop("generated_at", datetime(2026, 11, 27, 13, 0, tzinfo=UTC)),
            base_url=kw.pop("base_url", "http://127.0.0.1:8080"),
            sources_watched=kw.pop("sources_watched", 12),
        )

    return build
