"""Digest: one entry per story with "also reported by", and the case status (timeline) on top."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from alerts import labels
from alerts.entries import collapse_stories
from alerts.render import render_digest
from alerts.views import DigestView, MilestoneView, ReportView, TimelineEntryView
from tests.alerts.conftest import change

LR = "https://larepublica.pe/politica/fiscalia-amplia"
EC = "https://elcomercio.pe/politica/prorroga"
IB = "https://www.infobae.com/peru/caso-juliaca"


def story_changes() -> tuple:
    return (
        change(1, "new", story_id=7, source_id="larepublica", source_name="La República", source_kind="news",
               url=LR, title="Fiscalía amplía por ocho meses la investigación contra Boluarte",
               also=(ReportView("infobae", "Infobae", IB),)),
        change(2, "new", source_id="rpp", source_name="RPP", source_kind="news", title="Subcomisión archiva denuncia",
               story_id=8, url="https://rpp.pe/archiva", milestones=(MilestoneView("archived", "archivo"),)),
        change(3, "new", story_id=7, source_id="elcomercio", source_name="El Comercio", source_kind="news", url=EC,
               title="Ministerio Público prorroga indagación a Boluarte",
               milestones=(MilestoneView("investigation_extended", "ampliación"),)),
    )


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_story_is_shown_once_with_its_other_sources(make_view: Callable[..., DigestView], language: str) -> None:
    rendered = render_digest(make_view(language, changes=story_changes()))
    also = labels.text(language, "also_reported")
    for body in (rendered.text, rendered.html):
        assert body.count("Fiscalía amplía por ocho meses") == 1
        assert "Ministerio Público prorroga" not in body  # the other report is a source line, not an item
        assert body.count(also) == 1
    assert f'<a href="{EC}" style="color:#0b4f9c;">El Comercio</a>' in rendered.html
    assert f'<a href="{IB}" style="color:#0b4f9c;">Infobae</a>' in rendered.html
    assert f"    - El Comercio: {EC}" in rendered.text and f"    - Infobae: {IB}" in rendered.text
    assert rendered.subject.endswith(labels.text(language, "subject_more", n=1))  # two events, not three reports
    # A milestone only the merged report found is still shown on the entry.
    assert labels.milestone_label(language, "investigation_extended") in rendered.text


def test_the_institution_leads_its_story() -> None:
    reports = (change(1, "new", story_id=3, source_kind="news", source_name="Wayka", url="https://wayka.pe/a"),
               change(2, "new", story_id=3, source_kind="prosecutor", source_name="Ministerio Público",
                      url="https://www.gob.pe/mpfn/2"))
    [entry] = collapse_stories(reports)
    assert entry.id == 2 and [r.source_name for r in entry.also] == ["Wayka"]


def test_only_new_reports_are_grouped() -> None:
    """An edit of one report keeps its own entry: its diff is the news."""
    items = (change(1, "new", story_id=3), change(2, "updated", story_id=3, diff="@@ -1 +1 @@\n-a\n+b\n"),
             change(3, "new"), change(4, "new"))
    assert [c.id for c in collapse_stories(items)] == [1, 2, 3, 4]


def timeline() -> tuple[TimelineEntryView, ...]:
    return (
        TimelineEntryView("juliaca-2023", date(2024, 3, 5), True, "constitutional_complaint", "", "taken",
                          (ReportView("rpp", "RPP", "https://rpp.pe/dc"),)),
        TimelineEntryView("juliaca-2023", date(2026, 11, 21), True, "investigation_extended", "", "taken",
                          (ReportView("larepublica", "La República", LR), ReportView("elcomercio", "El Comercio", EC))),
        TimelineEntryView("juliaca-2023", date(2026, 11, 24), False, "statement", "", "taken",
                          (ReportView("wayka", "Wayka", "https://wayka.pe/x"),)),
        TimelineEntryView("juliaca-2023", date(2027, 7, 1), True, "formal_investigation", "", "announced",
                          (ReportView("larepublica", "La República", LR),)),
    )


@pytest.mark.parametrize("language", ["es", "en"])
def test_case_status_after_the_entries(make_view: Callable[..., DigestView], language: str) -> None:
    """The first screen is what is new; where the case stands comes after the entries, as context."""
    view = make_view(language)
    rendered = render_digest(DigestView(**{**{f: getattr(view, f) for f in view.__slots__}, "timeline": timeline()}))
    title = labels.text(language, "timeline_title")
    for whole in (rendered.text, rendered.html):
        assert whole.index(labels.text(language, "new_steps_title")) < whole.index(title)
        assert whole.index(labels.section_label(language, "new")) < whole.index(title)
        body = whole[whole.index(title):]
        steps = [labels.milestone_label(language, t) for t in
                 ("constitutional_complaint", "investigation_extended", "statement", "formal_investigation")]
        positions = [body.index(step) for step in steps]
        assert positions == sorted(positions)  # oldest first, newest event last
        assert labels.text(language, "timeline_announced") in body
        assert labels.text(language, "timeline_approx_note") in body
    month = "nov" if language == "es" else "Nov"
    assert f"* 21 {month} 2026 · {labels.milestone_label(language, 'investigation_extended')}" in rendered.text
    assert f"* ≈ 24 {month} 2026 · " in rendered.text
    assert f'<a href="{EC}" style="color:#0b4f9c;">El Comercio</a>' in rendered.html


def test_no_case_status_without_steps(make_view: Callable[..., DigestView]) -> None:
    rendered = render_digest(make_view("es"))
    assert labels.text("es", "timeline_title") not in rendered.text + rendered.html


def test_several_cases_are_named(make_view: Callable[..., DigestView]) -> None:
    cases = {"juliaca-2023": "Masacre de Juliaca", "ayacucho-2022": "Masacre de Ayacucho"}
    other = TimelineEntryView("ayacucho-2022", date(2026, 1, 2), True, "hearing", "", "taken", ())
    view = make_view("es", cases=cases)
    rendered = render_digest(DigestView(**{**{f: getattr(view, f) for f in view.__slots__},
                                           "timeline": (*timeline(), other)}))
    assert "Masacre de Juliaca:\n" in rendered.text and "Masacre de Ayacucho:\n" in rendered.text


def test_scraped_names_and_links_stay_inert(make_view: Callable[..., DigestView]) -> None:
    hostile = ReportView("x", '<img src=x onerror="alert(1)">', "javascript:alert(1)")
    items = (change(1, "new", story_id=5, also=(hostile,)),)
    steps = (TimelineEntryView("juliaca-2023", date(2026, 11, 21), True, "hearing", "", "taken", (hostile,)),)
    view = make_view("es", changes=items)
    rendered = render_digest(DigestView(**{**{f: getattr(view, f) for f in view.__slots__}, "timeline": steps}))
    assert "<img" not in rendered.html and "&lt;img" in rendered.html
    assert 'href="javascript:' not in rendered.html
    assert labels.text("es", "unsafe_link") in rendered.text


def test_views_default_to_no_story_and_no_timeline() -> None:
    """Views with neither stories nor a timeline render as before (defaults)."""
    view = DigestView("a@b.pe", "", "es", "2026-11-27", {}, (change(1, "new"),), datetime(2026, 11, 27, tzinfo=UTC), "")
    assert view.timeline == () and view.changes[0].also == () and view.changes[0].story_id is None


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_step_gone_from_its_sources_and_linked_sources(make_view: Callable[..., DigestView], language: str) -> None:
    """A step whose every report was taken down is marked; a source the items already link is named without
    its link (the digest's selection blanks it: alerts.digest_views.timeline_views), so no URL appears twice."""
    steps = (TimelineEntryView("juliaca-2023", date(2026, 11, 20), True, "archived", "", "taken",
                               (ReportView("mpfn", "Ministerio Público", "https://www.gob.pe/mpfn/9"),), removed=True),
             TimelineEntryView("juliaca-2023", date(2026, 11, 21), True, "investigation_extended", "", "taken",
                               (ReportView("larepublica", "La República", ""), ReportView("elcomercio", "El Comercio",
                                                                                          EC))))
    view = make_view(language)
    rendered = render_digest(DigestView(**{**{f: getattr(view, f) for f in view.__slots__}, "timeline": steps}))
    gone = f"{labels.milestone_label(language, 'archived')} ({labels.text(language, 'timeline_removed')})"
    extended = labels.milestone_label(language, "investigation_extended")
    assert gone in rendered.text and gone in rendered.html
    assert f"({labels.text(language, 'timeline_removed')})" not in rendered.text.split(extended, 1)[1]
    status = rendered.text[rendered.text.index(extended):]
    assert "La República, El Comercio" in status and f"\n  {EC}\n" in status  # the first source with a link
    assert "La República</a>" not in rendered.html and f'<a href="{EC}" style="color:#0b4f9c;">El Comercio</a>' in \
        rendered.html
