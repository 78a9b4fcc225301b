"""A digest a person reads at a glance: clean summaries, the changed words marked inside a long
line, health lines in the subscriber's language, and nothing of the classifier's workings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from alerts import labels
from alerts.display import clean_summary
from alerts.render import render_digest
from alerts.views import DigestView, SourceHealthView
from alerts.worddiff import changed_words, diff_rows, word_diff
from casewatch.demo_site import MPFN_1_AFTER, MPFN_1_BEFORE
from tests.alerts.conftest import change

# The demo's prosecutor release before and after its edit: one word of a 30-word paragraph changed.
EDIT = ("--- version 1\n+++ version 2\n@@ -1,2 +1,3 @@\n"
        f"-{MPFN_1_BEFORE[0]}\n+{MPFN_1_AFTER[0]}\n {MPFN_1_BEFORE[1]}\n+{MPFN_1_AFTER[2]}\n")


@pytest.mark.parametrize(("raw", "clean"), [
    ("2026-11-10T09:00:00 La Fiscalía formalizó la investigación.", "La Fiscalía formalizó la investigación."),
    ("2026-11-10T09:00:00-05:00 | 09:00 h La Fiscalía informó.", "La Fiscalía informó."),
    ("10 de noviembre de 2026 - 9:00 a. m. La Fiscalía informó.", "La Fiscalía informó."),
    ("lunes, 10 de noviembre de 2026 | El juzgado fijó la audiencia.", "El juzgado fijó la audiencia."),
    ("10/11/2026 09:00 El juzgado fijó la audiencia.", "El juzgado fijó la audiencia."),
    # a date that is the sentence's subject stays
    ("9 de enero de 2023 murieron 18 civiles en Juliaca.", "9 de enero de 2023 murieron 18 civiles en Juliaca."),
    ("El 9 de enero de 2023 murieron 18 civiles.", "El 9 de enero de 2023 murieron 18 civiles."),
])
def test_summaries_start_with_their_first_word(raw: str, clean: str) -> None:
    assert clean_summary(raw) == clean


def test_summary_without_the_headline_and_cut_after_a_sentence() -> None:
    title = "Fiscalía formaliza investigación por muertes en Juliaca"
    assert clean_summary(f"{title} La Fiscalía formalizó.", title) == "La Fiscalía formalizó."
    long = "La Fiscalía formalizó la investigación contra nueve policías. " * 3 + "Palabra " * 200
    cut = clean_summary(long, max_length=300)
    assert cut.endswith("policías.") and len(cut) <= 300


def test_changed_word_marked_inside_a_long_line() -> None:
    rows = diff_rows(EDIT)
    old, new = (r for r in rows if r.kind in ("del", "add") and "efectivos" in r.text)
    assert [text for text, changed in old.segments if changed] == ["seis"]
    assert [text for text, changed in new.segments if changed] == ["nueve"]
    assert new.text == MPFN_1_AFTER[0] and old.text == MPFN_1_BEFORE[0]
    added = next(r for r in rows if r.kind == "add" and "audiencia" in r.text)
    assert added.segments == ((MPFN_1_AFTER[2], False),)  # a new line is new as a whole
    assert changed_words(EDIT) == [("seis", "nueve")]


def test_unrelated_lines_are_not_marked_word_by_word() -> None:
    old, new = word_diff("El juzgado fijó la audiencia.", "Familiares marcharon en Puno por justicia hoy.")
    assert old == (("El juzgado fijó la audiencia.", False),)
    assert new == (("Familiares marcharon en Puno por justicia hoy.", False),)


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_edit_is_visible_in_both_bodies(make_view: Callable[..., DigestView], language: str) -> None:
    edited = change(3, "updated", diff=EDIT, title="Fiscalía formaliza investigación por muertes en Juliaca")
    rendered = render_digest(make_view(language, changes=(edited,)))
    assert re.search(r"contra <del [^>]*>seis</del> efectivos", rendered.html)
    assert re.search(r"contra <ins [^>]*>nueve</ins> efectivos", rendered.html)
    assert f"{labels.text(language, 'changed_words')}: «seis» → «nueve»" in rendered.text
    assert re.search(rf"{labels.text(language, 'changed_words')}: <del [^>]*>seis</del> → <ins [^>]*>nueve</ins>",
                     rendered.html)


def test_marked_words_stay_escaped(make_view: Callable[..., DigestView]) -> None:
    diff = "@@ -1 +1 @@\n-La Fiscalía citó a <b>seis</b> policías.\n+La Fiscalía citó a <img src=x> policías.\n"
    html = render_digest(make_view("es", changes=(change(3, "updated", diff=diff),))).html
    assert "<img" not in html and "<b>" not in html
    assert "&lt;img src=x&gt;" in re.sub(r"</?(ins|del)\b[^>]*>", "", html)


@pytest.mark.parametrize(("language", "failed", "empty"), [
    ("es", "Las últimas 3 revisiones fallaron", "Las últimas 3 revisiones no encontraron publicaciones"),
    ("en", "The last 3 checks failed", "The last 3 checks found no publications"),
])
def test_health_lines_in_the_subscriber_language(make_view: Callable[..., DigestView], language: str,
                                                 failed: str, empty: str) -> None:
    since = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    unhealthy = (SourceHealthView("mpfn", "Ministerio Público", "the last 3 runs failed: HTTP 503 Service Unavailable",
                                  since),
                 SourceHealthView("cidh", "CIDH", "the last 3 runs found no items", None),
                 SourceHealthView("x", "Otra", "something odd", None))
    rendered = render_digest(replace(make_view(language), unhealthy=unhealthy))
    for body in (rendered.text, rendered.html):
        assert failed in body and empty in body and labels.text(language, "health_unknown") in body
        # the English, technical error goes to the maintainers, not to subscribers
        assert "the last 3 runs" not in body and "HTTP 503" not in body and "something odd" not in body


@pytest.mark.parametrize("language", ["es", "en"])
def test_no_classifier_jargon_in_subscriber_emails(make_view: Callable[..., DigestView], language: str) -> None:
    noisy = tuple(replace(c, matched_terms=("masacre de Juliaca", "Eficavip"), relevance=24.5)
                  for c in make_view(language).changes)
    rendered = render_digest(make_view(language, changes=noisy))
    for body in (rendered.text, rendered.html, rendered.subject):
        assert "24.5" not in body and "Eficavip" not in body
        assert labels.text(language, "matched_terms") not in body and labels.text(language, "score") not in body


def test_review_page_side_by_side_marks_the_words() -> None:
    """The review page (casewatch/web) marks the same words in both of its diff views, escaped."""
    from casewatch.web.context import environment
    from casewatch.web.views import side_by_side

    rows = side_by_side(EDIT + "@@ -9 +9 @@\n-<b>seis</b> agentes\n+<i>nueve</i> agentes\n")
    old, new = next((o, n) for o, n in rows if o.kind == "del" and "efectivos" in o.text)
    assert [t for t, changed in old.segments if changed] == ["seis"] and new.kind == "add"
    env = environment()
    env.globals.update(t=lambda key, **_: key)
    html = env.from_string('{% from "macros.html.j2" import side_by_side with context %}{{ side_by_side(rows) }}'
                           ).render(rows=rows)
    assert '<del class="word">seis</del>' in html and '<ins class="word">nueve</ins>' in html
    tags = set(re.findall(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9]*)", html))
    assert tags == {"table", "thead", "tbody", "tr", "th", "td", "del", "ins"}, tags  # no <b>, no <i>
    assert "&lt;b&gt;seis&lt;/b&gt;" in re.sub(r"</?(ins|del)\b[^>]*>", "", html)
    inline = env.from_string('{% from "macros/diff.html.j2" import render_diff %}{{ render_diff(d, m, 50) }}'
                             ).render(d=EDIT, m=str)
    assert re.search(r"contra <ins [^>]*>nueve</ins> efectivos", inline)
