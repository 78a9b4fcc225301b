"""Redaction: what a message may show of a URL or an error text, so secrets never reach an operator's screen.

Credentials travel inside URLs (``postgresql://casewatch:s3cret@db/casewatch``, a redirect to
``http://user:pass@host/``), inside query strings (``?password=``, ``?token=``), in libpq
connection strings (``password=s3cret``) and in exception texts that quote any of these. Every
place that shows or records such text (logs, crawl run errors, `status`, the review page, the API,
digests) passes it through :func:`redact` first; :func:`redact_url` is the same for one URL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

MASK = "***"

# scheme://authority...: the authority ends at the first / ? # (userinfo may not contain them unescaped).
_URL = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<authority>[^\s/?#\\'\"<>]*)")
# key=value where the key names a secret: in query strings, libpq DSNs and "KEY=value" texts.
_SECRET_PARAM = re.compile(
    r"(?i)(?P<key>\b[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)"
    r"[a-z0-9_]*)(?P<sep>\s*=\s*)(?P<value>'[^']*'|\"[^\"]*\"|[^\s&;,'\"<>)]+)"
)
_MIN_SECRET = 6  # shorter environment values (a placeholder, "none") are not searched for in texts


def _authority(match: re.Match[str]) -> str:
    authority = match.group("authority")
    if "@" in authority:
        authority = f"{MASK}@{authority.rpartition('@')[2]}"
    return match.group("scheme") + authority


def _param(match: re.Match[str]) -> str:
    return f"{match.group('key')}{match.group('sep')}{MASK}"


def env_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Secret values set in the environment (and the password of DATABASE_URL), longest first."""
    env = os.environ if environ is None else environ
    values = {env.get("SMTP_PASSWORD", ""), env.get("CASEWATCH_SECRET_KEY", "")}
    # CASEWATCH_REVIEWERS: comma-separated name:token pairs; the token is the secret.
    values.update(pair.partition(":")[2].strip() for pair in env.get("CASEWATCH_REVIEWERS", "").split(","))
    try:
        if password := urlsplit(env.get("DATABASE_URL", "")).password:
            values.update((password, unquote(password)))
    except ValueError:
        pass
    return tuple(sorted((v for v in values if len(v) >= _MIN_SECRET), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` without credentials: URL userinfo becomes ``***@``, secret-named parameters ``key=***``,
    and any secret of the environment (``secrets``: those values, default from the environment) ``***``."""
    if not text:
        return text
    for secret in env_secrets() if secrets is None else secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = _URL.sub(_authority, text)
    return _SECRET_PARAM.sub(_param, text)


def redact_url(url: str) -> str:
    """One URL as it may be shown: no user name or password, secret-named query parameters masked.

    Also for a malformed URL (``postgresql//user:pw@host/db``): what precedes its last '@' is masked.
    """
    if "://" not in url and "@" in url.partition("?")[0]:
        url = f"{MASK}@{url.rpartition('@')[2]}"
    return redact(url, secrets=())
