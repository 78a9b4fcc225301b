"""Rendering: subject counts, both languages, both bodies carry every change, Lima times, diffs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from alerts import labels
from alerts.render import DIFF_MAX_LINES, diff_lines, environment, render_digest, safe_href
from alerts.views import DigestView
from tests.alerts.conftest import change


def test_subject_spanish(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("es"))
    assert rendered.subject == ("casewatch · Masacre de Juliaca: 2 nuevos, 1 actualizado, 1 eliminado · 27 nov 2026")


def test_subject_english(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("en"))
    assert rendered.subject == "casewatch · Juliaca massacre: 2 new, 1 updated, 1 removed · 27 Nov 2026"


def test_subject_restored_and_no_changes(make_view: Callable[..., DigestView]) -> None:
    view = make_view("es", changes=(change(9, "restored"), change(10, "restored")))
    assert "2 restaurados" in render_digest(view).subject
    assert "sin cambios" in render_digest(make_view("es", changes=())).subject
    assert "no changes" in render_digest(make_view("en", changes=())).subject


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_change_in_both_bodies(make_view: Callable[..., DigestView], language: str) -> None:
    view = make_view(language)
    rendered = render_digest(view)
    for item in view.changes:
        assert item.title in rendered.text
        assert item.url in rendered.text
        assert item.title in rendered.html
        assert f'href="{item.url}"' in rendered.html
        assert labels.kind_label(language, item.kind) in rendered.text
    for kind in ("new", "updated", "removed"):
        assert labels.section_label(language, kind) in rendered.html
        assert labels.section_label(language, kind) in rendered.text
    assert rendered.language == language


def test_sections_in_fixed_order(make_view: Callable[..., DigestView]) -> None:
    changes = (change(1, "removed"), change(2, "restored"), change(3, "updated"), change(4, "new"))
    rendered = render_digest(make_view("en", changes=changes))
    positions = [rendered.html.index(labels.section_label("en", k)) for k in labels.KIND_ORDER]
    assert positions == sorted(positions)
    positions = [rendered.text.index(labels.section_label("en", k)) for k in labels.KIND_ORDER]
    assert positions == sorted(positions)


def test_unknown_kind_is_not_dropped(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("es", changes=(change(1, "moved", title="Documento movido"),)))
    assert "Documento movido" in rendered.html and "Documento movido" in rendered.text
    assert "1 otro" in rendered.subject


def test_times_in_lima_and_metadata(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("es"))
    # 13:30 UTC detected, 20:00 UTC published -> Lima is UTC-5 all year.
    for body in (rendered.text, rendered.html):
        assert "27 nov 2026, 08:30" in body
        assert "26 nov 2026, 15:00" in body
        assert "Investigación preparatoria formalizada" in body  # milestone label in Spanish
        assert "Juliaca, 9 de enero" in body  # matched terms
        assert "La fiscalía formalizó la investigación preparatoria." in body
        assert "abogada@example.org" in body  # footer: why you get this
    english = render_digest(make_view("en"))
    assert "Formal investigation" in english.html and "Formal investigation" in english.text


def test_naive_datetimes_are_utc(make_view: Callable[..., DigestView]) -> None:
    naive = change(1, "new", detected_at=datetime(2026, 11, 27, 13, 30), published_at=None)
    assert "27 Nov 2026, 08:30" in render_digest(make_view("en", changes=(naive,))).text


def test_updated_diff_highlighted_and_capped(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("es"))
    assert "-texto antiguo" in rendered.html and "+texto nuevo" in rendered.html
    assert "background:#e6ffec" in rendered.html and "background:#ffebe9" in rendered.html
    assert "-texto antiguo" in rendered.text and "+texto nuevo" in rendered.text
    assert "+++ v2" not in rendered.text  # file headers are noise

    extra = 25
    body = "".join(f"+línea {i}\n" for i in range(DIFF_MAX_LINES + extra - 1))
    long_diff = change(5, "updated", diff=f"@@ -1 +1,{DIFF_MAX_LINES + extra} @@\n{body}")
    en = render_digest(make_view("en", changes=(long_diff,)))
    es = render_digest(make_view("es", changes=(long_diff,)))
    assert f"… {extra} more lines" in en.html and f"… {extra} more lines" in en.text
    assert f"… {extra} líneas más" in es.html and f"… {extra} líneas más" in es.text
    assert f"+línea {DIFF_MAX_LINES - 2}" in en.html
    assert f"+línea {DIFF_MAX_LINES}" not in en.html


def test_diff_lines_classification() -> None:
    diff = "--- a\n+++ b\n@@ -1,2 +1,2 @@\n same\n-gone\n+came\n--- dashes removed\n\\ No newline at end of file\n"
    assert diff_lines(diff) == [
        ("hunk", "@@ -1,2 +1,2 @@"),
        ("ctx", " same"),
        ("del", "-gone"),
        ("add", "+came"),
        ("del", "--- dashes removed"),
    ]
    assert diff_lines(None) == []


def test_autoescape_by_template_name() -> None:
    autoescape = environment.autoescape
    assert callable(autoescape)
    assert autoescape("email/digest.html.j2") is True
    assert autoescape("macros/diff.html.j2") is True
    assert autoescape("email/digest.txt.j2") is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.gob.pe/x?a=1&b=2", "https://www.gob.pe/x?a=1&b=2"),
        ("http://cidh.oas.org/", "http://cidh.oas.org/"),
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("file:///etc/passwd", None),
        ("//evil.example/x", None),
        ("https://", None),
        ("https://ex ample.com/", None),
        ("http://[::1", None),
        ("", None),
    ],
)
def test_safe_href(url: str, expected: str | None) -> None:
    assert safe_href(url) == expected


def test_non_http_base_url_is_text(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("en", base_url="javascript:alert(2)"))
    assert 'href="javascript' not in rendered.html


def test_many_cases_subject_and_empty_period(make_view: Callable[..., DigestView]) -> None:
    cases = {f"case-{i}": f"Un caso con un nombre bastante largo número {i}" for i in range(4)}
    view = make_view("es", cases=cases, period_label="semana 48", generated_at=datetime(2026, 1, 1, tzinfo=UTC))
    rendered = render_digest(view)
    assert rendered.subject.startswith("casewatch · 4 casos: ")
    assert rendered.subject.endswith("· semana 48")
