"""The deterministic local news site both systems of bench/peers.py crawl: N article pages of 10-60 KB
with validators and 304s, a visit counter outside the article, and a control that edits an exact fraction."""

from __future__ import annotations

import email.utils
import html
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from casewatch.localsite import LoopbackServer

SCOPE = "article#articulo"  # the element both systems compare
EDIT_FRACTION = 0.10  # of the pages edited between the two cycles

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
