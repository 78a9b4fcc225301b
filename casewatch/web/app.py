"""The review page as an ASGI app: ``create_app(App)`` builds it; ``casewatch serve`` runs it with uvicorn.

Server-rendered Jinja2, no JavaScript at all: every page works with forms and links. Scraped text is
hostile, so templates are autoescaped (``StrictUndefined``: a missing value is a bug, not an empty string),
links to scraped URLs are made only for http(s) (``alerts.display.safe_href``, the digests' rule), and every
response carries a Content-Security-Policy without any script source (``script-src 'none'``), so even
markup that slipped through could not run. Inline ``style`` attributes are allowed (``style-src 'self'
'unsafe-inline'``): the diff macro shared with the emails (``alerts/templates/macros/diff.html.j2``) is
styled that way, and a style attribute cannot run code. The loader searches this package's templates,
then alerts' (for that macro).

Every word of the page is Spanish first, English too (``casewatch.web.i18n``): ``LanguageMiddleware`` picks
the request's language (``?lang``, remembered in a cookie; else that cookie; else ``Accept-Language``; else
Spanish) and ``Web.render`` gives templates ``t("key")`` and the digests' milestone and change-kind labels.

Route table: pages (``casewatch.web.pages``), JSON API (``casewatch.web.api``), Atom feeds
(``casewatch.web.feeds``), ``/static``. Every POST/PUT/PATCH/DELETE endpoint must be wrapped by
``casewatch.web.auth.action`` (login + CSRF); ``create_app`` refuses to build an app where one is not.
The one exception is explicit: an endpoint marked ``auth.exempt(reason)``, only the RFC 8058 one-click
unsubscribe POST (``casewatch.web.unsubscribe``), whose signed token is its proof.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casewatch.app import App
from casewatch.baseurl import loopback_host
from casewatch.web.auth import (
    EXEMPT,
    PROTECTED,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    UNSAFE_METHODS,
    AuthConfig,
)
from casewatch.web.context import (
    STATIC,
    STATUS_KEYS,
    Refusal,
    Web,
    request_language,
)
from casewatch.web.i18n import (
    LanguageMiddleware,
    text,
)
from config.settings import read_settings

SECURITY_HEADERS = {
    "content-security-policy": ("default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """Adds the security headers to every response (pages, API, feeds, static files, errors)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(app: App, *, auth: AuthConfig | None = None) -> Starlette:
    """The review page for ``app``'s database and config; ``auth`` defaults to the environment's."""
    from casewatch.web import api, feeds, pages, unsubscribe

    auth = auth if auth is not None else AuthConfig.from_settings(read_settings(), base_url=app.settings.base_url)
    app.db  # noqa: B018 - migrate and sync before serving (and before threads race for the cached property)
    web = Web(app, auth)
    routes: list[BaseRoute] = [
        *pages.routes(web),
        *api.routes(web),
        *feeds.routes(web),
        *unsubscribe.routes(web),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    check_protected(routes)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if isinstance(exc, Refusal):
            return web.refuse(request, exc.status_code, exc.key, **exc.values)
        if request.url.path.startswith("/api/"):  # the API's own messages, as they always were
            return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)
        message = text(request_language(request), STATUS_KEYS.get(exc.status_code, "err_generic"))
        return web.render(request, "error.html.j2", {"status": exc.status_code, "message": message},
                          exc.status_code)

    starlette = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(LanguageMiddleware, https_only=auth.https_only),
            Middleware(SessionMiddleware, secret_key=auth.secret_key, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_MAX_AGE, same_site="strict", https_only=auth.https_only),
        ],
        exception_handlers={HTTPException: http_error},
    )
    # No redirect from /path/ to /path: Starlette would build it from the Host header.
    starlette.router.redirect_slashes = False
    starlette.state.auth = auth
    starlette.state.web = web
    return starlette


def serve_refusal(host: str, auth: AuthConfig) -> str | None:
    """Why ``casewatch serve`` must not listen on ``host``: off loopback, only with reviewers and a session
    key (fail closed, catalogue row G8); None when it may."""
    if loopback_host(host) or (auth.configured and auth.secret_from_env):
        return None
    missing = [name for name, ok in (("CASEWATCH_REVIEWERS", auth.configured),
                                     ("CASEWATCH_SECRET_KEY", auth.secret_from_env)) if not ok]
    return (f"refusing to serve on {host}, a non-loopback address, without {' and '.join(missing)} set "
            "(set them, or serve on 127.0.0.1)")


def serve_warnings(host: str, auth: AuthConfig) -> list[str]:
    """What ``casewatch serve`` should tell the operator before listening on ``host``."""
    if not auth.configured:
        return ["review actions are disabled until CASEWATCH_REVIEWERS=name:token is set"]
    if not auth.secret_from_env:
        return ["CASEWATCH_SECRET_KEY is not set: using a random key, so logins end when casewatch serve restarts"]
    return []


def check_protected(routes: list[BaseRoute]) -> None:
    """Every state-changing endpoint goes through ``auth.action`` or is ``auth.exempt`` with a reason;
    anything else is a programming error."""
    for route in routes:
        if isinstance(route, Route) and (route.methods or set()) & UNSAFE_METHODS:
            if not getattr(route.endpoint, PROTECTED, False) and not getattr(route.endpoint, EXEMPT, ""):
                raise RuntimeError(f"{route.path}: state-changing route without casewatch.web.auth.action")
