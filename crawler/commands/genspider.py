"""`scrapy genspider -t source NAME URL`: a new spider family plus the fixture skeleton it is tested with.

Scrapy's command writes the spider from ``crawler/templates/spiders/<template>.tmpl``; this one
also fills the header (author, date) and creates ``tests/fixtures/spiders/<module>/`` with a small
listing and article served by the golden test, so the new spider is tested from its first minute.
The maintainer then replaces the skeleton with saved real pages (see CONTRIBUTING.md).
"""

from __future__ import annotations

import getpass
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from scrapy.commands.genspider import Command as ScrapyGenspider

ROOT = Path(__file__).resolve().parents[2]

LISTING = """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>Noticias</title></head>
<body>
<!-- Skeleton fixture written by `scrapy genspider -t source`: replace it with a saved real listing
     (keep the file name or rename the .source.yaml too), with links rewritten to {base}/... -->
<header><nav><a href="/">Inicio</a> <a href="/noticias">Noticias</a></nav></header>
<main>
  <article><h2><a href="{base}/noticias/fiscalia-juliaca">Fiscalía amplía investigación por muertes
    en Juliaca</a></h2></article>
  <article><h2><a href="{base}/noticias/otra-nota">Otra nota del día</a></h2></article>
</main>
<footer>Pie de página</footer>
</body></html>
"""

ARTICLE = """<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="2026-01-09T10:00:00-05:00"></head>
<body><header><nav><a href="/">Inicio</a></nav></header>
<main><article><h1>{title}</h1><p>{text}</p></article></main>
<footer>Pie de página</footer></body></html>
"""

SOURCE_YAML = """# Skeleton written by `scrapy genspider -t source`: how the golden test serves this fixture.
# `source` holds the source's YAML fields; `routes` serves more files from this folder.
source:
  follow: auto
routes:
  /noticias/fiscalia-juliaca: {{file: example/article_1.html}}
  /noticias/otra-nota: {{file: example/article_2.html}}
"""


def _author() -> str:
    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, check=False,
                              cwd=ROOT).stdout.strip()
    except OSError:
        name = ""
    return name or getpass.getuser()


class Command(ScrapyGenspider):
    def short_desc(self) -> str:
        return "Generate a new spider (use -t source) and its test fixture skeleton"

    def _generate_template_variables(self, module: str, name: str, url: str, template_name: str) -> dict[str, Any]:
        tvars = super()._generate_template_variables(module, name, url, template_name)
        tvars.update(author=_author(), date=date.today().isoformat())
        return tvars

    def _genspider(self, module: str, name: str, url: str, template_name: str, template_file: Any) -> Path:
        spider_file = super()._genspider(module, name, url, template_name, template_file)
        folder = Path.cwd() / "tests" / "fixtures" / "spiders" / module
        if (Path.cwd() / "tests").is_dir() and not folder.exists():
            (folder / "example").mkdir(parents=True)  # routed files: not fixture cases of their own
            (folder / "example.html").write_text(LISTING, encoding="utf-8")
            (folder / "example" / "article_1.html").write_text(ARTICLE.format(
                title="Fiscalía amplía investigación por muertes en Juliaca",
                text="La Fiscalía amplió por ocho meses la investigación por las muertes del 9 de enero de 2023."),
                encoding="utf-8")
            (folder / "example" / "article_2.html").write_text(ARTICLE.format(
                title="Otra nota del día", text="Texto de otra nota."), encoding="utf-8")
            (folder / "example.source.yaml").write_text(SOURCE_YAML.format(), encoding="utf-8")
            print(f"fixture skeleton:\n  {folder.relative_to(Path.cwd())}/ (replace with saved real pages)")
        return spider_file
