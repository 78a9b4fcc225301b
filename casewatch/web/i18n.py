"""The review page's language: which one a request gets, and its words, in Spanish (first) and English:
its readers (families, lawyers, Peruvian NGOs, journalists) read Spanish first, international observers
English. The words are data: the ``page`` table of the one catalogue the digests share
(textkit/catalogue.json), with milestone and change-kind names as the digests give them (``alerts.labels``).

The language of a request is chosen by ``negotiate``: ``?lang=es|en`` (remembered in the ``casewatch_lang``
cookie, SameSite=Lax, set by ``LanguageMiddleware``), else the cookie, else ``Accept-Language``, else
Spanish. Templates call ``t("key", name=value)``; a key missing from the catalogue raises
``MissingMessage`` (a bug, like ``StrictUndefined``), and tests/web/test_i18n.py checks that both
languages have the same keys. Phrases are plain text: the templates escape them, placeholders included,
so scraped values can be put into a phrase safely. Scraped content is never translated."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerts import labels
from textkit import catalogue
from textkit.catalogue import DEFAULT_LANGUAGE, LANGUAGES, language

COOKIE = "casewatch_lang"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60

MESSAGES = catalogue.phrases("page")


class MissingMessage(KeyError):
    """A phrase the catalogue lacks: a bug, so the page fails loudly instead of showing a key."""


def text(lang: str, key: str, **values: object) -> str:
    """The phrase ``key`` in ``lang`` with its placeholders filled (plain text: the caller escapes it)."""
    try:
        phrase = MESSAGES[language(lang)][key]
    except KeyError:
        raise MissingMessage(f"no {lang!r} message {key!r} in the page table of textkit/catalogue.json") from None
    return phrase.format(**values) if values else phrase


def word(lang: str, group: str, value: str | None) -> str:
    """A stored value (a review state, a run status...) as a word; values we have no word for show as
    themselves, so a new state in the database never breaks a page."""
    if not value:
        return ""
    return MESSAGES[language(lang)].get(f"{group}.{value}", value)


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)`` bound to one language, for the templates."""
    def t(key: str, **values: object) -> str:
        return text(lang, key, **values)
    return t


def kind_label(lang: str, kind: str) -> str:
    """A change kind as the digests name it (Nuevo/New...)."""
    return labels.kind_label(language(lang), kind)


def count_phrase(lang: str, kind: str, n: int) -> str:
    """'1 eliminado' / '2 eliminados' / '3 removed', agreeing in Spanish, as the digests' subject lines."""
    return labels.count_phrase(language(lang), kind, n)


def milestone_label(lang: str, type_: str, fallback: str = "") -> str:
    """A milestone as the digests name it."""
    return labels.milestone_label(language(lang), type_, fallback)


def accepted(header: str | None) -> str | None:
    """The first of our languages in an ``Accept-Language`` header, by q-value (ties: header order)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "")[:1000].split(",")):
        tag, *params = [part.strip() for part in item.split(";")]
        primary = tag.split("-")[0].lower()
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    """?lang, else the remembered choice, else the browser's preference, else Spanish."""
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    return accepted(accept_language) or DEFAULT_LANGUAGE


class LanguageMiddleware:
    """Puts the request's language in ``scope["state"]["lang"]`` and, when ``?lang=`` chose one on a page
    (not the JSON API, whose ``lang`` only names the labels of one answer), remembers it in a cookie.

    Choosing a language is a GET that sets a preference, like following a link; it changes no data.
    """

    def __init__(self, app: ASGIApp, *, https_only: bool = False):
        self.app = app
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except CookieError:  # a malformed Cookie header just means no remembered choice
            cookie = SimpleCookie()
        remembered = cookie[COOKIE].value if COOKIE in cookie else None
        chosen = query.get("lang")
        lang = negotiate(chosen, remembered, headers.get("accept-language"))
        scope.setdefault("state", {})["lang"] = lang
        remember = chosen in LANGUAGES and chosen != remembered and not scope.get("path", "").startswith("/api/")

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                secure = "; Secure" if self.https_only else ""
                out.append("set-cookie", f"{COOKIE}={chosen}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; "
                                         f"HttpOnly{secure}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)
