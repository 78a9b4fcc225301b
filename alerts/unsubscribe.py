"""Signed per-subscriber unsubscribe links: the footer of every email and its List-Unsubscribe header.

A link is ``BASE/unsubscribe/TOKEN`` (``BASE`` = ``CASEWATCH_BASE_URL``), served by ``casewatch serve``
(``casewatch.web.unsubscribe``). The token is the HMAC-SHA256 of the lowercased address under a key derived
from the signing secret, base64url: opaque (it says nothing about the address or the subscriber's id) and
unforgeable without the secret. The server finds the subscriber by computing each subscriber's token and
comparing in constant time (a handful of subscribers; no lookup column to leak).

The signing secret is ``CASEWATCH_SECRET_KEY`` when set. Otherwise a random key is made the first time a
link is needed and kept in the database (``marks``, name ``unsubscribe-key``), so ``casewatch digest`` /
``run`` (which write links) and ``casewatch serve`` (which checks them) agree whenever they share the
database, whatever their environments. Links are checked against both keys, so setting
``CASEWATCH_SECRET_KEY`` later keeps the links already mailed working; changing it breaks the ones signed
with the old value. The key is derived per purpose, so the same secret signing session cookies never
yields an unsubscribe token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

from config.settings import get_settings
from pipeline.store.marks import store_value, stored_value
from pipeline.store.models import Subscriber
from pipeline.store.session import Database, IntegrityError, Session
from pipeline.store.subscribers import all_subscribers

log = logging.getLogger(__name__)

KEY_MARK = "unsubscribe-key"
PURPOSE = b"casewatch unsubscribe link v1"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 bytes of HMAC-SHA256, base64url without padding
_URL_UNSAFE = re.compile(r"[\s<>\"'\\^`{|}]")


def _derive(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), PURPOSE, hashlib.sha256).digest()


def _env_secret() -> str | None:
    key = get_settings().secret_key
    return key.get_secret_value() if key is not None else None


def signing_key(db: Database, *, create: bool = True) -> bytes | None:
    """The key new links are signed with; the database key is made once when needed (``create``).

    None only when ``create`` is False and no key exists yet (a dry run stores nothing).
    """
    if (secret := _env_secret()) is not None:
        return _derive(secret)
    with db.read() as session:
        stored = stored_value(session, KEY_MARK)
    if stored is None and create:
        try:
            with db.write() as session:
                store_value(session, KEY_MARK, secrets.token_urlsafe(32), datetime.now(UTC))
        except IntegrityError:  # another process made it at the same moment: theirs is the key
            pass
        with db.read() as session:
            stored = stored_value(session, KEY_MARK)
    return _derive(stored) if stored is not None else None


def checking_keys(session: Session) -> list[bytes]:
    """Every key a valid link may be signed with: CASEWATCH_SECRET_KEY's, then the database's."""
    keys = [_derive(secret)] if (secret := _env_secret()) is not None else []
    if (stored := stored_value(session, KEY_MARK)) is not None:
        keys.append(_derive(stored))
    return keys


def token(key: bytes, email: str) -> str:
    mac = hmac.new(key, b"unsubscribe\0" + email.strip().lower().encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def link(base_url: str, key: bytes | None, email: str) -> str | None:
    """The subscriber's unsubscribe URL; None without a key or with a base URL that is not a plain
    http(s) URL (it goes into a header: nothing that could break out of ``<...>``)."""
    if key is None:
        return None
    base = base_url.strip().rstrip("/")
    parts = urlsplit(base) if not _URL_UNSAFE.search(base) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        log.warning("CASEWATCH_BASE_URL %r is not a plain http(s) URL: emails go out without an unsubscribe link",
                    base_url)
        return None
    return f"{base}/unsubscribe/{token(key, email)}"


def subscriber_for(session: Session, given: str) -> Subscriber | None:
    """The subscriber whose link carries ``given``; None for a malformed, forged or outdated token."""
    if not TOKEN.fullmatch(given):
        return None
    keys = checking_keys(session)
    found = None
    for sub in all_subscribers(session):
        for key in keys:
            if hmac.compare_digest(token(key, sub.email), given):
                found = sub
    return found
