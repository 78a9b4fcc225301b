"""One event crawled from a loopback replica is one entry.

The prosecutor's release (gob.pe JSON listing and article page), the same formalization in two outlets'
feeds (one link carrying ``?ref=`` tracking), a third outlet only through a Google News result whose link
redirects to the article, Google News results for an article already stored (resolved to the same URL,
and one that cannot be resolved but has the outlet's headline), and an unrelated story of the same day
(the Congress archiving a complaint). Real `casewatch crawl` in a child process; then the story, the
timeline and the digest are read back.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alerts import labels
from alerts.digest import build_digests
from config.schema import load_config
from pipeline.store.outbox import all_digests
from pipeline.store.session import Database
from tests.support.cli import run_cli
from tests.support.crawl import crawl, stored, write_config
from tests.support.httpserver import LocalHTTPServer

PUBLISHED = "Tue, 01 Dec 2026 14:00:00 +0000"  # the day after the formalization (Monday 30 November)
EVENT_DAY = "2026-11-30"
CASE_NUMBER = "023-2023"

RELEASE_PATH = ("/institucion/mpfn/noticias/1301234-fiscalia-formaliza-investigacion-preparatoria-contra-cuatro-"
                "mandos-policiales-por-muertes-en-juliaca")
RELEASE_TITLE = "Fiscalía formaliza investigación preparatoria contra cuatro mandos policiales por muertes en Juliaca"
RELEASE_TEXT = [
    "El Equipo Especial de Fiscales para casos con víctimas durante las protestas sociales (EFICAVIP) formalizó el "
    "30 de noviembre de 2026 la investigación preparatoria contra cuatro mandos de la Policía Nacional del Perú, "
    "entre ellos Julio Santos Mauricio Contreras y Alberto Miguel Rojas Méndez, por las muertes ocurridas el 9 de "
    "enero de 2023 en las inmediaciones del aeropuerto Inca Manco Cápac de Juliaca.",
    f"La disposición, emitida en la carpeta fiscal {CASE_NUMBER}, comprende los delitos de homicidio calificado y "
    "lesiones graves en agravio de 18 civiles fallecidos y más de un centenar de heridos, y fue comunicada al "
    "Juzgado de Investigación Preparatoria de San Román.",
    "La investigación preparatoria tendrá un plazo de 36 meses, en los que se actuarán pericias balísticas y las "
    "declaraciones de testigos y agraviados.",
]

LAREPUBLICA = ("/larepublica/politica/2026/12/01/masacre-de-juliaca-fiscalia-formaliza-investigacion-contra-"
               "cuatro-policias",
               "Masacre de Juliaca: Fiscalía formaliza investigación contra cuatro jefes policiales",
               ["La Fiscalía formalizó ayer investigación preparatoria contra cuatro jefes de la Policía Nacional por "
                "la masacre de Juliaca del 9 de enero de 2023, en la que murieron 18 civiles cerca del aeropuerto Inca "
                "Manco Cápac. Entre los investigados figuran el general Julio Santos Mauricio Contreras y el coronel "
                "Alberto Miguel Rojas Méndez.",
                f"Según la disposición del EFICAVIP (carpeta fiscal {CASE_NUMBER}), los mandos deberán responder por "
                "homicidio calificado y lesiones graves. El plazo de la investigación es de 36 meses.",
                "Los familiares de las víctimas saludaron la decisión, pero recordaron que esperan desde hace casi "
                "cuatro años."])
ELCOMERCIO = ("/elcomercio/politica/justicia/juliaca-cuatro-mandos-policiales-investigados-por-homicidio-calificado",
              "Juliaca: cuatro mandos policiales pasan a investigación preparatoria por homicidio calificado",
              ["El Ministerio Público formalizó este lunes la investigación preparatoria contra cuatro mandos "
               "policiales por las 18 muertes del 9 de enero de 2023 en Juliaca, Puno. La medida alcanza a Julio "
               "Santos Mauricio Contreras y Alberto Miguel Rojas Méndez, entre otros oficiales.",
               f"La carpeta fiscal {CASE_NUMBER} está a cargo del EFICAVIP, que investigará durante 36 meses los "
               "delitos de homicidio calificado y lesiones graves ocurridos en las inmediaciones del aeropuerto.",
               "La defensa de los policías anunció que apelará la disposición."])
INFOBAE = ("/infobae/peru/2026/12/01/fiscalia-formaliza-investigacion-contra-policias-por-la-masacre-de-juliaca/",
           "Perú: Fiscalía formaliza investigación contra policías por la masacre de Juliaca",
           ["La Fiscalía de Perú formalizó el 30 de noviembre la investigación preparatoria contra cuatro mandos "
            "policiales por la muerte de 18 civiles durante las protestas del 9 de enero de 2023 en Juliaca, en el "
            "sur del país. Los investigados, entre ellos Julio Santos Mauricio Contreras y Alberto Miguel Rojas "
            "Méndez, deberán responder por homicidio calificado.",
            f"El caso, registrado en la carpeta fiscal {CASE_NUMBER}, es conducido por el EFICAVIP, equipo especial "
            "creado para las muertes en las protestas contra el gobierno de Dina Boluarte. La investigación "
            "preparatoria durará 36 meses."])
ARCHIVING = ("/larepublica/politica/2026/12/01/congreso-archiva-denuncia-constitucional-contra-dina-boluarte",
             "Congreso archiva denuncia constitucional contra Dina Boluarte por la masacre de Juliaca",
             ["El Pleno del Congreso archivó este lunes la denuncia constitucional contra la expresidenta Dina "
              "Boluarte por las muertes del 9 de enero de 2023 en Juliaca, con 61 votos a favor del informe de la "
              "Subcomisión de Acusaciones Constitucionales.",
              "La denuncia, presentada por la Fiscalía de la Nación en 2024, la acusaba de homicidio calificado. "
              "Las bancadas de izquierda anunciaron que acudirán a instancias internacionales."])
GOOGLE_ID = "AU_yqLNvTzM4b2dvMWZ0ZXN0LWluZm9iYWU"  # new-style id: no URL inside, only the redirect tells
GOOGLE_JS_ID = "AU_yqLOjsOnlyRedirectPage"  # answers Google's JavaScript page: cannot be resolved
TRACKED = "?ref=ecr&utm_source=rss&utm_medium=feed"


def _page(base: str, title: str, paragraphs: list[str], *, gobpe: bool = False) -> bytes:
    """An article page; gob.pe's structure for the release, a news page otherwise."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    if gobpe:
        main = (f'<main id="main"><article class="max-w-3xl"><p class="text-sm font-bold uppercase">Nota de prensa</p>'
                f'<h1 class="text-3xl">{title}</h1><p class="text-sm text-gray-700 mt-4"><time datetime='
                f'"2026-12-01T09:00:00">1 de diciembre de 2026 - 9:00 a. m.</time></p>'
                f'<div class="mt-6 leading-relaxed">{body}</div></article></main>')
    else:
        main = (f'<main><article><h1>{title}</h1><time datetime="2026-12-01T09:00:00-05:00">1 dic 2026</time>'
                f"{body}</article></main>")
    return (f'<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:title" content="{title}"></head><body><header><a href="{base}/">Inicio</a></header>'
            f"{main}<footer>Todos los derechos reservados</footer></body></html>").encode()


def _rss(base: str, channel: str, items: list[tuple[str, str, str]]) -> bytes:
    """(link path, title, description) items, published the day after the event."""
    entries = "".join(f"<item><title>{t}</title><link>{base}{link}</link><description>{d}</description>"
                      f"<pubDate>{PUBLISHED}</pubDate></item>" for link, t, d in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{channel}</title>'
            f"<link>{base}/</link>{entries}</channel></rss>").encode()


def _google(base: str, results: list[tuple[str, str, str, str]]) -> bytes:
    """A Google News search answer: (article id, headline, outlet, outlet home) results."""
    items = "".join(
        f"<item><title>{title} - {outlet}</title><link>{base}/rss/articles/{gid}?oc=5</link>"
        f'<guid isPermaLink="false">{gid}</guid><pubDate>{PUBLISHED}</pubDate>'
        f"<description>&lt;a href=\"{base}/rss/articles/{gid}?oc=5\" target=\"_blank\"&gt;{title}&lt;/a&gt;"
        f"&amp;nbsp;&amp;nbsp;&lt;font color=\"#6f6f6f\"&gt;{outlet}&lt;/font&gt;</description>"
        f'<source url="{home}">{outlet}</source></item>' for gid, title, outlet, home in results)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel><generator>NFE/5.0</generator>'
            '<title>"Juliaca" - Google Noticias</title><language>es-419</language>'
            f"{items}</channel></rss>").encode()


def _site(srv: LocalHTTPServer) -> None:
    base = srv.base_url
    listing = [{"title": RELEASE_TITLE, "description": RELEASE_TEXT[0][:160] + "...", "url": base + RELEASE_PATH,
                "image": "", "date": "1 de diciembre de 2026"}]
    srv.set_route("/institucion/mpfn/noticias.json", body=json.dumps(listing, ensure_ascii=False),
                  headers={"Content-Type": "application/json; charset=utf-8"})
    srv.set_route(RELEASE_PATH, body=_page(base, RELEASE_TITLE, RELEASE_TEXT, gobpe=True))
    for path, title, paragraphs in (LAREPUBLICA, ELCOMERCIO, INFOBAE, ARCHIVING):
        srv.set_route(path, body=_page(base, title, paragraphs))
    srv.set_route("/larepublica/rss.xml", body=_rss(base, "La República", [
        (LAREPUBLICA[0], LAREPUBLICA[1], LAREPUBLICA[2][0]), (ARCHIVING[0], ARCHIVING[1], ARCHIVING[2][0])]),
        headers={"Content-Type": "application/rss+xml"})
    srv.set_route("/elcomercio/rss.xml", body=_rss(base, "El Comercio", [
        (ELCOMERCIO[0] + TRACKED.replace("&", "&amp;"), ELCOMERCIO[1], ELCOMERCIO[2][0])]),
        headers={"Content-Type": "application/rss+xml"})
    # Google News: the third outlet's article behind a redirect; La República's article again (same URL once
    # resolved); El Comercio's behind a link that only answers Google's JavaScript page (its headline matches).
    srv.set_route("/rss/search", body=_google(base, [
        (GOOGLE_ID, INFOBAE[1], "Infobae", "https://www.infobae.com"),
        ("CBMiLaRepublicaRedirect", LAREPUBLICA[1], "La República", "https://larepublica.pe"),
        (GOOGLE_JS_ID, ELCOMERCIO[1], "El Comercio Perú", "https://elcomercio.pe"),
    ]), headers={"Content-Type": "application/xml; charset=UTF-8"})
    srv.set_route(f"/rss/articles/{GOOGLE_ID}", status=302, headers={"Location": base + INFOBAE[0] + "?ref=gnews"})
    srv.set_route("/rss/articles/CBMiLaRepublicaRedirect", status=302,
                  headers={"Location": base + LAREPUBLICA[0] + "?utm_source=googlenews"})
    srv.set_route(f"/rss/articles/{GOOGLE_JS_ID}",
                  body="<html><body><script>window.location.replace('/x')</script>Cargando…</body></html>")


def _config(tmp: Path, base: str) -> Path:
    config = write_config(tmp, [
        {"id": "mpfn", "name": "Ministerio Público", "kind": "prosecutor", "spider": "gobpe",
         "urls": [f"{base}/institucion/mpfn/noticias.json"]},
        {"id": "larepublica", "name": "La República", "spider": "feed", "follow": "always",
         "urls": [f"{base}/larepublica/rss.xml"]},
        {"id": "elcomercio", "name": "El Comercio", "spider": "feed", "follow": "always",
         "urls": [f"{base}/elcomercio/rss.xml"]},
        {"id": "gnews", "name": "Google Noticias", "kind": "aggregator", "spider": "googlenews",
         "urls": [f"{base}/rss/search"], "params": {"query": '"Juliaca"'}},
    ])
    (config / "subscribers.yaml").write_text(
        "subscribers:\n  - {email: familias@example.org, name: Familias, language: es, cases: [juliaca-2023],"
        " frequency: daily}\n", encoding="utf-8")
    return config


def _cli(config: Path, db_url: str, *args: str) -> Any:
    result = run_cli("--config", str(config), "--db", db_url, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _urls(body: str) -> list[str]:
    """Every link target a reader can follow: href values in HTML, bare http(s) URLs in text."""
    hrefs = re.findall(r'href="([^"]+)"', body)
    return hrefs if hrefs else re.findall(r"https?://[^\s<>\"')]+", body)


@pytest.mark.slow
def test_one_event_is_one_story_one_step_one_digest_entry(db_url: str, tmp_path: Path) -> None:
    with LocalHTTPServer() as srv:
        _site(srv)
        config = _config(tmp_path, srv.base_url)
        assert run_cli("--config", str(config), "--db", db_url, "init").returncode == 0
        first = crawl(config, db_url, "mpfn", "larepublica", "elcomercio")
        assert first.returncode == 0, first.stderr
        second = crawl(config, db_url, "gnews")  # Google News comes later than the outlets it aggregates
        assert second.returncode == 0, second.stderr
        assert f"/rss/articles/{GOOGLE_ID}" in [r.split("?")[0] for r in srv.requests]

    base = srv.base_url
    changes = _cli(config, db_url, "changes", "--json")
    by_url = {c["url"]: c for c in changes}
    # Every URL is the publisher's canonical one, stored once: no tracking, no Google link, no duplicate.
    assert len(by_url) == len(changes) == 5, sorted(by_url)
    assert set(by_url) == {base + RELEASE_PATH, base + LAREPUBLICA[0], base + ELCOMERCIO[0], base + INFOBAE[0],
                           base + ARCHIVING[0]}
    infobae = by_url[base + INFOBAE[0]]
    assert infobae["source"] == "gnews" and infobae["title"] == INFOBAE[1]
    assert INFOBAE[2][1] in stored(db_url, base + INFOBAE[0]).versions[0]  # the article itself, not the headline

    # One story with four sources; the archiving of the same day is its own story.
    story = by_url[base + RELEASE_PATH]["story"]
    assert story["size"] == 4 and sorted(story["sources"]) == ["elcomercio", "gnews", "larepublica", "mpfn"]
    assert all(by_url[base + p]["story"]["id"] == story["id"] for p in (LAREPUBLICA[0], ELCOMERCIO[0], INFOBAE[0]))
    archiving = by_url[base + ARCHIVING[0]]
    assert archiving["story"]["id"] != story["id"] and archiving["story"]["size"] == 1

    # Each report dates the step from its own words, against its publication day (1 December): "el 30 de
    # noviembre de 2026", "ayer", "este lunes", "el 30 de noviembre".
    for path in (RELEASE_PATH, LAREPUBLICA[0], ELCOMERCIO[0], INFOBAE[0]):
        [primary] = [m for m in by_url[base + path]["milestones"] if m["primary"]]
        assert (primary["type"], primary["status"], primary["date"]) == ("formal_investigation", "taken", EVENT_DAY)
    # One timeline entry for the formalization, dated by the text (not the publication day), four sources.
    timeline = _cli(config, db_url, "timeline", "--case", "juliaca-2023", "--json")["entries"]
    formal = [e for e in timeline if e["type"] == "formal_investigation"]
    assert len(formal) == 1, timeline
    [step] = formal
    assert (step["date"], step["date_known"], step["status"]) == (EVENT_DAY, True, "taken")
    assert sorted(s["source_id"] for s in step["sources"]) == ["elcomercio", "gnews", "larepublica", "mpfn"]
    assert {"kind": "carpeta_fiscal", "value": CASE_NUMBER} in step["identifiers"]
    assert [e["type"] for e in timeline if e["type"] == "archived"] == ["archived"]

    # The digest: the event once, led by the release, the outlets as "también lo informaron"; no URL twice.
    db = Database(db_url)
    try:
        [built] = build_digests(db, load_config(config), now=datetime.now(UTC), base_url="https://casewatch.example")
        assert built.changes == 5
        with db.read() as s:
            digest = all_digests(s)[0]
            text, html = digest.text_body, digest.html_body
    finally:
        db.dispose()
    also = labels.text("es", "also_reported")
    for body in (text, html):
        titles = [RELEASE_TITLE, LAREPUBLICA[1], ELCOMERCIO[1], INFOBAE[1]]
        assert sum(body.count(t) for t in titles) == 1 and body.count(RELEASE_TITLE) == 1, body
        assert body.count(also) == 1
        section = body[body.index(RELEASE_TITLE):]
        section = section[:section.index(also) + 3000]
        assert all(name in section for name in ("La República", "El Comercio", "Infobae")), section
        assert ARCHIVING[1] in body
        repeated = [u for u, n in Counter(_urls(body)).items() if n > 1]
        assert repeated == [], repeated
        for path in (RELEASE_PATH, LAREPUBLICA[0], ELCOMERCIO[0], INFOBAE[0]):
            assert base + path in _urls(body), path
        assert "?ref=" not in body and "utm_" not in body and "/rss/articles/" not in body
