"""Who may act on the review page, and proof that a request to act comes from our own form.

Secrets come only from the environment:

- ``CASEWATCH_REVIEWERS``: comma-separated ``name:token`` pairs; a token may be given hashed as
  ``name:sha256:<64 hex digits>`` (the SHA-256 of the token) so the plain token lives nowhere on the
  server. Plain tokens must have at least 12 characters. Without reviewers every action is refused and
  the page says how to configure them; reading stays public (except the outbox: it names recipients).
- ``CASEWATCH_SECRET_KEY``: signs the session cookie. When unset a random key is made per process and a
  warning says that logins end at every restart.

A login is the form at ``/login`` (name + token); the session is a signed cookie (HttpOnly,
SameSite=Strict, Secure when ``CASEWATCH_BASE_URL`` is https) that expires after 12 hours. It remembers
a stamp of the reviewer's token: changing or removing a reviewer's token ends their sessions.
Tokens are compared as SHA-256 digests with ``hmac.compare_digest``, every configured reviewer checked.

CSRF: a synchronizer token per session (also for anonymous sessions, so the login form is protected),
put in every form as ``csrf_token`` (or sent as ``X-CSRF-Token``), and compared in constant time on
every state-changing request. Those requests must also come from our own host: an ``Origin`` (or, without
it, a ``Referer``) naming another host is refused; ``Origin: null`` too. Every POST/PUT/PATCH/DELETE
endpoint is wrapped by ``action`` (``create_app`` refuses to start if one is not), which checks, in
order: same origin, CSRF token, then the reviewer's login.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from threading import Lock
from typing import Protocol
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from casewatch.app import UserError

log = logging.getLogger(__name__)

SESSION_COOKIE = "casewatch_session"
SESSION_MAX_AGE = 12 * 60 * 60
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_TOKEN_CHARS = 12
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_BYTES = 64 * 1024  # a note of 2,000 characters and a token fit many times over
NO_REVIEWERS = "no_reviewers"  # the catalogue key (casewatch/web/i18n.py) of "no reviewers are configured..."
LOGIN_FAILURES_ALLOWED = 5  # per client address and window; then logins are refused until it ends
LOGIN_FAILURE_WINDOW = 600.0
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_HASHED = re.compile(r"sha256:([0-9a-fA-F]{64})")


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


@dataclass(frozen=True)
class Reviewer:
    name: str
    digest: bytes  # SHA-256 of the token


@dataclass
class AuthConfig:
    """Reviewers and the session key; ``from_env`` is the only place they are read."""

    reviewers: dict[str, Reviewer]
    secret_key: str
    secret_from_env: bool = True
    https_only: bool = False
    _failures: dict[str, list[float]] = field(default_factory=dict, repr=False)
    _lock: Lock = field(default_factory=Lock, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, base_url: str = "") -> AuthConfig:
        reviewers = parse_reviewers(environ.get("CASEWATCH_REVIEWERS", ""))
        key = environ.get("CASEWATCH_SECRET_KEY", "").strip()
        from_env = bool(key)
        if not key:
            key = secrets.token_urlsafe(32)
            log.warning("CASEWATCH_SECRET_KEY is not set: using a random key, so logins end when casewatch "
                        "serve restarts")
        elif len(key) < 16:
            raise UserError("CASEWATCH_SECRET_KEY: use at least 16 random characters")
        return cls(reviewers, key, from_env, https_only=base_url.lower().startswith("https://"))

    @property
    def configured(self) -> bool:
        return bool(self.reviewers)

    def authenticate(self, name: str, token: str) -> Reviewer | None:
        """The reviewer with this name and token; every entry is compared, in constant time."""
        given_name, given = name.strip().encode("utf-8"), token_digest(token)
        found = None
        for reviewer in self.reviewers.values():
            name_ok = hmac.compare_digest(reviewer.name.encode("utf-8"), given_name)
            token_ok = hmac.compare_digest(reviewer.digest, given)
            if name_ok and token_ok:
                found = reviewer
        return found

    def stamp(self, reviewer: Reviewer) -> str:
        """Ties a session to the reviewer's current token: a new token ends old sessions."""
        return hmac.new(self.secret_key.encode(), reviewer.name.encode() + reviewer.digest, "sha256").hexdigest()[:32]

    def throttled(self, client: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(client, []) if now - t < LOGIN_FAILURE_WINDOW]
            self._failures[client] = recent
            return len(recent) >= LOGIN_FAILURES_ALLOWED

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures.setdefault(client, []).append(time.monotonic())


def parse_reviewers(value: str) -> dict[str, Reviewer]:
    """``ana:token,luis:sha256:<hex>`` -> reviewers; a malformed entry is a one-line error naming it."""
    reviewers: dict[str, Reviewer] = {}
    for position, raw in enumerate((part.strip() for part in value.split(",")), start=1):
        if not raw:
            continue
        name, sep, secret = raw.partition(":")
        where = f"CASEWATCH_REVIEWERS entry {position}"
        if not sep or not _NAME.fullmatch(name):
            raise UserError(f"{where}: expected name:token with a name of letters, digits, . _ @ -")
        if name in reviewers:
            raise UserError(f"{where}: reviewer {name!r} is listed twice")
        if m := _HASHED.fullmatch(secret):
            digest = bytes.fromhex(m.group(1))
        elif len(secret) < MIN_TOKEN_CHARS:
            raise UserError(f"{where} ({name}): the token is too short, use at least {MIN_TOKEN_CHARS} random "
                            "characters (or sha256:<hex> of one)")
        else:
            digest = token_digest(secret)
        reviewers[name] = Reviewer(name, digest)
    return reviewers


# ------------------------------------------------------------------------------ sessions


def csrf_token(request: Request) -> str:
    """This session's synchronizer token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def current_reviewer(request: Request) -> str | None:
    """The logged-in reviewer's name, if the session is still valid for their current token."""
    auth: AuthConfig = request.app.state.auth
    name, stamp = request.session.get("reviewer"), request.session.get("stamp")
    if not isinstance(name, str) or not isinstance(stamp, str):
        return None
    reviewer = auth.reviewers.get(name)
    if reviewer is None or not hmac.compare_digest(auth.stamp(reviewer), stamp):
        return None
    return name


def log_in(request: Request, reviewer: Reviewer) -> None:
    """A fresh session for the reviewer (new CSRF token: nothing from before the login carries over)."""
    auth: AuthConfig = request.app.state.auth
    request.session.clear()
    request.session.update({"reviewer": reviewer.name, "stamp": auth.stamp(reviewer),
                            "csrf": secrets.token_urlsafe(32)})


def log_out(request: Request) -> None:
    request.session.clear()


def same_origin(request: Request) -> bool:
    """Origin (else Referer) names this host; neither header: the CSRF token alone decides."""
    host = (request.headers.get("host") or "").lower()
    origin = request.headers.get("origin")
    if origin is not None:
        if origin.strip().lower() == "null":
            return False
        return _netloc(origin) == host
    referer = request.headers.get("referer")
    if referer is not None:
        return _netloc(referer) == host
    return True


def _netloc(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.netloc else None


def valid_csrf(request: Request, given: str | None) -> bool:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


# ------------------------------------------------------------------------------ protected actions

Handler = Callable[[Request, FormData, str | None], Awaitable[Response]]


class Refuse(Protocol):
    """``Web.refuse``: an error page (or JSON) from a catalogue key, in the reader's language."""

    def __call__(self, request: Request, status: int, key: str, **values: object) -> Response: ...


PROTECTED = "casewatch_protected"


def action(refuse: Refuse, *, login: bool = True) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a state-changing endpoint: same origin, a valid CSRF token, and (``login``) a reviewer.

    ``login=False`` only for the login form itself, whose handler checks the credentials.
    """
    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            if not same_origin(request):
                return refuse(request, 403, "err_foreign_origin")
            length = request.headers.get("content-length", "")
            if not length.isdigit() or int(length) > MAX_FORM_BYTES:  # bounded before anything is parsed
                return refuse(request, 413, "err_form_size", max=MAX_FORM_BYTES)
            form = await request.form(max_files=0, max_fields=20, max_part_size=64 * 1024)
            given = form.get(CSRF_FIELD)
            token = given if isinstance(given, str) else request.headers.get(CSRF_HEADER)
            if not valid_csrf(request, token):
                return refuse(request, 403, "err_csrf")
            reviewer = None
            if login:
                auth: AuthConfig = request.app.state.auth
                if not auth.configured:
                    return refuse(request, 403, NO_REVIEWERS)
                reviewer = current_reviewer(request)
                if reviewer is None:
                    return refuse(request, 401, "err_log_in")
            return await handler(request, form, reviewer)

        setattr(endpoint, PROTECTED, True)
        return endpoint

    return wrap


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to after logging in (never another site: no scheme, no //host)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return default
    return target


EXEMPT = "casewatch_exempt"
Endpoint = Callable[[Request], Awaitable[Response]]


def exempt(reason: str) -> Callable[[Endpoint], Endpoint]:
    """Let a state-changing endpoint skip ``action`` (origin, CSRF, login), explicitly and with a reason.

    Only for requests that by their nature come from elsewhere and carry their own proof, such as the
    one-click unsubscribe POST a mail provider sends (RFC 8058) with a signed token in its URL.
    ``create_app`` accepts such a route only with a non-empty reason.
    """
    if not reason.strip():
        raise ValueError("an exemption from CSRF and login needs a reason")

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, EXEMPT, reason)
        return endpoint

    return mark
