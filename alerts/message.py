"""Turn a rendered digest into one RFC 5322 message, with every header value made inert.

Python 3.11's `email` package does not refuse CR/LF inside header values, so a scraped title with
"\\r\\nBcc: ..." could add recipients; `clean_header` is the single gate every header passes through.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, getaddresses

HEADER_MAX = 250  # characters; long enough for a subject, short enough to stay one folded header
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_DOMAIN_JUNK = re.compile(r"[^A-Za-z0-9.-]+")


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    """What the renderer produces: a subject line and the two bodies of the same content."""

    subject: str
    text: str
    html: str
    language: str = "es"


def strip_controls(value: str, *, keep: str = "") -> str:
    """Drop control, format and line/paragraph-separator characters except those in `keep`.

    Format characters (Cf) include bidi overrides that can disguise a subject or file name.
    """
    return "".join(ch for ch in value if ch in keep or (unicodedata.category(ch) not in _UNSAFE_CATEGORIES))


def clean_header(value: object, max_length: int = HEADER_MAX) -> str:
    """A single-line, printable header value: no CR/LF or other controls, collapsed spaces, capped."""
    text = "" if value is None else str(value)
    # Controls become spaces first so "a\r\nb" stays two words rather than "ab".
    text = "".join(" " if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in text)
    text = " ".join(text.split())
    if len(text) > max_length:
        text = text[: max(max_length - 1, 0)].rstrip() + "…"
    return text


def _single_address(value: str, header: str) -> str:
    """Refuse a To/From that smuggles several recipients (a comma in a display name, say)."""
    cleaned = clean_header(value, max_length=320)
    addresses = [addr for _name, addr in getaddresses([cleaned]) if addr]
    if len(addresses) != 1 or "@" not in addresses[0]:
        raise ValueError(f"{header} must be exactly one email address, got {cleaned!r}")
    return cleaned


def make_message_id(digest_key: str, domain: str = "casewatch.local") -> str:
    """A Message-ID that only depends on the digest key, so a retry is the same message."""
    digest = hashlib.sha256(digest_key.encode("utf-8")).hexdigest()[:32]
    safe_domain = _DOMAIN_JUNK.sub("", domain).strip(".-") or "casewatch.local"
    return f"<casewatch.{digest}@{safe_domain}>"


def _normalise_message_id(message_id: str) -> str:
    """Keep the caller's id (stable per digest) but make sure it is one bracketed token."""
    cleaned = clean_header(message_id, max_length=250).replace(" ", "")
    if not cleaned:
        raise ValueError("message_id is empty")
    if not (cleaned.startswith("<") and cleaned.endswith(">")):
        cleaned = f"<{cleaned.strip('<>')}>"
    return cleaned


def build_message(
    rendered: RenderedDigest,
    *,
    sender: str,
    to: str,
    message_id: str,
    date: datetime,
    list_unsubscribe: str | None = None,
    one_click: bool = False,
    reply_to: str | None = None,
) -> EmailMessage:
    """multipart/alternative with the text part first and HTML last (clients prefer the last).

    ``list_unsubscribe``: the List-Unsubscribe value (``<https://...>``); ``one_click`` adds
    ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058: only for an HTTPS URI that unsubscribes
    on a POST without any session). ``reply_to``: one address, as ``sender`` and ``to``.
    """
    msg = EmailMessage(policy=default_policy)
    msg["From"] = _single_address(sender, "sender")
    msg["To"] = _single_address(to, "to")
    if reply_to:
        msg["Reply-To"] = _single_address(reply_to, "reply_to")
    msg["Subject"] = clean_header(rendered.subject)
    msg["Date"] = format_datetime(date if date.tzinfo else date.replace(tzinfo=UTC))
    msg["Message-ID"] = _normalise_message_id(message_id)
    # Tell autoresponders and list tools this is machine mail, so they do not reply in loops.
    msg["Auto-Submitted"] = "auto-generated"
    if list_unsubscribe:
        msg["List-Unsubscribe"] = clean_header(list_unsubscribe, max_length=500)
        if one_click:
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Quoted-printable keeps Spanish text 7-bit safe for any relay and readable in a raw .eml.
    msg.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After the bodies: set_content/add_alternative move or drop Content-* headers of the root.
    msg["Content-Language"] = clean_header(rendered.language, max_length=16) or "es"
    return msg
