"""The review page speaks Spanish first and English too: both catalogues have the same phrases, every page
renders in both languages without a missing phrase, and the language follows ?lang (remembered in a
cookie), else the cookie, else Accept-Language, else Spanish. The JSON API keeps its own ?lang."""

from __future__ import annotations

import re
import string
from datetime import timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from starlette.testclient import TestClient

from alerts.digest import build_digests
from casewatch.app import App
from casewatch.web import i18n
from casewatch.web.i18n import COOKIE, MESSAGES, MissingMessage, accepted, negotiate, text
from pipeline.store.changes import get_change
from pipeline.store.outbox import get_digest
from pipeline.store.reviews import REVIEW_ACTIONS, REVIEW_STATES
from tests.web.conftest import T0, login, seed
from tests.web.test_security import _fill, _get_routes

WEB = Path(i18n.__file__).parent
# Words of the English interface that must not show on a Spanish page (scraped text here is Spanish).
ENGLISH_WORDS = re.compile(r"\b(the|and|of|by|with|changes?|review|reviewed|pending|sources?|log in|log out)\b",
                           re.IGNORECASE)
# What a page shows as stored: scraped titles, texts, diffs, hashes and URLs, config names, digests' subjects.
SCRAPED = ("h1, .title, .summary, section.diff, table.sbs, pre, table.sources td:first-child, ul.latest a, "
           "ol.timeline ul, .hash, dd.url, .reviews blockquote, table.outbox td:nth-of-type(5), "
           "select[name=source], select[name=source_kind], select[name=case], link")


def _h1(response: object) -> str:
    return BeautifulSoup(response.text, "html.parser").select_one("h1").get_text()  # type: ignore[attr-defined]


def _lang(response: object) -> str:
    return BeautifulSoup(response.text, "html.parser").html["lang"]  # type: ignore[attr-defined]


def _placeholders(phrase: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(phrase) if name}


def test_both_catalogues_have_the_same_phrases() -> None:
    assert set(MESSAGES) == {"es", "en"}
    assert sorted(MESSAGES["es"]) == sorted(MESSAGES["en"])
    for key in MESSAGES["es"]:
        es, en = MESSAGES["es"][key], MESSAGES["en"][key]
        assert es.strip() and en.strip(), key
        assert _placeholders(es) == _placeholders(en), key


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    """Keys named literally in templates and in casewatch/web/*.py, rendered or not by the other tests."""
    named: set[str] = set()
    for template in (WEB / "templates").glob("*.j2"):
        named |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", template.read_text(encoding="utf-8")))
    code = "\n".join(p.read_text(encoding="utf-8") for p in WEB.glob("*.py") if p.name != "i18n.py")
    named |= set(re.findall(r"""(?:\btext\([^,()]+,\s*|Refusal\(\d+,\s*|refuse\(request,\s*\d+,\s*|BadQuery\()"""
                            r"""["']([\w.]+)["']""", code))
    named |= {f"done_{action}" for action in REVIEW_ACTIONS}  # the flash after a review
    named |= {f"review.{state}" for state in REVIEW_STATES} | {f"action.{a}" for a in REVIEW_ACTIONS}
    assert len(named) > 100, named
    for lang in ("es", "en"):
        assert named - set(MESSAGES[lang]) == set(), lang


def test_a_missing_phrase_fails_loudly(cw: App, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingMessage):
        text("es", "no-such-phrase")
    monkeypatch.delitem(MESSAGES["es"], "dashboard")
    with pytest.raises(MissingMessage, match="dashboard"):
        client.get("/?lang=es")
    assert _h1(client.get("/?lang=en")) == "Dashboard"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_page_renders_in_both_languages(cw: App, client: TestClient, lang: str) -> None:
    s = seed(cw)
    built = build_digests(cw.db, cw.config, now=T0 + timedelta(days=4), base_url="http://testserver")
    with cw.db.read() as session:
        change = get_change(session, s.updated)
        assert change is not None and change.to_version is not None
        version_id = change.to_version.id
        digest = get_digest(session, built[0].digest_id or 0)
        assert digest is not None and digest.unsubscribe_url
    values = {"change_id": str(s.updated), "document_id": str(s.document), "version_id": str(version_id),
              "digest_id": str(built[0].digest_id), "case_id": "juliaca-2023",
              "token": digest.unsubscribe_url.rsplit("/", 1)[-1]}
    csrf = login(client)  # the reviewer's view: the review form, the outbox
    client.post(f"/changes/{s.new}/review", data={"action": "reviewed", "note": "ok", "csrf_token": csrf})
    urls = [_fill(template, values) for template, _ in _get_routes(client.app)
            if not template.startswith(("/static", "/api/"))]
    urls += [f"/changes/{s.new}", f"/changes/{s.updated}?view=side", "/changes?per_page=1&page=2",
             "/changes?from=yesterday", "/changes/999999", "/no-such-page", f"/versions/{version_id}/raw"]
    pages = 0
    for url in urls:
        response = client.get(url, headers={"accept-language": lang})
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        if not response.headers["content-type"].startswith("text/html"):
            continue
        pages += 1
        soup = BeautifulSoup(response.text, "html.parser")
        assert soup.html["lang"] == lang, url
        for scraped in soup.select(SCRAPED):
            scraped.decompose()  # scraped, stored and config text is never translated
        shown = soup.get_text(" ") + " " + " ".join(str(el.get(a)) for a in ("placeholder", "title", "aria-label")
                                                    for el in soup.find_all(attrs={a: True}))
        other = "en" if lang == "es" else "es"
        for key, phrase in MESSAGES[other].items():  # no phrase of the other language slipped in
            if not _placeholders(phrase) and len(phrase) >= 6 and phrase != MESSAGES[lang][key]:
                assert not re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", shown), (url, key)
        if lang == "es":
            assert ENGLISH_WORDS.findall(shown) == [], url
    assert pages >= 14


@pytest.mark.slow
def test_the_language_follows_lang_then_the_cookie_then_accept_language(cw: App) -> None:
    from casewatch.web.app import create_app
    from tests.web.conftest import auth_config

    app = create_app(cw, auth=auth_config())
    fresh = TestClient(app)
    # Nothing asked: Spanish.
    page = fresh.get("/")
    assert _lang(page) == "es" and _h1(page) == "Panel" and "set-cookie" not in page.headers
    assert "Registro de cambios" in page.text and "Change log" not in page.text
    # Accept-Language, q-values respected; an unknown language is skipped.
    for header, expected in (("en-US,en;q=0.9", "en"), ("fr-FR, en;q=0.5", "en"), ("en;q=0.3, es-PE;q=0.8", "es"),
                             ("es-PE", "es"), ("de, fr", "es"), ("en;q=0", "es"), ("*", "es")):
        response = fresh.get("/changes", headers={"accept-language": header})
        assert _lang(response) == expected, header
        assert _h1(response) == ("Change log" if expected == "en" else "Registro de cambios"), header
    # ?lang chooses and is remembered: a cookie, SameSite=Lax, for the whole site.
    chosen = fresh.get("/changes?lang=en", headers={"accept-language": "es"})
    assert _h1(chosen) == "Change log"
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=en;") and "SameSite=Lax" in cookie and "Path=/" in cookie
    remembered = fresh.get("/timeline", headers={"accept-language": "es"})  # the cookie beats the header
    assert _lang(remembered) == "en" and _h1(remembered) == "Case timeline"
    assert "set-cookie" not in remembered.headers
    back = fresh.get("/?lang=es")
    assert _h1(back) == "Panel" and back.headers["set-cookie"].startswith(f"{COOKIE}=es;")
    assert _h1(fresh.get("/")) == "Panel"
    assert _h1(fresh.get("/?lang=xx", headers={"accept-language": "en"})) == "Panel"  # an unknown ?lang: ignored
    # Error pages and flash messages too.
    missing = TestClient(app, headers={"accept-language": "en"}).get("/changes/999999")
    assert missing.status_code == 404 and "No change with id 999999." in missing.text
    assert "No hay ningún cambio con id 999999." in TestClient(app).get("/changes/999999").text
    assert "Esa página no existe." in TestClient(app).get("/nada").text


def test_the_switch_keeps_the_query_string(cw: App, client: TestClient) -> None:
    soup = BeautifulSoup(client.get("/changes?kind=updated&q=fiscal%C3%ADa&lang=en").text, "html.parser")
    links = {a["hreflang"]: a for a in soup.select("header .langs a")}
    assert links["es"]["href"] == "?kind=updated&q=fiscal%C3%ADa&lang=es"
    assert links["en"]["href"] == "?kind=updated&q=fiscal%C3%ADa&lang=en"
    assert links["en"].get("aria-current") == "true" and links["es"].get("aria-current") is None
    assert [a.get_text() for a in soup.select("header .langs a")] == ["ES", "EN"]


def test_the_api_keeps_its_lang_and_the_feed_follows_lang(cw: App, client: TestClient) -> None:
    seed(cw)
    english = {"cookie": f"{COOKIE}=en", "accept-language": "en"}
    fresh = TestClient(client.app)
    spanish = fresh.get("/api/timeline/juliaca-2023", headers=english)
    assert spanish.json() == fresh.get("/api/timeline/juliaca-2023?lang=es").json()  # the API's default: es
    asked = fresh.get("/api/timeline/juliaca-2023?lang=en")
    assert asked.json() != spanish.json() and "set-cookie" not in asked.headers
    assert fresh.get("/api/timeline?lang=fr").status_code == 400
    assert fresh.get("/api/changes/999999", headers=english).json() == {"error": "no change with id 999999"}
    assert fresh.get("/api/changes?from=x").json() == {"error": "from: expected a date like 2026-11-27, got 'x'"}
    feed = fresh.get("/cases/juliaca-2023/feed.atom", headers=english).text
    assert "Cambios relevantes" in feed and "Formalized" not in feed and 'xml:lang="es"' in feed
    feed_en = fresh.get("/cases/juliaca-2023/feed.atom?lang=en").text
    assert "Relevant changes in the sources" in feed_en and 'xml:lang="en"' in feed_en
    assert 'label="Formal investigation"' in feed_en and 'label="Investigación preparatoria formalizada"' in feed


def test_accept_language_parsing() -> None:
    assert accepted("es-PE,es;q=0.9,en;q=0.8") == "es"
    assert accepted("en-GB;q=0.8, es;q=0.7") == "en"
    assert accepted("pt-BR, EN;q=0.2") == "en"
    assert accepted("en;q=abc, es;q=0.1") == "es"
    assert accepted("") is None and accepted(None) is None and accepted("fr") is None
    assert accepted("es;q=0.5, en;q=0.5") == "es"  # a tie: the header's order
    assert negotiate("en", "es", "es") == "en" and negotiate(None, "en", "es") == "en"
    assert negotiate("xx", None, None) == "es" and negotiate(None, "xx", "en-US") == "en"


@pytest.mark.slow
def test_source_kinds_are_named_in_the_readers_language(cw: App, client: TestClient) -> None:
    """Source kinds are words in the reader's language (the filter lists the configured sources' kinds)."""
    from config.schema import SourceKind

    seed(cw)
    for lang, prosecutor in (("es", "fiscalía"), ("en", "prosecutor")):
        page = BeautifulSoup(client.get(f"/changes?lang={lang}").text, "html.parser")
        options = {o["value"]: o.get_text() for o in page.select("select[name=source_kind] option") if o["value"]}
        assert options["prosecutor"] == prosecutor
        assert f"<td>{prosecutor}</td>" in client.get(f"/?lang={lang}").text  # the seeded MPFN source
    for lang in ("es", "en"):  # every kind a config may use has its word
        assert all(f"source_kind.{k}" in MESSAGES[lang] for k in SourceKind.__args__)  # type: ignore[attr-defined]
