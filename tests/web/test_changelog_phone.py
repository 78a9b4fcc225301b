"""The change log on a 375 px phone, in real headless Chromium (Debian's /usr/bin/chromium through
Playwright), on both databases: each change a card with its title on a full-width line (never a column a
few letters wide), no horizontal scrolling, and a review-state column (a labelled line on the phone).
Screenshot: ``test-artifacts/changelog-375-<database>.png`` (a copy is docs/screenshots/changelog-375.png).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from casewatch.app import App
from casewatch.web.app import create_app
from pipeline.store.reviews import review_change
from tests.support.browser import ARTIFACTS, LazyBrowser
from tests.web.conftest import T0, auth_config, seed, store
from tests.web.test_browser import Served

LONG_TITLE = ("Familiares de las víctimas de la masacre de Juliaca exigen a la Fiscalía Supraprovincial Especializada "
              "en Derechos Humanos e Interculturalidad celeridad en la investigación")
TITLE_WIDTH_JS = """() => [...document.querySelectorAll('table.log tbody td.title')].map(td => {
  const r = td.getBoundingClientRect(); return [Math.round(r.width), td.innerText.split('\\n')[0]];
})"""


def _seeded(app: App) -> tuple[int, int, int]:
    """The review page's test world, a long headline, one change reviewed and one marked irrelevant."""
    seeded = seed(app)
    long = store(app, "https://noticias.example/juliaca-familias/", source_id="noticias", title=LONG_TITLE,
                 text="Los familiares de la masacre de Juliaca del 9 de enero de 2023 exigieron justicia.",
                 now=T0 + timedelta(days=4))
    assert long is not None
    with app.db.write() as session:
        review_change(session, seeded.updated, "reviewed", "Verificado", "ana", T0 + timedelta(days=5))
        review_change(session, seeded.unrelated, "irrelevant", "", "ana", T0 + timedelta(days=5))
    return long, seeded.updated, seeded.unrelated


def _row_review(page: Any, change_id: int) -> str:
    row = page.locator("table.log tbody tr", has=page.locator(f'td.id a[href="/changes/{change_id}"]'))
    return str(row.locator("td.review").inner_text()).strip()


@pytest.mark.slow
def test_change_log_on_a_phone(browser: LazyBrowser, cw: App, db_url: str) -> None:
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    long, reviewed, irrelevant = _seeded(cw)
    with Served(create_app(cw, auth=auth_config())) as served:
        context = browser.get().new_context(viewport={"width": 1100, "height": 900}, service_workers="block",
                                            locale="es-PE")
        try:
            page = context.new_page()
            page.goto(served.base + "/changes")
            headers = page.locator("table.log thead th").all_inner_texts()
            assert headers[-1] == "Revisión", headers  # a column of its own on a wide screen
            assert _row_review(page, reviewed) == "revisado"
            assert _row_review(page, irrelevant) == "irrelevante"
            assert _row_review(page, long) == "sin revisar"

            page.set_viewport_size({"width": 375, "height": 800})
            page.goto(served.base + "/changes")
            width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert width <= inner == 375, (width, inner)
            titles = page.evaluate(TITLE_WIDTH_JS)
            assert titles and all(w >= 320 for w, _ in titles), titles  # the card's width, not a squeezed column
            assert any(text == LONG_TITLE for _, text in titles)
            assert _row_review(page, reviewed) == "revisado" and _row_review(page, long) == "sin revisar"
            label = page.evaluate("() => getComputedStyle(document.querySelector('td.review'), '::before').content")
            assert label == '"Revisión: "'  # labelled on the phone, where the header row is hidden
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"changelog-375-{backend}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 5000
        finally:
            context.close()
