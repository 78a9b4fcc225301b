"""A watched prosecutor page on 127.0.0.1 whose visit counter and text change between crawls.

Shared by the export and re-extraction tests: a config folder with one ``page`` source (optionally
with ignore rules) and a subscriber, and helpers to crawl it and read back what was stored.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from pipeline.store.session import Database
from tests.support.cli import CASE_FILE, run_cli
from tests.support.httpserver import LocalHTTPServer

PATH = "/comunicados/juliaca"
EMAIL = "familias@example.org"
TITLE = "Fiscalía informa sobre la investigación por la masacre de Juliaca"
FIRST = ("La Fiscalía Especializada en Derechos Humanos informó sobre la investigación por las muertes de "
         "18 civiles el 9 de enero de 2023 en Juliaca, cerca del aeropuerto Inca Manco Cápac.")
EDIT = "La Fiscalía formalizó la investigación preparatoria contra los mandos policiales."
PAGE = ("<!doctype html><html lang='es'><head><meta charset='utf-8'><title>{title}</title></head><body>"
        "<nav>Inicio · Noticias</nav><main><h1>{title}</h1>{paragraphs}"
        "<p class='visitas'>visitas: {visits}</p></main><footer>pie</footer></body></html>")
SOURCES = """sources:
  - id: fiscalia
    name: Fiscalía (réplica)
    kind: prosecutor
    spider: page
    urls: ["{url}"]
    allow_private: true
    download_delay: 0
{ignore}"""
SUBSCRIBERS = f"""subscribers:
  - {{email: {EMAIL}, name: Familias, language: es, cases: [juliaca-2023], frequency: daily}}
"""


def page(visits: int, *, edited: bool = False, title: str = TITLE) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in ([FIRST, EDIT] if edited else [FIRST]))
    return PAGE.format(title=title, paragraphs=paragraphs, visits=visits).encode("utf-8")


class Watched:
    """The config folder, database and CLI arguments of one test, around a running local server."""

    def __init__(self, tmp: Path, db_url: str, server: LocalHTTPServer, *, ignore: str = "") -> None:
        self.tmp, self.server, self.db_url = tmp, server, db_url
        self.url = server.url(PATH)
        self.config = tmp / "config"
        (self.config / "cases").mkdir(parents=True)
        (self.config / "cases" / CASE_FILE.name).write_bytes(CASE_FILE.read_bytes())
        (self.config / "subscribers.yaml").write_text(SUBSCRIBERS, encoding="utf-8")
        self.set_ignore(ignore)
        self.cli = ("--config", str(self.config), "--db", db_url)
        self.env = {"CASEWATCH_VAR_DIR": str(tmp / "var")}
        self.db = Database(db_url)

    def set_ignore(self, ignore: str) -> None:
        """``ignore``: the YAML lines of the source's ignore rules (indented under the source)."""
        (self.config / "sources.yaml").write_text(SOURCES.format(url=self.url, ignore=ignore), encoding="utf-8")

    def serve(self, body: bytes, *, gzipped: bool = False, etag: str | None = None) -> None:
        headers = {"Content-Type": "text/html; charset=utf-8", "X-Served-By": "réplica"}
        if etag:
            headers["ETag"] = etag
        if gzipped:  # Scrapy inflates it before storing: the stored header no longer fits the body
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self.server.set_route(PATH, body=body, headers=headers)

    def run(self, *args: str, ok: bool = True) -> Any:
        done = run_cli(*self.cli, *args, env=self.env)
        if ok:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def crawl(self) -> None:
        self.run("crawl", "fiscalia")

    def changes(self) -> list[dict[str, Any]]:
        return json.loads(self.run("changes", "--json").stdout)
