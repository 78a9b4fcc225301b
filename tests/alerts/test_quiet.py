"""Quiet weeks: the optional "nothing new — still watching N sources" email (off by default)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

import pytest

from alerts.message import build_message
from alerts.render import environment, render_quiet_week
from alerts.views import QuietWeekView

CHECKED = datetime(2026, 11, 27, 13, 30, tzinfo=UTC)  # 08:30 in Lima


def quiet(language: str = "es", **kw: Any) -> QuietWeekView:
    base: dict[str, Any] = dict(
        subscriber_email="abogada@example.org", subscriber_name="Ana", language=language,
        period_label="weekly:2026-W48", sources_watched=12, last_checked=CHECKED,
        cases={"juliaca-2023": "Masacre de Juliaca" if language == "es" else "Juliaca massacre"},
        base_url="https://casewatch.example.org",
    )
    base.update(kw)
    return QuietWeekView(**base)


def test_subjects() -> None:
    assert render_quiet_week(quiet("es")).subject == "casewatch: sin novedades esta semana — vigilando 12 fuentes"
    assert render_quiet_week(quiet("en")).subject == "casewatch: nothing new this week — watching 12 sources"
    assert render_quiet_week(quiet("es", sources_watched=1)).subject.endswith("vigilando 1 fuente")
    assert render_quiet_week(quiet("en", sources_watched=1)).subject.endswith("watching 1 source")
    assert render_quiet_week(quiet("xx")).language == "es"  # unknown languages fall back to Spanish


@pytest.mark.parametrize(
    ("language", "line", "period"),
    [
        ("es", "Sin novedades — seguimos vigilando 12 fuentes; última revisión: 27 nov 2026, 08:30.",
         "semana del 23 nov 2026"),
        ("en", "Nothing new — still watching 12 sources, last checked 27 Nov 2026, 08:30.", "week of 23 Nov 2026"),
    ],
)
def test_both_bodies_say_nothing_new(language: str, line: str, period: str) -> None:
    rendered = render_quiet_week(quiet(language))
    assert rendered.language == language
    for body in (rendered.text, rendered.html):
        assert line in body
        assert period in body  # weekly:2026-W48 starts on Monday 23 November
        assert ("Masacre de Juliaca" if language == "es" else "Juliaca massacre") in body
        assert "abogada@example.org" in body  # why you get this
    assert '<a href="https://casewatch.example.org"' in rendered.html
    assert rendered.html.lstrip().startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in rendered.html


def test_never_checked_and_naive_times() -> None:
    never = render_quiet_week(quiet("en", last_checked=None, cases={}, base_url=""))
    assert "Nothing new — still watching 12 sources; no check has finished yet." in never.text
    assert "about the case" in never.text and "<a href" not in never.html
    naive = render_quiet_week(quiet("es", last_checked=datetime(2026, 11, 27, 13, 30), period_label="2026-11-27"))
    assert "última revisión: 27 nov 2026, 08:30" in naive.text  # database times are UTC
    assert "Periodo: 27 nov 2026" in naive.text


def test_untrusted_names_stay_inert() -> None:
    hostile = quiet("es", subscriber_name="Ana <script>alert(1)</script>",
                    cases={"juliaca-2023": "Juliaca\r\nBcc: evil@example.com <img src=x onerror=alert(1)>"},
                    period_label="semana\r\nBcc: x@example.com", base_url="javascript:alert(1)")
    rendered = render_quiet_week(hostile)
    assert "<script" not in rendered.html and "<img" not in rendered.html
    assert "&lt;script&gt;" in rendered.html and 'href="javascript' not in rendered.html
    assert "\r" not in rendered.text and not any(line.startswith("Bcc:") for line in rendered.text.splitlines())
    msg = build_message(rendered, sender="casewatch <casewatch@example.org>", to="ana@example.org",
                        message_id="<quiet@casewatch.local>", date=CHECKED)
    parsed = message_from_bytes(msg.as_bytes(), policy=default_policy)
    assert parsed["Bcc"] is None and parsed["Subject"] == rendered.subject
    assert parsed.get_body(preferencelist=("plain",)).get_content() == rendered.text


def test_templates_are_autoescaped_by_name() -> None:
    autoescape = environment.autoescape
    assert callable(autoescape)
    assert autoescape("email/quiet.html.j2") is True and autoescape("email/quiet.txt.j2") is False
