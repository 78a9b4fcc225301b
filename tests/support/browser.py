"""Real headless Chromium for the tests that look at pages (digests, the review page).

Chromium is Debian's ``/usr/bin/chromium`` driven by Playwright (``playwright install`` is never used):
`.ci/run` and `make test` install it; when it is missing these tests fail and say how to install it
(``CASEWATCH_CHROMIUM`` names another binary). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.support.cli import ROOT

CHROMIUM = os.environ.get("CASEWATCH_CHROMIUM", "/usr/bin/chromium")
INSTALL = "apt-get install -y --no-install-recommends chromium"
# The flags this machine's closed network needs (no background, update or sync connections);
# Playwright adds a new empty --user-data-dir by itself.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"


def _fail_without_browser() -> None:
    """Fail (never skip) when the browser or its driver is not installed, naming the fix."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with `{INSTALL}` (as root; .ci/run and "
                    "`make test` do this), never `playwright install`", pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("the Python package playwright is missing: `.venv/bin/pip install -e '.[test]'` "
                    "(or `make install`)", pytrace=False)


class LazyBrowser:
    """Chromium, launched at its first use inside a test, so that a missing browser fails that test
    (with the install command) instead of erroring in set-up; one browser per module and worker."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None

    def get(self) -> Any:
        if self._browser is None:
            _fail_without_browser()
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        return self._browser

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
