"""Benchmark: casewatch beside urlwatch 2.29 on the same local news site, cycle by cycle.

    make bench N=1000                     # or: .venv/bin/python bench/peers.py --pages 1000
    .venv/bin/python bench/peers.py --pages 10000 --runs 1
    .venv/bin/python bench/peers.py --pages 1000 --profile bench/first-cycle.prof   # cProfile, casewatch only

A deterministic news site on 127.0.0.1 serves N article pages of 10-60 KB (navigation, a "most read"
box, a footer and a visit counter outside ``article#articulo``), each with a weak ETag and a
Last-Modified date; a conditional request for an unchanged page gets a 304. The articles are prose
from sentence templates with random names, places and figures (zlib packs a page to ~19%); every
fifth one reports on the Juliaca case. Pages are rendered before the timed cycles, so the site's own
work while a system crawls is a dictionary look-up. Each system watches only
``article#articulo`` and runs one process per cycle, back to back, against the same site state:

  cycle 1: every page new;
  cycle 2: exactly 10% of the pages edited inside the article (a fixed, seeded sample), the rest 304.

casewatch: one `casewatch crawl` per cycle of a `page` source (``scope: article#articulo``,
``download_delay: 0``) on a fresh SQLite database (created by an untimed `casewatch init`) with its
own config folder. urlwatch 2.29 (from bench/.peers-venv, which `make bench` creates): one `urlwatch`
per cycle with a ``css: article#articulo`` filter and its own cache file. Each cycle's CPU (user +
system) and peak RSS come from the kernel's accounting of that child (wait4); storage is every byte
the system keeps after the cycle (casewatch: its var folder with the database, raw bodies included;
urlwatch: its cache database). Changes reported are checked against the truth: all N new, then
exactly the edited pages. Results are printed and appended to bench/RESULTS.md with the machine,
the load, the date and the commit.
"""

from __future__ import annotations

import argparse
import email.utils
import html
import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from casewatch.localsite import LoopbackServer

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / ".peers-venv"
RESULTS = ROOT / "bench" / "RESULTS.md"
SCOPE = "article#articulo"
EDIT_FRACTION = 0.10

# Sentences of an ordinary regional paper (slots filled at random), and of its reports on the case:
# every fifth article is about the Juliaca killings (one or two case sentences per paragraph), the rest
# are local news that no case term touches. Real prose for the extractor and the classifier, not word soup.
PLACES = ("Juliaca", "Puno", "Ayaviri", "Azángaro", "Lampa", "Ilave", "Yunguyo", "Huancané", "Macusani", "Juli")
PEOPLE = ("el alcalde", "el gobernador regional", "la directora regional de salud", "el dirigente vecinal",
          "el gerente de transportes", "la jefa de la comisaría", "el presidente de la junta de usuarios",
          "la directora de la UGEL", "el presidente de la cámara de comercio", "el teniente alcalde")
SAID = ("informó", "señaló", "indicó", "anunció", "aseguró", "explicó", "precisó", "afirmó")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "setiembre", "octubre",
          "noviembre", "diciembre")
DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
LOCAL = (
    "{Person} de {place} {said} que la obra de pistas y veredas tendrá un avance del {pct} % a fines de {month}.",
    "Según {person}, el presupuesto asignado asciende a {n} millones de soles para el próximo año.",
    "Los vecinos del barrio {n} de {place} pidieron mayor patrullaje tras {n} robos en la última semana.",
    "Las heladas de {month} afectaron {n} hectáreas de cultivos de papa y quinua en la provincia de {place}.",
    "La feria agropecuaria de {place} reunirá a más de {n} productores el próximo {day}.",
    "El pasaje entre {place} y {place} subió a {n} soles por el alza del combustible.",
    "{Person} {said} que {n} colegios de {place} iniciarán el año escolar con docentes nuevos.",
    "El hospital de {place} atendió a {n} pacientes durante el feriado largo, {said} {person}.",
    "La campaña de vacunación llegará a {n} comunidades de {place} hasta el {n} de {month}.",
    "Transportistas de {place} anunciaron un paro de {n} horas para el {day} si no se repara la vía.",
    "El nivel del lago Titicaca bajó {n} centímetros respecto al año pasado, según el Senamhi.",
    "La municipalidad de {place} clausuró {n} locales que no tenían licencia de funcionamiento.",
    "Comerciantes del mercado central de {place} se reunieron con {person} para ordenar el comercio ambulatorio.",
    "El torneo provincial de fútbol empezará el {day} en {place} con {n} equipos inscritos.",
    "Productores de leche de {place} denunciaron que el precio por litro bajó a {n} céntimos.",
    "{Person} {said} que el proyecto de agua potable beneficiará a {n} familias de {place}.",
    "La policía decomisó {n} kilos de mercadería de contrabando en la carretera a {place}.",
    "Docentes de {place} acatarán una huelga de {n} días en rechazo a la evaluación, {said} su gremio.",
    "El festival de danzas de {place} convocó a {n} conjuntos de trajes de luces este {day}.",
    "La lluvia del {day} inundó {n} viviendas en la zona baja de {place}, según defensa civil.",
)
CASE = (
    "La Fiscalía Especializada en Derechos Humanos de Puno amplió por {n} meses la investigación por las "
    "muertes ocurridas el 9 de enero de 2023 en Juliaca.",
    "Familiares de las víctimas de las protestas de Juliaca pidieron celeridad a la fiscalía.",
    "El Juzgado de Investigación Preparatoria de Juliaca programó la audiencia para el {n} de {month}.",
    "La defensa de los deudos presentó una denuncia por homicidio calificado contra mandos policiales.",
    "Según los informes de necropsia, {n} de las víctimas murieron por impactos de proyectil de arma de fuego.",
    "La Defensoría del Pueblo recordó que 18 personas murieron en las inmediaciones del aeropuerto Inca Manco "
    "Cápac.",
    "La CIDH reiteró que el Estado debe investigar con debida diligencia lo ocurrido en Juliaca.",
    "El Ministerio Público citó a declarar a {n} policías que participaron en el operativo del 9 de enero.",
    "La Asociación de Mártires y Víctimas del 9 de enero anunció una vigilia frente a la fiscalía de Juliaca.",
    "Los abogados de los deudos pidieron a la fiscalía nuevos peritajes balísticos.",
    "La denuncia constitucional contra la presidenta Dina Boluarte por las muertes de Juliaca sigue "
    "pendiente en el Congreso.",
    "El fiscal a cargo del caso {said} que la carpeta fiscal ya suma más de {n} tomos.",
)
HEADLINES = ("Obras en {place} avanzan lentamente", "Heladas golpean a productores de {place}",
             "Paro de transportistas en {place}", "Feria agropecuaria abre sus puertas en {place}",
             "Vecinos de {place} piden seguridad", "Municipalidad de {place} clausura locales")
CASE_HEADLINES = ("Juliaca: fiscalía amplía investigación por muertes del 9 de enero",
                  "Deudos de Juliaca piden justicia a la fiscalía", "Caso Juliaca: programan audiencia")
SECTIONS = ("Portada Región Juliaca Puno Política Economía Policiales Deportes Cultura Opinión Mundo "
            "Espectáculos Tecnología Salud Educación Turismo Agro Minería Clima Videos Fotos").split()


FIRST = ("Juan", "Rosa", "Edwin", "Marleni", "Wilber", "Yeni", "Percy", "Nelly", "Fredy", "Ruth", "Elmer",
         "Sonia", "Hernán", "Lucía", "Víctor", "Norma", "Alfredo", "Delia", "Walter", "Gladys")
LAST = ("Mamani", "Quispe", "Apaza", "Condori", "Huanca", "Ccama", "Choque", "Flores", "Pari", "Coaquira",
        "Ticona", "Sucasaca", "Cutipa", "Larico", "Chambi", "Calsín", "Aguilar", "Vilca", "Zapana", "Yucra")
TAILS = ("", "", "", " en declaraciones a este diario", " durante una conferencia de prensa",
         " tras una reunión con los dirigentes", " según fuentes oficiales", " a pesar de los reclamos",
         " mientras continúan las coordinaciones", " de acuerdo con el último reporte",
         " aunque aún no hay fecha definida", " como parte del plan anual", " en la sesión de concejo")


SYLLABLES = ("ma", "ni", "qui", "pa", "ca", "cha", "lla", "hua", "ti", "co", "sa", "ra", "mu", "ya", "pu", "ro",
             "ta", "que", "llo", "chu", "ña", "ri", "to", "lu", "ba", "ge", "vi", "so", "za", "do")


def _name(rng: random.Random) -> str:
    """A surname, a company or a hamlet: rare words, as real news is full of them."""
    return "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))).capitalize()


def _fill(rng: random.Random, template: str) -> str:
    person = rng.choice(PEOPLE)
    if rng.random() < 0.7:
        person += f" {rng.choice(FIRST)} {_name(rng)} {rng.choice(LAST)}"
    text = template.format(Person=person[0].upper() + person[1:], person=person, place=rng.choice(PLACES),
                           said=rng.choice(SAID), month=rng.choice(MONTHS), day=rng.choice(DAYS),
                           n=rng.randint(2, 480), pct=rng.randint(5, 95))
    if rng.random() < 0.4:
        tail = f", en el sector {_name(rng)} de la comunidad de {_name(rng)}"
    else:
        tail = rng.choice(TAILS)
    return text[:-1] + tail + "."


def _paragraph(rng: random.Random, case: bool) -> str:
    sentences = [_fill(rng, rng.choice(LOCAL)) for _ in range(rng.randint(3, 7))]
    if case:
        for _ in range(rng.randint(1, 2)):
            sentences.insert(rng.randrange(len(sentences) + 1), _fill(rng, rng.choice(CASE)))
    return " ".join(sentences)


@dataclass
class Page:
    """One article's current state: its version (0 = as first published) and validators."""

    version: int = 0
    last_modified: float = 0.0
    visits: int = 0


@dataclass
class NewsSite:
    """N article pages at /nota/I, deterministic in (I, version); ``edit`` changes an exact fraction."""

    n: int
    pages: list[Page] = field(default_factory=list)
    log: Counter[int] = field(default_factory=Counter)  # HTTP statuses answered for articles
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""
    rendered: dict[tuple[int, int], bytes] = field(default_factory=dict)  # (page, version) -> all but the tail

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Every page back to version 0 (published 2026-11-01 plus I minutes), no visits."""
        first = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
        self.pages = [Page(0, first + 60 * i, 0) for i in range(self.n)]
        self.rendered = {key: body for key, body in self.rendered.items() if key[1] == 0}
        self.log.clear()

    def edit(self, seed: int = 17) -> set[str]:
        """Edit exactly ``EDIT_FRACTION`` of the pages inside the article; returns their URLs (the truth)."""
        now = float(int(time.time()))
        chosen = random.Random(seed).sample(range(self.n), round(self.n * EDIT_FRACTION))
        with self.lock:
            for i in chosen:
                page = self.pages[i]
                page.version += 1
                page.last_modified = max(now, page.last_modified + 1)
        self.warm()
        return {self.url(i) for i in chosen}

    def url(self, i: int) -> str:
        return f"{self.base}/nota/{i}"

    def etag(self, i: int) -> str:
        return f'W/"n{i}-v{self.pages[i].version}"'

    def body(self, i: int, visits: int) -> bytes:
        """The page: a 10-60 KB article inside navigation, a most-read box, a visit counter and a footer."""
        key = (i, self.pages[i].version)
        if (prefix := self.rendered.get(key)) is None:
            prefix = self.rendered[key] = self._prefix(*key)
        most_read = "".join(f'<li><a href="/nota/{(i + 7 * k) % self.n}">Nota {(i + 7 * k) % self.n}</a></li>'
                            for k in range(1, 11))
        tail = (f'<aside class="lo-mas-leido"><h2>Lo más leído</h2><ol>{most_read}</ol></aside>'
                f'<div class="contador">Visitas: {visits}</div></main><footer><p>© 2026 Diario del Sur, '
                f'Jr. Lima 123, Juliaca. Todos los derechos reservados.</p><ul><li><a href="/contacto">Contacto'
                f'</a></li><li><a href="/privacidad">Privacidad</a></li></ul></footer>'
                f'<script src="/static/site.js"></script></body></html>')
        return prefix + tail.encode()

    def warm(self) -> None:
        """Render every page's current version ahead (untimed), so serving costs the site next to nothing."""
        for i, page in enumerate(self.pages):
            if (i, page.version) not in self.rendered:
                self.rendered[(i, page.version)] = self._prefix(i, page.version)

    def _prefix(self, i: int, version: int) -> bytes:
        """Everything before the most-read box: head, navigation and the article (the costly part)."""
        rng = random.Random(i)
        target = rng.randint(10_000, 58_000)  # bytes; the last paragraph and UTF-8 add up to ~2 KB
        case = i % 5 == 0
        title = rng.choice(CASE_HEADLINES) if case else _fill(rng, rng.choice(HEADLINES))
        day = 1 + i % 28
        nav = "".join(f'<li><a href="/seccion/{s.lower()}">{s}</a></li>' for s in SECTIONS)
        head = (f'<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>{title} | Diario del Sur'
                f'</title><link rel="canonical" href="{self.url(i)}"><meta property="og:title" content="{title}">'
                f'<meta name="viewport" content="width=device-width"><link rel="stylesheet" href="/static/site.css">'
                f'</head><body><header class="cabecera"><a class="logo" href="/">Diario del Sur</a>'
                f'<nav class="menu"><ul>{nav}</ul></nav></header><main>')
        paragraphs: list[str] = []
        size = len(head) + 1300
        while size < target:
            paragraphs.append(_paragraph(rng, case))
            size += len(paragraphs[-1]) + 8
        if version:
            edit_rng = random.Random(f"{i}:{version}")
            k = edit_rng.randrange(len(paragraphs))
            paragraphs[k] = _paragraph(edit_rng, case) + f" (Actualización {version}.)"
        article = (f'<article id="articulo"><h1>{html.escape(title)}</h1>'
                   f'<time datetime="2026-11-{day:02d}T09:30:00-05:00">{day} de noviembre de 2026</time>'
                   + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article>")
        return (head + article).encode()

    def answer(self, path: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for one GET, honouring If-None-Match (weak) then If-Modified-Since."""
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n"
        match = re.fullmatch(r"/nota/(\d+)", path)
        if not match or int(match[1]) >= self.n:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        i = int(match[1])
        with self.lock:
            page = self.pages[i]
            etag, modified = self.etag(i), page.last_modified
            validators = {"ETag": etag, "Last-Modified": email.utils.formatdate(modified, usegmt=True),
                          "Cache-Control": "max-age=0, must-revalidate"}
            if (inm := headers.get("If-None-Match")) is not None:
                tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
                fresh = "*" in tags or etag.removeprefix("W/") in tags
            elif ims := headers.get("If-Modified-Since"):
                try:
                    fresh = email.utils.parsedate_to_datetime(ims).timestamp() >= modified
                except (TypeError, ValueError):
                    fresh = False
            else:
                fresh = False
            if fresh:
                self.log[304] += 1
                return 304, validators, b""
            page.visits += 1
            visits = page.visits
            self.log[200] += 1
        return 200, {**validators, "Content-Type": "text/html; charset=utf-8"}, self.body(i, visits)


class SiteServer(LoopbackServer):
    """Serves a NewsSite on a free loopback port (HTTP/1.1, keep-alive) from daemon threads."""

    def __init__(self, site: NewsSite) -> None:
        super().__init__(site.answer)
        site.base = self.base


# -------------------------------------------------------------------------------------- measurement
@dataclass
class Cycle:
    system: str
    cycle: int
    wall: float
    cpu: float
    maxrss_kb: int
    storage: int
    statuses: Counter[int]
    reported: set[str]
    kind: str  # what the truth is: "new" (cycle 1) or "changed" (cycle 2)
    truth: set[str]
    load: float
    errors: int = 0
    others: int = 0  # changes of another kind than expected (e.g. "new" in cycle 2): all false

    @property
    def verdict(self) -> str:
        false_pos, missed = len(self.reported - self.truth) + self.others, len(self.truth - self.reported)
        mark = "exact" if not false_pos and not missed and not self.errors else "WRONG"
        extra = f", {self.errors} errors" if self.errors else ""
        return (f"{len(self.reported)} {self.kind} / {len(self.truth)} true "
                f"({false_pos} false, {missed} missed{extra}): {mark}")


def run_child(cmd: list[str], *, env: dict[str, str], cwd: Path, out: Path) -> tuple[float, float, int, int]:
    """Run one process; (wall s, CPU s user+system, peak RSS KB, exit code) from wait4 on that child."""
    with out.open("wb") as stdout:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=stdout, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode


def tree_bytes(*paths: Path) -> int:
    total = 0
    for path in paths:
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total


# PYTHONDONTWRITEBYTECODE (set in some sandboxes) made every casewatch process compile its own modules
# from source, ~0.5 s of CPU per cycle, while urlwatch's came compiled from pip: both run as installed.
HIDDEN_ENV = frozenset({"DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"})


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in HIDDEN_ENV}
    env.update(extra)
    return env


class Casewatch:
    """One `page` source of the N pages, scoped to the article, on a fresh SQLite database."""

    name = "casewatch"

    def __init__(self, tmp: Path, site: NewsSite) -> None:
        self.dir = tmp / "casewatch"
        self.config = self.dir / "config"
        self.var = self.dir / "var"
        (self.config / "cases").mkdir(parents=True)
        self.var.mkdir()
        case = ROOT / "config" / "cases" / "juliaca-2023.yaml"
        (self.config / "cases" / case.name).write_bytes(case.read_bytes())
        (self.config / "subscribers.yaml").write_text("subscribers: []\n", encoding="utf-8")
        urls = "".join(f'      - "{site.url(i)}"\n' for i in range(site.n))
        (self.config / "sources.yaml").write_text(
            "sources:\n  - id: diario-del-sur\n    name: Diario del Sur\n    kind: news\n    spider: page\n"
            f"    scope: \"{SCOPE}\"\n    download_delay: 0\n    allow_private: true\n    urls:\n{urls}",
            encoding="utf-8")
        self.db = self.var / "casewatch.db"
        self.env = clean_env(CASEWATCH_VAR_DIR=str(self.var))
        self.base = [str(ROOT / ".venv" / "bin" / "python"), "-m", "casewatch", "--config", str(self.config),
                     "--db", f"sqlite:///{self.db}"]
        self.last_change = 0

    def prepare(self) -> float:
        wall, cpu, _, code = run_child([*self.base, "init"], env=self.env, cwd=self.dir, out=self.dir / "init.log")
        if code != 0:
            raise SystemExit(f"casewatch init failed ({code}):\n{(self.dir / 'init.log').read_text()[-3000:]}")
        return cpu

    def command(self) -> list[str]:
        return [*self.base, "crawl", "diario-del-sur"]

    def outcome(self, log: Path) -> tuple[dict[str, set[str]], int]:
        """Changes recorded since the last cycle, by kind (new, updated, ...), read from the database."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as con:
            rows = con.execute("SELECT c.id, c.kind, d.url FROM changes c JOIN documents d ON d.id = c.document_id "
                               "WHERE c.id > ?", (self.last_change,)).fetchall()
            errors = con.execute("SELECT COALESCE(SUM(errors), 0) FROM crawl_runs").fetchone()[0]
        self.last_change = max([self.last_change, *(r[0] for r in rows)])
        kinds: dict[str, set[str]] = {}
        for _, kind, url in rows:
            kinds.setdefault(kind, set()).add(url)
        return {"new": kinds.pop("new", set()), "changed": kinds.pop("updated", set()),
                **{f"other:{k}": v for k, v in kinds.items()}}, int(errors)

    def storage(self) -> int:
        return tree_bytes(self.var)


class Urlwatch:
    """urlwatch 2.29 from bench/.peers-venv: one job per page with a css filter, its own cache file."""

    name = "urlwatch"
    SUMMARY = re.compile(r"^\s*\d+\. (NEW|CHANGED|ERROR|UNCHANGED): (\S+)")

    def __init__(self, tmp: Path, site: NewsSite) -> None:
        self.dir = tmp / "urlwatch"
        (self.dir / "home").mkdir(parents=True)
        jobs = "---\n".join(f"url: {site.url(i)}\nfilter:\n  - css: \"{SCOPE}\"\n" for i in range(site.n))
        (self.dir / "urls.yaml").write_text(jobs, encoding="utf-8")
        (self.dir / "urlwatch.yaml").write_text(
            "display: {new: true, error: true, unchanged: false, empty-diff: false}\n"
            "report:\n  text: {details: true, footer: false, line_length: 75, minimal: false, separate: false}\n"
            "  stdout: {enabled: true, color: false}\n", encoding="utf-8")
        self.cache = self.dir / "cache.db"
        self.env = clean_env(HOME=str(self.dir / "home"), XDG_CONFIG_HOME=str(self.dir / "home" / ".config"),
                             XDG_CACHE_HOME=str(self.dir / "home" / ".cache"))

    def prepare(self) -> float:
        if not (PEERS / "bin" / "urlwatch").exists():
            raise SystemExit(f"urlwatch is not installed in {PEERS.relative_to(ROOT)}: run `make bench` "
                             f"(or: python3 -m venv {PEERS} && {PEERS}/bin/pip install urlwatch==2.29 lxml cssselect)")
        return 0.0

    def command(self) -> list[str]:
        return [str(PEERS / "bin" / "urlwatch"), "--urls", str(self.dir / "urls.yaml"), "--config",
                str(self.dir / "urlwatch.yaml"), "--hooks", str(self.dir / "hooks.py"), "--cache", str(self.cache)]

    def outcome(self, log: Path) -> tuple[dict[str, set[str]], int]:
        kinds: dict[str, set[str]] = {}
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if match := self.SUMMARY.match(line):
                kinds.setdefault(match[1], set()).add(match[2])
        errors = len(kinds.pop("ERROR", set()))
        return {"new": kinds.pop("NEW", set()), "changed": kinds.pop("CHANGED", set()),
                **{f"other:{k}": v for k, v in kinds.items()}}, errors

    def storage(self) -> int:
        return tree_bytes(*self.dir.glob("cache.db*"))


def run_system(system: Casewatch | Urlwatch, site: NewsSite) -> list[Cycle]:
    """Both cycles of one system, back to back, from a site reset to version 0."""
    site.reset()
    site.warm()
    system.prepare()
    truth_new = {site.url(i) for i in range(site.n)}
    cycles: list[Cycle] = []
    for number in (1, 2):
        if number == 2:
            truth = site.edit()
        site.log.clear()
        log = system.dir / f"cycle{number}.log"
        wall, cpu, rss, code = run_child(system.command(), env=system.env, cwd=system.dir, out=log)
        if code not in (0, 3):
            raise SystemExit(f"{system.name} cycle {number} failed ({code}):\n{log.read_text()[-3000:]}")
        kinds, errors = system.outcome(log)
        kind = "new" if number == 1 else "changed"
        others = sum(len(v) for k, v in kinds.items() if k != kind)
        cycles.append(Cycle(system.name, number, wall, cpu, rss, system.storage(), Counter(site.log), kinds[kind],
                            kind, truth_new if number == 1 else truth, os.getloadavg()[0], errors, others))
    return cycles


# ------------------------------------------------------------------------------------------ reporting
def machine() -> dict[str, str]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    peer_py = subprocess.run([str(PEERS / "bin" / "python"), "-V"], capture_output=True, text=True).stdout.strip()
    cw_py = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-V"], capture_output=True, text=True).stdout
    return {"nproc": str(os.cpu_count()), "cpu": model, "python": f"{cw_py.strip()} (casewatch), {peer_py} (urlwatch)",
            "commit": commit.strip() + (" (with uncommitted changes)" if dirty else ""),
            "kernel": platform.release()}


def mb(n: float) -> str:
    return f"{n / 1e6:.1f}"


def rows(cycles: list[Cycle], n: int) -> list[str]:
    out = ["| system | cycle | wall s | pages/s | CPU ms/page | peak RSS MB | storage MB | HTTP 200 / 304 "
           "| changes reported vs truth | load (1 min) |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for c in cycles:
        out.append(f"| {c.system} | {c.cycle} | {c.wall:.1f} | {n / c.wall:.0f} | {1000 * c.cpu / n:.2f} | "
                   f"{c.maxrss_kb / 1024:.0f} | {mb(c.storage)} | {c.statuses[200]} / {c.statuses[304]} | "
                   f"{c.verdict} | {c.load:.2f} |")
    return out


def ratios(cycles: list[Cycle], n: int) -> list[str]:
    by = {(c.system, c.cycle): c for c in cycles}
    if not all((s, k) in by for s in ("casewatch", "urlwatch") for k in (1, 2)):
        return []
    cw, uw = ({k: by[(s, k)] for k in (1, 2)} for s in ("casewatch", "urlwatch"))

    def line(what: str, a: float, b: float, fmt: str) -> str:
        return f"| {what} | {fmt.format(b)} | {fmt.format(a)} | **{a / b:.2f}×** |"

    return ["| | urlwatch 2.29 | casewatch | ratio |", "|---|---|---|---|",
            line("CPU ms per page, cycle 1 (all new)", 1000 * cw[1].cpu / n, 1000 * uw[1].cpu / n, "{:.2f}"),
            line("CPU ms per page, cycle 2 (10% edited)", 1000 * cw[2].cpu / n, 1000 * uw[2].cpu / n, "{:.2f}"),
            line("wall s, cycle 1", cw[1].wall, uw[1].wall, "{:.1f}"),
            line("wall s, cycle 2", cw[2].wall, uw[2].wall, "{:.1f}"),
            line("storage MB after two cycles", cw[2].storage / 1e6, uw[2].storage / 1e6, "{:.1f}"),
            line("peak RSS MB", max(c.maxrss_kb for c in cw.values()) / 1024,
                 max(c.maxrss_kb for c in uw.values()) / 1024, "{:.0f}")]


def profile(n: int, out: Path, *, sampler: bool) -> None:
    """One casewatch first cycle (fresh database, all pages new) under a profiler.

    cProfile (``sampler`` false): OUT gets the stats; prints the top 25 by cumulative time, then the
    top 25 of casewatch's own code. py-spy (``sampler`` true, from bench/.peers-venv): OUT gets the
    collapsed stacks sampled at 250 Hz with no tracing overhead; prints where the samples fall.
    """
    site = NewsSite(n)
    with tempfile.TemporaryDirectory(prefix="peers-") as tmp, SiteServer(site):
        system = Casewatch(Path(tmp), site)
        site.warm()
        system.prepare()
        cmd = system.command()
        if sampler:
            spy = PEERS / "bin" / "py-spy"
            if not spy.exists():
                raise SystemExit(f"py-spy is not installed: {PEERS}/bin/pip install py-spy")
            cmd = [str(spy), "record", "--format", "raw", "--rate", "250", "--output", str(out.resolve()),
                   "--", *cmd]
        else:  # python -m cProfile -o OUT -m casewatch ...: the profiler runs the module in the same process
            cmd[1:1] = ["-m", "cProfile", "-o", str(out.resolve())]
        wall, cpu, _, code = run_child(cmd, env=system.env, cwd=system.dir, out=system.dir / "profile.log")
        if code not in (0, 3):
            raise SystemExit(f"profiled crawl failed ({code}):\n{(system.dir / 'profile.log').read_text()[-3000:]}")
        kinds, errors = system.outcome(system.dir / "profile.log")
    print(f"profiled casewatch cycle 1, N={n}: wall {wall:.1f}s, CPU {cpu:.1f}s ({1000 * cpu / n:.1f} ms/page "
          f"under the profiler), {len(kinds['new'])} new, {errors} errors; {out}")
    print("\n".join(read_profile(out)))


def read_profile(path: Path) -> list[str]:
    """A saved profile as text: cProfile stats (top 25 cumulative, then the top 25 of casewatch's own
    code), or py-spy collapsed stacks (where the samples fall)."""
    import io
    import pstats

    if not path.read_bytes()[:64].isascii():  # cProfile's marshal file, not py-spy's text
        buf = io.StringIO()
        stats = pstats.Stats(str(path), stream=buf)
        stats.sort_stats("cumulative").print_stats(25)
        stats.print_stats(re.escape(str(ROOT)) + r"/(casewatch|crawler|pipeline|config)/", 25)
        return buf.getvalue().splitlines()
    return breakdown(path)


# Where a py-spy sample's time goes: the first rule with a marker on its stack. Imports first (a lazy
# import inside the classifier is import time), then from the most specific part of the pipeline to the
# least (a DB query made by the classifier counts as classification).
BUCKETS = (
    ("idle worker threads (waiting, no CPU)", ("Condition.wait (threading.py",)),
    ("imports", ("_find_and_load (<frozen importlib._bootstrap>",)),
    ("log records (Scrapy's per-item message: built, then redacted)", ("(casewatch/logs.py", "(config/redact.py",
                                                                         "(logging/__init__.py")),
    ("raw body storage (zlib, sha256, the Version row)", ("_version (pipeline/ingest.py",)),
    ("classification (relevance, milestones)", ("(pipeline/classify/",)),
    ("change detection (normalise, diff, summary)", ("(pipeline/detect/", "_summary (pipeline/ingest.py",
                                                      "added_text (pipeline/ingest.py")),
    ("DB writes and reads (SQLAlchemy, sqlite3)", ("(sqlalchemy/", "(pipeline/store/", "(sqlite3/")),
    ("extraction (scope, main text, dates)", ("(crawler/extract/", "page_item (crawler/spiders/base.py")),
    ("crawl engine (Scrapy, Twisted, HTTP, middlewares)", ("(scrapy/", "(twisted/", "(crawler/")),
)


def breakdown(collapsed: Path) -> list[str]:
    """Share of py-spy samples per bucket; the process's other work (config, logging, exit) is "other"."""
    counts: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        frames = re.sub(r"\((?:[^();]*?/site-packages/|" + re.escape(str(ROOT)) + "/)", "(", stack)
        bucket = next((name for name, marks in BUCKETS if any(m in frames for m in marks)), "other (config, "
                      "logging, start-up and exit outside imports)")
        counts[bucket] += int(count)
    return [f"| {name} | {count} | {count / max(total, 1):.1%} |" for name, count in counts.most_common()] + [
        f"| total samples | {total} | 100% |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", "-n", type=int, default=1000, help="article pages on the site (1000, 10000)")
    parser.add_argument("--runs", type=int, default=1, help="repeat both systems; the order alternates")
    parser.add_argument("--only", choices=("casewatch", "urlwatch"), help="run one system (no ratios)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to bench/RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (logs, databases)")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="instead: cProfile one casewatch first cycle into FILE and print the top 25")
    parser.add_argument("--sample", type=Path, metavar="FILE",
                        help="instead: py-spy one casewatch first cycle into FILE and print where the time goes")
    parser.add_argument("--read", type=Path, metavar="FILE", help="instead: print a profile saved by the above")
    ns = parser.parse_args()
    if ns.read:
        print("\n".join(read_profile(ns.read)))
        return
    if ns.profile or ns.sample:
        profile(ns.pages, ns.profile or ns.sample, sampler=ns.sample is not None)
        return
    info = machine()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"N={ns.pages}; {info['nproc']} × {info['cpu']}; {info['python']}; commit {info['commit']}")
    print(f"uptime: {uptime_before}")
    report: list[str] = []
    for run in range(ns.runs):
        order: list[type[Casewatch] | type[Urlwatch]] = [Urlwatch, Casewatch] if run % 2 == 0 else [Casewatch, Urlwatch]
        if ns.only:
            order = [s for s in order if s.name == ns.only]
        site = NewsSite(ns.pages)
        cycles: list[Cycle] = []
        tmp = Path(tempfile.mkdtemp(prefix="peers-"))
        try:
            with SiteServer(site):
                for kind in order:
                    system = kind(tmp, site)
                    print(f"run {run + 1}: {system.name} ...", flush=True)
                    cycles += run_system(system, site)
        finally:
            if ns.keep:
                print(f"kept {tmp}")
            else:
                shutil.rmtree(tmp)
        table = rows(cycles, ns.pages)
        print("\n".join(table))
        print("\n".join(ratios(cycles, ns.pages)))
        uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        report += [f"### N = {ns.pages}, run {run + 1} of {ns.runs} ({' then '.join(k.name for k in order)})", "",
                   *table, "", *ratios(cycles, ns.pages), "",
                   f"Load: before `{uptime_before}`; after `{uptime_after}`.", ""]
        uptime_before = uptime_after
    if not ns.no_record:
        head = [f"## {date} · N = {ns.pages} · commit {info['commit']}", "",
                f"Machine: nproc {info['nproc']}, {info['cpu']}, Linux {info['kernel']}; {info['python']}. "
                "Shared with other sessions' test runs: see the load lines.", ""]
        if not RESULTS.exists():
            RESULTS.write_text(RESULTS_HEADER, encoding="utf-8")
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write("\n".join(head + report) + "\n")
        print(f"appended to {RESULTS.relative_to(ROOT)}")


RESULTS_HEADER = """# casewatch beside urlwatch: measured figures

Appended by `make bench N=...` (bench/peers.py; its docstring says exactly what is measured). Each run
crawls the same loopback news site with both systems, one process per cycle, each system's two cycles
back to back: cycle 1 all pages new, cycle 2 exactly 10% edited inside `article#articulo` and the rest
answered 304. CPU is user + system of the cycle's process (wait4), per page = CPU / N; peak RSS is
that process's maximum; storage is every byte kept after the cycle (casewatch: its database with raw
bodies; urlwatch: its cache database). The machine is shared: compare ratios within one run, and
read the load line beside it.

What else to know when reading the figures:
- The site: 10-60 KB pages (34 KB on average), articles of Spanish prose from sentence templates with
  random names, places and figures (zlib packs a page to ~19%); every fifth article is about the
  Juliaca case. Conditional requests carry the weak ETag (both systems send If-None-Match).
- Each system runs with its own defaults except what the issue fixes: casewatch `download_delay: 0`
  (so 2 requests at a time per domain, AutoThrottle on), urlwatch its 10 worker threads. Wall time is
  therefore not a CPU comparison; on this machine it is mostly waiting: both systems commit every page
  durably and an fsync costs ~4 ms here, and other sessions' tests keep the load at 4-6 on 2 cores.
- Storage counts the files as left on disk (casewatch's SQLite WAL included). Peak RSS is the larger
  of the two cycles' maxima.

"""


if __name__ == "__main__":
    main()
