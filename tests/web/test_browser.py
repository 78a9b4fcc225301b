"""Acceptance 1, in real headless Chromium on both databases: a real uvicorn server on 127.0.0.1 serves the
review page over data crawled from the local replica sites (crawl, edit the sites, crawl again). A person
opens the dashboard (in Spanish, as the browser asks), switches it to English with the header link, filters the
change log, opens a diff (inline and side by side), logs in and marks the change reviewed, sees it in Spanish
again; a hostile page stays inert. Screenshots: ``test-artifacts/web-<step>-<database>.png``.

Chromium is Debian's ``/usr/bin/chromium`` (``CASEWATCH_CHROMIUM`` names another) driven by Playwright
with the closed-network flags of tests/alerts/test_screenshots.py; ``playwright install`` is never used.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from casewatch.app import App
from casewatch.demo_site import MPFN_1, ReplicaSite
from casewatch.web.app import create_app
from pipeline.store.changes import ChangeFilter, search_changes
from pipeline.store.reviews import change_reviews
from tests.support.browser import ARTIFACTS, LazyBrowser
from tests.support.cli import replica_config, run_cli
from tests.web.conftest import TOKEN, auth_config, store
from tests.web.test_security import HOSTILE, SCRIPT

NOTE = "Verificado con la nota oficial del Ministerio Público"
LIVE_JS = """() => ({
  pwned: window.__pwned === undefined ? null : window.__pwned,
  elements: document.querySelectorAll('script, iframe, img, svg, object, embed').length,
  handlers: [...document.querySelectorAll('*')].flatMap(el => [...el.attributes]
              .filter(a => a.name.toLowerCase().startsWith('on')).map(a => el.tagName + ' ' + a.name)),
  scriptLinks: [...document.querySelectorAll('[href], [src], [action]')].map(el =>
              el.getAttribute('href') || el.getAttribute('src') || el.getAttribute('action'))
              .filter(u => /^\\s*(javascript|data|vbscript):/i.test(u)),
  text: document.body.innerText,
})"""
FITS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


class Served:
    """The app on a real uvicorn server in a thread, on a socket bound to a free loopback port first."""

    def __init__(self, app: Any):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


def _crawled(tmp_path: Path, db_url: str, site: ReplicaSite) -> Path:
    """The replica crawled, edited (state 2) and crawled twice more: new, updated and removed changes."""
    config = replica_config(tmp_path, site.base)
    cli = ("--config", str(config), "--db", db_url)
    first = run_cli(*cli, "crawl", "--all")
    assert first.returncode == 0, first.stderr
    site.switch(2)
    for _ in range(2):  # a removal needs two 404s in a row
        again = run_cli(*cli, "crawl")
        assert again.returncode == 0, again.stderr
    return config


@pytest.mark.slow
def test_review_page_in_chromium(browser: LazyBrowser, db_url: str, tmp_path: Path) -> None:
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"

    def shot(page: Any, step: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"web-{step}-{backend}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5000

    with ReplicaSite() as site:
        config = _crawled(tmp_path, db_url, site)
        app = App(config_dir=config, db_url=db_url)
        with app.db.read() as session:
            [updated] = search_changes(session, ChangeFilter(kind="updated"))[0]
            updated_id = updated.id
            assert updated.document.url == f"{site.base}{MPFN_1}"
        hostile = store(app, f"{site.base}/noticias/hostil/", source_id="ong-ddhh",
                        title=f"Masacre de Juliaca {SCRIPT}",
                        text="La masacre de Juliaca del 9 de enero de 2023 sigue impune.\n" + HOSTILE)
        assert hostile is not None

        with Served(create_app(app, auth=auth_config())) as served:
            # A reader in Peru: the browser asks for Spanish (Accept-Language: es-PE).
            context = browser.get().new_context(viewport={"width": 1100, "height": 900}, service_workers="block",
                                                locale="es-PE")
            requests: list[str] = []
            problems: list[str] = []
            try:
                page = context.new_page()
                page.on("request", lambda request: requests.append(request.url))
                page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
                page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
                page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)

                # The dashboard, in Spanish: every source with its last run.
                page.goto(served.base + "/")
                assert page.locator("html").get_attribute("lang") == "es"
                assert page.locator("h1").inner_text() == "Panel"
                assert page.locator("header nav").inner_text().count("Registro de cambios") == 1
                sources = page.locator("table.sources tbody tr")
                assert sources.count() == 3
                assert page.locator("table.sources .run-ok").count() == 3
                shot(page, "dashboard")

                # The header's language switch: English from here on (remembered in a cookie, no script).
                page.click("header .langs >> text=EN")
                page.wait_for_url("**/?lang=en")
                assert page.locator("html").get_attribute("lang") == "en"
                assert page.locator("h1").inner_text() == "Dashboard"

                # The change log, filtered through its form.
                page.click("nav >> text=Change log")
                everything = page.locator("table.log tbody tr").count()
                assert everything >= 4
                page.select_option("select[name=kind]", "updated")
                page.fill("input[name=q]", "fiscalia")  # no accent, lower case: still found
                page.click("form.filters button[type=submit]")
                page.wait_for_url("**/changes?*kind=updated*")
                rows = page.locator("table.log tbody tr")
                assert rows.count() == 1 and rows.first.get_attribute("data-kind") == "updated"
                assert page.locator("#count").inner_text() == "1 change"
                shot(page, "changes-filtered")

                # The diff: inline (the email's macro), then side by side.
                rows.first.locator("td.title a").click()
                page.wait_for_url(f"**/changes/{updated_id}")
                diff = page.locator("section.diff").inner_text()
                assert "El juzgado de investigación preparatoria programó la audiencia" in diff
                assert page.locator("dd.hash").count() >= 4  # both versions' hashes
                shot(page, "change-inline")
                page.click("text=Side by side")
                page.wait_for_url(f"**/changes/{updated_id}?view=side")
                assert page.locator("table.sbs td.add").count() >= 1
                assert "programó la audiencia" in page.locator("table.sbs").inner_text()
                shot(page, "change-side-by-side")

                # Review: log in from the change, come back to it, mark it reviewed with a note.
                assert page.locator(".review-form").count() == 0
                page.click("text=Log in to review this change")
                page.fill("input[name=name]", "ana")
                page.fill("input[name=token]", TOKEN)
                page.click("form.login button[type=submit]")
                page.wait_for_url(f"**/changes/{updated_id}*")
                assert "Logged in as ana." in page.locator(".flash").inner_text()
                page.fill("textarea[name=note]", NOTE)
                page.click("button[value=reviewed]")
                page.wait_for_url(f"**/changes/{updated_id}")
                assert page.locator(".flash").inner_text() == f"Change {updated_id} marked reviewed."
                assert page.locator("#review-state").inner_text() == "reviewed"
                assert NOTE in page.locator(".reviews").inner_text()
                shot(page, "change-reviewed")
                page.click("header .langs >> text=ES")  # the same change, in Spanish
                page.wait_for_url(f"**/changes/{updated_id}?lang=es")
                assert page.locator("#review-state").inner_text() == "revisado"
                assert page.locator("section.review h2").inner_text() == "Revisión"
                with app.db.read() as session:
                    reviews = change_reviews(session, updated_id)
                    assert [(r.action, r.actor, r.note) for r in reviews] == [("reviewed", "ana", NOTE)]

                # A hostile page: shown, never run.
                page.goto(f"{served.base}/changes/{hostile}")
                live = page.evaluate(LIVE_JS)
                assert live["pwned"] is None and live["elements"] == 0
                assert live["handlers"] == [] and live["scriptLinks"] == []
                assert SCRIPT in live["text"] and "onerror=" in live["text"]
                shot(page, "hostile")

                # A phone: no horizontal scrolling on the dashboard and a change.
                page.set_viewport_size({"width": 375, "height": 800})
                for path in ("/", f"/changes/{updated_id}"):
                    page.goto(served.base + path)
                    width, inner = page.evaluate(FITS_JS)
                    assert width <= inner, (path, width, inner)
                shot(page, "change-phone")
            finally:
                context.close()
        app.db.dispose()
    assert problems == []
    assert requests and all(url.startswith(served.base + "/") for url in requests), set(requests) - {served.base}
