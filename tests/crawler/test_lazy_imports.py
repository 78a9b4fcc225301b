"""A crawl process loads BeautifulSoup only when a page needs it (~50 ms of CPU in every process otherwise):
importing every spider and reading a page through a simple scope (lxml's path) leaves it unloaded."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import pkgutil, sys
import casewatch.crawl, crawler.runner, crawler.spiders
for module in pkgutil.iter_modules(crawler.spiders.__path__):
    __import__(f"crawler.spiders.{module.name}")
from crawler.extract.text import main_text
page = main_text("<html><head><title>T</title></head><body><nav>menu</nav><article id='a'><p>Uno.</p>"
                 "<p>Dos <b>tres</b>.</p></article></body></html>", scope="article#a")
assert page.text == "Uno.\\n\\nDos tres.", page.text
print(sorted(m for m in sys.modules if m.split(".")[0] in ("bs4", "soupsieve")))
"""


def test_a_scoped_page_crawl_does_not_load_beautifulsoup() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_beautifulsoup_loads_when_a_page_needs_it() -> None:
    code = CODE.replace('scope="article#a"', 'scope="article:first-of-type"')  # not lxml's: the soup path
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "bs4" in out
