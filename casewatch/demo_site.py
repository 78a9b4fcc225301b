"""A small local replica of the kinds of sites casewatch watches, in two states (before / after).

Served on 127.0.0.1 by the demo and by end-to-end tests: a news outlet's RSS feed whose items link to
article pages, two prosecutor-style press releases with a visit counter and a "hace N horas" line
outside the main content, and an NGO statement page.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from casewatch.localsite import LocalSite, Route

LAYOUT = """<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:title" content="{title}"></head>
<body>
<header><nav><a href="/">Inicio</a> · <a href="/noticias/">Noticias</a> ·
<a href="/contacto/">Contacto</a></nav></header>
<main><article>
<h1>{title}</h1>
<p class="fecha"><time datetime="{date}">{date}</time></p>
{body}
</article></main>
<aside class="lo-mas-leido"><h2>Lo más leído</h2><ul>{most_read}</ul></aside>
<footer><p class="visitas">Visitas: {visits}</p><p class="hace">Actualizado hace {hours} horas</p>
<p>© Réplica local para la demostración de casewatch</p></footer>
</body></html>"""


def page(title: str, paragraphs: list[str], *, date: str, visits: int = 100, hours: int = 2,
         most_read: tuple[str, ...] = ("Clima en Puno", "Resultados del fútbol")) -> bytes:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    items = "".join(f"<li>{escape(m)}</li>" for m in most_read)
    return LAYOUT.format(title=escape(title), body=body, date=date, visits=visits, hours=hours,
                         most_read=items).encode("utf-8")


def rss(base: str, items: list[dict[str, str]]) -> bytes:
    entries = "".join(
        f"""<item><title>{escape(i['title'])}</title><link>{base}{i['path']}</link>
<guid isPermaLink="true">{base}{i['path']}</guid><pubDate>{i['date']}</pubDate>
<description>{escape(i['dek'])}</description></item>"""
        for i in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Noticias del Sur (réplica)</title><link>{base}/noticias/</link>
<description>Réplica local de un diario regional</description>{entries}</channel></rss>""".encode()


ARTICLES = {
    "/noticias/fiscalia-amplia-investigacion-juliaca/": dict(
        title="Fiscalía amplía por ocho meses la investigación por las muertes en Juliaca",
        date="Mon, 16 Nov 2026 10:00:00 -0500",
        dek="La carpeta fiscal 023-2023 sigue abierta casi cuatro años después de la masacre de Juliaca.",
        paragraphs=[
            "La Fiscalía Especializada en Derechos Humanos amplió por ocho meses la investigación preparatoria "
            "por las muertes de 18 civiles ocurridas el 9 de enero de 2023 en los alrededores del aeropuerto "
            "Inca Manco Cápac de Juliaca.",
            "Los familiares de las víctimas, agrupados en la Asociación de Mártires y Víctimas del 9 de Enero, "
            "cuestionaron la demora y pidieron que se identifique a los responsables.",
        ]),
    "/noticias/congreso-mesa-directiva/": dict(
        title="Congreso aprueba cambios en el reglamento de la Mesa Directiva",
        date="Mon, 16 Nov 2026 12:00:00 -0500",
        dek="El Pleno aprobó la modificación con 70 votos a favor.",
        paragraphs=["El Pleno del Congreso aprobó cambios en el reglamento para la elección de la Mesa "
                    "Directiva. La votación obtuvo 70 votos a favor y 20 en contra."]),
    "/noticias/acusacion-mandos-policiales-juliaca/": dict(
        title="Fiscalía presenta acusación contra mandos policiales por la masacre de Juliaca",
        date="Thu, 26 Nov 2026 09:30:00 -0500",
        dek="El requerimiento acusatorio comprende a los jefes del operativo del 9 de enero de 2023.",
        paragraphs=[
            "El Ministerio Público presentó acusación fiscal contra cuatro mandos de la Policía Nacional por "
            "homicidio calificado en agravio de las 18 víctimas de la masacre de Juliaca.",
            "Entre los agraviados figuran Marco Antonio Samillán Sanga y Jhamileth Aroquipa Hancco. La "
            "audiencia de control de acusación aún no tiene fecha.",
        ]),
    "/noticias/heladas-juliaca/": dict(
        title="Heladas: Juliaca registrará temperaturas bajo cero este fin de semana",
        date="Thu, 26 Nov 2026 07:00:00 -0500",
        dek="El Senamhi recomienda abrigarse en las zonas altas de Puno.",
        paragraphs=["El Senamhi informó que Juliaca y otras ciudades de Puno registrarán temperaturas de hasta "
                    "-8 °C. Se recomienda a la población abrigarse y proteger a los niños."]),
    "/noticias/seleccion-peruana/": dict(
        title="Selección peruana convoca a tres jugadores del fútbol regional",
        date="Thu, 26 Nov 2026 08:00:00 -0500",
        dek="Entre ellos, un volante de un club de Juliaca.",
        paragraphs=["El comando técnico de la selección convocó a tres futbolistas del torneo regional, entre "
                    "ellos un volante de un club de Juliaca, para los amistosos de diciembre."]),
}

MPFN_1 = "/institucion/mpfn/noticias/1001-fiscalia-formaliza-investigacion-por-muertes-en-juliaca"
MPFN_2 = "/institucion/mpfn/noticias/1002-equipo-especial-recibe-pericias-balisticas"
NGO = "/pronunciamientos/juliaca-exigimos-justicia"

MPFN_1_BEFORE = [
    "La Fiscalía Penal Supraprovincial Especializada en Derechos Humanos de Puno formalizó la investigación "
    "preparatoria contra seis efectivos policiales por las muertes ocurridas el 9 de enero de 2023 en Juliaca.",
    "La disposición fiscal se emitió dentro de la carpeta fiscal 023-2023.",
]
MPFN_1_AFTER = [
    "La Fiscalía Penal Supraprovincial Especializada en Derechos Humanos de Puno formalizó la investigación "
    "preparatoria contra nueve efectivos policiales por las muertes ocurridas el 9 de enero de 2023 en Juliaca.",
    "La disposición fiscal se emitió dentro de la carpeta fiscal 023-2023.",
    "El juzgado de investigación preparatoria programó la audiencia para el 15 de diciembre de 2026.",
]


def routes(base: str, state: int) -> dict[str, Route]:
    """All paths of the replica in state 1 (before) or 2 (after the sites changed)."""
    html = "text/html; charset=utf-8"
    feed_paths = ["/noticias/fiscalia-amplia-investigacion-juliaca/", "/noticias/congreso-mesa-directiva/"]
    if state == 2:
        feed_paths = ["/noticias/acusacion-mandos-policiales-juliaca/", "/noticias/heladas-juliaca/",
                      "/noticias/seleccion-peruana/", *feed_paths]
    out: dict[str, Route] = {
        "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /admin/\n"),
        "/noticias/feed/": (200, "application/rss+xml; charset=utf-8",
                            rss(base, [{"path": p, **ARTICLES[p]} for p in feed_paths])),
    }
    for path in feed_paths:
        a: dict[str, Any] = ARTICLES[path]
        out[path] = (200, html, page(a["title"], a["paragraphs"], date=a["date"], visits=50 * state))
    out[MPFN_1] = (200, html, page(
        "Fiscalía formaliza investigación por muertes en Juliaca",
        MPFN_1_BEFORE if state == 1 else MPFN_1_AFTER, date="2026-11-10T09:00:00",
        visits=1523 if state == 1 else 1611, hours=2 if state == 1 else 5))
    if state == 1:
        out[MPFN_2] = (200, html, page(
            "Equipo especial recibe pericias balísticas del caso Juliaca",
            ["El equipo especial de fiscales recibió las pericias balísticas y los protocolos de necropsia de "
             "las víctimas del 9 de enero de 2023 en Juliaca, informó el Ministerio Público."],
            date="2026-11-05T15:00:00", visits=800))
    out[NGO] = (200, html, page(
        "Juliaca: exigimos justicia a casi cuatro años",
        ["Las organizaciones de derechos humanos acompañamos a los deudos de la masacre de Juliaca y exigimos que "
         "la investigación fiscal avance y que se sancione a los responsables de las ejecuciones extrajudiciales."],
        date="2026-11-01T08:00:00", visits=300 * state, hours=state))
    return out


class ReplicaSite(LocalSite):
    """The replica on 127.0.0.1 (random free port); ``switch(2)`` makes the sites change."""

    def __init__(self, *, etags: bool = True) -> None:
        super().__init__(etags=etags)
        self.switch(1)

    def switch(self, state: int) -> None:
        self.routes = routes(self.base, state)


def sources_yaml(base: str) -> str:
    """The demo's sources.yaml: three sources on the replica (loopback explicitly allowed)."""
    return f"""# Demo sources: a local replica on 127.0.0.1 (allow_private lets casewatch fetch loopback).
sources:
  - id: noticias-del-sur
    name: Noticias del Sur (réplica)
    kind: news
    spider: feed
    urls: ["{base}/noticias/feed/"]
    schedule: 30m
    follow: auto
    allow_private: true
    download_delay: 0.1  # our own replica: no need to wait
    ignore:
      selectors: [".lo-mas-leido", "footer"]
  - id: fiscalia
    name: Ministerio Público (réplica)
    kind: prosecutor
    spider: page
    urls: ["{base}{MPFN_1}", "{base}{MPFN_2}"]
    schedule: 2h
    scope: main
    allow_private: true
    download_delay: 0.1  # our own replica: no need to wait
  - id: ong-ddhh
    name: Coordinadora de DDHH (réplica)
    kind: ngo
    spider: page
    urls: ["{base}{NGO}"]
    schedule: 2h
    scope: article
    allow_private: true
    download_delay: 0.1  # our own replica: no need to wait
    ignore:
      patterns: ['Visitas: \\d+', 'hace \\d+ horas']
"""


SUBSCRIBERS_YAML = """subscribers:
  - email: familias@example.org
    name: Asociación de familias (demo)
    language: es
    cases: [juliaca-2023]
    frequency: daily
"""
