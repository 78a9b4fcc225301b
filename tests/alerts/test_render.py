"""Rendering: subject counts, both languages, both bodies carry every change, Lima times, diffs."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from markupsafe import escape

from alerts import labels
from alerts.display import safe_href
from alerts.entries import institution_of
from alerts.render import DIFF_MAX_LINES, environment, render_digest
from alerts.subject import SUBJECT_TITLE_MAX
from alerts.views import AlreadySentView, DigestView, MilestoneView
from alerts.worddiff import diff_lines
from pipeline.classify.institutions import institution_key
from tests.alerts.conftest import change


def test_subject_spanish(make_view: Callable[..., DigestView]) -> None:
    """What moved, not how many: the new step's headline, the case, how many more entries."""
    rendered = render_digest(make_view("es"))
    assert rendered.subject == "Fiscalía informa avance 1 en el caso Juliaca · Masacre de Juliaca · +3 más"


def test_subject_english(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("en"))
    assert rendered.subject == "Fiscalía informa avance 1 en el caso Juliaca · Juliaca massacre · +3 more"


def test_subject_names_the_most_significant_new_step(make_view: Callable[..., DigestView]) -> None:
    """A ruling reported by an outlet leads over a statement from the prosecutor; the main (primary) step
    of a document counts, and a step only announced or an edit's re-published step leads nothing."""
    changes = (
        change(1, "new", title="Fiscalía emite pronunciamiento", milestones=(MilestoneView("statement", ""),)),
        change(2, "new", source_kind="news", source_name="RPP", title="Juez dicta sentencia en el caso Juliaca",
               milestones=(MilestoneView("hearing", ""), MilestoneView("ruling", "", primary=True))),
        change(5, "new", title="Fiscalía se pronuncia sobre la acusación",
               milestones=(MilestoneView("statement", "", primary=True), MilestoneView("indictment", ""))),
        change(3, "new", title="Fiscalía anunció que acusará", milestones=(MilestoneView("indictment", "",
                                                                                           status="announced"),)),
        change(4, "updated", title="Nota editada", milestones=(MilestoneView("ruling", "", republished=True),),
               diff="@@ -1 +1 @@\n-a\n+b\n"),
    )
    rendered = render_digest(make_view("es", changes=changes))
    assert rendered.subject == "Juez dicta sentencia en el caso Juliaca · Masacre de Juliaca · +4 más"
    lines = rendered.text.split(labels.text("es", "new_steps_title") + ":\n", 1)[1].split("\n\n", 1)[0]
    # one line per entry with a new taken step (its main step), most significant first; the announced and
    # re-published ones are not new steps
    assert lines.splitlines() == ["* Sentencia o resolución judicial · RPP · 26 nov 2026",
                                  "* Pronunciamiento · Fiscalía / Ministerio Público · 26 nov 2026",
                                  "* Pronunciamiento · Fiscalía / Ministerio Público · 26 nov 2026"]
    html = rendered.html
    assert html.index('href="#c2"') < html.index('href="#c1"') < html.index('href="#c5"') < html.index('id="c1"')


def test_subject_without_steps_and_for_edits(make_view: Callable[..., DigestView]) -> None:
    view = make_view("es", changes=(change(9, "restored"), change(10, "restored")))
    assert render_digest(view).subject == ("Restaurado: Fiscalía informa avance 9 en el caso Juliaca · Masacre de "
                                           "Juliaca · +1 más")
    assert render_digest(make_view("es", changes=())).subject == "Sin cambios · Masacre de Juliaca"
    assert render_digest(make_view("en", changes=())).subject == "No changes · Juliaca massacre"
    news = (change(1, "new", source_kind="news", milestones=(), title="Deudos marchan en Puno"),)
    assert render_digest(make_view("en", changes=news)).subject == "Deudos marchan en Puno · Juliaca massacre"


def test_subject_is_bounded_and_header_safe(make_view: Callable[..., DigestView]) -> None:
    title = "Fiscalía formaliza investigación\r\nBcc: evil@example.com " + "muy larga " * 40
    rendered = render_digest(make_view("es", changes=(change(1, "new", title=title),)))
    assert "\r" not in rendered.subject and "\n" not in rendered.subject
    assert rendered.subject.startswith("Fiscalía formaliza investigación Bcc: evil@example.com muy larga")
    head, case = rendered.subject.split(" · ")
    assert len(head) <= SUBJECT_TITLE_MAX and head.endswith("…") and case == "Masacre de Juliaca"


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
    """Legal progress, then changed documents (updated, removed, restored), then news; each change once."""
    changes = (change(1, "removed"), change(2, "restored"), change(3, "updated"), change(4, "new"),
               change(5, "new", source_id="wayka", source_name="Wayka", source_kind="news", milestones=()))
    rendered = render_digest(make_view("en", changes=changes))
    titles = {c.id: c.title for c in changes}
    for body in (rendered.html, rendered.text):
        sections = [body.index(labels.section_label("en", s)) for s in ("legal", "changed", "news")]
        assert sections == sorted(sections)
        # the prosecutor's new step, then the edit, the removal, the restoration, then the outlet's news
        positions = [body.index(titles[i]) for i in (4, 3, 1, 2, 5)]
        assert positions == sorted(positions) and positions[0] > sections[0] and positions[1] > sections[1]
        assert positions[-1] > sections[2]
        assert all(body.count(title) == 1 for title in titles.values())


def test_unknown_kind_is_not_dropped(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("es", changes=(change(1, "moved", title="Documento movido"),)))
    assert "Documento movido" in rendered.html and "Documento movido" in rendered.text
    assert rendered.subject == "moved: Documento movido · Masacre de Juliaca"


def test_times_in_lima_and_metadata(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("es"))
    # 13:30 UTC detected, 20:00 UTC published -> Lima is UTC-5 all year.
    for body in (rendered.text, rendered.html):
        assert "27 nov 2026, 08:30" in body
        assert "26 nov 2026, 15:00" in body
        assert "Investigación preparatoria formalizada" in body  # milestone label in Spanish
        assert "La fiscalía formalizó la investigación preparatoria." in body
        assert "abogada@example.org" in body  # footer: why you get this
        # scores and matched terms are for reviewers (the review page), not for subscribers
        assert "Juliaca, 9 de enero" not in body and labels.text("es", "matched_terms") not in body
        assert labels.text("es", "score") not in body and "0.9" not in body
    english = render_digest(make_view("en"))
    assert "Formal investigation" in english.html and "Formal investigation" in english.text


def test_naive_datetimes_are_utc(make_view: Callable[..., DigestView]) -> None:
    naive = change(1, "new", detected_at=datetime(2026, 11, 27, 13, 30), published_at=None)
    assert "27 Nov 2026, 08:30" in render_digest(make_view("en", changes=(naive,))).text


def test_updated_diff_highlighted_and_capped(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("es"))
    assert "-texto <del" in rendered.html and ">antiguo</del>" in rendered.html  # the changed word, inside its line
    assert "+texto <ins" in rendered.html and ">nuevo</ins>" in rendered.html
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
    assert rendered.subject == "Fiscalía informa avance 1 en el caso Juliaca · 4 casos · +3 más"
    assert "Periodo: semana 48" in rendered.text


# --- legal progress by institution, changed documents, immediate alerts ----------------------------


@pytest.mark.parametrize(
    ("actor", "key"),
    [
        # canonical names of pipeline/classify/rules/milestones.*.yaml (institutions)
        ("Ministerio Público", "prosecutor"),
        ("Poder Judicial", "judiciary"),
        ("Congreso de la República", "congress"),
        ("CIDH", "iachr"),
        ("Defensoría del Pueblo", "ombudsman"),
        ("Tribunal Constitucional", "constitutional_court"),
        ("Corte IDH", "other"),
        ("Junta Nacional de Justicia", "other"),
        ("Policía Nacional del Perú", "other"),
        ("Naciones Unidas", "other"),
        # the case file's own institutions (config/cases/juliaca-2023.yaml)
        ("EFICAVIP", "prosecutor"),
        ("Fiscalía Especializada en Derechos Humanos e Interculturalidad", "prosecutor"),
        ("Subcomisión de Acusaciones Constitucionales", "congress"),
        ("Comisión de Fiscalización del Congreso", "congress"),
        ("Juzgado de Investigación Preparatoria de Juliaca", "judiciary"),
        # people and organisations that are not state institutions
        ("Dina Boluarte", None),
        ("Instituto de Defensa Legal", None),
        ("Asociación de Mártires y Víctimas del 9 de Enero", None),
    ],
)
def test_institution_of_an_actor(actor: str, key: str | None) -> None:
    assert institution_key(actor) == key


def test_institution_from_actors_then_source_kind() -> None:
    judge = MilestoneView("coercive_measure", "", ("Dina Boluarte", "Poder Judicial", "Ministerio Público"))
    assert institution_of(change(1, "new", source_kind="news", milestones=(judge,))) == ("judiciary", "Poder Judicial")
    people = MilestoneView("testimony", "", ("Dina Boluarte",))
    assert institution_of(change(2, "new", source_kind="iachr", source_name="CIDH", milestones=(people,))) == (
        "iachr", "CIDH")
    for kind, key in [("prosecutor", "prosecutor"), ("court", "judiciary"), ("congress", "congress"),
                      ("ombudsman", "ombudsman"), ("un", "other")]:
        assert institution_of(change(3, "new", source_kind=kind))[0] == key  # type: ignore[index]
    assert institution_of(change(4, "new", source_kind="news", milestones=(people,))) is None
    assert institution_of(change(5, "new", milestones=())) is None  # no legal step, no institution


def legal_changes() -> tuple:
    """New steps of four institutions (two by actors, reported by outlets), an NGO's news, an edit."""
    subcommittee = MilestoneView("constitutional_complaint", "", ("Subcomisión de Acusaciones Constitucionales",))
    return (
        change(1, "new", source_kind="news", source_id="rpp", source_name="RPP", title="Subcomisión admite DC 509",
               milestones=(subcommittee,)),
        change(2, "new", source_kind="iachr", source_id="cidh", source_name="CIDH", title="CIDH otorga medidas",
               milestones=(MilestoneView("precautionary_measure", ""),)),
        change(3, "new", title="Fiscalía formaliza investigación"),
        change(4, "new", source_kind="news", source_name="La República", title="Juez programa audiencia",
               milestones=(MilestoneView("hearing", "", ("Poder Judicial",), "announced"),)),
        change(5, "new", source_kind="news", source_name="Wayka", title="ONU pide celeridad",
               milestones=(MilestoneView("statement", "", ("Naciones Unidas",)),)),
        change(6, "new", source_kind="ngo", source_name="IDL", title="Deudos marchan en Puno", milestones=()),
        change(7, "updated", title="Nota de prensa editada", diff="@@ -1 +1 @@\n-antes\n+después\n"),
    )


@pytest.mark.parametrize("language", ["es", "en"])
def test_legal_progress_grouped_by_institution(make_view: Callable[..., DigestView], language: str) -> None:
    rendered = render_digest(make_view(language, changes=legal_changes()))
    order = ["prosecutor", "judiciary", "congress", "iachr", "other"]
    for whole, as_shown in ((rendered.html, lambda s: str(escape(s))), (rendered.text, str)):
        body = whole[whole.index(labels.section_label(language, "legal")):]  # after the first screen's list
        legal, changed, news = (body.index(labels.section_label(language, s)) for s in ("legal", "changed", "news"))
        groups = [body.index(as_shown(labels.institution_label(language, key))) for key in order]
        assert legal < groups[0] and groups == sorted(groups) and groups[-1] < changed < news
        titles = ["Fiscalía formaliza investigación", "Juez programa audiencia", "Subcomisión admite DC 509",
                  "CIDH otorga medidas", "ONU pide celeridad"]
        positions = [body.index(title) for title in titles]
        assert all(g < p for g, p in zip(groups, positions, strict=True)) and positions == sorted(positions)
        assert changed < body.index("Nota de prensa editada") < news < body.index("Deudos marchan en Puno")
        assert labels.institution_label(language, "ombudsman") not in body  # no empty groups
        assert "Naciones Unidas" in body  # "other institutions" name theirs
        announced = f"{labels.milestone_label(language, 'hearing')} ({labels.text(language, 'timeline_announced')})"
        assert announced in body
    assert labels.section_label(language, "legal") + " (5)" in rendered.text


def test_changed_documents_link_to_the_full_diff(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("es", base_url="https://casewatch.example.org/"))
    assert '<a href="https://casewatch.example.org/changes/3"' in rendered.html  # updated: the whole diff
    assert '<a href="https://casewatch.example.org/changes/4"' in rendered.html  # removed: its stored version
    assert f"{labels.text('es', 'full_diff')}: https://casewatch.example.org/changes/3" in rendered.text
    assert "/changes/1" not in rendered.html + rendered.text  # a new document is its own link
    for base in ("", "javascript:alert(1)", "file:///etc/casewatch"):
        other = render_digest(make_view("en", base_url=base))
        assert "/changes/" not in other.html and "/changes/" not in other.text


def test_immediate_alert_and_already_sent(make_view: Callable[..., DigestView]) -> None:
    view = make_view("es", changes=(change(1, "new"),))
    alert = render_digest(DigestView(**{**{f: getattr(view, f) for f in view.__slots__}, "immediate": True}))
    assert alert.subject == "Alerta: Fiscalía informa avance 1 en el caso Juliaca · Masacre de Juliaca"
    assert labels.text("es", "intro_immediate") in alert.text and labels.text("es", "intro_immediate") in alert.html
    sent = (AlreadySentView("Poder Judicial dicta prisión preventiva", "https://www.gob.pe/pj/1",
                            datetime(2026, 11, 26, 15, 0, tzinfo=UTC)),
            AlreadySentView("<b>raro</b>", "javascript:alert(1)", None))
    digest = render_digest(DigestView(**{**{f: getattr(view, f) for f in view.__slots__}, "already_sent": sent}))
    title = labels.section_label("es", "already_sent")
    for body in (digest.text, digest.html):
        assert body.index(labels.section_label("es", "legal")) < body.index(title)
        assert "Poder Judicial dicta prisión preventiva" in body and "26 nov 2026, 10:00" in body
    assert '<a href="https://www.gob.pe/pj/1" style="color:#0b4f9c;">Poder Judicial dicta' in digest.html
    assert "&lt;b&gt;raro&lt;/b&gt;" in digest.html and 'href="javascript' not in digest.html
    assert not digest.subject.startswith("Alerta")


@pytest.mark.parametrize(("language", "phrase", "count_word"), [
    ("es", "Alterna entre dos versiones · 4 cambios en este periodo", "1 alternante"),
    ("en", "Alternating between two versions · 4 changes in this period", "1 alternating"),
])
def test_a_page_alternating_between_versions_is_one_entry(make_view: Callable[..., DigestView], language: str,
                                                          phrase: str, count_word: str) -> None:
    """new (A), updated (B), reverted to A, reverted to B: the page once, as alternating, with the edit's diff
    and its legal step; another document's edit stays its own entry."""
    url = "https://www.gob.pe/institucion/mpfn/noticias/77-juliaca"
    title = "Fiscalía y la masacre de Juliaca: comunicado"
    diff = "--- version 1\n+++ new version\n@@ -1 +1 @@\n-abrió investigación\n+formalizó investigación\n"
    flapping = (change(1, "new", url=url, title=title, versions=(1,), milestones=()),
                change(2, "updated", url=url, title=title, versions=(1, 2), diff=diff),
                change(3, "reverted", url=url, title=title, versions=(2, 1), milestones=()),
                change(4, "reverted", url=url, title=title, versions=(1, 2), milestones=()))
    other = change(5, "updated", diff="--- v1\n+++ v2\n@@ -1 +1 @@\n-a\n+b\n")
    rendered = render_digest(make_view(language, changes=(*flapping, other)))
    for body in (rendered.text, re.sub(r"</?(ins|del)\b[^>]*>", "", rendered.html)):
        assert body.count(title) == 1 and body.count(phrase) == 1
        assert body.count(labels.kind_label(language, "updated")) == 1  # the other document only
        assert "formalizó investigación" in body
        assert labels.milestone_label(language, "formal_investigation") in body
    assert rendered.subject.startswith(f"{phrase.split(' · ')[0]}: {title} · ")
