"""``/unsubscribe/{token}``: the link in the footer and the List-Unsubscribe header of every email.

GET shows what the link does and a button; it never changes anything (mail scanners and link previews
fetch links). POST unsubscribes: the button's, or the one-click POST a mail provider sends for
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058). That POST comes from the provider's
servers without a session, a CSRF token or a login, so this one route is exempt from ``auth.action``
explicitly (``auth.exempt``, with the reason below): the signed token in the URL (``alerts.unsubscribe``)
is the proof, and it can only unsubscribe the one address it was made for. The body is not read. A
malformed, forged or outdated token is a 404 and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from alerts.unsubscribe import subscriber_for
from casewatch.web.auth import exempt
from casewatch.web.context import Web
from pipeline.store.subscribers import is_unsubscribed, unsubscribe

log = logging.getLogger(__name__)

EXEMPTION = ("RFC 8058 one-click unsubscribe: mail providers POST without a session, CSRF token or login; "
             "the signed per-subscriber token in the URL authorises exactly one opt-out")
PAGE = "unsubscribe.html.j2"


def masked(email: str) -> str:
    """``a…@example.org``: enough to recognise one's address, not to read it off a leaked link."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


def routes(web: Web) -> list[Route]:
    def page(request: Request) -> Response:
        """What the link does, and the button; reads only."""
        with web.app.db.read() as session:
            sub = subscriber_for(session, request.path_params["token"])
            if sub is None:
                return web.refuse(request, 404, "err_unsub_link")
            email, already = sub.email, is_unsubscribed(session, sub.id)
        return web.render(request, PAGE, {"email": masked(email), "already": already, "done": False})

    @exempt(EXEMPTION)
    async def confirm(request: Request) -> Response:
        """Record the opt-out (again is fine: the same page)."""
        token = request.path_params["token"]

        def record() -> str | None:
            with web.app.db.write() as session:
                sub = subscriber_for(session, token)
                if sub is None:
                    return None
                if unsubscribe(session, sub.id, datetime.now(UTC)):
                    log.info("subscriber %d unsubscribed through their link", sub.id)
                return sub.email

        email = await run_in_threadpool(record)
        if email is None:
            return web.refuse(request, 404, "err_unsub_link")
        return web.render(request, PAGE, {"email": masked(email), "already": False, "done": True})

    return [Route("/unsubscribe/{token}", page, methods=["GET"], name="unsubscribe"),
            Route("/unsubscribe/{token}", confirm, methods=["POST"], name="unsubscribe_post")]
