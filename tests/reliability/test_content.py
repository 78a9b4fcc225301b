"""Reliability catalogue, section B (bad content and encodings): no false changes, nothing garbled stored.

Real crawls (`casewatch crawl`, tests/support/crawl.py) of pages served by a local server with broken
charsets, byte-order marks, invalid bytes, a redesign, hostile XML and hostile selectors. Rows B5, B6
and B8 are in test_flapping.py, test_fetch_integrity.py and test_config_guard.py.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawl import crawl, last_run, stored, write_config
from tests.support.httpserver import LocalHTTPServer

TEXT = "La Fiscalía citó a declarar a los mandos policiales por las muertes en Juliaca, según señaló el fiscal."


def html(text: str = TEXT, *, head: str = "") -> str:
    return (f"<!doctype html><html><head>{head}<title>Citación</title></head>"
            f"<body><main><p>{text}</p></main></body></html>")


@pytest.fixture
def server() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer() as srv:
        yield srv


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'casewatch.db'}"


@pytest.mark.slow
def test_B1_unknown_charset_ignored(server: LocalHTTPServer, tmp_path: Path) -> None:
    """``charset=UNKNOWN`` on a UTF-8 page: the same text as the page served correctly, and no change
    when a later fetch of the same bytes carries the bad header."""
    body = html().encode("utf-8")
    server.set_route("/right", body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    server.set_route("/unknown", body=body, headers={"Content-Type": "text/html; charset=UNKNOWN"})
    db = _db(tmp_path)
    config = write_config(tmp_path, [{"id": "right", "urls": [server.url("/right")]},
                                     {"id": "unknown", "urls": [server.url("/unknown")]}])
    assert crawl(config, db).returncode == 0
    assert stored(db, server.url("/unknown")).versions == stored(db, server.url("/right")).versions == [TEXT]
    server.set_route("/right", body=body, headers={"Content-Type": "text/html; charset=UNKNOWN"})
    assert crawl(config, db).returncode == 0
    assert stored(db, server.url("/right")).changes == ["new"], "no spurious change"


CONFLICTS = {
    # name: (Content-Type charset, <meta charset>, encoding of the bytes)
    "latin1-header-utf8-body": ("iso-8859-1", "", "utf-8"),
    "utf8-header-latin1-body": ("utf-8", "", "latin-1"),
    "meta-disagrees-with-header": ("utf-8", "windows-1252", "utf-8"),
    "meta-only-shift-jis": ("", "shift_jis", "shift_jis"),
}


@pytest.mark.slow
def test_B2_conflicting_charsets_decode_deterministically(server: LocalHTTPServer, tmp_path: Path) -> None:
    """The same bytes give the same stored text (twice in one run, and again in the next run): the
    header wins over ``<meta>``, as in browsers; no flip-flop changes."""
    sources = []
    for name, (header, meta, encoding) in CONFLICTS.items():
        text = TEXT + (" 事件" if encoding == "shift_jis" else "")
        body = html(text, head=f'<meta charset="{meta}">' if meta else "").encode(encoding, "replace")
        content_type = f"text/html; charset={header}" if header else "text/html"
        for copy in ("a", "b"):
            server.set_route(f"/{name}/{copy}", body=body, headers={"Content-Type": content_type})
            sources.append({"id": f"{name}-{copy}", "urls": [server.url(f"/{name}/{copy}")]})
    db = _db(tmp_path)
    config = write_config(tmp_path, sources)
    assert crawl(config, db).returncode == 0
    texts = {}
    for name in CONFLICTS:
        a, b = (stored(db, server.url(f"/{name}/{copy}")).versions for copy in ("a", "b"))
        assert len(a) == 1 and a == b, (name, a, b)
        texts[name] = a[0]
    assert texts["latin1-header-utf8-body"].startswith("La FiscalÃ") and "citÃ³" in texts["latin1-header-utf8-body"]
    assert "Fiscal\ufffda" in texts["utf8-header-latin1-body"]
    assert texts["meta-disagrees-with-header"] == TEXT
    assert texts["meta-only-shift-jis"] == (TEXT + " 事件").encode("shift_jis", "replace").decode("shift_jis")
    assert crawl(config, db).returncode == 0
    for name in CONFLICTS:
        assert stored(db, server.url(f"/{name}/a")).changes == ["new"], name


BAD_BYTES = {
    # name: (body bytes, Content-Type, what the stored text must contain)
    "invalid-utf8": (html("Fiscal\xeda de Juliaca").encode("latin-1"), "text/html; charset=utf-8",
                     "Fiscal\ufffda de Juliaca"),
    "utf8-bom": (b"\xef\xbb\xbf" + html().encode("utf-8"), "text/html", TEXT),
    "utf16-bom": (html().encode("utf-16"), "text/html", TEXT),
    "surrogate-bytes": (html("Juliaca \xff").encode("latin-1").replace(b"\xff", b"\xed\xa0\x80"),
                        "text/html; charset=utf-8", "Juliaca \ufffd"),
    "surrogate-reference": (html("Juliaca &#xD800; fin").encode(), "text/html; charset=utf-8", "Juliaca"),
}


@pytest.mark.slow
def test_B3_invalid_bytes_boms_and_surrogates_stored_clean(db_url: str, server: LocalHTTPServer,
                                                          tmp_path: Path) -> None:
    """U+FFFD for what cannot be decoded, BOMs stripped, no surrogate reaches SQLite or PostgreSQL."""
    for name, (body, content_type, _) in BAD_BYTES.items():
        server.set_route(f"/{name}", body=body, headers={"Content-Type": content_type})
    feed = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><item>'
            f"<title>Juliaca &#xD800; fin</title><link>{server.url('/nota')}</link>"
            "<description>Fiscalía &#xDFFF; Juliaca</description></item></channel></rss>").encode()
    server.set_route("/feed", body=feed, headers={"Content-Type": "application/rss+xml"})
    feed_source = {"id": "feed", "spider": "feed", "follow": "never", "urls": [server.url("/feed")]}
    config = write_config(tmp_path, [*({"id": name, "urls": [server.url(f"/{name}")]} for name in BAD_BYTES),
                                     feed_source])
    result = crawl(config, db_url)
    assert result.returncode == 0, result.stderr
    for name, (_, _, expected) in BAD_BYTES.items():
        versions = stored(db_url, server.url(f"/{name}")).versions
        assert len(versions) == 1 and expected in versions[0], (name, versions)
        assert "\ufeff" not in versions[0], name
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in versions[0]), name
    from_feed = stored(db_url, server.url("/nota")).versions
    assert len(from_feed) == 1 and "Fiscal" in from_feed[0], from_feed
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in from_feed[0])


SCOPED = "<!doctype html><html><body><main><article class='nota'><p>{}</p></article></main></body></html>"
REDESIGN = "<!doctype html><html><body><main><section class='card'><p>Nuevo diseño.</p></section></main></body></html>"


@pytest.mark.slow
def test_B4_selector_matching_nothing_is_an_error_not_a_removal(server: LocalHTTPServer, tmp_path: Path) -> None:
    """A redesign the scope selector no longer matches: ERR naming the selector each run, the last good
    version kept (no ``removed``/``updated``), the maintainers alerted once after ``unhealthy_after``."""
    server.set_route("/nota", body=SCOPED.format(TEXT))
    db = _db(tmp_path)
    config = write_config(tmp_path, [{"id": "nota", "urls": [server.url("/nota")], "scope": "article.nota",
                                      "unhealthy_after": 2}])
    (config / "sources.yaml").write_text("maintainers: [mantenimiento@example.org]\n"
                                         + (config / "sources.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert crawl(config, db).returncode == 0
    server.set_route("/nota", body=REDESIGN)
    for run in (1, 2, 3):
        result = crawl(config, db)
        assert result.returncode == 3
        line = result.failure("nota")
        assert server.url("/nota") in line and "article.nota" in line and "structure changed" in line, line
        doc = stored(db, server.url("/nota"))
        assert (doc.versions, doc.changes, doc.state) == ([TEXT], ["new"], "active"), (run, doc)
    _, _, health, reason = last_run(db, "nota")
    assert health == "unhealthy" and reason and "article.nota" in reason
    outbox = tmp_path / "var" / "outbox"
    alerts = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox.glob("*.eml")]
    subjects = [str(m["Subject"]) for m in alerts if "mantenimiento@example.org" in str(m["To"])]
    assert len(subjects) == 1 and "nota" in subjects[0] and "unhealthy" in subjects[0], subjects


@pytest.mark.slow
def test_B7_feed_xml_entities_not_resolved(server: LocalHTTPServer, tmp_path: Path) -> None:
    """External entities (http and file) and a billion-laughs payload in feeds: no fetch, bounded memory."""
    external = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY web SYSTEM "{server.url('/xxe')}"><!ENTITY passwd SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><link>{server.base_url}</link>
<item><title>Juliaca &web; &passwd;</title><link>{server.url('/nota')}</link>
<description>Fiscalía &web; &passwd;</description></item></channel></rss>"""
    laughs = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f"""<?xml version="1.0"?><!DOCTYPE rss [{laughs}]>
<rss version="2.0"><channel><title>t</title><link>{server.base_url}</link>
<item><title>Risa &lol9;</title><link>{server.url('/nota2')}</link><description>&lol9;</description></item>
</channel></rss>"""
    server.set_route("/xxe", body="SECRETO-DEL-SERVIDOR")
    server.set_route("/external", body=external, headers={"Content-Type": "application/rss+xml"})
    server.set_route("/laughs", body=bomb, headers={"Content-Type": "application/rss+xml"})
    db = _db(tmp_path)
    config = write_config(tmp_path, [
        {"id": "external", "spider": "feed", "follow": "never", "urls": [server.url("/external")]},
        {"id": "laughs", "spider": "feed", "follow": "never", "urls": [server.url("/laughs")]}])
    result = crawl(config, db, timeout=60)
    assert "/xxe" not in server.requests, "an external entity was fetched"
    for url in (server.url("/nota"), server.url("/nota2")):
        for text in stored(db, url).versions:
            assert "root:" not in text and "SECRETO" not in text and "lollollol" not in text, text[:200]
    assert result.max_rss_mb < 500, f"memory not bounded: {result.max_rss_mb:.0f} MB"


HOSTILE_XPATHS = ("unparsed-text('/etc/passwd')", "document('/etc/passwd')//*", "doc('/etc/passwd')",
                  "json-doc('file:///etc/passwd')", "environment-variable('DATABASE_URL')")


@pytest.mark.slow
def test_B9_selectors_from_config_limited_to_xpath_1(server: LocalHTTPServer, tmp_path: Path) -> None:
    """Selectors are parsel CSS / XPath 1.0 (plus EXSLT ``re:`` and ``has-class``): file-, network- and
    environment-reading functions are unknown, refused before any fetch with one line naming the param.
    casewatch has no jq or JSON-path selectors."""
    server.set_route("/lista", body=html())
    sources = [{"id": f"x{i}", "spider": "listing", "urls": [server.url("/lista")],
                "params": {"item": f"xpath:{expr}", "link": "a::attr(href)"}} for i, expr in enumerate(HOSTILE_XPATHS)]
    config = write_config(tmp_path, sources)
    result = crawl(config, _db(tmp_path))
    assert result.returncode in (1, 3), result.stdout + result.stderr
    assert server.requests == [], "a source with a refused selector fetched something"
    output = result.stdout + result.stderr
    for i, expr in enumerate(HOSTILE_XPATHS):
        lines = [line for line in output.splitlines() if f"x{i}" in line and "params.item" in line]
        assert len(lines) == 1 and "Unregistered function" in lines[0] and expr.split("(")[0] in lines[0], output
