"""What every endpoint of the review page shares: the ``Web`` object (App, templates, auth), the template
environment, refusals in the reader's language and the language switch.

Apart from ``casewatch.web.app`` so that the route modules (pages, api, feeds, unsubscribe) import it while
``create_app`` imports them: no cycle between the app and its routes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from alerts.display import safe_href
from alerts.labels import MILESTONE_LABELS
from alerts.render import TEMPLATES_DIR as ALERTS_TEMPLATES
from alerts.worddiff import diff_lines, diff_rows
from casewatch.app import App
from casewatch.web.auth import AuthConfig, csrf_token, current_reviewer
from casewatch.web.i18n import count_phrase, kind_label, language, milestone_label, text, translator, word
from casewatch.web.views import lima
from config.redact import redact

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

def environment() -> Environment:
    """Autoescaped for everything (``default=True``), our templates first, then alerts' (the diff macro)."""
    env = Environment(
        loader=FileSystemLoader([TEMPLATES, ALERTS_TEMPLATES]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["diff_lines"] = diff_lines
    env.filters["diff_rows"] = diff_rows
    env.filters["lima"] = lima
    env.filters["redact"] = redact  # run errors and outbox errors may quote a URL with credentials
    env.globals["safe_href"] = safe_href
    return env


class Refusal(HTTPException):
    """An HTTP error whose message is a catalogue key: the page shows it in the reader's language, the
    JSON API in English (its messages are English)."""

    def __init__(self, status: int, key: str, **values: object):
        super().__init__(status, text("en", key, **values))
        self.key = key
        self.values = values


# Errors Starlette raises itself (unknown URL, wrong method): a page in the reader's language.
STATUS_KEYS = {404: "err_not_found", 405: "err_method"}


def request_language(request: Request) -> str:
    """The language ``LanguageMiddleware`` chose for this request."""
    return language(getattr(request.state, "lang", None))


def switch_links(request: Request, current: str) -> list[dict[str, Any]]:
    """ES · EN links to this very page (the query string kept, ``lang`` replaced): query-only relative
    URLs, so the path, whatever a visitor typed, is never written into the link."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return [{"lang": lang, "href": "?" + urlencode([*kept, ("lang", lang)]), "current": lang == current}
            for lang in ("es", "en")]


class Web:
    """What every endpoint needs: the App (config, database), the templates and the auth settings."""

    def __init__(self, app: App, auth: AuthConfig):
        self.app = app
        self.auth = auth
        self.templates = Jinja2Templates(env=environment())

    @property
    def base_url(self) -> str:
        """Where the page is served (``CASEWATCH_BASE_URL``), for the absolute links feeds and the API give:
        never the request's Host header, which the client chooses."""
        return self.app.settings.base_url.rstrip("/")

    @property
    def case_names(self) -> dict[str, str]:
        return {cid: case.name for cid, case in self.app.config.cases.items()}

    def render(self, request: Request, template: str, context: Mapping[str, Any], status: int = 200) -> Response:
        """A page with the layout's context: who is logged in, the CSRF token, the configured cases, and the
        reader's language with its phrases (``t``) and labels."""
        lang = request_language(request)
        full = {
            "lang": lang,
            "t": translator(lang),
            "word": lambda group, value: word(lang, group, value),
            "kind_label": lambda kind: kind_label(lang, kind),
            "count_phrase": lambda kind, n: count_phrase(lang, kind, n),
            "milestone_label": lambda type_, label="": milestone_label(lang, type_, label),
            "lang_links": switch_links(request, lang),
            "reviewer": current_reviewer(request),
            "csrf_token": lambda: csrf_token(request),  # made on first use: only pages with a form set a cookie
            "auth_configured": self.auth.configured,
            "cases": self.case_names,
            "milestone_types": list(MILESTONE_LABELS["en"]),
            "path": request.url.path,
            "flash": request.session.pop("flash", None),
            **context,
        }
        return self.templates.TemplateResponse(request, template, full, status_code=status,
                                               headers={"cache-control": "no-store",
                                                        "vary": "Accept-Language, Cookie"})

    def refuse(self, request: Request, status: int, key: str, **values: object) -> Response:
        """An error (a catalogue key) as JSON for the API, in English, else as a page in the reader's
        language (nothing of the request is echoed unescaped)."""
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": text("en", key, **values)}, status_code=status)
        message = text(request_language(request), key, **values)
        return self.render(request, "error.html.j2", {"status": status, "message": message}, status)


