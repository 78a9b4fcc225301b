"""Who may act on the review page, and proof that a request to act comes from our own form.

Secrets come only from the environment:

- ``CASEWATCH_REVIEWERS``: comma-separated ``name:token`` pairs; a token may be given hashed as
  ``name:sha256:<64 hex digits>`` (the SHA-256 of the token) so the plain token lives nowhere on the
  server. Plain tokens must have at least 12 characters. Without reviewers every action is refused and
  the page says how to configure them; reading stays public (except the outbox: it names recipients).
- ``CASEWATCH_SECRET_KEY``: signs the session cookie. When unset a random key is made per process and
  ``casewatch serve`` warns that logins end at every restart (and refuses a non-loopback address).
- ``CASEWATCH_TRUSTED_PROXIES``: reverse proxies whose ``X-Forwarded-For`` names the client
  (``casewatch.web.clients``); otherwise the header is ignored.

A login is the form at ``/login`` (name + token); the session is a signed cookie (HttpOnly,
SameSite=Strict, Secure when ``CASEWATCH_BASE_URL`` is https). It carries the time of the login and ends
12 hours after it whatever the activity (the cookie is re-signed on every response, so its own age proves
nothing). It remembers a stamp of the reviewer's token: changing or removing a reviewer's token ends their
sessions. Logging out records the time in the database (the store's ``marks``, ``logout:<name digest>``),
which ends every session of that reviewer made before it: a copy of the cookie taken earlier is refused.
Tokens are compared as SHA-256 digests with ``hmac.compare_digest``, every configured reviewer checked;
failed logins are throttled (``casewatch.web.throttle``) without ever refusing the right token.

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
from datetime import UTC, datetime
from functools import wraps
from typing import Protocol
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from casewatch.app import UserError
from casewatch.web.clients import Network, client_address, parse_proxies
from casewatch.web.throttle import LoginThrottle
from config.settings import Settings
from pipeline.store.marks import get_mark, set_mark

log = logging.getLogger(__name__)

SESSION_COOKIE = "casewatch_session"
SESSION_MAX_AGE = 12 * 60 * 60  # from the login, not from the last request
CLOCK_SKEW = 300.0  # a login "from the future" by more than this is a forged or foreign cookie
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_TOKEN_CHARS = 12
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_BYTES = 64 * 1024  # a note of 2,000 characters and a token fit many times over
NO_REVIEWERS = "no_reviewers"  # its key in textkit/catalogue.json (page) for "no reviewers are configured..."
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
    trusted_proxies: tuple[Network, ...] = ()
    clock: Callable[[], float] = time.time  # seconds since the epoch; tests pass their own
    throttle: LoginThrottle = field(default_factory=LoginThrottle, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, base_url: str = "",
                 clock: Callable[[], float] = time.time) -> AuthConfig:
        reviewers = parse_reviewers(environ.get("CASEWATCH_REVIEWERS", ""))
        proxies = parse_proxies(environ.get("CASEWATCH_TRUSTED_PROXIES", ""))
        key = environ.get("CASEWATCH_SECRET_KEY", "").strip()
        from_env = bool(key)
        if not key:
            key = secrets.token_urlsafe(32)
        elif len(key) < 16:
            raise UserError("CASEWATCH_SECRET_KEY: use at least 16 random characters")
        return cls(reviewers, key, from_env, https_only=base_url.lower().startswith("https://"),
                   trusted_proxies=proxies, clock=clock)

    @classmethod
    def from_settings(cls, settings: Settings, *, base_url: str = "",
                      clock: Callable[[], float] = time.time) -> AuthConfig:
        """The same, from the operator's settings (config.settings: CASEWATCH_REVIEWERS and the others)."""
        key = settings.secret_key.get_secret_value() if settings.secret_key is not None else ""
        return cls.from_env({"CASEWATCH_REVIEWERS": settings.reviewers.get_secret_value(),
                             "CASEWATCH_TRUSTED_PROXIES": settings.trusted_proxies, "CASEWATCH_SECRET_KEY": key},
                            base_url=base_url, clock=clock)

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

    def client(self, request: Request) -> str:
        """The request's client address (through ``trusted_proxies`` only)."""
        peer = request.client.host if request.client else None
        return client_address(peer, request.headers.getlist("x-forwarded-for"), self.trusted_proxies)

    def login_failed(self, name: str, client: str) -> int:
        """Count a failed login; the seconds the client should wait (0: within the allowance)."""
        known = name.strip() if name.strip() in self.reviewers else "?"  # invented names share one count
        delay = self.throttle.failed((f"name:{known}", f"client:{client}"), self.clock())
        if delay:  # an unknown name is not logged: it may be a token typed in the wrong field
            who = f"reviewer {known!r}" if known != "?" else "an unknown reviewer name"
            log.warning("failed login for %s from %s: throttled, retry after %ss", who, client, delay)
        return delay


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


def logout_mark(name: str) -> str:
    """The ``marks`` row holding a reviewer's last logout (a digest: names may be longer than the key)."""
    return "logout:" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:40]


def _last_logout(request: Request, name: str) -> float | None:
    with request.app.state.web.app.db.read() as session:
        at = get_mark(session, logout_mark(name))
    return at.timestamp() if at is not None else None


def current_reviewer(request: Request) -> str | None:
    """The logged-in reviewer's name, if the session is for their current token, younger than
    ``SESSION_MAX_AGE`` since the login, and made after their last logout. Reads the database only for a
    session that names a reviewer."""
    auth: AuthConfig = request.app.state.auth
    name, stamp, issued = (request.session.get(k) for k in ("reviewer", "stamp", "issued"))
    if not isinstance(name, str) or not isinstance(stamp, str):
        return None
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        return None  # a session from before logins carried their time: log in again
    reviewer = auth.reviewers.get(name)
    if reviewer is None or not hmac.compare_digest(auth.stamp(reviewer), stamp):
        return None
    now = auth.clock()
    if not (now - SESSION_MAX_AGE < issued <= now + CLOCK_SKEW):
        return None
    ended = _last_logout(request, name)
    return name if ended is None or issued > ended else None


def log_in(request: Request, reviewer: Reviewer) -> None:
    """A fresh session for the reviewer (new CSRF token: nothing from before the login carries over)."""
    auth: AuthConfig = request.app.state.auth
    request.session.clear()
    request.session.update({"reviewer": reviewer.name, "stamp": auth.stamp(reviewer), "issued": auth.clock(),
                            "csrf": secrets.token_urlsafe(32)})


def log_out(request: Request) -> None:
    """End this session and every other session of the same reviewer made before now (any copy of the
    cookie too). Writes the database: call it from a thread, not the event loop."""
    auth: AuthConfig = request.app.state.auth
    name = current_reviewer(request)
    if name is not None:
        now = datetime.fromtimestamp(auth.clock(), UTC)
        with request.app.state.web.app.db.write() as session:
            before = get_mark(session, logout_mark(name))
            set_mark(session, logout_mark(name), max(now, before) if before is not None else now)
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
                reviewer = await run_in_threadpool(current_reviewer, request)  # reads the database
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
