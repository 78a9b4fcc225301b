"""A realistic HTML digest in real headless Chromium at phone and desktop widths.

No horizontal scrolling at 375 and 800 px (long URLs, titles without spaces and diff lines wrap),
no network request of any kind, and full-page screenshots in ``test-artifacts/`` for people to look at
(``digest-<lang>-<width>.png``, and ``quiet-<lang>-<width>.png`` for the quiet-week note).
Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright (``playwright install`` is never used):
`.ci/run` and `make test` install it; when it is missing these tests fail and say how to install it
(``CASEWATCH_CHROMIUM`` names another binary).
"""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from alerts import labels
from alerts.render import render_digest, render_quiet_week
from alerts.views import (
    ChangeView,
    DigestView,
    MilestoneView,
    QuietWeekView,
    ReportView,
    SourceHealthView,
    TimelineEntryView,
)
from tests.support.browser import ARTIFACTS, LazyBrowser

WIDTHS = (375, 800)

LONG_URL = "https://www.gob.pe/institucion/mpfn/noticias/" + "juliaca-9-enero-2023-" * 12 + "x" * 32 + "?utm_source=x"
NO_SPACES_TITLE = "FISCALÍA_SUPRAPROVINCIAL_ESPECIALIZADA_EN_DERECHOS_HUMANOS_E_INTERCULTURALIDAD_" * 3
GENERATED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _t(day: int, hour: int = 14) -> datetime:
    return datetime(2026, 11, day, hour, 30, tzinfo=UTC)


def _change(id: int, kind: str, **kw: Any) -> ChangeView:
    base: dict[str, Any] = dict(
        id=id, kind=kind, detected_at=_t(26), source_id="mpfn", source_name="Ministerio Público (gob.pe)",
        source_kind="prosecutor", url=f"https://www.gob.pe/institucion/mpfn/noticias/{id}", title="",
        published_at=_t(25, 20), cases=("juliaca-2023",), relevance=7.5,
        matched_terms=("Juliaca", "9 de enero", "Eficavip"), summary="",
    )
    base.update(kw)
    return ChangeView(**base)


def _long_diff() -> str:
    """An edited prosecutor page: a paragraph added, one reworded, a 300-character unbroken token."""
    lines = ["--- version 812", "+++ new version", "@@ -3,12 +3,60 @@"]
    lines += [" La Fiscalía Supraprovincial Especializada en Derechos Humanos e Interculturalidad de Puno informa:"]
    lines += ["-La Fiscalía formalizó la investigación preparatoria contra seis mandos policiales por las muertes "
              "del 9 de enero de 2023 en Juliaca, dentro de la carpeta fiscal 023-2023."]
    lines += ["+La Fiscalía formalizó la investigación preparatoria contra nueve mandos policiales por las muertes "
              "del 9 de enero de 2023 en Juliaca, dentro de la carpeta fiscal 023-2023."]
    lines += ["-La audiencia de prisión preventiva se realizará en fecha por definir."]
    lines += ["+La audiencia de prisión preventiva se realizará el 4 de diciembre de 2026 a las 09:00 horas, de "
              "manera virtual, ante el Juzgado de Investigación Preparatoria de Juliaca, con la participación de "
              "los abogados de las víctimas y de los investigados."]
    lines += ["+Expediente: " + "00123-2023-0-2111-JR-PE-01/" * 12]
    lines += [f"+{i}. Se incorporó al expediente la declaración testimonial número {i} de familiares de las víctimas."
              for i in range(1, 50)]
    lines += [" Lima, 26 de noviembre de 2026."]
    return "\n".join(lines) + "\n"


def realistic_view(language: str) -> DigestView:
    """A busy week: case status, legal steps of four institutions, edits, stories, unhealthy sources."""
    es = language == "es"
    changes = (
        _change(101, "new", title="Fiscalía formaliza investigación preparatoria contra mandos policiales por las "
                "muertes del 9 de enero en Juliaca",
                milestones=(MilestoneView("formal_investigation", "", ("EFICAVIP", "Dina Boluarte")),),
                summary="El equipo especial de fiscales (EFICAVIP) formalizó la investigación preparatoria contra "
                        "seis mandos de la Policía Nacional por homicidio calificado.\nLa carpeta fiscal "
                        "023-2023 reúne las pericias balísticas de las 18 víctimas."),
        _change(102, "new", story_id=55, source_id="larepublica", source_name="La República", source_kind="news",
                url="https://larepublica.pe/politica/2026/11/26/poder-judicial-audiencia-juliaca",
                title="Poder Judicial programa audiencia de prisión preventiva por el caso Juliaca",
                milestones=(MilestoneView("hearing", "", ("Poder Judicial", "Ministerio Público")),
                            MilestoneView("coercive_measure", "", (), "announced")),
                summary="El juzgado fijó la audiencia para el 4 de diciembre.",
                also=(ReportView("infobae", "Infobae", "https://www.infobae.com/peru/2026/11/26/juliaca-audiencia/"),)),
        _change(103, "new", story_id=55, source_id="elcomercio", source_name="El Comercio", source_kind="news",
                url="https://elcomercio.pe/politica/juliaca-audiencia-prision-preventiva/",
                title="Juez fija fecha para audiencia del caso Juliaca"),
        _change(104, "new", story_id=55, source_id="wayka", source_name="Wayka", source_kind="news",
                url=LONG_URL, title="Juliaca: audiencia de prisión preventiva el 4 de diciembre"),
        _change(105, "new", source_id="cidh", source_name="CIDH", source_kind="iachr",
                url="https://www.oas.org/es/cidh/jsForm/?File=/es/cidh/prensa/comunicados/2026/281.asp",
                title="CIDH otorga medidas cautelares a familiares de víctimas de Juliaca",
                milestones=(MilestoneView("precautionary_measure", ""),),
                summary="La Comisión Interamericana pidió al Estado proteger a los deudos que denunciaron amenazas."),
        _change(106, "new", source_id="rpp", source_name="RPP", source_kind="news", url="https://rpp.pe/politica/dc-509",
                title="Subcomisión de Acusaciones Constitucionales admite la denuncia constitucional 509",
                milestones=(MilestoneView("constitutional_complaint", "",
                                          ("Subcomisión de Acusaciones Constitucionales",)),)),
        _change(107, "new", source_id="ohchr", source_name="ONU Derechos Humanos", source_kind="un",
                url="https://www.ohchr.org/es/press-releases/2026/11/peru-juliaca",
                title="Expertos de la ONU piden celeridad en el caso Juliaca",
                milestones=(MilestoneView("statement", "", ("Naciones Unidas",)),)),
        _change(108, "updated", title="Caso Juliaca: Fiscalía informa sobre la audiencia de prisión preventiva",
                milestones=(MilestoneView("hearing", "", republished=True),), diff=_long_diff(),
                summary="Nota de prensa actualizada con la fecha de la audiencia."),
        _change(109, "removed", title="Comunicado 045-2026: equipo especial recibe pericias balísticas",
                published_at=None),
        _change(110, "new", source_id="idl", source_name="IDL-Reporteros", source_kind="ngo", url=LONG_URL + "&b=2",
                title=NO_SPACES_TITLE, summary="Una crónica sin espacios: " + "palabra" * 60),
        _change(111, "new", story_id=56, source_id="losandes", source_name="Los Andes", source_kind="news",
                url="https://www.losandes.com.pe/juliaca-deudos-marcha/",
                title="Deudos de Juliaca marchan en Puno a casi cuatro años de la masacre",
                summary="Los familiares recordaron a las 18 víctimas y pidieron celeridad a la fiscalía.",
                also=(ReportView("pachamama", "Pachamama Radio", "https://radiopachamama.pe/deudos-marchan/"),
                      ReportView("sinfronteras", "Radio Sin Fronteras", "https://sinfronteras.pe/marcha-juliaca/"))),
    )
    lr = "https://larepublica.pe/politica/2026/11/21/fiscalia-amplia-investigacion"
    timeline = (
        TimelineEntryView("juliaca-2023", date(2024, 3, 5), True, "constitutional_complaint", "", "taken",
                          (ReportView("rpp", "RPP", "https://rpp.pe/dc"),)),
        TimelineEntryView("juliaca-2023", date(2026, 11, 21), True, "investigation_extended", "", "taken",
                          (ReportView("larepublica", "La República", lr),
                           ReportView("elcomercio", "El Comercio", "https://elcomercio.pe/x"),
                           ReportView("wayka", "Wayka", LONG_URL))),
        TimelineEntryView("juliaca-2023", date(2026, 11, 24), False, "statement", "", "taken",
                          (ReportView("cnddhh", "CNDDHH", "https://derechoshumanos.pe/x"),)),
        TimelineEntryView("juliaca-2023", date(2026, 12, 4), True, "hearing", "", "announced",
                          (ReportView("larepublica", "La República", lr),)),
    )
    unhealthy = (
        SourceHealthView("gobpe-mpfn", "Ministerio Público (gob.pe)",
                         f"the last 3 runs failed: HTTP 503 from {LONG_URL}", _t(24, 5)),
        SourceHealthView("cidh", "CIDH", "the last 3 runs found no items", None),
    )
    return DigestView(
        subscriber_email="abogada.familias@example.org", subscriber_name="Ana Quispe", language=language,
        period_label="2026-11-27", cases={"juliaca-2023": "Masacre de Juliaca" if es else "Juliaca massacre"},
        changes=changes, generated_at=GENERATED, base_url="https://casewatch.example.org", sources_watched=14,
        unhealthy=unhealthy, timeline=timeline,
    )




OVERFLOW_JS = """() => {
  const w = window.innerWidth, out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 0.5) out.push(el.tagName + ' right=' + Math.round(r.right) + ': '
                                    + (el.textContent || '').trim().slice(0, 60));
  }
  return {doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, inner: w,
          overflowing: out.slice(0, 5)};
}"""


def _png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the PNG header."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _open(browser: LazyBrowser, html: str, width: int, shot: Path) -> tuple[dict[str, Any], str]:
    """Load ``html`` with every request refused and recorded; (sizes, visible text), screenshot in ``shot``."""
    requests: list[str] = []
    context = browser.get().new_context(viewport={"width": width, "height": 900}, offline=True, service_workers="block")
    try:
        page = context.new_page()

        def refuse(route: Any) -> None:
            requests.append(route.request.url)
            route.abort()

        page.route("**/*", refuse)
        page.on("request", lambda request: requests.append(request.url))
        page.set_content(html, wait_until="load")
        sizes = page.evaluate(OVERFLOW_JS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        visible = page.evaluate("() => document.body.innerText")
    finally:
        context.close()
    assert requests == [], f"the email made network requests: {list(dict.fromkeys(requests))}"
    assert sizes["inner"] == width
    assert sizes["doc"] <= sizes["inner"], f"horizontal scrolling at {width}px: {sizes}"
    assert sizes["body"] <= sizes["inner"], f"horizontal scrolling at {width}px: {sizes}"
    assert sizes["overflowing"] == [], f"elements wider than the {width}px screen: {sizes['overflowing']}"
    assert _png_size(shot)[0] == width
    return sizes, visible


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["es", "en"])
def test_digest_fits_the_screen(browser: LazyBrowser, language: str, width: int) -> None:
    shot = ARTIFACTS / f"digest-{language}-{width}.png"
    _, visible = _open(browser, render_digest(realistic_view(language)).html, width, shot)
    assert _png_size(shot)[1] > 900  # the whole, long page
    # Every section is there, in the decided order, as the reader sees it: first what is new.
    order = [labels.text(language, "new_steps_title"), labels.section_label(language, "legal"),
             labels.section_label(language, "changed"), labels.section_label(language, "news"),
             labels.text(language, "timeline_title"), labels.text(language, "health_title")]
    positions = [visible.find(heading) for heading in order]
    assert -1 not in positions and positions == sorted(positions), positions
    assert labels.text(language, "also_reported") in visible and NO_SPACES_TITLE[:40] in visible
    # The first screen: the new steps, one line each, the most significant first.
    first = visible[positions[0]:positions[1]].splitlines()[1:]
    assert first[0].startswith(labels.milestone_label(language, "formal_investigation") + " · ")
    assert len([line for line in first if line.strip()]) == 5
    assert labels.text(language, "health_failed", n=3) in visible  # health in the reader's language
    # The case status lists stages reached (taken steps) and, apart and marked, what is only announced.
    status = visible[positions[4]:positions[5]]
    taken, _, announced = status.partition(labels.text(language, "timeline_announced_title"))
    hearing = labels.milestone_label(language, "hearing")
    assert announced and hearing not in taken
    assert f"{hearing} ({labels.text(language, 'timeline_announced')})" in announced
    assert labels.milestone_label(language, "investigation_extended") in taken
    assert f"{hearing} ({labels.text(language, 'republished')})" in visible  # an edit's step is no new one


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", ["es", "en"])
def test_quiet_week_fits_the_screen(browser: LazyBrowser, language: str, width: int) -> None:
    view = QuietWeekView("abogada.familias@example.org", "Ana Quispe", language, "weekly:2026-W48", 14,
                         GENERATED, cases={"juliaca-2023": "Masacre de Juliaca"}, base_url=LONG_URL)
    _, visible = _open(browser, render_quiet_week(view).html, width, ARTIFACTS / f"quiet-{language}-{width}.png")
    assert labels.text(language, "quiet_title") in visible
